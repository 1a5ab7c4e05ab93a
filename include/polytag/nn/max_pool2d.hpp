#pragma once
// MaxPool2d<T>: 2-d max pooling on NHWC input, per channel.
//
//   MaxPool2d(kernel {kh, kw}, stride {sh, sw} = kernel, Padding::Valid | Padding::Same = Valid)
//
// Input (B, H, W, C), output (B, H', W', C) with TensorFlow's geometry (nn/padding.hpp): VALID
// windows lie inside the input; SAME gives ceil(H / sh) and pads the smaller half on top/left,
// and a padded position never wins (it is not -inf, it is skipped; every SAME window holds at
// least one real element). Backward sends each output's gradient to its argmax, the FIRST
// maximal element of the window in row-major (ki, kj) order on ties; overlapping windows
// (stride < kernel) add their gradients. A NaN never wins (comparisons with it are false).
// torch.nn.MaxPool2d(k, s) equals VALID; TF SAME needs F.pad(x, ..., value=-inf) in torch.
#include <algorithm>
#include <string>

#include "polytag/nn/layer.hpp"
#include "polytag/nn/padding.hpp"

namespace polytag {

template <typename T>
class MaxPool2d {
public:
    using Scalar = T;

    explicit MaxPool2d(Size2d kernel, Padding padding = Padding::Valid) : MaxPool2d(kernel, kernel, padding) {}
    MaxPool2d(Size2d kernel, Size2d stride, Padding padding = Padding::Valid)
        : kernel_(kernel), stride_(stride), padding_(padding) {
        detail::check_window("MaxPool2d", kernel, stride);
    }

    Size2d kernel() const { return kernel_; }
    Size2d stride() const { return stride_; }
    Padding padding() const { return padding_; }

    /// Per-sample (H, W, C) -> (H', W', C).
    Shape output_shape(const Shape& in) const {
        if (in.rank() != 3 || in[2] < 1)
            throw ShapeError("polytag::MaxPool2d: expects (H, W, C) per sample, input is " + in.str());
        const Geometry g = geometry(in[0], in[1], in);
        return Shape{g.out_h, g.out_w, in[2]};
    }

    void init(Rng&) {}
    void parameters(ParameterList<T>&, const std::string&) {}

    TensorView<const T> forward(TensorView<const T> x, Mode) {
        if (x.rank() != 4 || x.dim(3) < 1)
            throw ShapeError("polytag::MaxPool2d: expects (B, H, W, C), input is " + x.shape().str());
        in_ = x.shape();
        g_ = geometry(x.dim(1), x.dim(2), x.shape());
        const Index batch = in_[0], c = in_[3];
        y_.resize(Shape{batch, g_.out_h, g_.out_w, c});
        argmax_.resize(y_.shape());
        T* y = y_.data();
        Index* arg = argmax_.data();
        for (Index b = 0; b < batch; ++b)
            for (Index oi = 0; oi < g_.out_h; ++oi) {
                // Rows [i_lo, i_hi) of the window are inside the image.
                const Index i0 = oi * stride_.h - g_.pad_top;
                const Index i_lo = std::max<Index>(i0, 0), i_hi = std::min<Index>(i0 + kernel_.h, g_.in_h);
                for (Index oj = 0; oj < g_.out_w; ++oj, y += c, arg += c) {
                    const Index j0 = oj * stride_.w - g_.pad_left;
                    const Index j_lo = std::max<Index>(j0, 0), j_hi = std::min<Index>(j0 + kernel_.w, g_.in_w);
                    // Start from the first real element, then a strict > keeps the first maximum.
                    const Index first = ((b * g_.in_h + i_lo) * g_.in_w + j_lo) * c;
                    for (Index ch = 0; ch < c; ++ch) {
                        y[ch] = x[first + ch];
                        arg[ch] = first + ch;
                    }
                    for (Index i = i_lo; i < i_hi; ++i)
                        for (Index j = (i == i_lo ? j_lo + 1 : j_lo); j < j_hi; ++j) {
                            const Index at = ((b * g_.in_h + i) * g_.in_w + j) * c;
                            const T* xp = x.data() + at;
                            for (Index ch = 0; ch < c; ++ch)
                                if (xp[ch] > y[ch]) {
                                    y[ch] = xp[ch];
                                    arg[ch] = at + ch;
                                }
                        }
                }
            }
        return y_;
    }

    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        if (dy.shape() != y_.shape())
            throw ShapeError("polytag::MaxPool2d::backward: dy " + dy.shape().str() + " vs output " +
                             y_.shape().str());
        if (!need_dx) return {};
        dx_.resize(in_);
        dx_.set_zero();
        const Index n = dy.size();
        for (Index e = 0; e < n; ++e) dx_[argmax_[e]] += dy[e];
        return dx_;
    }

    /// Flat input index of each output element's winner in the last forward.
    const Tensor<Index>& argmax() const { return argmax_; }

private:
    struct Geometry {
        Index in_h = 0, in_w = 0, out_h = 0, out_w = 0, pad_top = 0, pad_left = 0;
    };
    Geometry geometry(Index h, Index w, const Shape& shown) const {
        const detail::WindowAxis ah = detail::window_axis(h, kernel_.h, stride_.h, padding_);
        const detail::WindowAxis aw = detail::window_axis(w, kernel_.w, stride_.w, padding_);
        if (ah.out < 1 || aw.out < 1)
            throw ShapeError("polytag::MaxPool2d: a " + kernel_.str() + " " + padding_name(padding_) +
                             " window does not fit input " + shown.str());
        return {h, w, ah.out, aw.out, ah.pad_before, aw.pad_before};
    }

    Size2d kernel_, stride_;
    Padding padding_;
    Shape in_;
    Geometry g_;
    Tensor<T> y_, dx_;
    Tensor<Index> argmax_;
};

}  // namespace polytag
