#pragma once
// Conv2d<T>: 2-d convolution (cross-correlation, as every framework computes it) on NHWC input.
//
//   Conv2d(in_channels, out_channels, kernel {kh, kw}, stride {sh, sw} = {1, 1},
//          Padding::Same | Padding::Valid = Same, bias = true, Init::He | Init::Glorot = He)
//
// Input (B, H, W, in_channels), output (B, H', W', out_channels), with H', W' and the padding
// from TensorFlow's rules (nn/padding.hpp): SAME gives ceil(H / sh) and pads the smaller half
// on top/left, VALID does not pad. H and W may change from batch to batch.
//
// Parameters: `weight` (kh, kw, in_channels, out_channels) - HWIO, TensorFlow's own layout, so
// a tf.keras Conv2D kernel is copied as it is - and `bias` (out_channels) when bias is true.
//   from PyTorch: weight = torch_conv.weight.permute(2, 3, 1, 0)   ((out, in, kh, kw) -> HWIO)
//   to PyTorch:   torch_weight = weight.permute(3, 2, 0, 1)
// Note torch pads symmetrically: TF SAME with an even pad total needs no change, an odd one
// (e.g. stride 2, even input) is F.pad(x, (left, right, top, bottom)) then padding=0.
//
// Algorithm (see docs/design.md): read as a matrix, the weight is (kh*kw*in, out). With
// M = B*H'*W' output pixels, the forward is one GEMM  y (M, out) = cols (M, kh*kw*in) * W,
// where row m of `cols` (im2col) holds the input window of pixel m in (ki, kj, c) order, zeros
// where the window covers padding. A 1x1 kernel at stride 1 needs no im2col: cols is x itself.
// Backward: dW = cols^T dy, dbias = column sums of dy, dcols = dy W^T scattered back (col2im).
// `cols` is kept from the forward for dW; all buffers are Tensors resized per batch.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "polytag/nn/dense.hpp"
#include "polytag/nn/layer.hpp"
#include "polytag/nn/padding.hpp"
#include "polytag/tensor/kernels.hpp"

namespace polytag {

namespace detail {

/// Where a convolution's windows lie on one input size.
struct ConvGeometry {
    Index in_h = 0, in_w = 0, out_h = 0, out_w = 0, pad_top = 0, pad_left = 0;
};

/// Calls f(dst_offset, x_offset, count) for each run of one window that lies inside the image
/// and f(dst_offset, -1, count) for each run that covers padding, for output pixels [m0, m1)
/// (flat (b, oi, oj) order). Offsets are in elements; a window row is (kj, channel) and
/// contiguous in NHWC, so a run is a whole in-image part of a kernel row.
template <typename F>
void for_each_window_run(Index m0, Index m1, Index channels, const ConvGeometry& g, Size2d kernel, Size2d stride,
                         F&& f) {
    const Index row_len = kernel.w * channels, window = kernel.h * row_len;
    const Index per_sample = g.out_h * g.out_w;
    Index b = m0 / per_sample, oi = (m0 % per_sample) / g.out_w, oj = m0 % g.out_w;
    for (Index m = m0, dst = 0; m < m1; ++m, dst += window) {
        const Index i0 = oi * stride.h - g.pad_top, j0 = oj * stride.w - g.pad_left;
        // Kernel columns [lo, hi) fall inside the image.
        const Index lo = std::max<Index>(0, -j0), hi = std::min<Index>(kernel.w, g.in_w - j0);
        const Index sample = b * g.in_h * g.in_w;
        for (Index ki = 0; ki < kernel.h; ++ki) {
            const Index d = dst + ki * row_len, i = i0 + ki;
            if (i < 0 || i >= g.in_h || hi <= lo) {
                f(d, Index(-1), row_len);
                continue;
            }
            if (lo > 0) f(d, Index(-1), lo * channels);
            f(d + lo * channels, (sample + i * g.in_w + j0 + lo) * channels, (hi - lo) * channels);
            if (hi < kernel.w) f(d + hi * channels, Index(-1), (kernel.w - hi) * channels);
        }
        if (++oj == g.out_w) {
            oj = 0;
            if (++oi == g.out_h) {
                oi = 0;
                ++b;
            }
        }
    }
}

/// cols (m1 - m0, kh*kw*c): row r = the window of output pixel m0 + r, (ki, kj, channel) order,
/// zeros where it covers padding.
template <typename T>
void im2col(const T* x, Index m0, Index m1, Index channels, const ConvGeometry& g, Size2d kernel, Size2d stride,
            T* cols) {
    for_each_window_run(m0, m1, channels, g, kernel, stride, [&](Index d, Index src, Index n) {
        if (src < 0) std::fill(cols + d, cols + d + n, T(0));
        else std::memcpy(cols + d, x + src, sizeof(T) * std::size_t(n));
    });
}

/// The adjoint of im2col: dx += each window row of dcols at its place (padding is dropped).
template <typename T>
void col2im_add(const T* dcols, Index m0, Index m1, Index channels, const ConvGeometry& g, Size2d kernel,
                Size2d stride, T* dx) {
    for_each_window_run(m0, m1, channels, g, kernel, stride, [&](Index d, Index dst, Index n) {
        if (dst < 0) return;
        T* out = dx + dst;
        const T* in = dcols + d;
        for (Index e = 0; e < n; ++e) out[e] += in[e];
    });
}

}  // namespace detail

template <typename T>
class Conv2d {
public:
    using Scalar = T;

