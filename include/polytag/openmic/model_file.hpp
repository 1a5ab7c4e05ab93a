#pragma once
// The model file: one .npz that numpy reads with np.load(path) (allow_pickle=False). Two
// formats (docs/model-file.md is the reference):
//
// A single model, "polytag.openmic.relevance/1":
//   format            0-d <U   "polytag.openmic.relevance/1"
//   config            0-d <U   ModelConfig as JSON (model_config.hpp)
//   class_names       (20,) <U instrument names in output column order
//   normalizer.mean   (features,) float32
//   normalizer.std    (features,) float32, > 0
//   training          0-d <U   optional JSON: train config and history (informational)
//   input2.normalizer.mean, input2.normalizer.std   (input2_features,) float32, only when the
//                     config has a second input (config.input2): its normaliser
//   <parameter name>  float32  every RelevanceNet parameter, e.g. "trunk.0.weight"
//
// An ensemble, "polytag.openmic.ensemble/1" (e.g. the K models of a cross-validation; the
// relevances of its members are averaged):
//   format, class_names, training   as above
//   members           0-d <U   the member count K as decimal text ("5")
//   member.<i>.config, member.<i>.normalizer.mean, member.<i>.normalizer.std,
//   member.<i>.<parameter name>     member i (0 <= i < K) exactly as a single model's entries
//
// Writing is atomic (temporary file, fsync, rename), so a crash or Ctrl-C never leaves a half
// model behind. Reading trusts nothing: it checks the arrays' headers (dtype float32, shapes,
// the bytes they declare against the file's size) against the config *before* any array is
// read or any network is built, so a file costs at most a small multiple of its own size,
// and every error names the file and the field.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/io/npz.hpp"
#include "polytag/openmic/model_config.hpp"
#include "polytag/openmic/normalizer.hpp"
#include "polytag/openmic/parameter_layout.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag::openmic {

constexpr const char* kModelFormat = "polytag.openmic.relevance/1";
constexpr const char* kEnsembleFormat = "polytag.openmic.ensemble/1";
/// At most this many members in an ensemble file.
constexpr int kMaxEnsembleMembers = 1024;
/// The arrays of a model file may declare at most this many times the file's size in bytes
/// (plus 64 KiB): stored entries declare about 1x, deflated float32 weights about 1.1x.
constexpr std::uint64_t kMaxInflation = 16;

/// One network of a model file: its config, normaliser and weights.
struct ModelMemberContents {
    ModelConfig config;
    Normalizer normalizer;
    Normalizer normalizer2;  ///< of config.input2; empty without one
    std::map<std::string, Tensor<float>> weights;
};

/// Everything a model file holds, decoded and matched against the configs' parameter shapes.
struct ModelFileContents {
    std::vector<std::string> class_names;
    std::string training_json;  ///< "" when absent
    std::vector<ModelMemberContents> members;  ///< one for a single model, K for an ensemble
    bool ensemble = false;      ///< written (or to be written) as polytag.openmic.ensemble/1
};

namespace detail {

inline IoError model_file_error(const std::string& path, const std::string& field, const std::string& why) {
    return IoError("model file " + path + ": " + (field.empty() ? std::string() : "'" + field + "': ") + why);
}

inline bool is_metadata_entry(const std::string& name) {
    return name == "format" || name == "config" || name == "class_names" || name == "normalizer.mean" ||
           name == "normalizer.std" || name == "training" || name == "members" || name == "input2.normalizer.mean" ||
           name == "input2.normalizer.std";
}

inline std::string member_prefix(bool ensemble, std::size_t i) {
    return ensemble ? "member." + std::to_string(i) + "." : std::string();
}

inline std::string shape_text(const std::vector<Index>& s) {
    std::string out = "(";
    for (std::size_t a = 0; a < s.size(); ++a) out += (a ? ", " : "") + std::to_string(s[a]);
    return out + (s.size() == 1 ? ",)" : ")");
}

/// Reads a model file's entries in the order the checks need them, each error naming the file.
class ModelFileReader {
public:
    explicit ModelFileReader(const std::string& path) : path_(path) {
        try {
            reader_ = std::make_unique<io::NpzReader>(path);
        } catch (const Error& e) {
            throw model_file_error(path, "", std::string("cannot be read as .npz (") + e.what() + ")");
        }
        for (const auto& n : reader_->names()) names_.emplace(n, false);
        std::error_code ec;
        file_size_ = std::filesystem::file_size(path, ec);
        if (ec) file_size_ = 0;
        // Every header first: what the arrays declare bounds what reading them can cost.
        std::uint64_t declared = 0;
        for (auto& [n, used] : names_) {
            const io::ArrayInfo info = header(n);
            declared += info.element_count() * std::uint64_t(info.item_size);
            infos_.emplace(n, info);
        }
        const std::uint64_t budget = kMaxInflation * file_size_ + (64u << 10);
        if (declared > budget)
            throw model_file_error(path, "", "its arrays declare " + std::to_string(declared) + " bytes, more than " +
                                                 std::to_string(kMaxInflation) + " times the file's " +
                                                 std::to_string(file_size_) + " bytes (corrupt or hostile file)");
    }

