#pragma once
// train(): fits a RelevanceModel on the training rows of a Dataset, with early stopping on
// the validation rows.
//
// - normalisation statistics from the training rows (stored in the model);
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
#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <functional>
#include <string>
#include <limits>
#include <variant>
#include <vector>

#include "polytag/loss/masked_bce.hpp"
#include "polytag/loss/masked_mse.hpp"
#include "polytag/openmic/batch.hpp"
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
#include "polytag/optim/clip.hpp"
#include "polytag/optim/schedule.hpp"
#include "polytag/tensor/random.hpp"
#include "polytag/tensor/threads.hpp"

namespace polytag::openmic {

/// Scores `rows` of `data` with the network in Eval mode, in chunks: (rows, 20) into `out`.
inline void predict_rows(RelevanceModel::Net& net, const Dataset& data, const Normalizer& norm,
                         const std::vector<Index>& rows, Batch<float>& scratch, Tensor<float>& out,
                         Index chunk = 512) {
    const Index n = static_cast<Index>(rows.size());
    out.resize(Shape{n, kClasses});
    for (Index begin = 0; begin < n; begin += chunk) {
        const Index end = std::min(n, begin + chunk);
        gather_batch(data, norm, rows, begin, end, scratch);
        TensorView<const float> y = net.forward(scratch.x, Mode::Eval);
        std::copy(y.begin(), y.end(), out.data() + begin * kClasses);
    }
}

namespace detail {

using Optimizer = std::variant<Adam<float>, AdamW<float>, Sgd<float>>;

inline Optimizer make_optimizer(const TrainConfig& c, ParameterList<float> params) {
    if (c.optimizer == OptimizerKind::Sgd)
        return Sgd<float>(std::move(params), SgdOptions<float>{float(c.lr), float(c.momentum), 0.0f, float(c.weight_decay), false});
    if (c.optimizer == OptimizerKind::Adam)
        return Adam<float>(std::move(params), AdamOptions<float>{float(c.lr), 0.9f, 0.999f, 1e-8f, float(c.weight_decay)});
    return AdamW<float>(std::move(params), AdamWOptions<float>{float(c.lr), 0.9f, 0.999f, 1e-8f, float(c.weight_decay)});
}

inline LrSchedule<float> make_schedule(const TrainConfig& c, std::int64_t steps_per_epoch) {
    const std::int64_t total = std::max<std::int64_t>(1, steps_per_epoch * c.epochs);
    std::int64_t warmup = std::int64_t(std::llround(c.warmup_epochs * double(steps_per_epoch)));
    warmup = std::min(warmup, total - 1);
    return LrSchedule<float>::warmup_cosine(float(c.lr), warmup, total, float(c.lr * c.min_lr_ratio));
}

/// Snapshot of all parameter values, preallocated once (the best weights so far).
struct WeightSnapshot {
    std::vector<Tensor<float>> values;
    explicit WeightSnapshot(const ParameterList<float>& params) {
        for (const auto& p : params) values.push_back(Tensor<float>::copy_of(p.value));
    }
    void take(const ParameterList<float>& params) {
        for (std::size_t i = 0; i < params.size(); ++i) std::copy(params[i].value.begin(), params[i].value.end(), values[i].begin());
    }
    void restore(const ParameterList<float>& params) const {
        for (std::size_t i = 0; i < params.size(); ++i) std::copy(values[i].begin(), values[i].end(), params[i].value.begin());
    }
};

}  // namespace detail

/// Trains `model` (re-initialised from config.seed) on `train_rows` of `data`, early-stopping on
/// `validation_rows`. Sets the model's normaliser. Returns the per-epoch history.
inline TrainingHistory train(RelevanceModel& model, const Dataset& data, const std::vector<Index>& train_rows,
                             const std::vector<Index>& validation_rows, const TrainConfig& config,
                             const TrainHooks& hooks = {}) {
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
    const Normalizer& norm = model.normalizer();
    RelevanceModel::Net& net = model.net();
    Rng rng(config.seed);
    net.init(rng);
    const ParameterList<float> params = net.parameters();
    detail::Optimizer optimizer = detail::make_optimizer(config, params);
    const Index n = static_cast<Index>(train_rows.size());
    const Index batch_size = std::min<Index>(config.batch, n);
    const Index batches = (n + batch_size - 1) / batch_size;
    const LrSchedule<float> schedule = detail::make_schedule(config, batches);
    MaskedMse<float> mse;
    MaskedBce<float> bce;
    const bool use_bce = config.loss == LossKind::MaskedBce;

    std::vector<Index> order = train_rows;
    Batch<float> batch, val_scratch;
    Tensor<float> val_pred;
    detail::WeightSnapshot best(params);

    TrainingHistory history;
    history.best_val_loss = std::numeric_limits<double>::infinity();
    history.train_clips = static_cast<long long>(train_rows.size());
    history.validation_clips = static_cast<long long>(validation_rows.size());
    if (hooks.progress)
        hooks.progress->note("training on " + std::to_string(train_rows.size()) + " clips, validating on " +
                             std::to_string(validation_rows.size()) + ", " + std::to_string(batches) +
                             " batches per epoch");
    std::int64_t step = 0;
    int since_best = 0;
    for (int epoch = 1; epoch <= config.epochs; ++epoch) {
        const auto te = clock::now();
        polytag::shuffle(order.begin(), order.end(), rng);
        double loss_sum = 0;
        int done = 0;
        bool stop = false;
        for (Index b = 0; b < batches; ++b) {
            const Index begin = b * batch_size, end = std::min(n, begin + batch_size);
            gather_batch(data, norm, order, begin, end, batch);
            TensorView<const float> pred = net.forward(batch.x, Mode::Train);
            const float loss = use_bce ? bce.forward(pred, batch.y, batch.mask) : mse.forward(pred, batch.y, batch.mask);
            net.backward(use_bce ? bce.backward() : mse.backward(), false);
            if (config.grad_clip > 0) clip_grad_norm(params, float(config.grad_clip));
            const float lr = schedule(step++);
            std::visit([&](auto& opt) {
                opt.set_lr(lr);
                opt.step();
            }, optimizer);
            loss_sum += loss;
            ++done;
            if (hooks.progress) hooks.progress->batch(epoch, config.epochs, int(b + 1), int(batches), loss_sum / done);
            if (hooks.on_batch) hooks.on_batch(epoch, int(b + 1));
            if (hooks.stop && *hooks.stop) {
                stop = true;
                break;
            }
        }
        predict_rows(net, data, norm, validation_rows, val_scratch, val_pred);
        EpochStats e;
        e.epoch = epoch;
        e.train_loss = loss_sum / std::max(1, done);
        e.val_loss = observed_mse(val_pred, data, validation_rows);
        e.val_ap = evaluate(val_pred, data, validation_rows).macro.ap;
        e.lr = schedule(step - 1);
        e.seconds = seconds_since(te);
        e.elapsed = seconds_since(t0);
        e.partial = stop && done < batches;
        const bool improved = e.val_loss < history.best_val_loss;
        if (improved) {
            history.best_val_loss = e.val_loss;
            history.best_epoch = epoch;
            best.take(params);
            since_best = 0;
        } else {
            ++since_best;
        }
        history.epochs.push_back(e);
        if (hooks.progress) hooks.progress->epoch(e, config.epochs, improved);
        if (stop) {
            history.interrupted = true;
            break;
        }
        if (config.patience > 0 && since_best >= config.patience) {
            history.stopped_early = true;
            break;
        }
    }
    best.restore(params);
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
