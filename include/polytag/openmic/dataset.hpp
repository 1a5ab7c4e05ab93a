#pragma once
// openmic::Dataset: the OpenMIC-2018 release (or anything in its layout) in memory.
//
//   features  Tensor<uint8_t> (N, frames, dims)  the VGGish bytes, kept as uint8 (1.3 kB/clip);
//                                                converted to float per batch (data/batch.hpp)
//   y_true    Tensor<float>   (N, classes)       relevance in [0, 1]; exactly 0.5 where unobserved
//   mask      Tensor<float>   (N, classes)       1 where the label was observed, else 0; every
//                                                loss, metric and split reads only mask-1 labels
//                                                (float so that masked losses multiply directly)
//   inputs    further named per-clip arrays of the npz beside X (clip_input.hpp), only when
//             asked for: Dataset::load(dir, {"X", "NAME"}); the release has X only
//   keys      sample keys "<track id>_<start>", class_names in column order,
//   train / test row indices of the official split (split01).
//
// Every constructor validates; a violation is a DatasetError naming the file, the row and the
// column. Rows are 0-based array rows for arrays and 1-based line numbers for text files.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "polytag/openmic/class_map.hpp"
#include "polytag/openmic/clip_input.hpp"
#include "polytag/openmic/error.hpp"
#include "polytag/openmic/group_split.hpp"
#include "polytag/openmic/instruments.hpp"
#include "polytag/openmic/key_list.hpp"
#include "polytag/io/npz.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag::openmic {

/// File names inside a release folder.
struct ReleaseLayout {
    static constexpr const char* npz = "openmic-2018.npz";
    static constexpr const char* class_map = "class-map.json";
    static constexpr const char* train_split = "partitions/split01_train.csv";
    static constexpr const char* test_split = "partitions/split01_test.csv";
};

class Dataset {
public:
    Dataset() = default;

    /// Reads and validates a release folder: <dir>/openmic-2018.npz (X uint8 (N, 10, 128),
    /// Y_true float64 or float32 (N, 20), Y_mask bool (N, 20), sample_key str (N,)),
    /// <dir>/class-map.json and <dir>/partitions/split01_{train,test}.csv.
    static Dataset load(const std::string& dir);
    /// The same, reading further per-clip arrays of the npz as inputs: `inputs` names X first,
    /// then any others (uint8 or float, shape (N, ...), clip_input.hpp), in the order inputs()
    /// returns them. Dataset::load(dir, {"X"}) is load(dir).
    static Dataset load(const std::string& dir, const std::vector<std::string>& inputs);

    /// A dataset from arrays already in memory (tests, the synthetic generator). Takes
    /// ownership; validates exactly as load() does, naming `source` in errors.
    /// Shapes: features (N, F, D) with any F, D >= 1; y_true and mask (N, C) with
    /// C = class_names.size(); mask entries 0 or 1; train/test row indices in [0, N).
    static Dataset from_arrays(Tensor<std::uint8_t> features, Tensor<float> y_true, Tensor<float> mask,
                               std::vector<std::string> keys, std::vector<std::string> class_names,
                               std::vector<Index> train, std::vector<Index> test,
                               const std::string& source = "<arrays>");

    Index size() const { return static_cast<Index>(keys_.size()); }
    Index frames() const { return features_.rank() == 3 ? features_.dim(1) : 0; }
    Index dims() const { return features_.rank() == 3 ? features_.dim(2) : 0; }
    Index classes() const { return static_cast<Index>(class_names_.size()); }

