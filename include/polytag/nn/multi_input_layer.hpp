#pragma once
// The multi-input layer concept: a layer that merges several tensors into one (Concat, Add).
// It is what a Network node with more than one input holds. A multi-input layer M<T> provides:
//
//   using Scalar = T;
//   Shape output_shape(const std::vector<Shape>& in) const;
//       Per-sample output shape for the per-sample input shapes, in input order; throws
//       ShapeError when they do not fit together. Network calls it once, when the node is added.
//   TensorView<const T> forward(const std::vector<TensorView<const T>>& xs, Mode mode);
//       xs are batches with one batch size. Returns a view of the layer's own buffer (or, for an
//       identity-like merge, of an input), valid until the next forward. The caller keeps the
//       inputs alive until backward returns.
//   const std::vector<TensorView<const T>>& backward(TensorView<const T> dy, const std::vector<bool>& need_dx);
//       dy = dLoss/dy for the last forward. Returns dLoss/dx_i for every input (own buffers or
//       dy itself), an empty view where need_dx[i] is false. Overwrites parameter gradients.
//   void parameters(ParameterList<T>& out, const std::string& prefix);
//   void init(Rng& rng);
//
// As for single-input layers (nn/layer.hpp), buffers are Tensors resized per batch.
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "polytag/nn/layer.hpp"

namespace polytag {

template <typename M>
struct MultiInputLayerTraits {
private:
    template <typename U> static auto scalar(int) -> typename U::Scalar;
    template <typename U> static void scalar(...);
    template <typename U, typename S>
    static auto has_output_shape(int)
        -> decltype(std::declval<const U&>().output_shape(std::declval<const std::vector<Shape>&>()), std::true_type{});
    template <typename U, typename S> static std::false_type has_output_shape(...);
    template <typename U, typename S>
    static auto has_forward(int) -> std::is_convertible<
        decltype(std::declval<U&>().forward(std::declval<const std::vector<TensorView<const S>>&>(), Mode::Train)),
        TensorView<const S>>;
    template <typename U, typename S> static std::false_type has_forward(...);
    template <typename U, typename S>
    static auto has_backward(int) -> std::is_convertible<
        decltype(std::declval<U&>().backward(std::declval<TensorView<const S>>(), std::declval<const std::vector<bool>&>())),
        const std::vector<TensorView<const S>>&>;
    template <typename U, typename S> static std::false_type has_backward(...);

public:
    using Scalar = decltype(scalar<M>(0));
    static constexpr bool scalar_ok = std::is_floating_point<Scalar>::value;
    using S = std::conditional_t<scalar_ok, Scalar, float>;
    static constexpr bool value = scalar_ok && decltype(has_output_shape<M, S>(0))::value &&
                                  decltype(has_forward<M, S>(0))::value && decltype(has_backward<M, S>(0))::value &&
                                  LayerTraits<M>::parameters_ok && LayerTraits<M>::init_ok;
};

/// True when M follows the multi-input layer concept.
template <typename M>
inline constexpr bool is_multi_input_layer_v = MultiInputLayerTraits<M>::value;

namespace detail {
/// Throws unless every input of a multi-input layer has the same batch size (and there is one).
template <typename T>
Index common_batch(const char* layer, const std::vector<TensorView<const T>>& xs) {
    if (xs.empty()) throw ShapeError(std::string("polytag::") + layer + ": no inputs");
    for (const auto& x : xs)
        if (x.rank() < 1 || x.dim(0) != xs[0].dim(0))
            throw ShapeError(std::string("polytag::") + layer + ": inputs " + xs[0].shape().str() + " and " +
                             x.shape().str() + " differ in batch size");
    return xs[0].dim(0);
}
}  // namespace detail

}  // namespace polytag
