// polytag-rank: clips ranked by the predicted relevance of one instrument, with the observed
// label beside each clip where the data has one.
//
//   polytag-rank --model model.npz --data openmic-2018 --instrument piano --top 20
//   polytag-rank --model model.npz --data openmic-2018 --instrument piano --split all
//
// On a release folder only the test split is ranked unless --split says otherwise (training
// clips were fitted, their ranking says little). A .npz catalogue has no splits: all of it is
// ranked. Exit status: 0 ok, 1 bad model or data file, 2 bad arguments (tool/tool_cli.hpp).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "polytag/openmic/instruments.hpp"
#include "polytag/openmic/relevance_model.hpp"
#include "tool/cli_support.hpp"
#include "tool/clip_source.hpp"
#include "tool/number_text.hpp"
#include "tool/tool_cli.hpp"

namespace po = polytag::openmic;

namespace {

int run(int argc, char** argv) {
    CLI::App app{"Rank clips by how strongly one instrument is predicted (observed labels shown where known).",
                 "polytag-rank"};
    std::string model_path, data, instrument, split;
    int top = 10;
    app.add_option("--model", model_path, "model file written by polytag-train (required)");
    app.add_option("--data", data, "OpenMIC-2018 folder, or a .npz with X (N, 10, 128) uint8 [and sample_key] (required)");
    app.add_option("--instrument", instrument, "one of the 20 instrument names, e.g. piano (required)");
    app.add_option("--top", top, "how many clips to list")->capture_default_str()->check(CLI::Range(1, 1 << 30));
    app.add_option("--split", split,
                   "which clips of a release folder to rank: test (default), train or all; a .npz has no splits")
        ->check(CLI::IsMember({"train", "test", "all"}));
    if (int rc = po::cli::parse(app, argc, argv); rc >= 0) return rc;
    // Required options are checked after parsing, so that an unknown option is named first.
    if (model_path.empty()) throw po::cli::UsageError("--model is required");
    if (data.empty()) throw po::cli::UsageError("--data is required");
    if (instrument.empty()) throw po::cli::UsageError("--instrument is required");

    const po::RelevanceModel model = po::RelevanceModel::load(model_path);
    // An unknown name is a bad argument; the message suggests the closest valid name.
    const polytag::Index k = po::cli::as_usage([&] { return po::class_index(model.class_names(), instrument); });
    // A model with a second input stream reads it from the data by the name its config stores.
    const po::ClipSet clips = po::load_clips(data, model.input2());
    po::check_clip_shape(clips, data, model.frames(), model.features());
    if (!clips.has_splits && (split == "train" || split == "test"))
        throw po::cli::UsageError("--split " + split + ": " + data +
                                  " is a .npz catalogue without train/test splits (give a release folder, or --split all)");
    if (split.empty()) split = clips.has_splits ? "test" : "all";

    std::vector<polytag::Index> rows;
    for (polytag::Index r = 0; r < clips.size(); ++r)
        if (split == "all" || clips.split[std::size_t(r)] == split) rows.push_back(r);
    const polytag::Tensor<float> pred = po::score_rows(model, clips, rows);

    std::vector<std::size_t> order(rows.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    const std::size_t shown = std::min(order.size(), std::size_t(top));
    // Highest relevance first; ties by key, so the listing is deterministic.
    std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(shown), order.end(),
                      [&](std::size_t a, std::size_t b) {
                          const float pa = pred(polytag::Index(a), k), pb = pred(polytag::Index(b), k);
                          return pa != pb ? pa > pb
                                          : clips.keys[std::size_t(rows[a])] < clips.keys[std::size_t(rows[b])];
                      });
    std::printf("%5s  %-24s %-12s %-12s %s\n", "rank", "key", "relevance", "observed", "split");
    for (std::size_t i = 0; i < shown; ++i) {
        const polytag::Index r = rows[order[i]];
        std::string observed = "-";
        if (clips.has_labels() && clips.mask(r, k) != 0.0f) observed = po::cli::number_text(clips.y_true(r, k));
        const std::string& where = clips.split[std::size_t(r)];
        std::printf("%5zu  %-24s %-12s %-12s %s\n", i + 1, clips.keys[std::size_t(r)].c_str(),
                    po::cli::number_text(pred(polytag::Index(order[i]), k)).c_str(), observed.c_str(),
                    where.empty() ? "-" : where.c_str());
    }
    if (std::fflush(stdout) != 0) throw polytag::IoError("cannot write to stdout");
    return po::cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) { return po::cli::guarded("polytag-rank", [&] { return run(argc, argv); }); }
