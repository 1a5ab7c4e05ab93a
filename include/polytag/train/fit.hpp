#pragma once
// fit(): the one training loop, for any network and any masked multi-task loss.
//
//   FitOptions<float> o;  o.epochs = 30;  o.batch = 64;  o.seed = 1;  o.patience = 5;
//   FitHistory h = fit(net, loss, optimizer, source, train_rows, validation_rows, o, hooks);
//
// Per epoch: the training rows in a shuffled order (Rng(seed), or the caller's generator),
// mini-batches filled by the BatchSource (train/batch_source.hpp), forward in Mode::Train,
// the loss, backward (no input gradients), optional global-norm clipping, the learning rate
// from the schedule (by step: 0 for the first step of this fit), one optimizer step. Then the
// validation rows are predicted in Mode::Eval (in chunks) and scored by the metric (default:
// the loss itself, averaged over all observed validation entries); EarlyStopping keeps the
// best epoch's weights (WeightSnapshot), stops after `patience` epochs without improvement,
// and the best weights are restored at the end. Without validation rows every epoch runs and
// the last weights stay.
//
// Hooks (nothing process-global): a FitObserver for progress, a stop flag polled after every
// batch (e.g. set by a SIGINT handler: the partial epoch is validated, the best weights
// restored, history.interrupted set), and an on_batch callback.
// fit does not initialise the network (call init or load weights first) and does not change
// the thread count (set_num_threads is the caller's, as it is process-wide).
// Reproducible: the same weights, seed and thread count give bitwise-identical results (no
// atomics, no unordered reductions). No allocation per step once the first batch of the
// largest size was seen, provided the source's fill does not allocate (its contract).
//
// The network: a Network<T> (any number of inputs: forward(batch.inputs)) or any layer with
// one input. The loss: MaskedMse / MaskedBce or anything with forward(pred, target, mask) -> T,
// backward() -> dL/dpred, observed(). The optimizer: AnyOptimizer, Adam, AdamW, Sgd (step,
// set_lr, lr).
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/nn/layer.hpp"
#include "polytag/nn/predict.hpp"
#include "polytag/optim/clip.hpp"
#include "polytag/optim/schedule.hpp"
#include "polytag/tensor/random.hpp"
#include "polytag/train/batch_source.hpp"
#include "polytag/train/early_stopping.hpp"

namespace polytag {

/// One epoch of a fit. (Not "EpochStats": openmic::EpochStats is the OpenMIC trainer's, and code
/// using both namespaces must not find two.)
struct FitEpoch {
    int epoch = 0;                    ///< 1-based
    double train_loss = 0;            ///< mean of this epoch's batch losses
    double val_metric = std::numeric_limits<double>::quiet_NaN();  ///< the criterion; NaN without validation
    std::vector<double> val_extra;    ///< FitOptions::extra_metrics, in order
    double lr = 0;                    ///< of the epoch's last step
    double seconds = 0;               ///< this epoch, validation included
    double elapsed = 0;               ///< since fit began
    bool partial = false;             ///< stopped (hooks.stop) before its last batch
};

struct FitHistory {
    std::vector<FitEpoch> epochs;
    int best_epoch = 0;  ///< 0 when there was no validation
    double best_metric = std::numeric_limits<double>::quiet_NaN();
    bool stopped_early = false;  ///< patience ran out
    bool interrupted = false;    ///< hooks.stop
    std::int64_t steps = 0;
    double seconds = 0;
};

/// Receives a fit's progress (a progress bar, a log). Every member may be left as is.
struct FitObserver {
    virtual ~FitObserver() = default;
    virtual void note(const std::string& /*text*/) {}
    /// After every batch; must not allocate (the batch loop does not).
    virtual void batch(int /*epoch*/, int /*epochs*/, int /*batch*/, int /*batches*/, double /*running_loss*/) {}
    virtual void epoch(const FitEpoch& /*stats*/, int /*epochs*/, bool /*improved*/) {}
};

struct FitHooks {
    FitObserver* progress = nullptr;  ///< none when null
    /// Polled after every batch; nonzero stops training (e.g. a flag a SIGINT handler sets).
    const volatile std::sig_atomic_t* stop = nullptr;
    /// Called after every optimizer step with the 1-based epoch and batch.
    std::function<void(int epoch, int batch)> on_batch;
};

/// A validation metric: predictions (N, outputs...) against the targets and mask of the same rows.
template <typename T>
using Metric = std::function<double(TensorView<const T> pred, TensorView<const T> target, TensorView<const T> mask)>;

template <typename T>
struct FitOptions {
    int epochs = 10;
    Index batch = 64;                        ///< rows per step (the last batch of an epoch may be smaller)
    std::uint64_t seed = 0;                  ///< of the shuffles, unless shuffle_rng is given
    Rng* shuffle_rng = nullptr;              ///< shuffle from the caller's generator instead (continues it)
    std::optional<LrSchedule<T>> schedule;   ///< lr by step; none: the optimizer's lr stays
    double grad_clip = 0;                    ///< max global L2 norm; 0: no clipping
    int patience = 0;                        ///< epochs without improvement before stopping; 0: never
    double min_delta = 0;                    ///< improvement needed to count
    Metric<T> metric;                        ///< early-stopping criterion; empty: the loss
    bool higher_is_better = false;           ///< of metric
    std::vector<Metric<T>> extra_metrics;    ///< computed on validation and logged only
    bool restore_best = true;                ///< restore the best epoch's weights at the end
    Index eval_chunk = kDefaultPredictChunk;  ///< rows per forward when validating (nn/predict.hpp says why 64)

