#pragma once
// Clips to score, from an OpenMIC-2018 release folder (the whole release: train and test) or
// from one .npz holding "X" (N, frames, features) uint8 and optionally "sample_key" (N,)
// strings and "Y_true" / "Y_mask" (N, 20) labels, as the release's openmic-2018.npz does.
// This is what polytag-predict and polytag-rank read. A model with a second input
// (ModelConfig::input2, polytag-train --inputs X,NAME) also needs that array: load_clips(path,
// NAME) reads it by name (uint8 or float, (N, frames2, features2)) into ClipSet::input2, and
// score_rows() feeds both to the model.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "polytag/openmic/dataset.hpp"
#include "polytag/openmic/relevance_model.hpp"
#include "polytag/io/npz.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag::openmic {

struct ClipSet {
    Tensor<std::uint8_t> features;  ///< (N, frames, features)
    std::vector<std::string> keys;  ///< N sample keys ("row<i>" when the file has none)
    Tensor<float> y_true, mask;     ///< (N, 20) observed labels, or empty
    std::vector<std::string> split; ///< "train" / "test" / "" per clip (release folders only)
    std::string input2_name;        ///< the second input read beside X, "" for none
    Tensor<float> input2;           ///< (N, steps, width) its values as floats, or empty

    bool has_splits = false;        ///< true when read from a release folder

    Index size() const { return static_cast<Index>(keys.size()); }
    bool has_labels() const { return !y_true.empty(); }
    /// Row of a key, or -1 (keys are unique: load_clips refuses repeats).
    Index find(const std::string& key) const {
        const auto it = row_of_key.find(key);
        return it == row_of_key.end() ? -1 : it->second;
    }

    std::unordered_map<std::string, Index> row_of_key;
};

/// Refuses clips whose (frames, features) are not what the model reads (a ShapeError naming
/// the file), so no clip is ever read across the boundary of the next.
inline void check_clip_shape(const ClipSet& c, const std::string& source, Index frames, Index features) {
    if (c.features.dim(1) != frames || c.features.dim(2) != features)
        throw ShapeError(source + ": clips are " + std::to_string(c.features.dim(1)) + "x" +
                         std::to_string(c.features.dim(2)) + " (X is " + c.features.shape().str() +
                         "), the model reads " + std::to_string(frames) + "x" + std::to_string(features));
}

namespace detail {
/// Indexes the keys; a key that repeats is an IoError naming both rows (a catalogue with
/// repeated keys would silently answer for the first only).
inline void index_keys(const std::vector<std::string>& keys, const std::string& source,
                       std::unordered_map<std::string, Index>& row_of_key) {
    row_of_key.reserve(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (keys[i].empty()) throw IoError(source + ": sample_key row " + std::to_string(i) + " is empty");
        const auto [it, fresh] = row_of_key.emplace(keys[i], static_cast<Index>(i));
        if (!fresh)
            throw IoError(source + ": sample_key '" + keys[i] + "' appears in rows " + std::to_string(it->second) +
                          " and " + std::to_string(i));
    }
}
inline void index_keys(ClipSet& c, const std::string& source) { index_keys(c.keys, source, c.row_of_key); }

/// The further input `in` as floats (N, steps, width).
inline Tensor<float> input_as_floats(const ClipInput& in) {
    Tensor<float> out(Shape{in.clips(), in.steps(), in.width()});
    if (in.is_bytes())
        for (Index i = 0; i < out.size(); ++i) out[i] = static_cast<float>(in.bytes[i]);
    else
        std::copy(in.values.begin(), in.values.end(), out.data());
    return out;
}

inline ClipSet clips_from_npz(const std::string& path, const std::string& input2) {
    io::NpzReader r(path);
    const auto names = r.names();
    auto has = [&](const char* n) {
        for (const auto& x : names)
            if (x == n) return true;
        return false;
    };
    if (!has("X")) throw IoError(path + ": no array 'X' (expected (N, 10, 128) uint8 clips)");
    ClipSet c;
    c.features = r.read<std::uint8_t>("X");
    if (c.features.rank() != 3)
        throw IoError(path + ": 'X' has shape " + c.features.shape().str() + ", expected (N, frames, features)");
    const Index n = c.features.dim(0);
    if (has("sample_key")) {
        c.keys = r.read_strings("sample_key");
        if (static_cast<Index>(c.keys.size()) != n)
            throw IoError(path + ": 'sample_key' holds " + std::to_string(c.keys.size()) + " keys for " +
                          std::to_string(n) + " clips");
    } else {
        for (Index i = 0; i < n; ++i) c.keys.push_back("row" + std::to_string(i));
    }
    if (has("Y_true") && has("Y_mask")) {
        Tensor<double> y = r.read<double>("Y_true"), m = r.read<double>("Y_mask");
        if (y.shape() != Shape{n, 20} || m.shape() != Shape{n, 20})
            throw IoError(path + ": 'Y_true' " + y.shape().str() + " / 'Y_mask' " + m.shape().str() + " are not (" +
                          std::to_string(n) + ", 20)");
        c.y_true.resize(y.shape());
        c.mask.resize(m.shape());
        for (Index i = 0; i < y.size(); ++i) c.y_true[i] = float(y[i]), c.mask[i] = float(m[i]);
    }
    if (!input2.empty()) {
        try {
            c.input2 = input_as_floats(read_clip_input(r, input2, n, path));
        } catch (const DatasetError& e) {
            throw IoError(std::string(e.what()) + " (the model's second input)");
        }
        c.input2_name = input2;
    }
    c.split.assign(std::size_t(n), "");
    index_keys(c, path);
    return c;
}
}  // namespace detail

