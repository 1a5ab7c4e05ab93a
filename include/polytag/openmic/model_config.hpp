#pragma once
// ModelConfig: the architecture of openmic::RelevanceModel, with a strict JSON round trip (the
// model file stores it as a JSON string, report.json too). Reading refuses unknown keys and
// out-of-range values with a message naming the field ("config.trunk[1]: must be in
// [1, 65536], got 0").
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "polytag/openmic/config_json.hpp"

namespace polytag::openmic {

enum class PoolKind { Mean, Max, Attention };
/// How a second per-clip input stream joins the VGGish frames (ModelConfig::input2).
enum class FusionKind { Frame, Late };
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
template <>
struct EnumNames<FusionKind> {
    static constexpr const char* what = "fusion";
    static constexpr std::pair<FusionKind, const char*> table[] = {{FusionKind::Frame, "frame"},
                                                                   {FusionKind::Late, "late"}};
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

    /// A second per-clip input beside X (polytag-train --inputs X,NAME): the name of its array
    /// in the npz, empty for the plain X-only model (whose JSON then has none of these keys).
    /// Its clips are (input2_frames, input2_features), normalised per feature like X.
    std::string input2;
    int input2_frames = 0;
    int input2_features = 0;
    /// frame: per-frame concat with X before the trunk (needs input2_frames == frames);
    /// late: its own per-frame trunk (input2_trunk) and pooling, the pooled embeddings
    /// concatenated before the heads. Default chosen on validation (docs/openmic.md).
    FusionKind fusion = FusionKind::Late;
    std::vector<int> input2_trunk = {64};     ///< late fusion: the second stream's Dense widths

    bool has_input2() const { return !input2.empty(); }

    /// Throws ValueError naming the field (prefixed by `where`) when a value is out of range.
    void validate(const std::string& where = "config") const;
    friend bool operator==(const ModelConfig& a, const ModelConfig& b) {
        return a.frames == b.frames && a.features == b.features && a.classes == b.classes && a.trunk == b.trunk &&
               a.activation == b.activation && a.input_dropout == b.input_dropout && a.dropout == b.dropout &&
               a.pool == b.pool && a.head == b.head && a.input2 == b.input2 && a.input2_frames == b.input2_frames &&
               a.input2_features == b.input2_features &&
               (!a.has_input2() || (a.fusion == b.fusion && (a.fusion == FusionKind::Frame || a.input2_trunk == b.input2_trunk)));
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
    if (!has_input2()) return;
    require(input2 != "X", where + ".input2", "must name an input other than X");
    require(input2.size() <= 200, where + ".input2", "is longer than 200 characters");
    for (char ch : input2)
        require(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.', where + ".input2",
                "may hold only letters, digits and _.-, got '" + input2 + "'");
    require(input2_frames >= 1 && input2_frames <= kMaxFrames, where + ".input2_frames",
            "must be in [1, " + std::to_string(kMaxFrames) + "], got " + std::to_string(input2_frames));
    require(input2_features >= 1 && input2_features <= kMaxWidth, where + ".input2_features",
            width_range + std::to_string(input2_features));
    if (fusion == FusionKind::Frame)
        require(input2_frames == frames, where + ".input2_frames",
                "must equal frames (" + std::to_string(frames) + ") for frame fusion, got " + std::to_string(input2_frames));
    if (fusion == FusionKind::Late) {
        require(!input2_trunk.empty(), where + ".input2_trunk", "needs at least one layer width for late fusion");
        require(input2_trunk.size() <= 64, where + ".input2_trunk",
                "has " + std::to_string(input2_trunk.size()) + " layers, at most 64");
        for (std::size_t i = 0; i < input2_trunk.size(); ++i)
            require(input2_trunk[i] >= 1 && input2_trunk[i] <= kMaxWidth,
                    where + ".input2_trunk[" + std::to_string(i) + "]", width_range + std::to_string(input2_trunk[i]));
    }
}

/// The X-only model's JSON has exactly the keys of polytag 0.1 (its model files are
/// unchanged); the input2 keys appear only with a second input.
inline nlohmann::json to_json(const ModelConfig& c) {
    nlohmann::json j = {{"frames", c.frames},     {"features", c.features},
                        {"classes", c.classes},   {"trunk", c.trunk},
                        {"activation", to_string(c.activation)},
                        {"input_dropout", c.input_dropout},
                        {"dropout", c.dropout},   {"pool", to_string(c.pool)},
                        {"head", c.head}};
    if (c.has_input2()) {
        j["input2"] = c.input2;
        j["input2_frames"] = c.input2_frames;
        j["input2_features"] = c.input2_features;
        j["fusion"] = to_string(c.fusion);
        if (c.fusion == FusionKind::Late) j["input2_trunk"] = c.input2_trunk;
    }
    return j;
}

/// Reads a ModelConfig; missing keys keep their defaults, unknown keys are errors.
inline ModelConfig model_config_from_json(const nlohmann::json& j, const std::string& where = "config") {
    detail::reject_unknown_keys(j, {"frames", "features", "classes", "trunk", "activation", "input_dropout", "dropout", "pool",
                                    "head", "input2", "input2_frames", "input2_features", "fusion", "input2_trunk"},
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
    detail::read_field(j, "input2", c.input2, where);
    if (c.has_input2()) {
        detail::read_field(j, "input2_frames", c.input2_frames, where);
        detail::read_field(j, "input2_features", c.input2_features, where);
        detail::read_field(j, "fusion", c.fusion, where);
        detail::read_field(j, "input2_trunk", c.input2_trunk, where);
    } else {
        for (const char* k : {"input2_frames", "input2_features", "fusion", "input2_trunk"})
            if (j.contains(k)) throw ValueError(where + "." + k + ": only allowed with input2");
    }
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