    const std::string& path() const { return path_; }
    bool has(const std::string& n) const { return names_.count(n) != 0; }
    void require(const std::string& n) const {
        if (!has(n)) throw model_file_error(path_, n, "missing (is this a polytag model file?)");
    }
    const io::ArrayInfo& info(const std::string& n) const {
        require(n);
        return infos_.at(n);
    }

    std::vector<std::string> strings(const std::string& n) {
        require(n);
        names_[n] = true;
        try {
            return reader_->read_strings(n);
        } catch (const Error& e) {
            throw model_file_error(path_, n, std::string("is not a string array (") + e.what() + ")");
        }
    }
    std::string text(const std::string& n) {
        require(n);
        std::vector<std::string> s;
        try {
            s = reader_->read_strings(n);
        } catch (const Error& e) {
            throw model_file_error(path_, n, std::string("is not a string (") + e.what() + ")");
        }
        names_[n] = true;
        if (s.size() != 1) throw model_file_error(path_, n, "must hold one string, holds " + std::to_string(s.size()));
        return s[0];
    }
    /// Checks dtype float32 and the shape before reading; every element must be finite.
    Tensor<float> floats(const std::string& n, const Shape& want, const char* what) {
        const io::ArrayInfo& i = info(n);
        if (i.dtype != io::DType::Float32)
            throw model_file_error(path_, n, std::string("has dtype ") + io::detail::dtype_name(i.dtype) + " ('" +
                                                 i.descr + "'), the format stores float32 (numpy: .astype(np.float32))");
        bool same = Index(i.shape.size()) == want.rank();
        for (std::size_t a = 0; same && a < i.shape.size(); ++a) same = i.shape[a] == want[Index(a)];
        if (!same)
            throw model_file_error(path_, n, "has shape " + shape_text(i.shape) + ", " + what + " " + want.str());
        Tensor<float> t;
        try {
            t = reader_->read<float>(n);
        } catch (const Error& e) {
            throw model_file_error(path_, n, std::string("cannot be read (") + e.what() + ")");
        }
        names_[n] = true;
        for (Index k = 0; k < t.size(); ++k)
            if (!std::isfinite(t[k]))
                throw model_file_error(path_, n, "element " + std::to_string(k) + " is not finite");
        return t;
    }
    /// The first entry no check has read, or "".
    std::string unread() const {
        for (const auto& [n, used] : names_)
            if (!used) return n;
        return "";
    }

private:
    io::ArrayInfo header(const std::string& n) const {
        try {
            return reader_->info(n);
        } catch (const Error& e) {
            throw model_file_error(path_, n, std::string("has no readable .npy header (") + e.what() + ")");
        }
    }

