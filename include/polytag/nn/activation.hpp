#pragma once
// Element-wise activations on inputs of any shape: Relu, LeakyRelu, Gelu (exact erf form,
// torch's default), Sigmoid and Tanh. Each is a parameter-free layer (nn/layer.hpp); the
// shared bookkeeping lives in detail::Elementwise, a layer only says how to map x -> y and
// dy -> dx. The maps are Eigen array expressions or plain loops the compiler vectorises.
#include <cmath>
#include <string>
#include <type_traits>

#include "polytag/nn/layer.hpp"
#include "polytag/tensor/kernels.hpp"

namespace polytag {

namespace detail {

/// CRTP base of the element-wise layers. Derived provides
///   static constexpr const char* kName;
///   void map(ConstArray x, Array y) const;                          // y = f(x)
///   void gradient(ConstArray x, ConstArray y, ConstArray dy, Array dx) const;
template <typename T, typename Derived>
class Elementwise {
public:
    using Scalar = T;
    using ConstArray = typename TensorView<const T>::ArrayMap;
    using Array = typename TensorView<T>::ArrayMap;

    Shape output_shape(const Shape& in) const { return in; }
    void init(Rng&) {}
    void parameters(ParameterList<T>&, const std::string&) {}

    TensorView<const T> forward(TensorView<const T> x, Mode) {
        x_ = x;
        y_.resize(x.shape());
        self().map(x.array(), y_.array());
        return y_;
    }

    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        if (dy.shape() != y_.shape())
            throw ShapeError(std::string("polytag::") + Derived::kName + "::backward: dy " + dy.shape().str() +
                             " vs output " + y_.shape().str());
        if (!need_dx) return {};
        dx_.resize(dy.shape());
        const Tensor<T>& y = y_;
        self().gradient(x_.array(), y.array(), dy.array(), dx_.array());
        return dx_;
    }

private:
    const Derived& self() const { return static_cast<const Derived&>(*this); }
    TensorView<const T> x_;
    Tensor<T> y_, dx_;
};

}  // namespace detail

/// max(x, 0). The derivative at 0 is taken as 0, as torch does.
template <typename T>
class Relu : public detail::Elementwise<T, Relu<T>> {
    using Base = detail::Elementwise<T, Relu<T>>;

public:
    static constexpr const char* kName = "Relu";
    void map(typename Base::ConstArray x, typename Base::Array y) const {
#if POLYTAG_X86_DISPATCH && !defined(__AVX2__)
        if constexpr (std::is_same_v<T, float>) {  // without AVX2: the AVX2 kernel where the CPU has it
            if (detail::cpu_has_avx2_fma()) return detail::relu_avx2(x.data(), y.data(), y.size());
        }
#endif
        y = x.max(T(0));
    }
    void gradient(typename Base::ConstArray, typename Base::ConstArray y, typename Base::ConstArray dy,
                  typename Base::Array dx) const {
        relu_backward<T>(y.data(), dy.data(), dx.data(), dx.size());
    }
};

/// x for x > 0, slope * x otherwise (torch.nn.LeakyReLU, default slope 0.01).
template <typename T>
class LeakyRelu : public detail::Elementwise<T, LeakyRelu<T>> {
    using Base = detail::Elementwise<T, LeakyRelu<T>>;

public:
    static constexpr const char* kName = "LeakyRelu";
    explicit LeakyRelu(T slope = T(0.01)) : slope_(slope) {}
    T slope() const { return slope_; }
    void map(typename Base::ConstArray x, typename Base::Array y) const {
        y = x.max(T(0)) + slope_ * x.min(T(0));  // branch-free, unlike select()
    }
    void gradient(typename Base::ConstArray x, typename Base::ConstArray, typename Base::ConstArray dy,
                  typename Base::Array dx) const {
        relu_backward<T>(x.data(), dy.data(), dx.data(), dx.size(), slope_);
    }

private:
    T slope_;
};

/// x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)): the exact GELU (torch.nn.GELU() default).
template <typename T>
class Gelu : public detail::Elementwise<T, Gelu<T>> {
    using Base = detail::Elementwise<T, Gelu<T>>;
    static constexpr T kInvSqrt2 = T(0.70710678118654752440);
    static constexpr T kInvSqrt2Pi = T(0.39894228040143267794);

public:
    static constexpr const char* kName = "Gelu";
    void map(typename Base::ConstArray x, typename Base::Array y) const {
        for (Index i = 0; i < x.size(); ++i) y[i] = T(0.5) * x[i] * (T(1) + std::erf(x[i] * kInvSqrt2));
    }
    // d/dx [x Phi(x)] = Phi(x) + x phi(x)
    void gradient(typename Base::ConstArray x, typename Base::ConstArray, typename Base::ConstArray dy,
                  typename Base::Array dx) const {
        for (Index i = 0; i < x.size(); ++i) {
            const T cdf = T(0.5) * (T(1) + std::erf(x[i] * kInvSqrt2));
            const T pdf = kInvSqrt2Pi * std::exp(T(-0.5) * x[i] * x[i]);
            dx[i] = dy[i] * (cdf + x[i] * pdf);
        }
    }
};

/// 1 / (1 + exp(-x)). For very negative x, exp(-x) overflows to inf and y is exactly 0.
template <typename T>
class Sigmoid : public detail::Elementwise<T, Sigmoid<T>> {
    using Base = detail::Elementwise<T, Sigmoid<T>>;

public:
    static constexpr const char* kName = "Sigmoid";
    void map(typename Base::ConstArray x, typename Base::Array y) const {
        // exp_elementwise, not Eigen's exp: the same bits for a clip at any position in a batch.
        y = -x;
        exp_elementwise(y.data(), y.data(), y.size());
        y = (T(1) + y).inverse();
    }
    void gradient(typename Base::ConstArray, typename Base::ConstArray y, typename Base::ConstArray dy,
                  typename Base::Array dx) const {
        dx = dy * y * (T(1) - y);
    }
};

template <typename T>
class Tanh : public detail::Elementwise<T, Tanh<T>> {
    using Base = detail::Elementwise<T, Tanh<T>>;

public:
    static constexpr const char* kName = "Tanh";
    void map(typename Base::ConstArray x, typename Base::Array y) const { y = x.tanh(); }
    void gradient(typename Base::ConstArray, typename Base::ConstArray y, typename Base::ConstArray dy,
                  typename Base::Array dx) const {
        dx = dy * (T(1) - y.square());
    }
};

}  // namespace polytag
