// polytag-train: trains the OpenMIC-2018 instrument relevance model, evaluates it on the test
// split, and writes the model file, report.json, and an SVG of the training and PR curves.
//
//   polytag-train                                  # synthetic data, no download needed
//   polytag-train --data openmic-2018 --threads 2  # the real release folder
//   polytag-train --data openmic-2018 --folds 5 --jobs 2 --out ensemble.npz
//                                                  # 5-fold CV by track; writes the ensemble
//   polytag-train --data DIR --inputs X,NAME       # a second per-clip stream NAME of the npz
//                                                  # fused with the VGGish frames (--fusion)
//
// Ctrl-C stops after the current batch; the best model so far is saved (exit status 130).
// Exit status: 0 done, 1 bad data, 2 bad arguments (output paths included, checked before
// training), 130 interrupted (examples/tool/tool_cli.hpp).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "polytag/io/atomic_file.hpp"
#include "polytag/openmic/batch.hpp"
#include "polytag/openmic/cross_validation.hpp"
#include "polytag/openmic/cv_report.hpp"
#include "polytag/openmic/dataset.hpp"
#include "polytag/openmic/evaluation.hpp"
#include "polytag/openmic/relevance_model.hpp"
#include "polytag/openmic/report.hpp"
#include "polytag/openmic/synthetic.hpp"
#include "polytag/openmic/trainer.hpp"
#include "tool/cli_support.hpp"
#include "tool/output_path.hpp"
#include "tool/progress.hpp"
#include "tool/report_svg.hpp"
#include "tool/stop_signal.hpp"
#include "tool/tool_cli.hpp"

namespace po = polytag::openmic;

