#pragma once
// k-fold cross-validation of the OpenMIC model and the ensemble of its fold models.
//
//   CrossValidation cv = cross_validate(data, ModelConfig{}, TrainConfig{}, {5});
//   cv.ensemble.save("ensemble.npz");          // the K fold models, relevances averaged
//   report_json: per-fold metrics and their mean and std (cv_report.hpp)
//
// Folds are grouped by track (k_fold_by_track over the official training rows: the key part
// before '_'), so no track is in two folds. Fold f trains on all the other folds' rows for
// TrainConfig::epochs and keeps its last epoch (KeepEpoch::Last); the held-out fold is scored
// after every epoch for the history only and never changes the weights. With
// CrossValidationConfig::early_stopping, fold f instead early-stops on a track-grouped
// validation part carved out of the other folds' rows (TrainConfig::validation_fraction), which
// it then does not train on. Fold f's model is initialised from TrainConfig::seed + f.
//
// Folds run one after another or `jobs` at a time on their own threads. Nothing process-global
// changes per fold: with jobs > 1 every fold runs on one BLAS thread (the thread count is set
// once, before the folds start), the stop flag is only read, and the observer sees notes and
// epochs one fold at a time, prefixed "fold f:". Results do not depend on `jobs` (they are
// those of jobs = 1 with TrainConfig::threads = 1).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "polytag/openmic/batch.hpp"
#include "polytag/openmic/dataset.hpp"
#include "polytag/openmic/dataset_evaluation.hpp"
#include "polytag/openmic/group_split.hpp"
#include "polytag/openmic/relevance_model.hpp"
#include "polytag/openmic/trainer.hpp"

