#pragma once
// train(): fits a RelevanceModel on the training rows of a Dataset, with early stopping on
// the validation rows.
//
// - normalisation statistics from the training rows (stored in the model), for X and, when the
//   model has a second input (ModelConfig::input2), for that array of the dataset;
// - Adam, AdamW or Sgd (with momentum), mini-batches in a seeded shuffled order, linear warm-up then cosine decay;
// - masked MSE (default) or masked BCE on the observed labels only;
// - after every epoch: validation masked MSE pooled over the observed labels (the early-stopping
//   criterion, observed_mse) and macro AP (evaluate, the same as the test report's);
//   the best weights are kept and restored at the end;
// - a stop request (TrainHooks::stop, e.g. a flag set by a Ctrl-C handler) ends training after
//   the current batch; the partial epoch is validated too and the best weights so far are restored.
// Reproducible: the same seed and thread count give bitwise-identical weights (one Rng seeds
// the initialisation, dropout and shuffles; no atomics or unordered reductions).
// No allocation in the batch loop: batch, activation, gradient and optimiser buffers are sized
// by the first batch and reused.
// The loop is polytag::fit (train/fit.hpp) over a DatasetSource (dataset_source.hpp): this
// file only turns a TrainConfig into FitOptions (schedule, clipping, patience, the shuffles
// continuing the initialisation's generator, observed_mse as the criterion and macro AP as an
// extra metric), the TrainHooks into FitHooks, and fit's history into a TrainingHistory.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <functional>
#include <string>
#include <variant>
#include <limits>
#include <vector>

#include "polytag/loss/masked_bce.hpp"
#include "polytag/loss/masked_mse.hpp"
#include "polytag/openmic/batch.hpp"
#include "polytag/openmic/dataset_source.hpp"
#include "polytag/openmic/dataset.hpp"
#include "polytag/openmic/dataset_evaluation.hpp"
#include "polytag/openmic/normalizer.hpp"
#include "polytag/openmic/relevance_model.hpp"
#include "polytag/openmic/train_config.hpp"
#include "polytag/openmic/train_hooks.hpp"
#include "polytag/openmic/training_history.hpp"
#include "polytag/optim/adam.hpp"
#include "polytag/optim/adamw.hpp"
#include "polytag/optim/sgd.hpp"
#include "polytag/optim/schedule.hpp"
#include "polytag/tensor/random.hpp"
#include "polytag/tensor/threads.hpp"
#include "polytag/train/fit.hpp"

namespace polytag::openmic {

/// Scores `rows` of `data` with the network in Eval mode, in chunks: (rows, 20) into `out`.
inline void predict_rows(RelevanceModel::Net& net, const Dataset& data, const Normalizer& norm,
                         const std::vector<Index>& rows, Batch<float>& scratch, Tensor<float>& out,
                         Index chunk = kDefaultPredictChunk) {
    const Index n = static_cast<Index>(rows.size());
    out.resize(Shape{n, kClasses});
    for (Index begin = 0; begin < n; begin += chunk) {
        const Index end = std::min(n, begin + chunk);
        gather_batch(data, norm, rows, begin, end, scratch);
        TensorView<const float> y = net.forward(scratch.x, Mode::Eval);
        std::copy(y.begin(), y.end(), out.data() + begin * kClasses);
    }
}

/// Throws ShapeError unless `in` has the per-clip shape the model's second input takes.
inline void check_input2(const RelevanceModel& model, const ClipInput& in) {
    if (in.steps() != model.input2_frames() || in.width() != model.input2_features())
        throw ShapeError("polytag::openmic: input '" + in.name + "' has " + std::to_string(in.steps()) + " x " +
                         std::to_string(in.width()) + " per clip, the model takes " + std::to_string(model.input2_frames()) +
                         " x " + std::to_string(model.input2_features()));
}

/// The normaliser of a further input fitted on `rows` (over its last axis), as fit_normalizers.
inline Normalizer fit_input_normalizer(const ClipInput& in, const std::vector<Index>& rows) {
    if (!in.is_bytes()) return Normalizer::fit_values(in.values, rows);
    const TensorView<const std::uint8_t> v(in.bytes.data(), Shape{in.clips(), in.steps(), in.width()});
    return Normalizer::fit(Tensor<std::uint8_t>::copy_of(v), rows);
}

/// The values of `rows` of a further input as floats, (rows, steps, width): what
/// RelevanceModel::predict_inputs takes as the second input.
inline Tensor<float> gather_input_values(const ClipInput& in, const std::vector<Index>& rows) {
    const Index per = in.clip_size();
    Tensor<float> out(Shape{static_cast<Index>(rows.size()), in.steps(), in.width()});
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Index r = rows[i];
        if (r < 0 || r >= in.clips())
            throw ValueError("polytag::openmic::gather_input_values: row " + std::to_string(r) + " outside [0, " +
                             std::to_string(in.clips()) + ")");
        float* dst = out.data() + static_cast<Index>(i) * per;
        if (in.is_bytes())
            for (Index j = 0; j < per; ++j) dst[j] = static_cast<float>(in.bytes[r * per + j]);
        else
            std::copy_n(in.values.data() + r * per, per, dst);
    }
    return out;
}

