#pragma once
// AdamW<T>: torch.optim.AdamW. Decoupled, learning-rate-scaled weight decay applied to the
// parameter before the Adam update, and never folded into the moments:
//
//   p  *= 1 - lr * weight_decay
//   m   = beta1 m + (1 - beta1) grad ;  v = beta2 v + (1 - beta2) grad^2
//   p  -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//
// Defaults as torch (weight_decay 0.01). Same step counter, state and no-allocation contract
// as Adam (adam.hpp); state keys start with "adamw.".
#include "polytag/optim/adam.hpp"

namespace polytag {

template <typename T>
struct AdamWOptions {
    T lr = T(1e-3);
    T beta1 = T(0.9);
    T beta2 = T(0.999);
    T eps = T(1e-8);
    T weight_decay = T(0.01);  ///< decoupled: p *= 1 - lr * weight_decay each step
};

template <typename T>
class AdamW : public detail::AdamImpl<T, true> {
public:
    explicit AdamW(ParameterList<T> params, const AdamWOptions<T>& options = {})
        : detail::AdamImpl<T, true>(std::move(params), options) {}
    AdamW(ParameterList<T> params, T lr, T weight_decay = T(0.01))
        : AdamW(std::move(params), AdamWOptions<T>{lr, T(0.9), T(0.999), T(1e-8), weight_decay}) {}
};

}  // namespace polytag
