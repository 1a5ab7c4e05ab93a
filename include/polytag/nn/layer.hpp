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

}  // namespace polytag
