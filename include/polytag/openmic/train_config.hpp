#pragma once
// TrainConfig: how openmic::train fits a model, with the same strict JSON round trip as
// ModelConfig (report.json and the model file's "training" entry store it).
#include <cstdint>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "polytag/openmic/config_json.hpp"

namespace polytag::openmic {

enum class LossKind { MaskedMse, MaskedBce };
enum class OptimizerKind { Adam, AdamW, Sgd };

namespace detail {
template <>
struct EnumNames<LossKind> {
    static constexpr const char* what = "loss";
    static constexpr std::pair<LossKind, const char*> table[] = {{LossKind::MaskedMse, "masked_mse"},
                                                                 {LossKind::MaskedBce, "masked_bce"}};
};
template <>
struct EnumNames<OptimizerKind> {
    static constexpr const char* what = "optimizer";
    static constexpr std::pair<OptimizerKind, const char*> table[] = {
        {OptimizerKind::Adam, "adam"}, {OptimizerKind::AdamW, "adamw"}, {OptimizerKind::Sgd, "sgd"}};
};
}  // namespace detail

/// How a model is trained. Defaults are the configuration chosen on validation.
struct TrainConfig {
    LossKind loss = LossKind::MaskedMse;
    OptimizerKind optimizer = OptimizerKind::AdamW;
    double lr = 1e-3;                 ///< peak learning rate
    double weight_decay = 1e-2;       ///< decoupled (AdamW) or L2 (Adam, Sgd)
    double momentum = 0.9;            ///< Sgd only
    int batch = 64;
    int epochs = 6;
    double warmup_epochs = 1.0;       ///< linear warm-up, then cosine decay to lr * min_lr_ratio
    double min_lr_ratio = 0.0;
    int patience = 8;                 ///< early stopping: epochs without a better validation MSE
    double grad_clip = 0.0;           ///< global norm clip; 0 disables
    double validation_fraction = 0.1; ///< of the training tracks, held out for early stopping
    std::uint64_t seed = 1;
    int threads = 1;

    void validate(const std::string& where = "train") const;
};

inline void TrainConfig::validate(const std::string& where) const {
    using detail::require;
    require(lr > 0 && lr < 10, where + ".lr", "must be in (0, 10), got " + std::to_string(lr));
    require(weight_decay >= 0, where + ".weight_decay", "must be >= 0, got " + std::to_string(weight_decay));
    require(momentum >= 0 && momentum < 1, where + ".momentum", "must be in [0, 1), got " + std::to_string(momentum));
    require(batch >= 1, where + ".batch", "must be >= 1, got " + std::to_string(batch));
    require(epochs >= 1, where + ".epochs", "must be >= 1, got " + std::to_string(epochs));
    require(warmup_epochs >= 0, where + ".warmup_epochs", "must be >= 0, got " + std::to_string(warmup_epochs));
    require(min_lr_ratio >= 0 && min_lr_ratio <= 1, where + ".min_lr_ratio",
            "must be in [0, 1], got " + std::to_string(min_lr_ratio));
    require(patience >= 0, where + ".patience", "must be >= 0, got " + std::to_string(patience));
    require(grad_clip >= 0, where + ".grad_clip", "must be >= 0, got " + std::to_string(grad_clip));
    require(validation_fraction > 0 && validation_fraction < 1, where + ".validation_fraction",
            "must be in (0, 1), got " + std::to_string(validation_fraction));
    require(threads >= 1, where + ".threads", "must be >= 1, got " + std::to_string(threads));
}

inline nlohmann::json to_json(const TrainConfig& c) {
    nlohmann::json j = {{"loss", to_string(c.loss)},
                        {"optimizer", to_string(c.optimizer)},
                        {"lr", c.lr},
                        {"weight_decay", c.weight_decay},
                        {"batch", c.batch},
                        {"epochs", c.epochs},
                        {"warmup_epochs", c.warmup_epochs},
                        {"min_lr_ratio", c.min_lr_ratio},
                        {"patience", c.patience},
                        {"grad_clip", c.grad_clip},
                        {"validation_fraction", c.validation_fraction},
                        {"seed", c.seed},
                        {"threads", c.threads}};
    if (c.optimizer == OptimizerKind::Sgd) j["momentum"] = c.momentum;
    return j;
}

inline TrainConfig train_config_from_json(const nlohmann::json& j, const std::string& where = "train") {
    detail::reject_unknown_keys(j,
                                {"loss", "optimizer", "lr", "weight_decay", "momentum", "batch", "epochs",
                                 "warmup_epochs", "min_lr_ratio", "patience", "grad_clip", "validation_fraction",
                                 "seed", "threads"},
                                where);
    TrainConfig c;
    detail::read_field(j, "loss", c.loss, where);
    detail::read_field(j, "optimizer", c.optimizer, where);
    detail::read_field(j, "lr", c.lr, where);
    detail::read_field(j, "weight_decay", c.weight_decay, where);
    detail::read_field(j, "momentum", c.momentum, where);
    detail::read_field(j, "batch", c.batch, where);
    detail::read_field(j, "epochs", c.epochs, where);
    detail::read_field(j, "warmup_epochs", c.warmup_epochs, where);
    detail::read_field(j, "min_lr_ratio", c.min_lr_ratio, where);
    detail::read_field(j, "patience", c.patience, where);
    detail::read_field(j, "grad_clip", c.grad_clip, where);
    detail::read_field(j, "validation_fraction", c.validation_fraction, where);
    detail::read_field(j, "seed", c.seed, where);
    detail::read_field(j, "threads", c.threads, where);
    c.validate(where);
    return c;
}

}  // namespace polytag::openmic
