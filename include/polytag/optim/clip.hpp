#pragma once
// Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_ (L2 norm):
//
//   norm  = sqrt(sum over all parameters and elements of grad^2)
//   coef  = min(1, max_norm / (norm + 1e-6))
//   grad *= coef                       (every gradient, so their directions are kept)
//
// Returns the norm BEFORE clipping (what torch returns, and what is worth logging). The sum
// of squares is accumulated in double, so float gradients cannot overflow it. Like torch, a
// non-finite norm scales the gradients by NaN/0 unless error_if_nonfinite asks for a
// ValueError instead. Allocates nothing.
#include <cmath>
#include <string>

#include "polytag/error.hpp"
#include "polytag/nn/layer.hpp"

namespace polytag {

template <typename T>
T grad_norm(const ParameterList<T>& params) {
    double sq = 0;
    for (const auto& p : params) sq += p.grad.vector().template cast<double>().squaredNorm();
    return T(std::sqrt(sq));
}

template <typename T>
T clip_grad_norm(const ParameterList<T>& params, T max_norm, bool error_if_nonfinite = false) {
    if (!(max_norm >= T(0)))
        throw ValueError("polytag::clip_grad_norm: max_norm must be >= 0, got " + std::to_string(max_norm));
    const T norm = grad_norm(params);
    if (error_if_nonfinite && !std::isfinite(norm))
        throw ValueError("polytag::clip_grad_norm: the gradient norm is " + std::to_string(norm) +
                         ", so it cannot be clipped");
    T coef = max_norm / (norm + T(1e-6));
    if (!(coef < T(1)) && !std::isnan(coef)) return norm;  // clamp(max=1): scaling by 1 is a no-op
    for (const auto& p : params) p.grad.array() *= coef;
    return norm;
}

}  // namespace polytag
