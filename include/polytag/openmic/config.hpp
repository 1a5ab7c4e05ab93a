#pragma once
// ModelConfig (the architecture of openmic::RelevanceModel) and TrainConfig (how it is
// trained), with a strict JSON round trip: the model file stores the ModelConfig as a JSON
// string, report.json stores both. Reading refuses unknown keys and out-of-range values
// with a message naming the field ("config.trunk[1]: must be >= 1, got 0").
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "polytag/error.hpp"

namespace polytag::openmic {

enum class PoolKind { Mean, Max, Attention };
enum class ActivationKind { Relu, LeakyRelu, Gelu, Tanh };
enum class LossKind { MaskedMse, MaskedBce };
enum class OptimizerKind { Adam, AdamW };

namespace detail {
template <typename E>
struct EnumNames;
template <>
struct EnumNames<PoolKind> {
    static constexpr const char* what = "pooling";
    static constexpr std::pair<PoolKind, const char*> table[] = {
        {PoolKind::Mean, "mean"}, {PoolKind::Max, "max"}, {PoolKind::Attention, "attention"}};
};
template <>
struct EnumNames<ActivationKind> {
    static constexpr const char* what = "activation";
    static constexpr std::pair<ActivationKind, const char*> table[] = {{ActivationKind::Relu, "relu"},
                                                                       {ActivationKind::LeakyRelu, "leaky_relu"},
                                                                       {ActivationKind::Gelu, "gelu"},
                                                                       {ActivationKind::Tanh, "tanh"}};
};
template <>
struct EnumNames<LossKind> {
    static constexpr const char* what = "loss";
    static constexpr std::pair<LossKind, const char*> table[] = {{LossKind::MaskedMse, "masked_mse"},
                                                                 {LossKind::MaskedBce, "masked_bce"}};
};
template <>
struct EnumNames<OptimizerKind> {
    static constexpr const char* what = "optimizer";
    static constexpr std::pair<OptimizerKind, const char*> table[] = {{OptimizerKind::Adam, "adam"},
                                                                      {OptimizerKind::AdamW, "adamw"}};
};
}  // namespace detail

/// "attention", "relu", "masked_mse", "adamw", ...
template <typename E>
std::string to_string(E e) {
    for (const auto& [v, name] : detail::EnumNames<E>::table)
        if (v == e) return name;
    return "?";
}

/// Parses the lower-case name of an enum value; the error lists the valid names.
template <typename E>
E parse_enum(const std::string& s, const std::string& field) {
    std::string valid;
    for (const auto& [v, name] : detail::EnumNames<E>::table) {
        if (s == name) return v;
        valid += valid.empty() ? name : std::string("|") + name;
    }
    throw ValueError(field + ": unknown " + detail::EnumNames<E>::what + " '" + s + "' (valid: " + valid + ")");
}

/// The architecture. Defaults are the configuration chosen on validation (docs/openmic.md).
struct ModelConfig {
    int frames = 10;                          ///< frames per clip (0.96 s each)
    int features = 128;                       ///< VGGish features per frame
    int classes = 20;                         ///< instruments (fixed by MultiHead<T, 20>)
    std::vector<int> trunk = {256};           ///< widths of the per-frame Dense layers
    ActivationKind activation = ActivationKind::Relu;
    double input_dropout = 0.0;               ///< on the normalised input frames, in training
    double dropout = 0.0;                     ///< after each trunk activation, in training
    PoolKind pool = PoolKind::Attention;      ///< over frames; attention is per task
    std::vector<int> head = {};               ///< hidden widths of each task's head (empty: linear)

