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

/// cols (B*out_h*out_w, kh*kw*c): row m = the window of output pixel m, (ki, kj, channel) order.
template <typename T>
void im2col(const T* x, Index batch, Index channels, const ConvGeometry& g, Size2d kernel, Size2d stride, T* cols) {
    const Index row_len = kernel.w * channels;  // one kernel row of a window: contiguous in NHWC
    T* dst = cols;
    for (Index b = 0; b < batch; ++b) {
        const T* xb = x + b * g.in_h * g.in_w * channels;
        for (Index oi = 0; oi < g.out_h; ++oi) {
            const Index i0 = oi * stride.h - g.pad_top;
            for (Index oj = 0; oj < g.out_w; ++oj) {
                const Index j0 = oj * stride.w - g.pad_left;
                // Kernel columns [lo, hi) fall inside the image.
                const Index lo = std::max<Index>(0, -j0), hi = std::min<Index>(kernel.w, g.in_w - j0);
                for (Index ki = 0; ki < kernel.h; ++ki, dst += row_len) {
                    const Index i = i0 + ki;
                    if (i < 0 || i >= g.in_h || hi <= lo) {
                        std::fill(dst, dst + row_len, T(0));
                        continue;
                    }
                    std::fill(dst, dst + lo * channels, T(0));
                    std::memcpy(dst + lo * channels, xb + (i * g.in_w + j0 + lo) * channels,
                                sizeof(T) * std::size_t((hi - lo) * channels));
                    std::fill(dst + hi * channels, dst + row_len, T(0));
                }
            }
        }
    }
}

/// The adjoint of im2col: dx (zeroed by the caller) += every window row of dcols at its place.
template <typename T>
void col2im_add(const T* dcols, Index batch, Index channels, const ConvGeometry& g, Size2d kernel, Size2d stride,
                T* dx) {
    const Index row_len = kernel.w * channels;
    const T* src = dcols;
    for (Index b = 0; b < batch; ++b) {
        T* dxb = dx + b * g.in_h * g.in_w * channels;
        for (Index oi = 0; oi < g.out_h; ++oi) {
            const Index i0 = oi * stride.h - g.pad_top;
            for (Index oj = 0; oj < g.out_w; ++oj) {
                const Index j0 = oj * stride.w - g.pad_left;
                const Index lo = std::max<Index>(0, -j0), hi = std::min<Index>(kernel.w, g.in_w - j0);
                for (Index ki = 0; ki < kernel.h; ++ki, src += row_len) {
                    const Index i = i0 + ki;
                    if (i < 0 || i >= g.in_h || hi <= lo) continue;
                    T* d = dxb + (i * g.in_w + j0 + lo) * channels;
                    const T* s = src + lo * channels;
                    const Index n = (hi - lo) * channels;
                    for (Index e = 0; e < n; ++e) d[e] += s[e];
                }
            }
        }
    }
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
        const Index batch = x.dim(0), m = batch * geom_.out_h * geom_.out_w;
        y_.resize(Shape{batch, geom_.out_h, geom_.out_w, out_});
        MatrixRef<T> y(y_.data(), m, out_);
        if (!direct_) {
            cols_.resize(Shape{m, window_size()});
            detail::im2col(x.data(), batch, in_, geom_, kernel_, stride_, cols_.data());
        }
        gemm<T>(Trans::No, Trans::No, T(1), window_matrix(batch), weight_matrix(), T(0), y);
        if (has_bias_) add_bias<T>(y, bias_.data());
        return y_;
    }

    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        if (dy.shape() != y_.shape())
            throw ShapeError("polytag::Conv2d::backward: dy " + dy.shape().str() + " vs output " + y_.shape().str());
        const Index batch = x_.dim(0), m = batch * geom_.out_h * geom_.out_w, k = window_size();
        MatrixRef<const T> g(dy.data(), m, out_);
        gemm<T>(Trans::Yes, Trans::No, T(1), window_matrix(batch), g, T(0), MatrixRef<T>(dweight_.data(), k, out_));
        if (has_bias_) sum_rows<T>(g, dbias_.data());
        if (!need_dx) return {};
        dx_.resize(x_.shape());
        if (direct_) {
            gemm<T>(Trans::No, Trans::Yes, T(1), g, weight_matrix(), T(0), MatrixRef<T>(dx_.data(), m, in_));
            return dx_;
        }
        dcols_.resize(Shape{m, k});
        gemm<T>(Trans::No, Trans::Yes, T(1), g, weight_matrix(), T(0), dcols_.mref());
        dx_.set_zero();
        detail::col2im_add(dcols_.data(), batch, in_, geom_, kernel_, stride_, dx_.data());
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

    /// The (M, kh*kw*in) window matrix of the current x: x itself for a direct layer, else the
    /// im2col buffer (filled by forward, read again by backward for dW).
    MatrixRef<const T> window_matrix(Index batch) const {
        const Index m = batch * geom_.out_h * geom_.out_w;
        if (direct_) return {x_.data(), m, in_};
        return {cols_.data(), m, window_size()};
    }

    Index in_, out_;
    Size2d kernel_, stride_;
    Padding padding_;
    bool has_bias_;
    Init init_;
    bool direct_ = false;
    Tensor<T> weight_, bias_, dweight_, dbias_;
    Tensor<T> y_, dx_, cols_, dcols_;
    TensorView<const T> x_;
    detail::ConvGeometry geom_;
};

}  // namespace polytag