    const Tensor<std::uint8_t>& features() const { return features_; }
    /// The further inputs beside X, in the order they were asked for (empty for X alone).
    const std::vector<ClipInput>& inputs() const { return inputs_; }
    /// The further input named `name`; a ValueError listing the names otherwise.
    const ClipInput& input(const std::string& name) const {
        std::string names;
        for (const auto& in : inputs_) {
            if (in.name == name) return in;
            names += (names.empty() ? "" : ", ") + in.name;
        }
        throw ValueError("polytag::openmic::Dataset: no input '" + name + "' (inputs: " +
                         (names.empty() ? std::string("none beside X") : names) + ")");
    }
    /// Adds a further input (tests, synthetic data); its clip count must be size().
    void add_input(ClipInput in) {
        if (in.clips() != size())
            throw ValueError("polytag::openmic::Dataset::add_input: '" + in.name + "' has " + std::to_string(in.clips()) +
                             " clips, the dataset " + std::to_string(size()));
        for (const auto& o : inputs_)
            if (o.name == in.name) throw ValueError("polytag::openmic::Dataset::add_input: '" + in.name + "' twice");
        inputs_.push_back(std::move(in));
    }
    const Tensor<float>& y_true() const { return y_true_; }
    const Tensor<float>& mask() const { return mask_; }
    const std::vector<std::string>& keys() const { return keys_; }
    const std::vector<std::string>& class_names() const { return class_names_; }

    /// Row indices of the official split, in split-file order.
    const std::vector<Index>& train() const { return train_; }
    const std::vector<Index>& test() const { return test_; }

    /// Row of a sample key, or -1.
    Index find(const std::string& key) const {
        auto it = row_of_key_.find(key);
        return it == row_of_key_.end() ? -1 : it->second;
    }
    /// The column of an instrument; an unknown name is a ValueError suggesting the closest.
    Index class_index(const std::string& name) const { return openmic::class_index(class_names_, name); }

private:
    template <typename Label>
    static void check_labels(const Label* y, const Label* mask, Index n, Index c, const std::vector<std::string>& keys,
                             const std::vector<std::string>& classes, const std::string& y_file,
                             const std::string& mask_file);
    void index_keys(const std::string& file);
    static std::vector<Index> rows_of_split(const std::vector<KeyLine>& lines, const std::string& file,
                                            const std::unordered_map<std::string, Index>& row_of_key,
                                            const std::string& npz_file);
    /// The one check of a train/test split, for load() and from_arrays(): every row in [0, N),
    /// none listed twice, none in both parts. `train_at` / `test_at` are each entry's position
    /// in its file (1-based), a `unit` ("line" of a split CSV, or "entry" of an array).
    static void check_split(const std::vector<Index>& train, const std::vector<Index>& train_at,
                            const std::string& train_file, const std::vector<Index>& test,
                            const std::vector<Index>& test_at, const std::string& test_file,
                            const std::vector<std::string>& keys, const char* unit);

    Tensor<std::uint8_t> features_;
    std::vector<ClipInput> inputs_;
    Tensor<float> y_true_;
    Tensor<float> mask_;
    std::vector<std::string> keys_;
    std::vector<std::string> class_names_;
    std::vector<Index> train_;
    std::vector<Index> test_;
    std::unordered_map<std::string, Index> row_of_key_;
};

