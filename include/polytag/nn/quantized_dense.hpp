#pragma once
// QuantizedDense: an inference-only Dense on uint8 input (the VGGish bytes as they come),
// y = x_float W^T + b with x_float[p] = in_scale[p] * x_u8[p] + in_shift[p], computed as
//
//   y[i, j] = s[j] * sum_p x_u8[i, p] q[j, p] + b'[j]        (then ReLU, if asked)
//
// where W'[j, p] = W[j, p] in_scale[p] is quantised per output channel, symmetrically:
// s[j] = max_p |W'[j, p]| / 127, q = round(W' / s) in [-127, 127], and the shift is folded
// into the bias, b'[j] = b[j] + sum_p W[j, p] in_shift[p]. So the float model's input
// conversion (x / 255, or a per-feature normalisation) costs nothing at run time. The
// product is exact in int32 (gemm_u8s8: AVX-512 VNNI through libxsmm or our kernel, AVX2, or
// scalar); the only error is the weights' rounding, at most s[j] / 2 per weight.
//
// Built from a trained Dense<float> (weights copied, packed once); forward() allocates only
// when its output grows (as Dense does).
#include <cmath>
#include <cstdint>
#include <vector>

#include "polytag/nn/dense.hpp"
#include "polytag/tensor/gemm_u8s8.hpp"

namespace polytag {

class QuantizedDense {
public:
    QuantizedDense() = default;

    /// From `dense`, for input bytes x with x_float = in_scale * x + in_shift (all features alike).
    static QuantizedDense from_dense(const Dense<float>& dense, float in_scale = 1.0f / 255.0f, float in_shift = 0.0f,
                                     bool relu = false) {
        const std::vector<float> scale(std::size_t(dense.in_features()), in_scale),
            shift(std::size_t(dense.in_features()), in_shift);
        return from_dense(dense, scale.data(), shift.data(), relu);
    }

    /// From `dense`, with one in_scale and in_shift per input feature (a normaliser folded in).
    static QuantizedDense from_dense(const Dense<float>& dense, const float* in_scale, const float* in_shift,
                                     bool relu = false) {
        QuantizedDense q;
        const Index n = dense.out_features(), k = dense.in_features();
        q.in_ = k;
        q.out_ = n;
        q.relu_ = relu;
        q.scale_.resize(std::size_t(n));
        q.bias_.resize(std::size_t(n));
        std::vector<std::int8_t> w8(std::size_t(n * k));
        const float* w = dense.weight().data();
        const float* b = dense.bias().data();
        for (Index j = 0; j < n; ++j) {
            double mx = 0, shift = 0;
            for (Index p = 0; p < k; ++p) {
                mx = std::max(mx, std::abs(double(w[j * k + p]) * double(in_scale[p])));
                shift += double(w[j * k + p]) * double(in_shift[p]);
            }
            const double s = mx > 0 ? mx / 127.0 : 1.0;
            for (Index p = 0; p < k; ++p) {
                const double v = std::nearbyint(double(w[j * k + p]) * double(in_scale[p]) / s);
                w8[std::size_t(j * k + p)] = std::int8_t(std::min(127.0, std::max(-127.0, v)));
            }
            q.scale_[std::size_t(j)] = float(s);
            q.bias_[std::size_t(j)] = float(double(b[j]) + shift);
        }
        q.weight_ = PackedS8(w8.data(), n, k, k);
        return q;
    }

    Index in_features() const { return in_; }
    Index out_features() const { return out_; }
    bool relu() const { return relu_; }
    /// Per-output-channel weight scales s[j] and the folded bias b'[j].
    const std::vector<float>& scales() const { return scale_; }
    const std::vector<float>& folded_bias() const { return bias_; }
    const PackedS8& packed_weight() const { return weight_; }

    /// y (leading axes of x, out) from x (any leading axes, last axis in).
    TensorView<const float> forward(TensorView<const std::uint8_t> x, U8S8Kernel kernel = U8S8Kernel::Auto) {
        if (x.rank() < 1 || x.shape()[x.rank() - 1] != in_)
            throw ShapeError("polytag::QuantizedDense: expects last axis " + std::to_string(in_) + ", input is " +
                             x.shape().str());
        const Index rows = in_ > 0 ? x.size() / in_ : 0;
        y_.resize(x.shape().with_dim(x.rank() - 1, out_));
        U8S8Epilogue e;
        e.y = y_.data();
        e.ldy = out_;
        e.scale = scale_.data();
        e.bias = bias_.data();
        e.relu = relu_;
        gemm_u8s8(rows, x.data(), in_, weight_, e, kernel);
        return y_;
    }

private:
    Index in_ = 0, out_ = 0;
    bool relu_ = false;
    std::vector<float> scale_, bias_;
    PackedS8 weight_;
    Tensor<float> y_;
};

}  // namespace polytag