/// The model's relevances (rows, 20) for `rows` of `data`: X, and the model's second input
/// read from the dataset by name when it has one.
inline Tensor<float> predict_dataset(const RelevanceModel& model, const Dataset& data, const std::vector<Index>& rows) {
    const Tensor<std::uint8_t> clips = gather_clips(data, rows);
    if (!model.has_input2()) return model.predict(clips);
    const ClipInput& in = data.input(model.input2());
    check_input2(model, in);
    return model.predict_inputs(clips, gather_input_values(in, rows));
}

namespace detail {

/// Adam, AdamW or Sgd as TrainConfig says, with the step / set_lr / lr that fit() calls.
/// (Not AnyOptimizer: its polytag::OptimizerKind would clash with openmic::OptimizerKind
/// for users of both namespaces.)
class Optimizer {
public:
    Optimizer(const TrainConfig& c, ParameterList<float> params) : opt_(make(c, std::move(params))) {}
    void step() {
        std::visit([](auto& o) { o.step(); }, opt_);
    }
    void set_lr(float lr) {
        std::visit([lr](auto& o) { o.set_lr(lr); }, opt_);
    }
    float lr() const {
        return std::visit([](const auto& o) { return o.lr(); }, opt_);
    }

private:
    using Variant = std::variant<Adam<float>, AdamW<float>, Sgd<float>>;
    static Variant make(const TrainConfig& c, ParameterList<float> params) {
        if (c.optimizer == OptimizerKind::Sgd)
            return Sgd<float>(std::move(params), SgdOptions<float>{float(c.lr), float(c.momentum), 0.0f, float(c.weight_decay), false});
        if (c.optimizer == OptimizerKind::Adam)
            return Adam<float>(std::move(params), AdamOptions<float>{float(c.lr), 0.9f, 0.999f, 1e-8f, float(c.weight_decay)});
        return AdamW<float>(std::move(params), AdamWOptions<float>{float(c.lr), 0.9f, 0.999f, 1e-8f, float(c.weight_decay)});
    }
    Variant opt_;
};

inline LrSchedule<float> make_schedule(const TrainConfig& c, std::int64_t steps_per_epoch) {
    const std::int64_t total = std::max<std::int64_t>(1, steps_per_epoch * c.epochs);
    std::int64_t warmup = std::int64_t(std::llround(c.warmup_epochs * double(steps_per_epoch)));
    warmup = std::min(warmup, total - 1);
    return LrSchedule<float>::warmup_cosine(float(c.lr), warmup, total, float(c.lr * c.min_lr_ratio));
}

/// The training loss TrainConfig::loss chooses, as one type fit() can take.
struct TrainLoss {
    bool bce = false;
    MaskedMse<float> mse;
    MaskedBce<float> bce_loss;
    float forward(TensorView<const float> pred, TensorView<const float> target, TensorView<const float> mask) {
        return bce ? bce_loss.forward(pred, target, mask) : mse.forward(pred, target, mask);
    }
    TensorView<const float> backward() const { return bce ? bce_loss.backward() : mse.backward(); }
    Index observed() const { return bce ? bce_loss.observed() : mse.observed(); }
};

/// fit()'s progress as the openmic TrainObserver sees it: val_loss is fit's criterion
/// (observed_mse), val_ap its first extra metric (macro AP); elapsed counts from train()'s
/// start (normalisation and initialisation included). fit's own note is replaced by train()'s.
class ObserverAdapter final : public FitObserver {
public:
    ObserverAdapter(TrainObserver* to, double offset) : to_(to), offset_(offset) {}
    void note(const std::string&) override {}
    void batch(int epoch, int epochs, int batch, int batches, double running_loss) override {
        if (to_) to_->batch(epoch, epochs, batch, batches, running_loss);
    }
    void epoch(const polytag::FitEpoch& e, int epochs, bool improved) override {
        if (to_) to_->epoch(convert(e, offset_), epochs, improved);
    }
    static EpochStats convert(const polytag::FitEpoch& e, double offset) {
        EpochStats o;
        o.epoch = e.epoch;
        o.train_loss = e.train_loss;
        o.val_loss = e.val_metric;
        o.val_ap = e.val_extra.empty() ? 0.0 : e.val_extra[0];
        o.lr = e.lr;
        o.seconds = e.seconds;
        o.elapsed = e.elapsed + offset;
        o.partial = e.partial;
        return o;
    }

private:
    TrainObserver* to_;
    double offset_;
};

}  // namespace detail