    Conv2d(Index in_channels, Index out_channels, Size2d kernel, Size2d stride = {1, 1},
           Padding padding = Padding::Same, bool bias = true, Init init = Init::He)
        : in_(in_channels), out_(out_channels), kernel_(kernel), stride_(stride), padding_(padding),
          has_bias_(bias), init_(init) {
        if (in_channels < 1 || out_channels < 1)
            throw ShapeError("polytag::Conv2d: channels must be positive, got in=" + std::to_string(in_channels) +
                             " out=" + std::to_string(out_channels));
        detail::check_window("Conv2d", kernel, stride);
        const Shape ws{kernel.h, kernel.w, in_channels, out_channels};
        weight_ = Tensor<T>(ws, T(0));
        dweight_ = Tensor<T>(ws, T(0));
        if (has_bias_) {
            bias_ = Tensor<T>(Shape{out_channels}, T(0));
            dbias_ = Tensor<T>(Shape{out_channels}, T(0));
        }
        // A 1x1 window at stride 1 never pads (SAME's pad_total is k - 1 = 0): x is its own im2col.
        direct_ = kernel.h == 1 && kernel.w == 1 && stride.h == 1 && stride.w == 1;
    }

    Index in_channels() const { return in_; }
    Index out_channels() const { return out_; }
    Size2d kernel() const { return kernel_; }
    Size2d stride() const { return stride_; }
    Padding padding() const { return padding_; }
    bool has_bias() const { return has_bias_; }
    Init init_kind() const { return init_; }

    /// Per-sample (H, W, in_channels) -> (H', W', out_channels).
    Shape output_shape(const Shape& in) const {
        if (in.rank() != 3 || in[2] != in_)
            throw ShapeError("polytag::Conv2d: expects (H, W, " + std::to_string(in_) + ") per sample, input is " +
                             in.str());
        const detail::ConvGeometry g = geometry(in[0], in[1], in);
        return Shape{g.out_h, g.out_w, out_};
    }

    void init(Rng& rng) {
        const double fan_in = double(kernel_.h * kernel_.w * in_), fan_out = double(kernel_.h * kernel_.w * out_);
        if (init_ == Init::He) {
            const double sd = std::sqrt(2.0 / fan_in);
            for (auto& w : weight_) w = T(rng.normal(0.0, sd));
        } else {
            const double a = std::sqrt(6.0 / (fan_in + fan_out));
            for (auto& w : weight_) w = T(rng.uniform(-a, a));
        }
        if (has_bias_) bias_.set_zero();
    }

