#pragma once
// Normalizer: per-feature standardisation (x - mean) / std of the uint8 VGGish bytes, with
// statistics from the training part only. The model file stores `mean` and `std`, and
// training and prediction convert through the same apply(), so they see identical floats.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag::openmic {

struct Normalizer {
    std::vector<float> mean;  ///< per feature dimension (128 for VGGish)
    std::vector<float> std;   ///< per feature dimension, always > 0

    Index dims() const { return static_cast<Index>(mean.size()); }

    /// Mean and population standard deviation of every feature dimension over all frames of
    /// `rows` of `features` (N, frames, dims). Sums are exact integers, so the result does not
    /// depend on order or threads. A dimension with std below `min_std` (constant) gets std 1.
    /// Throws ValueError for an empty row list or a row out of range.
    static Normalizer fit(const Tensor<std::uint8_t>& features, const std::vector<Index>& rows, float min_std = 1e-3f) {
        if (features.rank() != 3)
            throw ShapeError("polytag::openmic::Normalizer::fit: features " + features.shape().str() + " are not (N, frames, dims)");
        if (rows.empty()) throw ValueError("polytag::openmic::Normalizer::fit: no rows to fit on");
        const Index n = features.dim(0), frames = features.dim(1), d = features.dim(2);
        std::vector<std::uint64_t> sum(static_cast<std::size_t>(d), 0), sum_sq(static_cast<std::size_t>(d), 0);
        for (Index r : rows) {
            if (r < 0 || r >= n)
                throw ValueError("polytag::openmic::Normalizer::fit: row " + std::to_string(r) + " outside [0, " +
                                 std::to_string(n) + ")");
            const std::uint8_t* x = features.data() + r * frames * d;
            for (Index f = 0; f < frames; ++f, x += d)
                for (Index j = 0; j < d; ++j) {
                    sum[static_cast<std::size_t>(j)] += x[j];
                    sum_sq[static_cast<std::size_t>(j)] += std::uint64_t(x[j]) * x[j];
                }
        }
        const double count = static_cast<double>(rows.size()) * static_cast<double>(frames);
        Normalizer out;
        out.mean.resize(static_cast<std::size_t>(d));
        out.std.resize(static_cast<std::size_t>(d));
        for (std::size_t j = 0; j < static_cast<std::size_t>(d); ++j) {
            const double m = static_cast<double>(sum[j]) / count;
            const double var = std::max(0.0, static_cast<double>(sum_sq[j]) / count - m * m);
            const double s = std::sqrt(var);
            out.mean[j] = static_cast<float>(m);
            out.std[j] = s < min_std ? 1.0f : static_cast<float>(s);
        }
        return out;
    }

    /// The same over a floating-point per-clip input (clip_input.hpp) `values` (N, ...): the
    /// statistics of its last axis over every other axis of `rows`, summed in double in row
    /// order (deterministic). A scalar per clip is one dimension.
    static Normalizer fit_values(const Tensor<float>& values, const std::vector<Index>& rows, float min_std = 1e-3f) {
        if (values.rank() < 1) throw ShapeError("polytag::openmic::Normalizer::fit_values: a 0-d array");
        if (rows.empty()) throw ValueError("polytag::openmic::Normalizer::fit_values: no rows to fit on");
        const Index n = values.dim(0), per = n ? values.size() / n : 0;
        const Index d = values.rank() == 1 ? 1 : values.dim(values.rank() - 1), steps = per / d;
        std::vector<double> sum(static_cast<std::size_t>(d), 0.0), sum_sq(static_cast<std::size_t>(d), 0.0);
        for (Index r : rows) {
            if (r < 0 || r >= n)
                throw ValueError("polytag::openmic::Normalizer::fit_values: row " + std::to_string(r) + " outside [0, " +
                                 std::to_string(n) + ")");
            const float* x = values.data() + r * per;
            for (Index f = 0; f < steps; ++f, x += d)
                for (Index j = 0; j < d; ++j) {
                    sum[static_cast<std::size_t>(j)] += x[j];
                    sum_sq[static_cast<std::size_t>(j)] += double(x[j]) * x[j];
                }
        }
        const double count = static_cast<double>(rows.size()) * static_cast<double>(steps);
        Normalizer out;
        out.mean.resize(static_cast<std::size_t>(d));
        out.std.resize(static_cast<std::size_t>(d));
        for (std::size_t j = 0; j < static_cast<std::size_t>(d); ++j) {
            const double m = sum[j] / count;
            const double s = std::sqrt(std::max(0.0, sum_sq[j] / count - m * m));
            out.mean[j] = static_cast<float>(m);
            out.std[j] = s < min_std ? 1.0f : static_cast<float>(s);
        }
        return out;
    }

    /// mean 0, std 1 in every dimension: the raw byte values as floats.
    static Normalizer identity(Index dims) {
        return Normalizer{std::vector<float>(static_cast<std::size_t>(dims), 0.0f),
                          std::vector<float>(static_cast<std::size_t>(dims), 1.0f)};
    }

    /// Throws ValueError unless this normalizer has `d` dimensions and positive finite stds.
    void check(Index d) const {
        if (dims() != d || static_cast<Index>(std.size()) != d)
            throw ValueError("polytag::openmic::Normalizer: has " + std::to_string(mean.size()) + " means and " +
                             std::to_string(std.size()) + " stds, expected " + std::to_string(d));
        for (std::size_t j = 0; j < std.size(); ++j)
            if (!(std[j] > 0.0f) || !std::isfinite(std[j]) || !std::isfinite(mean[j]))
                throw ValueError("polytag::openmic::Normalizer: dimension " + std::to_string(j) + " has mean " +
                                 std::to_string(mean[j]) + " and std " + std::to_string(std[j]));
    }

    /// Converts `frames` frames of dims() values each (bytes or floats): out = (x - mean) / std, in T.
    template <typename In, typename T>
    void apply(const In* x, Index frames, T* out) const {
        const Index d = dims();
        for (Index f = 0; f < frames; ++f, x += d, out += d)
            for (Index j = 0; j < d; ++j)
                out[j] = static_cast<T>((static_cast<float>(x[j]) - mean[static_cast<std::size_t>(j)]) /
                                        std[static_cast<std::size_t>(j)]);
    }
};

}  // namespace polytag::openmic
