#pragma once
// ClipInput: one further named per-clip array of a dataset beside X (issue 12: multi-input
// data), e.g. a second feature stream. Any per-clip shape (rank 0 to 3), uint8 (kept as bytes,
// as X is) or floating point (float16/32/64, held as float32). Its normaliser standardises the
// last axis (normalizer.hpp), so a (N, frames, D) stream is normalised per feature like X.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "polytag/io/npz.hpp"
#include "polytag/openmic/error.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag::openmic {

struct ClipInput {
    std::string name;
    Tensor<std::uint8_t> bytes;  ///< (N, per-clip...) for a uint8 input, else empty
    Tensor<float> values;        ///< (N, per-clip...) for a floating-point input, else empty
    bool bytes_input = false;    ///< which of the two holds the data

    bool is_bytes() const { return bytes_input; }
    Index clips() const { return is_bytes() ? bytes.dim(0) : values.dim(0); }
    /// The shape of one clip's slice.
    Shape per_clip() const {
        const Shape& s = is_bytes() ? bytes.shape() : values.shape();
        Shape out;
        for (int a = 1; a < s.rank(); ++a) out.push_back(s[a]);
        return out;
    }
    /// Elements per clip.
    Index clip_size() const { return per_clip().size(); }
    /// Features per step: the last axis (1 for a scalar per clip).
    Index width() const { return per_clip().cols(); }
    /// Steps per clip (e.g. frames): clip_size() / width().
    Index steps() const { return clip_size() / width(); }
};

/// Reads array `name` of `reader` (the file `file`) as a per-clip input of `n` clips:
/// uint8 or float16/32/64, shape (n, ...) with rank 1 to 4. Errors are DatasetErrors naming
/// the file and the array; a non-finite float names its clip.
inline ClipInput read_clip_input(const io::NpzReader& reader, const std::string& name, Index n, const std::string& file) {
    if (!reader.contains(name)) throw DatasetError(file, -1, -1, "no array '" + name + "' (asked for as an input)");
    const io::ArrayInfo info = reader.info(name);
    const bool bytes = info.dtype == io::DType::UInt8;
    const bool floats = info.dtype == io::DType::Float16 || info.dtype == io::DType::Float32 || info.dtype == io::DType::Float64;
    if (!bytes && !floats)
        throw DatasetError(file, -1, -1, "input '" + name + "' has dtype " + io::detail::dtype_name(info.dtype) +
                                             ", expected uint8 or a float type");
    if (info.shape.empty() || info.shape.size() > 4 || info.shape[0] != n) {
        std::string got = "(";
        for (std::size_t a = 0; a < info.shape.size(); ++a) got += (a ? ", " : "") + std::to_string(info.shape[a]);
        throw DatasetError(file, -1, -1, "input '" + name + "' has shape " + got + (info.shape.size() == 1 ? ",)" : ")") +
                                             ", expected (" + std::to_string(n) + ", ...) with at most 3 per-clip axes");
    }
    for (std::size_t a = 1; a < info.shape.size(); ++a)
        if (info.shape[a] < 1) throw DatasetError(file, -1, -1, "input '" + name + "' has an empty axis");
    ClipInput in;
    in.name = name;
    in.bytes_input = bytes;
    if (bytes) {
        in.bytes = reader.read<std::uint8_t>(name);
    } else {
        in.values = reader.read<float>(name);
        const Index per = n ? in.values.size() / n : 0;
        for (Index i = 0; i < in.values.size(); ++i)
            if (!std::isfinite(in.values[i]))
                throw DatasetError(file, per ? i / per : -1, -1, "input '" + name + "': element " +
                                                                    std::to_string(per ? i % per : i) + " is not finite");
    }
    return in;
}

}  // namespace polytag::openmic