namespace detail {

inline std::string describe_value(double v) {
    if (std::isnan(v)) return "NaN";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

inline std::string quoted_key(const std::vector<std::string>& keys, Index row) {
    return row >= 0 && row < static_cast<Index>(keys.size()) ? " (key '" + keys[static_cast<std::size_t>(row)] + "')"
                                                              : std::string();
}

}  // namespace detail

template <typename Label>
void Dataset::check_labels(const Label* y, const Label* mask, Index n, Index c, const std::vector<std::string>& keys,
                           const std::vector<std::string>& classes, const std::string& y_file,
                           const std::string& mask_file) {
    for (Index i = 0; i < n; ++i) {
        for (Index j = 0; j < c; ++j) {
            const double v = static_cast<double>(y[i * c + j]);
            const double m = static_cast<double>(mask[i * c + j]);
            auto where = [&] {
                return detail::quoted_key(keys, i) + " (instrument '" + classes[static_cast<std::size_t>(j)] + "')";
            };
            if (m != 0.0 && m != 1.0)
                throw DatasetError(mask_file, i, j, "mask value " + detail::describe_value(m) + " is neither 0 nor 1" + where());
            if (m == 1.0) {
                if (!(v >= 0.0 && v <= 1.0))
                    throw DatasetError(y_file, i, j, "observed relevance " + detail::describe_value(v) +
                                                         " is outside [0, 1]" + where());
            } else if (v != 0.5) {
                throw DatasetError(y_file, i, j, "unobserved entry is " + detail::describe_value(v) +
                                                     ", expected exactly 0.5" + where());
            }
        }
    }
}

inline void Dataset::index_keys(const std::string& file) {
    row_of_key_.clear();
    row_of_key_.reserve(keys_.size());
    for (std::size_t i = 0; i < keys_.size(); ++i) {
        if (keys_[i].empty()) throw DatasetError(file, static_cast<Index>(i), -1, "empty sample key");
        auto [it, fresh] = row_of_key_.emplace(keys_[i], static_cast<Index>(i));
        if (!fresh)
            throw DatasetError(file, static_cast<Index>(i), -1,
                               "sample key '" + keys_[i] + "' duplicates row " + std::to_string(it->second));
    }
}

inline std::vector<Index> Dataset::rows_of_split(const std::vector<KeyLine>& lines, const std::string& file,
                                                 const std::unordered_map<std::string, Index>& row_of_key,
                                                 const std::string& npz_file) {
    std::vector<Index> rows;
    rows.reserve(lines.size());
    for (const auto& kl : lines) {
        auto it = row_of_key.find(kl.key);
        if (it == row_of_key.end())
            throw DatasetError(file, kl.line, -1, "key '" + kl.key + "' is not a sample_key of " + npz_file);
        rows.push_back(it->second);
    }
    return rows;
}

inline void Dataset::check_split(const std::vector<Index>& train, const std::vector<Index>& train_at,
                                 const std::string& train_file, const std::vector<Index>& test,
                                 const std::vector<Index>& test_at, const std::string& test_file,
                                 const std::vector<std::string>& keys, const char* unit) {
    const Index n = static_cast<Index>(keys.size());
    // Per row: its position in the train part's file (train_pos) and in the test part's.
    std::vector<Index> train_pos(keys.size(), -1), test_pos(keys.size(), -1);
    for (int part = 0; part < 2; ++part) {
        const std::vector<Index>& rows = part == 0 ? train : test;
        const std::vector<Index>& at = part == 0 ? train_at : test_at;
        const std::string& file = part == 0 ? train_file : test_file;
        std::vector<Index>& pos = part == 0 ? train_pos : test_pos;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const Index r = rows[i];
            if (r < 0 || r >= n)
                throw DatasetError(file, at[i], -1, "row " + std::to_string(r) + " outside [0, " + std::to_string(n) + ")");
            const auto u = static_cast<std::size_t>(r);
            if (pos[u] >= 0)
                throw DatasetError(file, at[i], -1, "key '" + keys[u] + "' is listed twice (first on " + unit + " " +
                                                        std::to_string(pos[u]) + ")");
            if (part == 1 && train_pos[u] >= 0)
                throw DatasetError(file, at[i], -1, "key '" + keys[u] + "' is also in " + train_file + " (" + unit + " " +
                                                        std::to_string(train_pos[u]) + ")");
            pos[u] = at[i];
        }
    }
}