namespace polytag::openmic {

struct CrossValidationConfig {
    int folds = 5;               ///< K >= 2
    int jobs = 1;                ///< folds trained at once
    std::uint64_t split_seed = 0;  ///< deals the tracks to folds (independent of the model seed)
    /// false (default, chosen on validation, docs/openmic.md): every fold model trains on all
    /// the other folds and keeps its last epoch. true: it early-stops on a validation part of
    /// TrainConfig::validation_fraction of those folds' tracks (not trained on) and keeps its
    /// best epoch.
    bool early_stopping = false;
};

struct FoldResult {
    int fold = 0;                ///< 0-based
    TrainingHistory history;     ///< train_clips / validation_clips: the rows trained on / scored per epoch
    Evaluation held_out;         ///< the fold model on its held-out fold (threshold 0.5)
    long long held_out_clips = 0;
    std::vector<Index> held_out_rows;  ///< dataset rows of the held-out fold, ascending
    Tensor<float> held_out_pred;       ///< (held_out_clips, 20) the fold model's relevances
};

struct CrossValidation {
    std::vector<FoldResult> folds;
    RelevanceModel ensemble;     ///< the K fold models, in fold order
    double seconds = 0;
    /// A stop request ended training early: the folds that were not started are missing (from
    /// `folds` and the ensemble), an interrupted fold keeps its weights at the stop (its best
    /// so far with early_stopping).
    bool interrupted = false;
};

namespace detail {

/// Forwards one fold's progress to a shared observer: notes and epochs under a lock with a
/// "fold f: " prefix; per-batch updates only when folds run one at a time.
class FoldObserver : public TrainObserver {
public:
    FoldObserver(TrainObserver* to, std::mutex& m, int fold, bool batches)
        : to_(to), mutex_(m), prefix_("fold " + std::to_string(fold + 1) + ": "), batches_(batches) {}
    void note(const std::string& text) override {
        if (!to_) return;
        std::lock_guard<std::mutex> lock(mutex_);
        to_->note(prefix_ + text);
    }
    void batch(int epoch, int epochs, int b, int batches, double loss) override {
        if (to_ && batches_) to_->batch(epoch, epochs, b, batches, loss);
    }
    void epoch(const EpochStats& s, int epochs, bool improved) override {
        if (!to_) return;
        std::lock_guard<std::mutex> lock(mutex_);
        to_->note(prefix_ + "epoch " + std::to_string(s.epoch) + "/" + std::to_string(epochs) + " done");
        to_->epoch(s, epochs, improved);
    }

private:
    TrainObserver* to_;
    std::mutex& mutex_;
    std::string prefix_;
    bool batches_;
};

}  // namespace detail

/// Trains one model per fold of data.train() and scores it on its held-out fold; returns the
/// fold results and their ensemble. Throws ValueError for folds < 2, folds > tracks, jobs < 1.
inline CrossValidation cross_validate(const Dataset& data, const ModelConfig& model_config, const TrainConfig& config,
                                      const CrossValidationConfig& cv, const TrainHooks& hooks = {}) {
    config.validate();
    model_config.validate();
    if (cv.jobs < 1) throw ValueError("polytag::openmic::cross_validate: jobs must be >= 1, got " + std::to_string(cv.jobs));
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<GroupSplit> folds = k_fold_by_track(data.keys(), data.train(), cv.folds, cv.split_seed);
    const int k = cv.folds;
    const int jobs = std::min(cv.jobs, k);
    TrainConfig fold_config = config;
    if (jobs > 1) fold_config.threads = 1;
    set_num_threads(fold_config.threads);  // once, before any fold starts

    std::vector<FoldResult> results(static_cast<std::size_t>(k));
    std::vector<RelevanceModel> models(static_cast<std::size_t>(k));
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(k));
    std::mutex progress_mutex;
    std::atomic<int> next{0};
    auto run_fold = [&](int f) {
        const GroupSplit& fold = folds[static_cast<std::size_t>(f)];
        // The held-out fold never selects weights: either the last epoch is kept (the held-out
        // fold only scored per epoch) or early stopping runs on a part of the training folds.
        GroupSplit inner;
        if (cv.early_stopping) {
            inner = split_by_track(data.keys(), fold.train, config.validation_fraction, cv.split_seed + 1);
        } else {
            inner.train = fold.train;
            inner.validation = fold.validation;
        }
        TrainConfig c = fold_config;
        c.seed = config.seed + std::uint64_t(f);
        detail::FoldObserver observer(hooks.progress, progress_mutex, f, jobs == 1);
        TrainHooks h;
        h.progress = hooks.progress ? &observer : nullptr;
        h.stop = hooks.stop;
        RelevanceModel m(model_config, c.seed);
        FoldResult r;
        r.fold = f;
        r.history = train(m, data, inner.train, inner.validation, c, h,
                          cv.early_stopping ? KeepEpoch::Best : KeepEpoch::Last);
        r.held_out_pred = predict_dataset(m, data, fold.validation);
        r.held_out = evaluate(r.held_out_pred, data, fold.validation);
        r.held_out_clips = static_cast<long long>(fold.validation.size());
        r.held_out_rows = fold.validation;
        results[static_cast<std::size_t>(f)] = std::move(r);
        models[static_cast<std::size_t>(f)] = std::move(m);
    };
    auto worker = [&] {
        for (int f; (f = next.fetch_add(1)) < k;) {
            if (hooks.stop && *hooks.stop) break;
            try {
                run_fold(f);
            } catch (...) {
                errors[static_cast<std::size_t>(f)] = std::current_exception();
            }
        }
    };
    if (jobs == 1) {
        worker();
    } else {
        std::vector<std::thread> threads;
        for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
        for (auto& t : threads) t.join();
    }
    for (const auto& e : errors)
        if (e) std::rethrow_exception(e);
    CrossValidation out;
    std::vector<RelevanceModel> trained;
    for (int f = 0; f < k; ++f) {
        auto& r = results[static_cast<std::size_t>(f)];
        if (r.history.epochs.empty()) {  // a stop request came before this fold started
            out.interrupted = true;
            continue;
        }
        out.interrupted = out.interrupted || r.history.interrupted;
        out.folds.push_back(std::move(r));
        trained.push_back(std::move(models[static_cast<std::size_t>(f)]));
    }
    if (trained.empty()) throw ValueError("polytag::openmic::cross_validate: stopped before any fold was trained");
    out.ensemble = RelevanceModel::ensemble(std::move(trained));
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

/// Every training clip's out-of-fold relevance: the prediction of the one fold model that
/// did not train on it (e.g. to tune thresholds without touching the test split).
struct OutOfFold {
    std::vector<Index> rows;  ///< dataset rows, fold by fold
    Tensor<float> pred;       ///< (rows, 20)
};

inline OutOfFold out_of_fold(const CrossValidation& cv) {
    OutOfFold out;
    Index n = 0;
    for (const auto& f : cv.folds) n += static_cast<Index>(f.held_out_rows.size());
    out.pred.resize(Shape{n, kClasses});
    Index at = 0;
    for (const auto& f : cv.folds) {
        out.rows.insert(out.rows.end(), f.held_out_rows.begin(), f.held_out_rows.end());
        std::copy(f.held_out_pred.begin(), f.held_out_pred.end(), out.pred.data() + at * kClasses);
        at += static_cast<Index>(f.held_out_rows.size());
    }
    return out;
}

}  // namespace polytag::openmic