    /// Throws ValueError naming the field (prefixed by `where`) when a value is out of range.
    void validate(const std::string& where = "config") const;
    friend bool operator==(const ModelConfig& a, const ModelConfig& b) {
        return a.frames == b.frames && a.features == b.features && a.classes == b.classes && a.trunk == b.trunk &&
               a.activation == b.activation && a.input_dropout == b.input_dropout && a.dropout == b.dropout &&
               a.pool == b.pool && a.head == b.head;
    }
    friend bool operator!=(const ModelConfig& a, const ModelConfig& b) { return !(a == b); }
};

/// How a model is trained. Defaults are the configuration chosen on validation.
struct TrainConfig {
    LossKind loss = LossKind::MaskedMse;
    OptimizerKind optimizer = OptimizerKind::AdamW;
    double lr = 1e-3;                 ///< peak learning rate
    double weight_decay = 1e-2;       ///< decoupled (AdamW) or L2 (Adam)
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

// ---------------------------------------------------------------------------------------------
// Validation

namespace detail {
[[noreturn]] inline void bad_field(const std::string& field, const std::string& why) {
    throw ValueError(field + ": " + why);
}
inline void require(bool ok, const std::string& field, const std::string& why) {
    if (!ok) bad_field(field, why);
}
}  // namespace detail

inline void ModelConfig::validate(const std::string& where) const {
    using detail::require;
    require(frames >= 1, where + ".frames", "must be >= 1, got " + std::to_string(frames));
    require(features >= 1, where + ".features", "must be >= 1, got " + std::to_string(features));
    require(classes == 20, where + ".classes", "must be 20 (the OpenMIC instruments), got " + std::to_string(classes));
    require(!trunk.empty(), where + ".trunk", "needs at least one layer width");
    for (std::size_t i = 0; i < trunk.size(); ++i)
        require(trunk[i] >= 1 && trunk[i] <= 65536, where + ".trunk[" + std::to_string(i) + "]",
                "must be in [1, 65536], got " + std::to_string(trunk[i]));
    for (std::size_t i = 0; i < head.size(); ++i)
        require(head[i] >= 1 && head[i] <= 65536, where + ".head[" + std::to_string(i) + "]",
                "must be in [1, 65536], got " + std::to_string(head[i]));
    require(input_dropout >= 0.0 && input_dropout < 1.0, where + ".input_dropout",
            "must be in [0, 1), got " + std::to_string(input_dropout));
    require(dropout >= 0.0 && dropout < 1.0, where + ".dropout", "must be in [0, 1), got " + std::to_string(dropout));
}

inline void TrainConfig::validate(const std::string& where) const {
    using detail::require;
    require(lr > 0 && lr < 10, where + ".lr", "must be in (0, 10), got " + std::to_string(lr));
    require(weight_decay >= 0, where + ".weight_decay", "must be >= 0, got " + std::to_string(weight_decay));
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

// ---------------------------------------------------------------------------------------------
// JSON

inline nlohmann::json to_json(const ModelConfig& c) {
    return {{"frames", c.frames},     {"features", c.features},
            {"classes", c.classes},   {"trunk", c.trunk},
            {"activation", to_string(c.activation)},
            {"input_dropout", c.input_dropout},
            {"dropout", c.dropout},   {"pool", to_string(c.pool)},
            {"head", c.head}};
}

inline nlohmann::json to_json(const TrainConfig& c) {
    return {{"loss", to_string(c.loss)},
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
}

namespace detail {
/// Reads j[key] into out when present; a wrong type is an error naming where.key.
template <typename V>
void read_field(const nlohmann::json& j, const char* key, V& out, const std::string& where) {
    auto it = j.find(key);
    if (it == j.end()) return;
    try {
        if constexpr (std::is_same<V, int>::value || std::is_same<V, std::uint64_t>::value) {
            if (!it->is_number_integer()) bad_field(where + "." + key, "must be an integer, got " + it->dump());
            out = it->template get<V>();
        } else if constexpr (std::is_same<V, double>::value) {
            if (!it->is_number()) bad_field(where + "." + key, "must be a number, got " + it->dump());
            out = it->template get<double>();
        } else if constexpr (std::is_same<V, std::vector<int>>::value) {
            if (!it->is_array()) bad_field(where + "." + key, "must be an array of integers, got " + it->dump());
            out.clear();
            for (std::size_t i = 0; i < it->size(); ++i) {
                const auto& e = (*it)[i];
                if (!e.is_number_integer())
                    bad_field(where + "." + key + "[" + std::to_string(i) + "]", "must be an integer, got " + e.dump());
                out.push_back(e.template get<int>());
            }
        } else {  // enums
            if (!it->is_string()) bad_field(where + "." + key, "must be a string, got " + it->dump());
            out = parse_enum<V>(it->template get<std::string>(), where + "." + key);
        }
    } catch (const nlohmann::json::exception& e) {
        bad_field(where + "." + key, e.what());
    }
}

inline void reject_unknown_keys(const nlohmann::json& j, std::initializer_list<const char*> known,
                                const std::string& where) {
    if (!j.is_object()) bad_field(where, "must be a JSON object, got " + j.dump());
    for (auto it = j.begin(); it != j.end(); ++it) {
        bool ok = false;
        for (const char* k : known) ok = ok || it.key() == k;
        if (!ok) bad_field(where + "." + it.key(), "unknown key");
    }
}
}  // namespace detail

/// Reads a ModelConfig; missing keys keep their defaults, unknown keys are errors.
inline ModelConfig model_config_from_json(const nlohmann::json& j, const std::string& where = "config") {
    detail::reject_unknown_keys(j, {"frames", "features", "classes", "trunk", "activation", "input_dropout", "dropout", "pool",
                                    "head"},
                                where);
    ModelConfig c;
    detail::read_field(j, "frames", c.frames, where);
    detail::read_field(j, "features", c.features, where);
    detail::read_field(j, "classes", c.classes, where);
    detail::read_field(j, "trunk", c.trunk, where);
    detail::read_field(j, "activation", c.activation, where);
    detail::read_field(j, "input_dropout", c.input_dropout, where);
    detail::read_field(j, "dropout", c.dropout, where);
    detail::read_field(j, "pool", c.pool, where);
    detail::read_field(j, "head", c.head, where);
    c.validate(where);
    return c;
}

inline TrainConfig train_config_from_json(const nlohmann::json& j, const std::string& where = "train") {
    detail::reject_unknown_keys(j,
                                {"loss", "optimizer", "lr", "weight_decay", "batch", "epochs", "warmup_epochs",
                                 "min_lr_ratio", "patience", "grad_clip", "validation_fraction", "seed", "threads"},
                                where);
    TrainConfig c;
    detail::read_field(j, "loss", c.loss, where);
    detail::read_field(j, "optimizer", c.optimizer, where);
    detail::read_field(j, "lr", c.lr, where);
    detail::read_field(j, "weight_decay", c.weight_decay, where);
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

/// Parses JSON text (e.g. the model file's "config" entry) into a ModelConfig.
inline ModelConfig model_config_from_string(const std::string& text, const std::string& where = "config") {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw ValueError(where + ": not valid JSON (" + e.what() + ")");
    }
    return model_config_from_json(j, where);
}

}  // namespace polytag::openmic