    std::string path_;
    std::unique_ptr<io::NpzReader> reader_;
    std::map<std::string, bool> names_;  ///< entry -> read by a check
    std::map<std::string, io::ArrayInfo> infos_;
    std::uintmax_t file_size_ = 0;
};

inline ModelMemberContents read_member(ModelFileReader& r, const std::string& prefix) {
    ModelMemberContents m;
    const std::string config_name = prefix + "config";
    try {
        m.config = model_config_from_string(r.text(config_name), config_name);
    } catch (const ValueError& e) {
        throw model_file_error(r.path(), config_name, e.what());
    }
    // The shapes the config implies against the stored headers, before anything is read.
    const std::vector<ParameterShape> wanted = parameter_shapes(m.config);
    for (const auto& p : wanted)
        if (!r.has(prefix + p.name))
            throw model_file_error(r.path(), prefix + p.name,
                                   "missing weight (expected shape " + p.shape.str() + " for the stored config)");
    const Shape features{m.config.features};
    for (const char* part : {"normalizer.mean", "normalizer.std"})
        if (r.info(prefix + part).shape != std::vector<Index>{m.config.features})
            throw model_file_error(r.path(), prefix + part,
                                   "has shape " + shape_text(r.info(prefix + part).shape) + ", expected " + features.str());
    for (const auto& p : wanted) (void)r.info(prefix + p.name);
    std::vector<Tensor<float>> values;
    const Tensor<float> mean = r.floats(prefix + "normalizer.mean", features, "expected");
    const Tensor<float> stdv = r.floats(prefix + "normalizer.std", features, "expected");
    for (Index j = 0; j < features[0]; ++j)
        if (!(stdv[j] > 0.0f))
            throw model_file_error(r.path(), prefix + "normalizer.std",
                                   "element " + std::to_string(j) + " is " + std::to_string(stdv[j]) +
                                       ", must be finite and > 0");
    m.normalizer.mean.assign(mean.begin(), mean.end());
    m.normalizer.std.assign(stdv.begin(), stdv.end());
    if (m.config.has_input2()) {
        const Shape f2{m.config.input2_features};
        for (const char* part : {"input2.normalizer.mean", "input2.normalizer.std"})
            if (r.info(prefix + part).shape != std::vector<Index>{m.config.input2_features})
                throw model_file_error(r.path(), prefix + part,
                                       "has shape " + shape_text(r.info(prefix + part).shape) + ", expected " + f2.str());
        const Tensor<float> mean2 = r.floats(prefix + "input2.normalizer.mean", f2, "expected");
        const Tensor<float> std2 = r.floats(prefix + "input2.normalizer.std", f2, "expected");
        for (Index j = 0; j < f2[0]; ++j)
            if (!(std2[j] > 0.0f))
                throw model_file_error(r.path(), prefix + "input2.normalizer.std",
                                       "element " + std::to_string(j) + " is " + std::to_string(std2[j]) +
                                           ", must be finite and > 0");
        m.normalizer2.mean.assign(mean2.begin(), mean2.end());
        m.normalizer2.std.assign(std2.begin(), std2.end());
    }
    for (const auto& p : wanted) {
        // Shape mismatches first for every parameter (cheap, header only), then the reads.
        const auto& info = r.info(prefix + p.name);
        bool same = Index(info.shape.size()) == p.shape.rank();
        for (std::size_t a = 0; same && a < info.shape.size(); ++a) same = info.shape[a] == p.shape[Index(a)];
        if (!same)
            throw model_file_error(r.path(), prefix + p.name,
                                   "has shape " + shape_text(info.shape) + ", the config needs " + p.shape.str());
    }
    for (const auto& p : wanted) m.weights.emplace(p.name, r.floats(prefix + p.name, p.shape, "the config needs"));
    return m;
}

}  // namespace detail

/// Writes `contents` to `path` atomically: a single model when it has one member and
/// `ensemble` is false, else an ensemble. Weight names must not collide with metadata names.
inline void write_model_file(const std::string& path, const ModelFileContents& contents, bool compressed = false) {
    const ModelFileContents& c = contents;
    if (c.members.empty()) throw ValueError("polytag::openmic::write_model_file: no model to write");
    const bool ensemble = c.ensemble || c.members.size() > 1;
    std::vector<io::NpzEntry> entries;
    entries.emplace_back("format", std::string(ensemble ? kEnsembleFormat : kModelFormat));
    if (ensemble) entries.emplace_back("members", std::to_string(c.members.size()));
    std::vector<std::string> configs;
    configs.reserve(c.members.size());
    for (const auto& m : c.members) configs.push_back(to_json(m.config).dump());
    if (!ensemble) entries.emplace_back("config", configs[0]);
    entries.emplace_back("class_names", c.class_names);
    for (std::size_t i = 0; i < c.members.size(); ++i) {
        const ModelMemberContents& m = c.members[i];
        const std::string prefix = detail::member_prefix(ensemble, i);
        const auto features = static_cast<Index>(m.normalizer.mean.size());
        if (ensemble) entries.emplace_back(prefix + "config", configs[i]);
        entries.emplace_back(prefix + "normalizer.mean", TensorView<const float>(m.normalizer.mean.data(), Shape{features}));
        entries.emplace_back(prefix + "normalizer.std", TensorView<const float>(m.normalizer.std.data(), Shape{features}));
        if (m.config.has_input2()) {
            const auto f2 = static_cast<Index>(m.normalizer2.mean.size());
            if (f2 != m.config.input2_features || Index(m.normalizer2.std.size()) != f2)
                throw ValueError("polytag::openmic::write_model_file: the normaliser of input2 '" + m.config.input2 +
                                 "' has " + std::to_string(f2) + " dimensions, the config " +
                                 std::to_string(m.config.input2_features));
            entries.emplace_back(prefix + "input2.normalizer.mean", TensorView<const float>(m.normalizer2.mean.data(), Shape{f2}));
            entries.emplace_back(prefix + "input2.normalizer.std", TensorView<const float>(m.normalizer2.std.data(), Shape{f2}));
        }
        for (const auto& [name, w] : m.weights) {
            if (detail::is_metadata_entry(name))
                throw ValueError("polytag::openmic::write_model_file: weight name '" + name + "' is reserved");
            entries.emplace_back(prefix + name, w.view());
        }
    }
    if (!c.training_json.empty()) entries.emplace_back("training", c.training_json);
    io::save_npz(path, entries, compressed);
}

