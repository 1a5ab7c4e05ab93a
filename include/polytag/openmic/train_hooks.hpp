#pragma once
// What a training run reports and how it is controlled from outside: a TrainObserver (progress
// bar, log), a stop flag (Ctrl-C) and a per-batch callback. Nothing here is process-global:
// two runs in one process (threads, folds) each have their own.
#include <csignal>
#include <functional>
#include <string>

#include "polytag/openmic/training_history.hpp"

namespace polytag::openmic {

/// Receives a training run's progress (a progress bar, a log). Every member may be left as is.
struct TrainObserver {
    virtual ~TrainObserver() = default;
    virtual void note(const std::string& /*text*/) {}
    /// After every batch; must not allocate (the batch loop does not).
    virtual void batch(int /*epoch*/, int /*epochs*/, int /*batch*/, int /*batches*/, double /*running_loss*/) {}
    virtual void epoch(const EpochStats& /*stats*/, int /*epochs*/, bool /*improved*/) {}
};

/// Optional observers and controls of a training run. Nothing here is process-global: two
/// runs in one process (threads, folds) each have their own.
struct TrainHooks {
    TrainObserver* progress = nullptr;  ///< none when null
    /// Polled after every batch; nonzero stops training (e.g. a flag a SIGINT handler sets).
    const volatile std::sig_atomic_t* stop = nullptr;
    /// Called after every optimiser step with the 1-based epoch and batch (tests use it).
    std::function<void(int epoch, int batch)> on_batch;
};

}  // namespace polytag::openmic