    void validate() const {
        if (epochs < 1) throw ValueError("polytag::fit: epochs must be >= 1, got " + std::to_string(epochs));
        if (batch < 1) throw ValueError("polytag::fit: batch must be >= 1, got " + std::to_string(batch));
        if (!(grad_clip >= 0)) throw ValueError("polytag::fit: grad_clip must be >= 0");
        if (patience < 0) throw ValueError("polytag::fit: patience must be >= 0");
        if (eval_chunk < 1) throw ValueError("polytag::fit: eval_chunk must be >= 1");
    }
};

/// Steps per epoch for `rows` training rows at `batch` (what a schedule's length is built from).
inline std::int64_t steps_per_epoch(Index rows, Index batch) {
    if (rows < 1 || batch < 1) return 0;
    const Index b = std::min(batch, rows);
    return (rows + b - 1) / b;
}

namespace detail {

template <typename Net, typename T, typename = void>
struct HasListForward : std::false_type {};
template <typename Net, typename T>
struct HasListForward<Net, T, std::void_t<decltype(std::declval<Net&>().forward(std::declval<const std::vector<Tensor<T>>&>(), Mode::Train))>>
    : std::true_type {};

/// Runs `net` on a batch's inputs: all of them for a multi-input network, else the one.
template <typename Net, typename T>
TensorView<const T> forward_inputs(Net& net, const std::vector<Tensor<T>>& inputs, Mode mode) {
    if constexpr (HasListForward<Net, T>::value) {
        return net.forward(inputs, mode);
    } else {
        if (inputs.size() != 1)
            throw ShapeError("polytag::fit: the batch has " + std::to_string(inputs.size()) +
                             " inputs, the network takes one");
        return net.forward(inputs[0], mode);
    }
}

/// Predictions, targets and masks of all validation rows, gathered chunk by chunk into
/// buffers that are allocated by the first validation only.
template <typename T>
struct Validator {
    Tensor<T> pred, target, mask;
    Batch<T> batch;

    template <typename Net>
    void run(Net& net, const BatchSource<T>& source, const std::vector<Index>& rows, Index chunk) {
        const Index n = static_cast<Index>(rows.size());
        for (Index begin = 0; begin < n; begin += chunk) {
            const Index count = std::min(chunk, n - begin);
            source.fill(rows.data() + begin, count, batch);
            TensorView<const T> y = forward_inputs(net, batch.inputs, Mode::Eval);
            if (begin == 0) {
                pred.resize(y.shape().with_dim(0, n));
                target.resize(batch.target.shape().with_dim(0, n));
                mask.resize(batch.mask.shape().with_dim(0, n));
            }
            copy_rows(y, begin, pred);
            copy_rows(batch.target.view(), begin, target);
            copy_rows(batch.mask.view(), begin, mask);
        }
    }
    static void copy_rows(TensorView<const T> src, Index begin, Tensor<T>& dst) {
        const Index width = dst.dim(0) ? dst.size() / dst.dim(0) : 0;
        if (src.rank() < 1 || src.size() != src.dim(0) * width)
            throw ShapeError("polytag::fit: validation batch " + src.shape().str() + " does not fit " + dst.shape().str());
        std::copy(src.begin(), src.end(), dst.data() + begin * width);
    }
};

/// The loss over all observed entries of (pred, target, mask), evaluated in chunks so that it
/// equals the loss of one batch holding every row.
template <typename Loss, typename T>
double loss_over(Loss& loss, const Tensor<T>& pred, const Tensor<T>& target, const Tensor<T>& mask, Index chunk) {
    const Index n = pred.dim(0);
    double sum = 0;
    Index observed = 0;
    for (Index begin = 0; begin < n; begin += chunk) {
        const Index end = std::min(n, begin + chunk);
        const double l = double(loss.forward(pred.rows(begin, end), target.rows(begin, end), mask.rows(begin, end)));
        sum += l * double(loss.observed());  // the chunk's mean times its count: its sum
        observed += loss.observed();
    }
    return observed ? sum / double(observed) : 0.0;
}

}  // namespace detail

template <typename Net, typename Loss, typename Optimizer, typename T = typename Net::Scalar>
FitHistory fit(Net& net, Loss& loss, Optimizer& optimizer, const BatchSource<T>& source,
               const std::vector<Index>& train_rows, const std::vector<Index>& validation_rows,
               const FitOptions<T>& options, const FitHooks& hooks = {}) {
    options.validate();
    if (train_rows.empty()) throw ValueError("polytag::fit: no training rows");
    for (const std::vector<Index>* rows : {&train_rows, &validation_rows})
        for (Index r : *rows)
            if (r < 0 || r >= source.rows())
                throw ValueError("polytag::fit: row " + std::to_string(r) + " outside the source's [0, " +
                                 std::to_string(source.rows()) + ")");
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    auto seconds_since = [](clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); };