namespace {

std::string svg_path_for(const std::string& report) {
    std::filesystem::path p(report);
    p.replace_extension(".svg");
    return p.string();
}

int run(int argc, char** argv) {
    CLI::App app{"Train the OpenMIC-2018 20-instrument relevance model, evaluate it on the test split, and write "
                 "the model file, report.json and an SVG of training and precision-recall curves.",
                 "polytag-train"};
    std::string data_dir, out = "model.npz", report = "report.json", pool, trunk, optimizer, loss, inputs, fusion,
        input2_trunk;
    po::ModelConfig mc;
    po::TrainConfig tc;
    bool quiet = false, tune = false, fold_early_stopping = false;
    int folds = 0, jobs = 1;
    std::size_t synthetic_clips = po::kSyntheticDefaultClips;
    app.add_option("--data", data_dir, "OpenMIC-2018 release folder (default: a synthetic OpenMIC-like set)")
        ->check(CLI::ExistingDirectory);
    app.add_option("--out", out, "model file to write")->capture_default_str();
    app.add_option("--report", report, "report.json to write (an .svg is written next to it)")->capture_default_str();
    app.add_option("--epochs", tc.epochs, "maximum epochs")->capture_default_str()->check(CLI::Range(1, 100000));
    app.add_option("--batch", tc.batch, "mini-batch size")->capture_default_str()->check(CLI::Range(1, 1 << 20));
    app.add_option("--lr", tc.lr, "peak learning rate")->capture_default_str()->check(CLI::Range(1e-9, 10.0));
    app.add_option("--pool", pool, "pooling over frames: mean|max|attention (default attention)")
        ->check(CLI::IsMember({"mean", "max", "attention"}));
    app.add_option("--seed", tc.seed, "random seed (same seed + threads = same weights)")->capture_default_str();
    app.add_option("--threads", tc.threads, "threads for the matrix products")->capture_default_str()->check(
        CLI::Range(1, 256));
    app.add_flag("--quiet", quiet, "no progress output and no table");
    app.add_flag("--tune-thresholds", tune,
                 "also report test metrics at per-instrument thresholds tuned on the validation part");
    // Less common knobs (the defaults are the configuration chosen on validation).
    app.add_option("--trunk", trunk, "per-frame layer widths, comma separated (default 256)");
    app.add_option("--dropout", mc.dropout, "dropout after the trunk layers")->capture_default_str()->check(
        CLI::Range(0.0, 0.99));
    app.add_option("--input-dropout", mc.input_dropout, "dropout on the input frames")->capture_default_str()->check(
        CLI::Range(0.0, 0.99));
    app.add_option("--weight-decay", tc.weight_decay, "weight decay")->capture_default_str()->check(
        CLI::Range(0.0, 10.0));
    app.add_option("--optimizer", optimizer, "adam|adamw|sgd (default adamw)")
        ->check(CLI::IsMember({"adam", "adamw", "sgd"}));
    app.add_option("--momentum", tc.momentum, "momentum of --optimizer sgd")->capture_default_str()->check(
        CLI::Range(0.0, 0.999));
    app.add_option("--folds", folds,
                   "k-fold cross-validation by track over the training split (K >= 2): trains K models, reports "
                   "per-fold and mean +- std metrics, and writes their ensemble to --out");
    app.add_flag("--fold-early-stopping", fold_early_stopping,
                 "with --folds: each fold model early-stops on a validation part of its training folds (not trained "
                 "on) instead of training on all of them and keeping its last epoch");
    app.add_option("--jobs", jobs, "with --folds: folds trained at once (each on one BLAS thread)")
        ->capture_default_str()->check(CLI::Range(1, 64));
    app.add_option("--loss", loss, "masked_mse|masked_bce (default masked_mse)")
        ->check(CLI::IsMember({"masked_mse", "masked_bce"}));
    app.add_option("--patience", tc.patience, "early-stopping patience in epochs (0: off)")->capture_default_str()
        ->check(CLI::Range(0, 100000));
    app.add_option("--inputs", inputs,
                   "the model's inputs: X (default), or X,NAME to fuse a second per-clip array NAME of the npz "
                   "(uint8 or float, (N, steps, D) or (N, D)) with the VGGish frames; without --data, a synthetic "
                   "second stream of that name");
    app.add_option("--fusion", fusion,
                   "with --inputs X,NAME: frame (per-frame concat before the trunk; NAME needs X's frames) or late "
                   "(its own trunk and pooling, the pooled embeddings joined before the heads) (default late)")
        ->check(CLI::IsMember({"frame", "late"}));
    app.add_option("--input2-trunk", input2_trunk, "with --fusion late: the second stream's per-frame widths (default 64)");
    app.add_option("--synthetic-clips", synthetic_clips, "clips of the synthetic set (without --data)")
        ->capture_default_str()->check(CLI::Range(100, 900000));
    if (int rc = po::cli::parse(app, argc, argv); rc >= 0) return rc;

    // Everything that came from the command line is checked before any data is read: a bad
    // value or an unwritable output path is exit 2, found in milliseconds, not after training.
    po::cli::as_usage([&] {
        if (!pool.empty()) mc.pool = po::parse_enum<po::PoolKind>(pool, "--pool");
        if (!trunk.empty()) mc.trunk = po::cli::parse_widths(trunk, "--trunk");
        if (!optimizer.empty()) tc.optimizer = po::parse_enum<po::OptimizerKind>(optimizer, "--optimizer");
        if (!loss.empty()) tc.loss = po::parse_enum<po::LossKind>(loss, "--loss");
        if (!inputs.empty()) {
            const std::vector<std::string> names = po::cli::split_list(inputs);
            if (names.empty() || names[0] != "X" || names.size() > 2)
                throw polytag::ValueError("--inputs: expected X or X,NAME, got '" + inputs + "'");
            if (names.size() == 2) {
                mc.input2 = names[1];
                mc.input2_frames = mc.frames;  // the data's shape is filled in once it is read
                mc.input2_features = 1;
            }
        }
        if (!fusion.empty()) mc.fusion = po::parse_enum<po::FusionKind>(fusion, "--fusion");
        if (!input2_trunk.empty()) mc.input2_trunk = po::cli::parse_widths(input2_trunk, "--input2-trunk");
        if ((!fusion.empty() || !input2_trunk.empty()) && !mc.has_input2())
            throw polytag::ValueError(std::string(fusion.empty() ? "--input2-trunk" : "--fusion") + ": needs --inputs X,NAME");
        mc.validate("--model");
        tc.validate("--train");
        if (folds == 1 || folds < 0 || folds > 100)
            throw polytag::ValueError("--folds: must be in [2, 100], got " + std::to_string(folds));
        if (jobs > 1 && folds == 0) throw polytag::ValueError("--jobs: needs --folds");
        if (fold_early_stopping && folds == 0) throw polytag::ValueError("--fold-early-stopping: needs --folds");
    });
    po::cli::check_output_path(out, "--out");
    if (!report.empty()) {
        po::cli::check_output_path(report, "--report");
        po::cli::check_output_path(svg_path_for(report), "--report (its .svg)");
        po::cli::check_distinct_outputs(out, "--out", report, "--report");
        po::cli::check_distinct_outputs(out, "--out", svg_path_for(report), "--report (its .svg)");
    }

    po::ProgressPrinter progress(stderr, quiet ? po::ProgressPrinter::Style::Quiet : po::ProgressPrinter::Style::Auto);
    po::SyntheticStreams synthetic_stream;
    synthetic_stream.name = mc.input2;
    synthetic_stream.classes = {1, 4, 8, 12, 17};  // heard in the second stream's later frames only
    const po::Dataset data = data_dir.empty()
                                 ? (mc.has_input2() ? po::make_synthetic(synthetic_clips, 0, synthetic_stream)
                                                    : po::make_synthetic(synthetic_clips, 0))
                                 : (mc.has_input2() ? po::Dataset::load(data_dir, {"X", mc.input2}) : po::Dataset::load(data_dir));
    if (mc.has_input2()) {  // the second stream's per-clip shape, from the data
        const po::ClipInput& in = data.input(mc.input2);
        mc.input2_frames = int(in.steps());
        mc.input2_features = int(in.width());
        po::cli::as_usage([&] { mc.validate("--inputs " + inputs); });
    }
    if (!data_dir.empty() && data.test().empty())
        throw po::DatasetError((std::filesystem::path(data_dir) / po::ReleaseLayout::test_split).string(), -1, -1,
                               "no sample keys: the test split is empty (nothing to evaluate on)");
    progress.note("data: " + (data_dir.empty() ? "synthetic (" + std::to_string(data.size()) + " clips)" : data_dir) +
                  ", train " + std::to_string(data.train().size()) + ", test " + std::to_string(data.test().size()) +
                  (mc.has_input2() ? ", inputs X and " + mc.input2 + " (" + std::to_string(mc.input2_frames) + " x " +
                                         std::to_string(mc.input2_features) + " per clip, " + po::to_string(mc.fusion) +
                                         " fusion)"
                                   : std::string()));
    // Ctrl-C while the data was loading: nothing trained, nothing to save.
    if (po::stop_requested()) {
        progress.note("interrupted before training: nothing written");
        return po::cli::kExitInterrupted;
    }

    po::RelevanceModel model(mc, tc.seed);
    po::TrainHooks hooks;
    hooks.progress = &progress;
    hooks.stop = &po::stop_flag();
    po::TrainingHistory history;
    const po::CrossValidationConfig cv_config{folds, jobs, 0, fold_early_stopping};
    std::unique_ptr<po::CrossValidation> cv;
    if (folds > 0) {
        cv = std::make_unique<po::CrossValidation>(po::cross_validate(data, mc, tc, cv_config, hooks));
        model = std::move(cv->ensemble);
        history = cv->folds.front().history;  // the curves of fold 1 in the picture
        history.interrupted = cv->interrupted;
        history.seconds = cv->seconds;
        if (cv->interrupted)
            progress.note("interrupted: the ensemble holds the " + std::to_string(cv->folds.size()) + " folds trained");
    } else {
        history = po::train(model, data, tc, hooks);
        if (history.interrupted)
            progress.note("interrupted: keeping the best epoch so far (" + std::to_string(history.best_epoch) + ")");
    }

    po::ReportContext ctx{mc, tc, history, data_dir.empty() ? "synthetic" : data_dir, "test"};
    nlohmann::json training_info = {{"config", {{"model", po::to_json(mc)}, {"train", po::to_json(tc)}}},
                                    {"history", po::to_json(history)},
                                    {"data", ctx.data}};
    nlohmann::json cv_json;
    if (cv) {
        cv_json = po::cross_validation_json(*cv, cv_config);
        training_info["cross_validation"] = cv_json;
    }
    try {
        model.save(out, training_info.dump());
    } catch (const polytag::Error& e) {
        // The path was writable when training started; never lose the trained model to it.
        const std::string rescue = po::cli::rescue_path(out);
        model.save(rescue, training_info.dump());
        throw polytag::IoError(std::string(e.what()) + "; the trained model was saved to " + rescue + " instead");
    }

    const polytag::Tensor<float> pred = po::predict_dataset(model, data, data.test());
    const po::Evaluation ev = po::evaluate(pred, data, data.test());
    nlohmann::json report_data = po::report_json(ev, ctx);
    if (cv) {
        report_data["cross_validation"] = cv_json;
        report_data["model"] = "ensemble of " + std::to_string(cv->folds.size()) + " fold models (relevances averaged)";
    }
    if (tune) {
        // Thresholds are chosen on the validation part training held out, never on test.
        // With --folds: on every training clip's out-of-fold relevance (its fold model never saw it).
        std::vector<float> thresholds;
        if (cv) {
            const po::OutOfFold oof = po::out_of_fold(*cv);
            const po::RowLabels v = po::labels_of(data, oof.rows);
            thresholds = po::tune_thresholds(oof.pred, v.y, v.mask);
        } else {
            const po::GroupSplit split = po::validation_split(data, tc.validation_fraction, 0);
            const polytag::Tensor<float> vp = po::predict_dataset(model, data, split.validation);
            const po::RowLabels v = po::labels_of(data, split.validation);
            thresholds = po::tune_thresholds(vp, v.y, v.mask);
        }
        const po::Evaluation tuned = po::evaluate(pred, data, data.test(), &thresholds);
        report_data["tuned_on_validation"] = po::to_json(tuned);
        char line[160];
        std::snprintf(line, sizeof line, "thresholds tuned on validation: test macro F1 %.4f (%.4f at 0.5)",
                      tuned.macro.f1, ev.macro.f1);
        progress.note(line);
    }
    if (!report.empty()) {
        const std::string text = report_data.dump(2) + "\n";
        polytag::io::write_atomically(report, [&](polytag::io::AtomicFile& f) { f.write(text); });
        const po::RowLabels test = po::labels_of(data, data.test());
        const auto curves = po::precision_recall_curves(pred, test.y, test.mask);
        const std::string svg = po::training_report_svg(history, ev, curves, "polytag-train: " + ctx.data,
                                                        cv ? "test split, the ensemble" : "test split",
                                                        cv ? "fold 1 of " + std::to_string(folds) : "");
        polytag::io::write_atomically(svg_path_for(report), [&](polytag::io::AtomicFile& f) { f.write(svg); });
    }
    if (!quiet) {
        if (cv) std::printf("cross-validation (%d folds by track, each model on its held-out fold):\n%s\n"
                            "the ensemble on the test split:\n", folds, po::cross_validation_table(*cv).c_str());
        std::printf("%s", po::report_table(ev).c_str());
        std::printf("trained %zu epochs (best %d) in %.2f s; model: %s%s%s\n", history.epochs.size(),
                    history.best_epoch, history.seconds, out.c_str(), report.empty() ? "" : ", report: ",
                    report.empty() ? "" : (report + ", " + svg_path_for(report)).c_str());
    }
    return history.interrupted ? po::cli::kExitInterrupted : po::cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    // First thing: a Ctrl-C from now on (or one sent before start, still pending in a blocked
    // signal mask) means "stop and exit 130", never a silent kill.
    po::install_sigint_handler();
    return po::cli::guarded("polytag-train", [&] { return run(argc, argv); });
}