    TensorView<const T> forward(TensorView<const T> x, Mode) {
        if (x.rank() != 4 || x.dim(3) != in_)
            throw ShapeError("polytag::Conv2d: expects (B, H, W, " + std::to_string(in_) + "), input is " +
                             x.shape().str());
        geom_ = geometry(x.dim(1), x.dim(2), x.shape());
        x_ = x;
        const Index batch = x.dim(0), m = batch * geom_.out_h * geom_.out_w, k = window_size();
        y_.resize(Shape{batch, geom_.out_h, geom_.out_w, out_});
        MatrixRef<T> y(y_.data(), m, out_);
        if (direct_) {
            gemm<T>(Trans::No, Trans::No, T(1), MatrixRef<const T>(x.data(), m, in_), weight_matrix(), T(0), y);
        } else {
            const Index rows = chunk_rows(m);
            cols_.resize(Shape{rows, k});
            for (Index m0 = 0; m0 < m; m0 += rows) {
                const Index n = std::min(rows, m - m0);
                detail::im2col(x.data(), m0, m0 + n, in_, geom_, kernel_, stride_, cols_.data());
                const MatrixRef<T> yc = y.row_block(m0, n);
                gemm<T>(Trans::No, Trans::No, T(1), MatrixRef<const T>(cols_.data(), n, k), weight_matrix(), T(0), yc);
                if (has_bias_) add_bias<T>(yc, bias_.data());  // while the chunk is in cache
            }
            cols_hold_all_ = rows >= m;
            return y_;
        }
        if (has_bias_) add_bias<T>(y, bias_.data());
        return y_;
    }

    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        if (dy.shape() != y_.shape())
            throw ShapeError("polytag::Conv2d::backward: dy " + dy.shape().str() + " vs output " + y_.shape().str());
        const Index batch = x_.dim(0), m = batch * geom_.out_h * geom_.out_w, k = window_size();
        MatrixRef<const T> g(dy.data(), m, out_);
        MatrixRef<T> dw(dweight_.data(), k, out_);
        if (has_bias_) sum_rows<T>(g, dbias_.data());
        if (direct_) {
            const MatrixRef<const T> x(x_.data(), m, in_);
            gemm<T>(Trans::Yes, Trans::No, T(1), x, g, T(0), dw);
            if (!need_dx) return {};
            dx_.resize(x_.shape());
            gemm<T>(Trans::No, Trans::Yes, T(1), g, weight_matrix(), T(0), MatrixRef<T>(dx_.data(), m, in_));
            return dx_;
        }
        // Chunk by chunk as in forward: dW accumulates cols^T dy, dx gathers dcols = dy W^T.
        const Index rows = chunk_rows(m);
        if (m == 0) dweight_.set_zero();  // an empty batch: no chunk writes dW
        if (need_dx) {
            dx_.resize(x_.shape());
            dx_.set_zero();
            dcols_.resize(Shape{rows, k});
        }
        for (Index m0 = 0; m0 < m; m0 += rows) {
            const Index n = std::min(rows, m - m0);
            if (!cols_hold_all_) detail::im2col(x_.data(), m0, m0 + n, in_, geom_, kernel_, stride_, cols_.data());
            const MatrixRef<const T> gc = g.row_block(m0, n);
            gemm<T>(Trans::Yes, Trans::No, T(1), MatrixRef<const T>(cols_.data(), n, k), gc, m0 == 0 ? T(0) : T(1), dw);
            if (!need_dx) continue;
            gemm<T>(Trans::No, Trans::Yes, T(1), gc, weight_matrix(), T(0), MatrixRef<T>(dcols_.data(), n, k));
            detail::col2im_add(dcols_.data(), m0, m0 + n, in_, geom_, kernel_, stride_, dx_.data());
        }
        if (!need_dx) return {};
        return dx_;
    }

    void parameters(ParameterList<T>& out, const std::string& prefix) {
        out.push_back({prefix + "weight", weight_.view(), dweight_.view()});
        if (has_bias_) out.push_back({prefix + "bias", bias_.view(), dbias_.view()});
    }

    /// (kh, kw, in_channels, out_channels), HWIO.
    Tensor<T>& weight() { return weight_; }
    const Tensor<T>& weight() const { return weight_; }
    /// (out_channels); empty when the layer has no bias.
    Tensor<T>& bias() { return bias_; }
    const Tensor<T>& bias() const { return bias_; }

private:
    Index window_size() const { return kernel_.h * kernel_.w * in_; }

    detail::ConvGeometry geometry(Index h, Index w, const Shape& shown) const {
        const detail::WindowAxis ah = detail::window_axis(h, kernel_.h, stride_.h, padding_);
        const detail::WindowAxis aw = detail::window_axis(w, kernel_.w, stride_.w, padding_);
        if (ah.out < 1 || aw.out < 1)
            throw ShapeError("polytag::Conv2d: a " + kernel_.str() + " " + padding_name(padding_) +
                             " kernel does not fit input " + shown.str());
        return {h, w, ah.out, aw.out, ah.pad_before, aw.pad_before};
    }

    MatrixRef<const T> weight_matrix() const { return {weight_.data(), window_size(), out_}; }

    /// Output pixels per im2col chunk: the window matrix is built and multiplied kChunkBytes at
    /// a time, so it stays in cache between the copy and the GEMM and its buffer does not grow
    /// with the batch. Chunks are whole samples, or a divisor of a sample's pixels when one
    /// sample is larger than a chunk: then every chunk has the same shape at any batch size
    /// (one GEMM shape, one JIT kernel), unless no divisor is within 2x of the target.
    Index chunk_rows(Index m) const {
        const Index target = std::max<Index>(1, kChunkBytes / Index(sizeof(T) * std::size_t(window_size())));
        const Index per_sample = geom_.out_h * geom_.out_w;
        Index rows = target;
        if (per_sample <= target) {
            rows = per_sample * (target / per_sample);
        } else {
            for (Index d = target; 2 * d >= target; --d)
                if (per_sample % d == 0) {
                    rows = d;
                    break;
                }
        }
        return std::min(rows, m);
    }
    static constexpr Index kChunkBytes = Index(1) << 20;

    Index in_, out_;
    Size2d kernel_, stride_;
    Padding padding_;
    bool has_bias_;
    Init init_;
    bool direct_ = false;
    bool cols_hold_all_ = false;  // the last forward's whole window matrix is in cols_
    Tensor<T> weight_, bias_, dweight_, dbias_;
    Tensor<T> y_, dx_, cols_, dcols_;
    TensorView<const T> x_;
    detail::ConvGeometry geom_;
};

}  // namespace polytag
