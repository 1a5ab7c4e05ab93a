#pragma once
// The model file: one .npz that numpy reads with np.load(path) (allow_pickle=False).
//
//   format            0-d <U   "polytag.openmic.relevance/1"
//   config            0-d <U   ModelConfig as JSON (model/config.hpp)
//   class_names       (20,) <U instrument names in output column order
//   normalizer.mean   (features,) float32
//   normalizer.std    (features,) float32, > 0
//   training          0-d <U   optional JSON: train config and history (informational)
//   <parameter name>  float32  every RelevanceNet parameter, e.g. "trunk.0.weight"
//
// Writing is atomic (temporary file, fsync, rename), so a crash or Ctrl-C never leaves a half
// model behind. Reading validates every field and names the file and the field in its error.
// docs/model-file.md is the format's reference.
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "polytag/openmic/normalizer.hpp"
#include "polytag/error.hpp"
#include "polytag/io/npz.hpp"
#include "polytag/openmic/config.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag::openmic {

constexpr const char* kModelFormat = "polytag.openmic.relevance/1";

/// Everything a model file holds, decoded but not yet matched against a network.
struct ModelFileContents {
    ModelConfig config;
    std::vector<std::string> class_names;
    Normalizer normalizer;
    std::string training_json;  ///< "" when absent
    std::map<std::string, Tensor<float>> weights;
};

namespace detail {

inline IoError model_file_error(const std::string& path, const std::string& field, const std::string& why) {
    return IoError("model file " + path + ": " + (field.empty() ? std::string() : "'" + field + "': ") + why);
}

inline bool is_metadata_entry(const std::string& name) {
    return name == "format" || name == "config" || name == "class_names" || name == "normalizer.mean" ||
           name == "normalizer.std" || name == "training";
}

}  // namespace detail

/// Writes `contents` to `path` atomically. Weight names must not collide with metadata names.
inline void write_model_file(const std::string& path, const ModelFileContents& contents, bool compressed = false) {
    const ModelFileContents& c = contents;
    const auto features = static_cast<Index>(c.normalizer.mean.size());
    std::vector<io::NpzEntry> entries;
    entries.emplace_back("format", std::string(kModelFormat));
    entries.emplace_back("config", to_json(c.config).dump());
    entries.emplace_back("class_names", c.class_names);
    entries.emplace_back("normalizer.mean", TensorView<const float>(c.normalizer.mean.data(), Shape{features}));
    entries.emplace_back("normalizer.std", TensorView<const float>(c.normalizer.std.data(), Shape{features}));
    if (!c.training_json.empty()) entries.emplace_back("training", c.training_json);
    for (const auto& [name, w] : c.weights) {
        if (detail::is_metadata_entry(name))
            throw ValueError("polytag::openmic::write_model_file: weight name '" + name + "' is reserved");
        entries.emplace_back(name, w.view());
    }
    io::save_npz(path, entries, compressed);
}

/// Reads and validates the metadata of a model file and loads every other array as a weight.
/// Matching the weights against the network (names, shapes) is RelevanceModel::load's job.
inline ModelFileContents read_model_file(const std::string& path) {
    std::unique_ptr<io::NpzReader> reader;
    try {
        reader = std::make_unique<io::NpzReader>(path);
    } catch (const Error& e) {
        throw detail::model_file_error(path, "", std::string("cannot be read as .npz (") + e.what() + ")");
    }
    io::NpzReader& r = *reader;
    const std::vector<std::string> names = r.names();
    auto has = [&](const std::string& n) {
        for (const auto& x : names)
            if (x == n) return true;
        return false;
    };
    auto require = [&](const std::string& n) {
        if (!has(n)) throw detail::model_file_error(path, n, "missing (is this a polytag model file?)");
    };
    auto read_text = [&](const std::string& n) {
        require(n);
        std::vector<std::string> s;
        try {
            s = r.read_strings(n);
        } catch (const Error& e) {
            throw detail::model_file_error(path, n, std::string("is not a string (") + e.what() + ")");
        }
        if (s.size() != 1) throw detail::model_file_error(path, n, "must hold one string, holds " + std::to_string(s.size()));
        return s[0];
    };
    auto read_floats = [&](const std::string& n) {
        require(n);
        try {
            return r.read<float>(n);
        } catch (const Error& e) {
            throw detail::model_file_error(path, n, std::string("is not a float array (") + e.what() + ")");
        }
    };

    ModelFileContents c;
    const std::string format = read_text("format");
    if (format != kModelFormat)
        throw detail::model_file_error(path, "format", "is '" + format + "', expected '" + kModelFormat + "'");
    try {
        c.config = model_config_from_string(read_text("config"), "config");
    } catch (const ValueError& e) {
        throw detail::model_file_error(path, "config", e.what());
    }
    require("class_names");
    try {
        c.class_names = r.read_strings("class_names");
    } catch (const Error& e) {
        throw detail::model_file_error(path, "class_names", std::string("is not a string array (") + e.what() + ")");
    }
    if (static_cast<Index>(c.class_names.size()) != c.config.classes)
        throw detail::model_file_error(path, "class_names",
                                       "holds " + std::to_string(c.class_names.size()) + " names, the config has " +
                                           std::to_string(c.config.classes) + " classes");
    for (std::size_t i = 0; i < c.class_names.size(); ++i) {
        if (c.class_names[i].empty())
            throw detail::model_file_error(path, "class_names", "name " + std::to_string(i) + " is empty");
        for (std::size_t j = 0; j < i; ++j)
            if (c.class_names[i] == c.class_names[j])
                throw detail::model_file_error(path, "class_names", "'" + c.class_names[i] + "' appears twice");
    }
    const Tensor<float> mean = read_floats("normalizer.mean");
    const Tensor<float> stdv = read_floats("normalizer.std");
    const Shape want{c.config.features};
    if (mean.shape() != want)
        throw detail::model_file_error(path, "normalizer.mean", "has shape " + mean.shape().str() + ", expected " + want.str());
    if (stdv.shape() != want)
        throw detail::model_file_error(path, "normalizer.std", "has shape " + stdv.shape().str() + ", expected " + want.str());
    for (Index j = 0; j < want[0]; ++j) {
        if (!std::isfinite(mean[j]))
            throw detail::model_file_error(path, "normalizer.mean", "element " + std::to_string(j) + " is not finite");
        if (!(stdv[j] > 0.0f) || !std::isfinite(stdv[j]))
            throw detail::model_file_error(path, "normalizer.std",
                                           "element " + std::to_string(j) + " is " + std::to_string(stdv[j]) +
                                               ", must be finite and > 0");
    }
    c.normalizer.mean.assign(mean.begin(), mean.end());
    c.normalizer.std.assign(stdv.begin(), stdv.end());
    if (has("training")) c.training_json = read_text("training");

    for (const auto& n : names) {
        if (detail::is_metadata_entry(n)) continue;
        Tensor<float> w = read_floats(n);
        for (Index i = 0; i < w.size(); ++i)
            if (!std::isfinite(w[i]))
                throw detail::model_file_error(path, n, "element " + std::to_string(i) + " is not finite");
        c.weights.emplace(n, std::move(w));
    }
    return c;
}

}  // namespace polytag::openmic