/// Reads a release folder (Dataset::load, fully validated) or a single .npz file; with
/// `input2`, that array too (a model's second input).
inline ClipSet load_clips(const std::string& path, const std::string& input2 = "") {
    if (!std::filesystem::is_directory(path)) {
        if (!std::filesystem::is_regular_file(path))
            throw IoError(path + ": no such file or folder (expected an OpenMIC folder or a .npz file)");
        return detail::clips_from_npz(path, input2);
    }
    const Dataset d = input2.empty() ? Dataset::load(path) : Dataset::load(path, {"X", input2});
    ClipSet c;
    c.features = d.features();
    c.keys = d.keys();
    c.y_true = d.y_true();
    c.mask = d.mask();
    c.split.assign(c.keys.size(), "");
    for (Index r : d.train()) c.split[std::size_t(r)] = "train";
    for (Index r : d.test()) c.split[std::size_t(r)] = "test";
    c.has_splits = true;
    if (!input2.empty()) {
        c.input2 = detail::input_as_floats(d.input(input2));
        c.input2_name = input2;
    }
    detail::index_keys(c, path);
    return c;
}

/// The model's relevances (rows, 20) for `rows` of `c`: X and, for a model with a second
/// input, c.input2 (load_clips(path, model.input2())), whose per-clip shape is checked here
/// (a ShapeError naming the array).
inline Tensor<float> score_rows(const RelevanceModel& model, const ClipSet& c, const std::vector<Index>& rows) {
    const Index clip = model.frames() * model.features(), n = static_cast<Index>(rows.size());
    Tensor<std::uint8_t> x(Shape{n, model.frames(), model.features()});
    for (Index i = 0; i < n; ++i)
        std::copy(c.features.data() + rows[std::size_t(i)] * clip, c.features.data() + (rows[std::size_t(i)] + 1) * clip,
                  x.data() + i * clip);
    if (!model.has_input2()) return model.predict(x);
    if (c.input2_name != model.input2() || c.input2.rank() != 3)
        throw ShapeError("the model takes a second input '" + model.input2() + "', not read from the data");
    if (c.input2.dim(1) != model.input2_frames() || c.input2.dim(2) != model.input2_features())
        throw ShapeError("'" + model.input2() + "' is " + c.input2.shape().str() + ", the model reads (N, " +
                         std::to_string(model.input2_frames()) + ", " + std::to_string(model.input2_features()) + ")");
    const Index clip2 = model.input2_frames() * model.input2_features();
    Tensor<float> x2(Shape{n, model.input2_frames(), model.input2_features()});
    for (Index i = 0; i < n; ++i)
        std::copy(c.input2.data() + rows[std::size_t(i)] * clip2, c.input2.data() + (rows[std::size_t(i)] + 1) * clip2,
                  x2.data() + i * clip2);
    return model.predict_inputs(x, x2);
}

}  // namespace polytag::openmic
