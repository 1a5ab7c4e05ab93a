#pragma once
// Fixed pooling over the time axis: (batch, frames, features) -> (batch, features).
// MeanPool averages the frames; MaxPool takes the per-feature maximum (the first frame
// wins a tie, and it alone receives the gradient). The number of frames may change from
// batch to batch. Learned pooling is in nn/attention_pool.hpp.
#include <string>

#include "polytag/nn/layer.hpp"

namespace polytag {

namespace detail {
/// Shape checks shared by the frame poolings. `in` is per-sample (frames, features).
inline Shape pooled_shape(const char* layer, const Shape& in) {
    if (in.rank() != 2 || in[0] < 1)
        throw ShapeError(std::string("polytag::") + layer + ": expects (frames, features) per sample, input is " +
                         in.str());
    return Shape{in[1]};
}
inline void check_frames_batch(const char* layer, const Shape& x) {
    if (x.rank() != 3 || x[1] < 1)
        throw ShapeError(std::string("polytag::") + layer + ": expects (batch, frames, features), input is " +
                         x.str());
}
}  // namespace detail

template <typename T>
class MeanPool {
public:
    using Scalar = T;

    Shape output_shape(const Shape& in) const { return detail::pooled_shape("MeanPool", in); }
    void init(Rng&) {}
    void parameters(ParameterList<T>&, const std::string&) {}

    TensorView<const T> forward(TensorView<const T> x, Mode) {
        detail::check_frames_batch("MeanPool", x.shape());
        in_ = x.shape();
        const Index batch = in_[0], frames = in_[1], d = in_[2];
        y_.resize(Shape{batch, d});
        const T inv = T(1) / T(frames);
        for (Index b = 0; b < batch; ++b)
            y_.matrix().row(b) = MatrixRef<const T>(x.data() + b * frames * d, frames, d).map().colwise().sum() * inv;
        return y_;
    }

    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        if (dy.shape() != y_.shape())
            throw ShapeError("polytag::MeanPool::backward: dy " + dy.shape().str() + " vs output " +
                             y_.shape().str());
        if (!need_dx) return {};
        const Index batch = in_[0], frames = in_[1], d = in_[2];
        dx_.resize(in_);
        const T inv = T(1) / T(frames);
        // Row by row: Eigen's `.rowwise() = expr` would evaluate expr into a heap temporary per row.
        for (Index b = 0; b < batch; ++b) {
            auto dxb = MatrixRef<T>(dx_.data() + b * frames * d, frames, d).map();
            for (Index f = 0; f < frames; ++f) dxb.row(f) = dy.matrix().row(b) * inv;
        }
        return dx_;
    }

private:
    Shape in_;
    Tensor<T> y_, dx_;
};

template <typename T>
class MaxPool {
public:
    using Scalar = T;

    Shape output_shape(const Shape& in) const { return detail::pooled_shape("MaxPool", in); }
    void init(Rng&) {}
    void parameters(ParameterList<T>&, const std::string&) {}

    TensorView<const T> forward(TensorView<const T> x, Mode) {
        detail::check_frames_batch("MaxPool", x.shape());
        in_ = x.shape();
        const Index batch = in_[0], frames = in_[1], d = in_[2];
        y_.resize(Shape{batch, d});
        argmax_.resize(Shape{batch, d});
        for (Index b = 0; b < batch; ++b) {
            const T* xb = x.data() + b * frames * d;
            T* y = y_.data() + b * d;
            Index* arg = argmax_.data() + b * d;
            for (Index j = 0; j < d; ++j) {
                y[j] = xb[j];
                arg[j] = 0;
            }
            for (Index f = 1; f < frames; ++f)
                for (Index j = 0; j < d; ++j)
                    if (xb[f * d + j] > y[j]) {
                        y[j] = xb[f * d + j];
                        arg[j] = f;
                    }
        }
        return y_;
    }

    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        if (dy.shape() != y_.shape())
            throw ShapeError("polytag::MaxPool::backward: dy " + dy.shape().str() + " vs output " +
                             y_.shape().str());
        if (!need_dx) return {};
        const Index batch = in_[0], frames = in_[1], d = in_[2];
        dx_.resize(in_);
        dx_.set_zero();
        for (Index b = 0; b < batch; ++b)
            for (Index j = 0; j < d; ++j)
                dx_[(b * frames + argmax_[b * d + j]) * d + j] = dy[b * d + j];
        return dx_;
    }

    /// The winning frame of each (batch, feature) in the last forward.
    const Tensor<Index>& argmax() const { return argmax_; }

private:
    Shape in_;
    Tensor<T> y_, dx_;
    Tensor<Index> argmax_;
};

}  // namespace polytag