    ParameterList<T> params;
    net.parameters(params, "");
    const Index n = static_cast<Index>(train_rows.size());
    const Index batch_size = std::min(options.batch, n);
    const Index batches = (n + batch_size - 1) / batch_size;
    const bool validating = !validation_rows.empty();

    Rng own_rng(options.seed);
    Rng& rng = options.shuffle_rng ? *options.shuffle_rng : own_rng;
    std::vector<Index> order = train_rows;
    Batch<T> batch;
    detail::Validator<T> validator;
    WeightSnapshot<T> best(params);
    EarlyStopping stopping(options.patience, options.higher_is_better, options.min_delta);

    FitHistory history;
    if (hooks.progress)
        hooks.progress->note("training on " + std::to_string(train_rows.size()) + " rows, validating on " +
                             std::to_string(validation_rows.size()) + ", " + std::to_string(batches) +
                             " batches per epoch");
    std::int64_t step = 0;
    for (int epoch = 1; epoch <= options.epochs; ++epoch) {
        const auto te = clock::now();
        polytag::shuffle(order.begin(), order.end(), rng);
        double loss_sum = 0;
        int done = 0;
        bool stop = false;
        for (Index b = 0; b < batches; ++b) {
            const Index begin = b * batch_size, count = std::min(n, begin + batch_size) - begin;
            source.fill(order.data() + begin, count, batch);
            TensorView<const T> pred = detail::forward_inputs(net, batch.inputs, Mode::Train);
            const T l = loss.forward(pred, batch.target, batch.mask);
            net.backward(loss.backward(), false);
            if (options.grad_clip > 0) clip_grad_norm(params, T(options.grad_clip));
            if (options.schedule) optimizer.set_lr(options.schedule->at(step));
            optimizer.step();
            ++step;
            loss_sum += double(l);
            ++done;
            if (hooks.progress) hooks.progress->batch(epoch, options.epochs, int(b + 1), int(batches), loss_sum / done);
            if (hooks.on_batch) hooks.on_batch(epoch, int(b + 1));
            if (hooks.stop && *hooks.stop) {
                stop = true;
                break;
            }
        }
        FitEpoch e;
        e.epoch = epoch;
        e.train_loss = loss_sum / std::max(1, done);
        e.lr = double(optimizer.lr());
        e.partial = stop && done < batches;
        bool improved = false;
        if (validating) {
            validator.run(net, source, validation_rows, options.eval_chunk);
            e.val_metric = options.metric
                               ? options.metric(validator.pred, validator.target, validator.mask)
                               : detail::loss_over(loss, validator.pred, validator.target, validator.mask, options.eval_chunk);
            for (const auto& m : options.extra_metrics) e.val_extra.push_back(m(validator.pred, validator.target, validator.mask));
            improved = stopping.update(epoch, e.val_metric);
            if (improved) best.take(params);
        }
        e.seconds = seconds_since(te);
        e.elapsed = seconds_since(t0);
        history.epochs.push_back(e);
        if (hooks.progress) hooks.progress->epoch(history.epochs.back(), options.epochs, improved);
        if (stop) {
            history.interrupted = true;
            break;
        }
        if (validating && stopping.should_stop()) {
            history.stopped_early = true;
            break;
        }
    }
    if (validating && stopping.best_epoch() > 0) {
        history.best_epoch = stopping.best_epoch();
        history.best_metric = stopping.best();
        if (options.restore_best) best.restore(params);
    }
    history.steps = step;
    history.seconds = seconds_since(t0);
    return history;
}

}  // namespace polytag