inline Dataset Dataset::from_arrays(Tensor<std::uint8_t> features, Tensor<float> y_true, Tensor<float> mask,
                                    std::vector<std::string> keys, std::vector<std::string> class_names,
                                    std::vector<Index> train, std::vector<Index> test, const std::string& source) {
    const Index n = static_cast<Index>(keys.size());
    const Index c = static_cast<Index>(class_names.size());
    if (features.rank() != 3 || features.dim(0) != n || features.dim(1) < 1 || features.dim(2) < 1)
        throw DatasetError(source, -1, -1, "features have shape " + features.shape().str() + ", expected (" +
                                               std::to_string(n) + ", frames, dims) for " + std::to_string(n) + " keys");
    if (c < 1) throw DatasetError(source, -1, -1, "no class names");
    if (y_true.shape() != Shape{n, c})
        throw DatasetError(source, -1, -1, "y_true has shape " + y_true.shape().str() + ", expected " + Shape{n, c}.str());
    if (mask.shape() != Shape{n, c})
        throw DatasetError(source, -1, -1, "mask has shape " + mask.shape().str() + ", expected " + Shape{n, c}.str());
    for (std::size_t i = 0; i < class_names.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (class_names[i] == class_names[j])
                throw DatasetError(source, -1, static_cast<Index>(i), "class name '" + class_names[i] + "' repeats column " +
                                                                          std::to_string(j));
    Dataset d;
    d.keys_ = std::move(keys);
    d.index_keys(source + " keys");
    check_labels(y_true.data(), mask.data(), n, c, d.keys_, class_names, source + " y_true", source + " mask");
    auto entries = [](std::size_t count) {
        std::vector<Index> at(count);
        for (std::size_t i = 0; i < count; ++i) at[i] = static_cast<Index>(i) + 1;
        return at;
    };
    check_split(train, entries(train.size()), source + " train", test, entries(test.size()), source + " test", d.keys_,
                "entry");
    d.features_ = std::move(features);
    d.y_true_ = std::move(y_true);
    d.mask_ = std::move(mask);
    d.class_names_ = std::move(class_names);
    d.train_ = std::move(train);
    d.test_ = std::move(test);
    return d;
}

inline Dataset Dataset::load(const std::string& dir) {
    namespace fs = std::filesystem;
    const std::string npz_path = (fs::path(dir) / ReleaseLayout::npz).string();
    const std::string map_path = (fs::path(dir) / ReleaseLayout::class_map).string();
    const std::string train_path = (fs::path(dir) / ReleaseLayout::train_split).string();
    const std::string test_path = (fs::path(dir) / ReleaseLayout::test_split).string();
    if (!fs::is_directory(dir)) throw DatasetError(dir, -1, -1, "not a directory (expected an OpenMIC-2018 release folder)");
    for (const auto* p : {&npz_path, &map_path, &train_path, &test_path})
        if (!fs::is_regular_file(*p)) throw DatasetError(*p, -1, -1, "missing file of the OpenMIC-2018 release layout");

    Dataset d;
    d.class_names_ = read_class_map(map_path);
    const Index c = static_cast<Index>(d.class_names_.size());

    io::NpzReader reader(npz_path);
    const auto names = reader.names();
    auto require = [&](const std::string& array, const std::vector<std::string>& dtypes, std::vector<Index> shape_wanted,
                       int free_leading) {
        bool present = false;
        for (const auto& nm : names) present = present || nm == array;
        if (!present) throw DatasetError(npz_path, -1, -1, "no array '" + array + "'");
        const auto info = reader.info(array);
        const std::string dtype = io::detail::dtype_name(info.dtype);
        if (std::find(dtypes.begin(), dtypes.end(), dtype) == dtypes.end()) {
            std::string wanted;
            for (const auto& w : dtypes) wanted += (wanted.empty() ? "" : " or ") + w;
            throw DatasetError(npz_path, -1, -1, "array '" + array + "' has dtype " + dtype + ", expected " + wanted);
        }
        const std::vector<Index>& shape = info.shape;
        bool ok = shape.size() == shape_wanted.size();
        for (std::size_t a = static_cast<std::size_t>(free_leading); ok && a < shape.size(); ++a)
            ok = shape[a] == shape_wanted[a];
        if (!ok) {
            std::string got = "(", want = "(";
            for (std::size_t a = 0; a < shape.size(); ++a) got += (a ? ", " : "") + std::to_string(shape[a]);
            for (std::size_t a = 0; a < shape_wanted.size(); ++a)
                want += (a ? ", " : "") + (a < static_cast<std::size_t>(free_leading) ? std::string("N")
                                                                                       : std::to_string(shape_wanted[a]));
            throw DatasetError(npz_path, -1, -1, "array '" + array + "' has shape " + got + (shape.size() == 1 ? ",)" : ")") +
                                                     ", expected " + want + (shape_wanted.size() == 1 ? ",)" : ")"));
        }
        return shape.empty() ? Index(0) : shape[0];
    };
    const Index n = require("sample_key", {"object", "str"}, {0}, 1);
    require("X", {"uint8"}, {n, kFrames, kFeatures}, 0);
    require("Y_true", {"float64", "float32"}, {n, c}, 0);
    require("Y_mask", {"bool"}, {n, c}, 0);

    d.keys_ = reader.read_strings("sample_key");
    if (static_cast<Index>(d.keys_.size()) != n)
        throw DatasetError(npz_path, -1, -1, "sample_key holds " + std::to_string(d.keys_.size()) + " strings, expected " +
                                                 std::to_string(n));
    d.index_keys(npz_path + " sample_key");
    d.features_ = reader.read<std::uint8_t>("X");
    {
        const Tensor<double> y = reader.read<double>("Y_true");
        const Tensor<double> m = reader.read<double>("Y_mask");
        check_labels(y.data(), m.data(), n, c, d.keys_, d.class_names_, npz_path + " Y_true", npz_path + " Y_mask");
        d.y_true_.resize(Shape{n, c});
        d.mask_.resize(Shape{n, c});
        for (Index i = 0; i < n * c; ++i) {
            d.y_true_[i] = static_cast<float>(y[i]);
            d.mask_[i] = static_cast<float>(m[i]);
        }
    }
    const auto train_lines = read_key_list(train_path);
    const auto test_lines = read_key_list(test_path);
    d.train_ = rows_of_split(train_lines, train_path, d.row_of_key_, npz_path);
    if (d.train_.empty()) throw DatasetError(train_path, -1, -1, "no sample keys: the training split is empty");
    d.test_ = rows_of_split(test_lines, test_path, d.row_of_key_, npz_path);
    auto lines_of = [](const std::vector<KeyLine>& lines) {
        std::vector<Index> at;
        at.reserve(lines.size());
        for (const auto& kl : lines) at.push_back(kl.line);
        return at;
    };
    check_split(d.train_, lines_of(train_lines), train_path, d.test_, lines_of(test_lines), test_path, d.keys_, "line");
    return d;
}

inline Dataset Dataset::load(const std::string& dir, const std::vector<std::string>& inputs) {
    const std::string npz_path = (std::filesystem::path(dir) / ReleaseLayout::npz).string();
    if (inputs.empty() || inputs[0] != "X")
        throw DatasetError(npz_path, -1, -1, "inputs must name X first (the VGGish frames), got '" +
                                                 (inputs.empty() ? std::string() : inputs[0]) + "'");
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j)
            if (inputs[i] == inputs[j]) throw DatasetError(npz_path, -1, -1, "input '" + inputs[i] + "' is named twice");
        if (i > 0 && (inputs[i] == "Y_true" || inputs[i] == "Y_mask" || inputs[i] == "sample_key"))
            throw DatasetError(npz_path, -1, -1, "'" + inputs[i] + "' holds labels or keys, it is not an input");
    }
    Dataset d = load(dir);
    if (inputs.size() == 1) return d;
    io::NpzReader reader(npz_path);
    for (std::size_t i = 1; i < inputs.size(); ++i) d.add_input(read_clip_input(reader, inputs[i], d.size(), npz_path));
    return d;
}

/// The official training part split into train and validation by whole tracks (see
/// split_by_track): the validation part is about `fraction` of the training rows.
inline GroupSplit validation_split(const Dataset& d, double fraction = 0.1, std::uint64_t seed = 0) {
    return split_by_track(d.keys(), d.train(), fraction, seed);
}

/// k-fold cross-validation over the official training part by whole tracks (k_fold_by_track).
inline std::vector<GroupSplit> cross_validation_folds(const Dataset& d, int folds = 5, std::uint64_t seed = 0) {
    return k_fold_by_track(d.keys(), d.train(), folds, seed);
}

}  // namespace polytag::openmic
