#pragma once
// LayerNorm<T>(features, eps): normalises each row over the last axis,
//   y = (x - mean) / sqrt(var + eps) * weight + bias     (var biased, as torch.nn.LayerNorm)
// with learned per-feature weight (init 1) and bias (init 0). Any leading axes.
#include <cmath>
#include <string>

#include "polytag/nn/layer.hpp"
#include "polytag/tensor/kernels.hpp"

namespace polytag {

template <typename T>
class LayerNorm {
public:
    using Scalar = T;

    explicit LayerNorm(Index features, double eps = 1e-5)
        : features_(features), eps_(eps), weight_(Shape{features}, T(1)), bias_(Shape{features}, T(0)),
          dweight_(Shape{features}, T(0)), dbias_(Shape{features}, T(0)) {
        if (features < 1)
            throw ShapeError("polytag::LayerNorm: features must be positive, got " + std::to_string(features));
        if (!(eps > 0)) throw ValueError("polytag::LayerNorm: eps must be positive, got " + std::to_string(eps));
    }

    Index features() const { return features_; }
    double eps() const { return eps_; }

    Shape output_shape(const Shape& in) const {
        if (in.rank() < 1 || in[in.rank() - 1] != features_)
            throw ShapeError("polytag::LayerNorm: expects last axis " + std::to_string(features_) + ", input is " +
                             in.str());
        return in;
    }

    /// Resets to the identity transform (weight 1, bias 0), as torch initialises it.
    void init(Rng&) {
        weight_.fill(T(1));
        bias_.set_zero();
    }

    TensorView<const T> forward(TensorView<const T> x, Mode) {
        if (x.rank() < 2 || x.shape().cols() != features_)
            throw ShapeError("polytag::LayerNorm: expects last axis " + std::to_string(features_) + ", input is " +
                             x.shape().str());
        const Index rows = x.shape().rows(), d = features_;
        xhat_.resize(x.shape());
        y_.resize(x.shape());
        rstd_.resize(Shape{rows});
        auto g = weight_.array();
        auto b = bias_.array();
        for (Index r = 0; r < rows; ++r) {
            Eigen::Map<const detail::EigenArray<T>> xr(x.data() + r * d, d);
            Eigen::Map<detail::EigenArray<T>> xh(xhat_.data() + r * d, d), yr(y_.data() + r * d, d);
            const T mean = xr.mean();
            xh = xr - mean;
            const T rstd = T(1) / std::sqrt(xh.square().mean() + T(eps_));
            xh *= rstd;
            rstd_[r] = rstd;
            yr = xh * g + b;
        }
        return y_;
    }

    // With g = dy * weight:  dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        if (dy.shape() != y_.shape())
            throw ShapeError("polytag::LayerNorm::backward: dy " + dy.shape().str() + " vs output " +
                             y_.shape().str());
        const Index rows = dy.shape().rows(), d = features_;
        dweight_.vector() = (dy.matrix().array() * xhat_.matrix().array()).colwise().sum().transpose().matrix();
        sum_rows<T>(dy.mref(), dbias_.data());
        if (!need_dx) return {};
        dx_.resize(dy.shape());
        auto w = weight_.array();
        for (Index r = 0; r < rows; ++r) {
            Eigen::Map<const detail::EigenArray<T>> dyr(dy.data() + r * d, d), xh(xhat_.data() + r * d, d);
            Eigen::Map<detail::EigenArray<T>> dxr(dx_.data() + r * d, d);
            dxr = dyr * w;  // g, built in place
            const T mean_g = dxr.mean();
            const T mean_gx = (dxr * xh).mean();
            dxr = rstd_[r] * (dxr - mean_g - xh * mean_gx);
        }
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
    Index features_;
    double eps_;
    Tensor<T> weight_, bias_, dweight_, dbias_;
    Tensor<T> xhat_, rstd_, y_, dx_;
};

}  // namespace polytag
