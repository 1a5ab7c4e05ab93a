#pragma once
// The layer concept. A layer L<T> (T = float or double) provides:
//
//   Shape output_shape(const Shape& in) const;
//       Per-sample output shape for a per-sample input shape (batch axis excluded);
//       throws ShapeError when the input does not fit. Sequential calls it once, when built.
//   TensorView<const T> forward(TensorView<const T> x, Mode mode);
//       x is a batch, shape (B, in...). Returns a view of the layer's own output buffer,
//       valid until the next forward (an identity, e.g. Dropout in Eval, may return x itself,
//       and then dy itself from backward). The layer may keep the view of x for backward, so
//       the caller keeps x alive until backward returns.
//   TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true);
//       dy = dLoss/dy for the last forward. Overwrites the layer's parameter gradients
//       and returns dLoss/dx (own buffer), or an empty view when need_dx is false (the first
//       layer of a network never needs it, and skipping it saves a GEMM).
//   void parameters(ParameterList<T>& out, const std::string& prefix);
//       Appends (name, value, gradient) views of its parameters, names prefixed ("0.weight").
//   void init(Rng& rng);
//       Deterministic initialisation from the generator (no-op for parameter-free layers).
//
// Buffers are Tensors resized per batch: they allocate only when a batch is larger than any
// before, so after the first training step nothing allocates.
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "polytag/tensor/random.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag {

enum class Mode { Train, Eval };

/// A named parameter and its gradient, both views into the owning layer.
template <typename T>
struct Parameter {
    std::string name;
    TensorView<T> value;
    TensorView<T> grad;
};

template <typename T>
using ParameterList = std::vector<Parameter<T>>;

namespace detail {
/// Throws unless `x` is a batch of `per_sample`-shaped samples.
inline void check_batch(const char* layer, const Shape& x, const Shape& per_sample) {
    if (x.rank() != per_sample.rank() + 1 || x.drop_front() != per_sample)
        throw ShapeError(std::string("polytag::") + layer + ": input " + x.str() + " is not a batch of " +
                         per_sample.str());
}
}  // namespace detail

/// Compile-time check of the layer concept above, as dlib's trainer does: a class that misses a
/// member fails with one readable message naming the member instead of pages of template
/// errors. Containers (Sequential, ...) apply it to every layer they are given.
template <typename L>
struct LayerTraits {
private:
    template <typename U> static auto scalar(int) -> typename U::Scalar;
    template <typename U> static void scalar(...);
    template <typename U, typename S>
    static auto has_output_shape(int)
        -> decltype(std::declval<const U&>().output_shape(std::declval<const Shape&>()), std::true_type{});
    template <typename U, typename S> static std::false_type has_output_shape(...);
    template <typename U, typename S>
    static auto has_forward(int) -> std::is_convertible<
        decltype(std::declval<U&>().forward(std::declval<TensorView<const S>>(), Mode::Train)), TensorView<const S>>;
    template <typename U, typename S> static std::false_type has_forward(...);
    template <typename U, typename S>
    static auto has_backward(int) -> std::is_convertible<
        decltype(std::declval<U&>().backward(std::declval<TensorView<const S>>(), true)), TensorView<const S>>;
    template <typename U, typename S> static std::false_type has_backward(...);
    template <typename U, typename S>
    static auto has_parameters(int) -> decltype(std::declval<U&>().parameters(std::declval<ParameterList<S>&>(),
                                                                               std::declval<const std::string&>()),
                                                std::true_type{});
    template <typename U, typename S> static std::false_type has_parameters(...);
    template <typename U>
    static auto has_init(int) -> decltype(std::declval<U&>().init(std::declval<Rng&>()), std::true_type{});
    template <typename U> static std::false_type has_init(...);

public:
    using Scalar = decltype(scalar<L>(0));
    static constexpr bool scalar_ok = std::is_floating_point<Scalar>::value;
    using S = std::conditional_t<scalar_ok, Scalar, float>;
    static constexpr bool output_shape_ok = decltype(has_output_shape<L, S>(0))::value;
    static constexpr bool forward_ok = decltype(has_forward<L, S>(0))::value;
    static constexpr bool backward_ok = decltype(has_backward<L, S>(0))::value;
    static constexpr bool parameters_ok = decltype(has_parameters<L, S>(0))::value;
    static constexpr bool init_ok = decltype(has_init<L>(0))::value;
    static constexpr bool value = scalar_ok && output_shape_ok && forward_ok && backward_ok && parameters_ok && init_ok;
};

/// True when L follows the layer concept.
template <typename L>
inline constexpr bool is_layer_v = LayerTraits<L>::value;

/// static_asserts each member of the concept separately, so the message names what is missing.
template <typename L>
constexpr bool check_layer() {
    using T = LayerTraits<L>;
    static_assert(T::scalar_ok, "polytag layer concept: the layer needs `using Scalar = float or double;`");
    static_assert(T::output_shape_ok, "polytag layer concept: missing `Shape output_shape(const Shape&) const`");
    static_assert(T::forward_ok,
                  "polytag layer concept: missing `TensorView<const Scalar> forward(TensorView<const Scalar>, Mode)`");
    static_assert(T::backward_ok,
                  "polytag layer concept: missing `TensorView<const Scalar> backward(TensorView<const Scalar>, bool)`");
    static_assert(T::parameters_ok,
                  "polytag layer concept: missing `void parameters(ParameterList<Scalar>&, const std::string&)`");
    static_assert(T::init_ok, "polytag layer concept: missing `void init(Rng&)`");
    return T::value;
}

}  // namespace polytag
