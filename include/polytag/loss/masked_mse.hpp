#pragma once
// MaskedMse<T>: mean squared error over the observed labels of a multi-task batch.
//
//   L = sum_{b,k} w_k * m_bk * (p_bk - y_bk)^2 / max(1, N),   N = number of observed entries
//
// pred, target and mask are (B, K) (any equal shapes; tasks on the last axis). The mask is
// binary: 0 = unobserved, any other finite value = observed (it is not a soft weight). An
// unobserved entry is skipped entirely, never multiplied by 0, so its target may be NaN or any
// placeholder and still cannot reach the loss or the gradient. A row or task without labels
// contributes nothing; an all-unobserved batch gives L = 0 and a zero gradient.
// Observed entries must be finite: a NaN/inf prediction or target there is a ValueError
// naming (row, task), so a diverging model stops loudly instead of training on NaN.
// w_k are optional per-task weights (default 1); they scale terms, not the denominator N.
#include <vector>

#include "polytag/loss/masked_loss.hpp"

namespace polytag {

template <typename T>
class MaskedMse : public detail::MaskedLoss<T, MaskedMse<T>> {
public:
    static constexpr const char* kName = "MaskedMse";

    MaskedMse() = default;
    explicit MaskedMse(std::vector<T> task_weights) { this->set_task_weights(std::move(task_weights)); }

    void term(T p, T y, Index flat, Index tasks, T& l, T& dl) const {
        if (!std::isfinite(p) || !std::isfinite(y))
            throw ValueError(std::string("polytag::MaskedMse: observed ") + (std::isfinite(y) ? "prediction" : "target") +
                             " is not finite at " + detail::masked_position(flat, tasks));
        const T d = p - y;
        l = d * d;
        dl = T(2) * d;
    }
};

}  // namespace polytag
