#pragma once
// Dense<T>: y = x W^T + b over the last axis of x (any leading axes, so the same layer
// runs per frame on (batch, frames, features) input). W is (out, in) as in torch.nn.Linear.
#include <cmath>

#include "polytag/nn/layer.hpp"
#include "polytag/tensor/kernels.hpp"

namespace polytag {

enum class Init {
    He,      ///< normal(0, sqrt(2 / in)): for ReLU-family activations
    Glorot,  ///< uniform(+-sqrt(6 / (in + out))): for tanh / sigmoid / linear outputs
};

template <typename T>
class Dense {
public:
    using Scalar = T;

    Dense(Index in, Index out, Init init = Init::He)
        : in_(in), out_(out), init_(init), weight_(Shape{out, in}, T(0)), bias_(Shape{out}, T(0)),
          dweight_(Shape{out, in}, T(0)), dbias_(Shape{out}, T(0)) {
        if (in < 1 || out < 1)
            throw ShapeError("polytag::Dense: features must be positive, got in=" + std::to_string(in) +
                             " out=" + std::to_string(out));
    }

    Index in_features() const { return in_; }
    Index out_features() const { return out_; }
    Init init_kind() const { return init_; }

    Shape output_shape(const Shape& in) const {
        if (in.rank() < 1 || in[in.rank() - 1] != in_)
            throw ShapeError("polytag::Dense: expects last axis " + std::to_string(in_) + ", input is " + in.str());
        return in.with_dim(in.rank() - 1, out_);
    }

    void init(Rng& rng) {
        if (init_ == Init::He) {
            const double sd = std::sqrt(2.0 / double(in_));
            for (auto& w : weight_) w = T(rng.normal(0.0, sd));
        } else {
            const double a = std::sqrt(6.0 / double(in_ + out_));
            for (auto& w : weight_) w = T(rng.uniform(-a, a));
        }
        bias_.set_zero();
    }

    TensorView<const T> forward(TensorView<const T> x, Mode) {
        if (x.rank() < 2 || x.shape().cols() != in_)
            throw ShapeError("polytag::Dense: expects last axis " + std::to_string(in_) + ", input is " +
                             x.shape().str());
        x_ = x;
        y_.resize(x.shape().with_dim(x.rank() - 1, out_));
        gemm<T>(Trans::No, Trans::Yes, T(1), x.mref(), weight_.mref(), T(0), y_.mref());
        add_bias<T>(y_.mref(), bias_.data());
        return y_;
    }

    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        if (dy.shape() != y_.shape())
            throw ShapeError("polytag::Dense::backward: dy " + dy.shape().str() + " vs output " + y_.shape().str());
        gemm<T>(Trans::Yes, Trans::No, T(1), dy.mref(), x_.mref(), T(0), dweight_.mref());
        sum_rows<T>(dy.mref(), dbias_.data());
        if (!need_dx) return {};
        dx_.resize(x_.shape());
        gemm<T>(Trans::No, Trans::No, T(1), dy.mref(), weight_.mref(), T(0), dx_.mref());
        return dx_;
    }

    void parameters(ParameterList<T>& out, const std::string& prefix) {
        out.push_back({prefix + "weight", weight_.view(), dweight_.view()});
        out.push_back({prefix + "bias", bias_.view(), dbias_.view()});
    }

    Tensor<T>& weight() { return weight_; }
    Tensor<T>& bias() { return bias_; }
    const Tensor<T>& weight() const { return weight_; }
    const Tensor<T>& bias() const { return bias_; }

private:
    Index in_, out_;
    Init init_;
    Tensor<T> weight_, bias_, dweight_, dbias_;
    Tensor<T> y_, dx_;
    TensorView<const T> x_;
};

}  // namespace polytag