/// Reads and validates a model file, single or ensemble: the format, every config, the class
/// names, the normalisers, and every weight against the shapes its config implies (no missing,
/// misshapen, non-float32, non-finite or unexpected array). Headers are checked before any
/// array is read; an allocation failure while reading is an IoError naming the file.
inline ModelFileContents read_model_file(const std::string& path) {
    try {
        detail::ModelFileReader r(path);
        ModelFileContents c;
        const std::string format = r.text("format");
        if (format != kModelFormat && format != kEnsembleFormat)
            throw detail::model_file_error(path, "format", "is '" + format + "', expected '" + kModelFormat + "' or '" +
                                                               kEnsembleFormat + "'");
        c.ensemble = format == kEnsembleFormat;
        std::size_t count = 1;
        if (c.ensemble) {
            const std::string text = r.text("members");
            char* end = nullptr;
            const long v = std::strtol(text.c_str(), &end, 10);
            if (text.empty() || *end != '\0' || v < 1 || v > kMaxEnsembleMembers)
                throw detail::model_file_error(path, "members", "is '" + text + "', expected a count in [1, " +
                                                                    std::to_string(kMaxEnsembleMembers) + "]");
            count = std::size_t(v);
        }
        // Class names: (classes,) strings, checked by header before they are read.
        const io::ArrayInfo& names_info = r.info("class_names");
        if (names_info.shape != std::vector<Index>{kClasses})
            throw detail::model_file_error(path, "class_names", "has shape " + detail::shape_text(names_info.shape) +
                                                                    ", expected (" + std::to_string(kClasses) + ",)");
        for (std::size_t i = 0; i < count; ++i) {
            c.members.push_back(detail::read_member(r, detail::member_prefix(c.ensemble, i)));
            const ModelConfig& a = c.members.front().config;
            const ModelConfig& b = c.members.back().config;
            if (a.frames != b.frames || a.features != b.features || a.classes != b.classes)
                throw detail::model_file_error(path, detail::member_prefix(true, i) + "config",
                                               "clips of " + std::to_string(b.frames) + " x " + std::to_string(b.features) +
                                                   ", member 0 takes " + std::to_string(a.frames) + " x " +
                                                   std::to_string(a.features));
            if (a.input2 != b.input2 || a.input2_frames != b.input2_frames || a.input2_features != b.input2_features)
                throw detail::model_file_error(path, detail::member_prefix(true, i) + "config",
                                               "second input '" + b.input2 + "' differs from member 0's '" + a.input2 + "'");
        }
        c.class_names = r.strings("class_names");
        if (static_cast<Index>(c.class_names.size()) != c.members[0].config.classes)
            throw detail::model_file_error(path, "class_names",
                                           "holds " + std::to_string(c.class_names.size()) + " names, the config has " +
                                               std::to_string(c.members[0].config.classes) + " classes");
        for (std::size_t i = 0; i < c.class_names.size(); ++i) {
            if (c.class_names[i].empty())
                throw detail::model_file_error(path, "class_names", "name " + std::to_string(i) + " is empty");
            for (std::size_t j = 0; j < i; ++j)
                if (c.class_names[i] == c.class_names[j])
                    throw detail::model_file_error(path, "class_names", "'" + c.class_names[i] + "' appears twice");
        }
        if (r.has("training")) c.training_json = r.text("training");
        const std::string extra = r.unread();
        if (!extra.empty())
            throw detail::model_file_error(path, extra, "unexpected array (not a parameter of the stored config)");
        return c;
    } catch (const std::bad_alloc&) {
        throw detail::model_file_error(path, "", "out of memory while reading it");
    } catch (const std::length_error&) {
        throw detail::model_file_error(path, "", "out of memory while reading it");
    }
}

}  // namespace polytag::openmic