/// Which weights train() keeps.
enum class KeepEpoch {
    Best,  ///< early stopping: the epoch with the lowest validation MSE (after `patience` epochs
           ///< without a better one training stops), restored at the end
    Last,  ///< every epoch runs (patience ignored) and the last weights stay: the validation rows
           ///< are only scored, for the history, and never change the weights
};

/// Trains `model` (re-initialised from config.seed) on `train_rows` of `data`, early-stopping on
/// `validation_rows` (or, with KeepEpoch::Last, only scoring them after every epoch). Sets the
/// model's normaliser. Returns the per-epoch history; its best_epoch is the epoch kept.
/// The loop is fit()'s (train/fit.hpp) over a DatasetSource; this sets up what fit takes from
/// the TrainConfig and maps the result back to a TrainingHistory.
inline TrainingHistory train(RelevanceModel& model, const Dataset& data, const std::vector<Index>& train_rows,
                             const std::vector<Index>& validation_rows, const TrainConfig& config,
                             const TrainHooks& hooks = {}, KeepEpoch keep = KeepEpoch::Best) {
    config.validate();
    if (train_rows.empty()) throw ValueError("polytag::openmic::train: no training rows");
    if (validation_rows.empty()) throw ValueError("polytag::openmic::train: no validation rows");
    if (data.classes() != kClasses || data.frames() != model.frames() || data.dims() != model.features())
        throw ShapeError("polytag::openmic::train: data has " + std::to_string(data.frames()) + "x" +
                         std::to_string(data.dims()) + " clips and " + std::to_string(data.classes()) +
                         " classes, the model expects " + std::to_string(model.frames()) + "x" +
                         std::to_string(model.features()) + " and " + std::to_string(kClasses));
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    auto seconds_since = [](clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); };

    // Process-global: set only when it differs (cross_validate sets it once for all its folds).
    if (num_threads() != config.threads) set_num_threads(config.threads);
    model.set_normalizer(Normalizer::fit(data.features(), train_rows));
    std::vector<Normalizer> norms{model.normalizer()};
    std::vector<std::string> extra;
    if (model.has_input2()) {  // the second stream: its array in the dataset, its own normaliser
        const ClipInput& in = data.input(model.input2());
        check_input2(model, in);
        model.set_normalizer2(fit_input_normalizer(in, train_rows));
        norms.push_back(model.normalizer2());
        extra.push_back(model.input2());
    }
    const DatasetSource source(data, std::move(norms), extra);
    RelevanceModel::Net& net = model.net();
    // One generator: the initialisation (which also seeds the dropout masks), then the shuffles.
    Rng rng(config.seed);
    net.init(rng);
    const ParameterList<float> params = net.parameters();
    detail::Optimizer optimizer(config, params);
    detail::TrainLoss loss;
    loss.bce = config.loss == LossKind::MaskedBce;
    // Without any improving epoch (a NaN validation loss throughout) the initial weights are restored.
    const WeightSnapshot<float> initial(params);

    const std::vector<std::string>& class_names = data.class_names();
    FitOptions<float> o;
    o.epochs = config.epochs;
    o.batch = config.batch;
    o.shuffle_rng = &rng;
    o.schedule = detail::make_schedule(config, steps_per_epoch(Index(train_rows.size()), config.batch));
    o.grad_clip = config.grad_clip;
    o.patience = keep == KeepEpoch::Best ? config.patience : 0;
    o.restore_best = keep == KeepEpoch::Best;
    o.metric = [](TensorView<const float> pred, TensorView<const float> y, TensorView<const float> mask) {
        return observed_mse(pred, y, mask);
    };
    o.extra_metrics.push_back([&class_names](TensorView<const float> pred, TensorView<const float> y,
                                             TensorView<const float> mask) {
        return evaluate(pred, y, mask, class_names).macro.ap;
    });

    TrainingHistory history;
    history.train_clips = static_cast<long long>(train_rows.size());
    history.validation_clips = static_cast<long long>(validation_rows.size());
    if (hooks.progress)
        hooks.progress->note("training on " + std::to_string(train_rows.size()) + " clips, validating on " +
                             std::to_string(validation_rows.size()) + ", " +
                             std::to_string(steps_per_epoch(Index(train_rows.size()), config.batch)) +
                             " batches per epoch");
    detail::ObserverAdapter observer(hooks.progress, seconds_since(t0));
    FitHooks fh;
    fh.progress = &observer;
    fh.stop = hooks.stop;
    fh.on_batch = hooks.on_batch;
    const FitHistory fitted = fit(net, loss, optimizer, source, train_rows, validation_rows, o, fh);

    const double offset = seconds_since(t0) - fitted.seconds;
    for (const auto& e : fitted.epochs) history.epochs.push_back(detail::ObserverAdapter::convert(e, offset));
    history.stopped_early = fitted.stopped_early;
    history.interrupted = fitted.interrupted;
    history.best_epoch = fitted.best_epoch;
    if (keep == KeepEpoch::Last) {  // the weights of the last (possibly partial) epoch stay
        history.best_epoch = fitted.epochs.empty() ? 0 : fitted.epochs.back().epoch;
        history.best_val_loss = fitted.epochs.empty() ? std::numeric_limits<double>::infinity()
                                                      : fitted.epochs.back().val_metric;
    } else if (fitted.best_epoch > 0) {
        history.best_val_loss = fitted.best_metric;
    } else {
        history.best_val_loss = std::numeric_limits<double>::infinity();
        initial.restore(params);
    }
    history.seconds = seconds_since(t0);
    return history;
}

/// The same on a Dataset's official train rows, holding out a track-grouped validation part
/// of config.validation_fraction. The split does not depend on config.seed, so runs with
/// different seeds or settings are compared on the same validation clips.
inline TrainingHistory train(RelevanceModel& model, const Dataset& data, const TrainConfig& config,
                             const TrainHooks& hooks = {}) {
    const GroupSplit split = validation_split(data, config.validation_fraction, 0);
    return train(model, data, split.train, split.validation, config, hooks);
}

}  // namespace polytag::openmic
