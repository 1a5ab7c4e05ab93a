#pragma once
// What one training run did, epoch by epoch: the input of the progress lines, the
// training-curve SVG and the "history" part of report.json.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace polytag::openmic {

struct EpochStats {
    int epoch = 0;             ///< 1-based
    double train_loss = 0;     ///< mean training loss over the epoch's batches
    double val_loss = 0;       ///< validation masked MSE (the early-stopping criterion)
    double val_ap = 0;         ///< validation macro average precision
    double lr = 0;             ///< learning rate at the end of the epoch
    double seconds = 0;        ///< wall time of this epoch
    double elapsed = 0;        ///< wall time since training started
    bool partial = false;      ///< cut short by a stop request
};

struct TrainingHistory {
    std::vector<EpochStats> epochs;
    int best_epoch = 0;        ///< 1-based epoch whose weights were kept (0: none)
    double best_val_loss = 0;
    bool stopped_early = false;  ///< patience ran out
    bool interrupted = false;    ///< a stop request (Ctrl-C) ended training
    double seconds = 0;          ///< total wall time of train()
    long long train_clips = 0;       ///< clips trained on
    long long validation_clips = 0;  ///< clips early stopping was judged on
};

inline nlohmann::json to_json(const TrainingHistory& h) {
    nlohmann::json epochs = nlohmann::json::array();
    for (const auto& e : h.epochs)
        epochs.push_back({{"epoch", e.epoch},
                          {"train_loss", e.train_loss},
                          {"val_loss", e.val_loss},
                          {"val_ap", e.val_ap},
                          {"lr", e.lr},
                          {"seconds", e.seconds},
                          {"partial", e.partial}});
    return {{"epochs", epochs},
            {"best_epoch", h.best_epoch},
            {"best_val_loss", h.best_val_loss},
            {"stopped_early", h.stopped_early},
            {"interrupted", h.interrupted},
            {"train_clips", h.train_clips},
            {"validation_clips", h.validation_clips}};
}

}  // namespace polytag::openmic
