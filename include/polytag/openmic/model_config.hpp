#pragma once
// ModelConfig: the architecture of openmic::RelevanceModel, with a strict JSON round trip (the
// model file stores it as a JSON string, report.json too). Reading refuses unknown keys and
// out-of-range values with a message naming the field ("config.trunk[1]: must be in
// [1, 65536], got 0").
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "polytag/openmic/config_json.hpp"

namespace polytag::openmic {

enum class PoolKind { Mean, Max, Attention };
enum class ActivationKind { Relu, LeakyRelu, Gelu, Tanh };

namespace detail {
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
}  // namespace detail

/// The architecture. Defaults are the configuration chosen on validation (docs/openmic.md).
struct ModelConfig {
    /// Upper bounds of the sizes (a model file's config is untrusted input).
    static constexpr int kMaxFrames = 4096;   ///< about an hour of 0.96-s frames per clip
    static constexpr int kMaxWidth = 65536;   ///< features, trunk and head widths

    int frames = 10;                          ///< frames per clip (0.96 s each)
    int features = 128;                       ///< VGGish features per frame
    int classes = 20;                         ///< instruments (the OpenMIC label columns)
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

inline void ModelConfig::validate(const std::string& where) const {
    using detail::require;
    const std::string width_range = "must be in [1, " + std::to_string(kMaxWidth) + "], got ";
    require(frames >= 1 && frames <= kMaxFrames, where + ".frames",
            "must be in [1, " + std::to_string(kMaxFrames) + "], got " + std::to_string(frames));
    require(features >= 1 && features <= kMaxWidth, where + ".features", width_range + std::to_string(features));
    require(classes == 20, where + ".classes", "must be 20 (the OpenMIC instruments), got " + std::to_string(classes));
    require(!trunk.empty(), where + ".trunk", "needs at least one layer width");
    require(trunk.size() <= 64, where + ".trunk", "has " + std::to_string(trunk.size()) + " layers, at most 64");
    require(head.size() <= 64, where + ".head", "has " + std::to_string(head.size()) + " layers, at most 64");
    for (std::size_t i = 0; i < trunk.size(); ++i)
        require(trunk[i] >= 1 && trunk[i] <= kMaxWidth, where + ".trunk[" + std::to_string(i) + "]",
                width_range + std::to_string(trunk[i]));
    for (std::size_t i = 0; i < head.size(); ++i)
        require(head[i] >= 1 && head[i] <= kMaxWidth, where + ".head[" + std::to_string(i) + "]",
                width_range + std::to_string(head[i]));
    require(input_dropout >= 0.0 && input_dropout < 1.0, where + ".input_dropout",
            "must be in [0, 1), got " + std::to_string(input_dropout));
    require(dropout >= 0.0 && dropout < 1.0, where + ".dropout", "must be in [0, 1), got " + std::to_string(dropout));
}

inline nlohmann::json to_json(const ModelConfig& c) {
    return {{"frames", c.frames},     {"features", c.features},
            {"classes", c.classes},   {"trunk", c.trunk},
            {"activation", to_string(c.activation)},
            {"input_dropout", c.input_dropout},
            {"dropout", c.dropout},   {"pool", to_string(c.pool)},
            {"head", c.head}};
}

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
