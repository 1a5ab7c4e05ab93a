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

#include "polytag/loss/masked_input.hpp"

namespace polytag {

template <typename T>
class MaskedMse {
public:
    using Scalar = T;

    MaskedMse() = default;
    explicit MaskedMse(std::vector<T> task_weights) { set_task_weights(std::move(task_weights)); }

    /// K finite non-negative weights, or empty for all 1. The count is checked at forward.
    void set_task_weights(std::vector<T> w) {
        detail::check_task_weights("MaskedMse", w, w.empty() ? 0 : static_cast<Index>(w.size()));
        weights_ = std::move(w);
    }
    const std::vector<T>& task_weights() const { return weights_; }

    /// Computes the loss and, into an internal buffer, dL/dpred. Allocates only when the batch
    /// is larger than any before.
    T forward(TensorView<const T> pred, TensorView<const T> target, TensorView<const T> mask) {
        detail::check_masked_shapes("MaskedMse", pred.shape(), target.shape(), mask.shape());
        const Index tasks = pred.shape().cols();
        detail::check_task_weights("MaskedMse", weights_, tasks);
        grad_.resize(pred.shape());
        const Index n = pred.size();
        const T* p = pred.data();
        const T* y = target.data();
        const T* m = mask.data();
        T* g = grad_.data();
        Index observed = 0;
        for (Index i = 0; i < n; ++i) observed += detail::is_observed("MaskedMse", m[i], i, tasks) ? 1 : 0;
        observed_ = observed;
        const T inv_n = T(1) / T(observed > 1 ? observed : 1);
        T sum = 0;
        for (Index i = 0; i < n; ++i) {
            if (m[i] == T(0)) {
                g[i] = T(0);
                continue;
            }
            if (!std::isfinite(p[i]) || !std::isfinite(y[i]))
                throw ValueError(std::string("polytag::MaskedMse: observed ") + (std::isfinite(y[i]) ? "prediction" : "target") +
                                 " is not finite at " + detail::masked_position(i, tasks));
            const T w = weights_.empty() ? T(1) : weights_[static_cast<std::size_t>(i % tasks)];
            const T d = p[i] - y[i];
            sum += w * d * d;
            g[i] = T(2) * w * d * inv_n;
        }
        loss_ = sum * inv_n;
        return loss_;
    }

    /// dL/dpred of the last forward (zero where unobserved), valid until the next forward.
    TensorView<const T> backward() const { return grad_.view(); }

    T loss() const { return loss_; }
    /// Number of observed entries in the last batch (the denominator N, before max(1, .)).
    Index observed() const { return observed_; }

private:
    std::vector<T> weights_;
    Tensor<T> grad_;
    T loss_ = 0;
    Index observed_ = 0;
};

}  // namespace polytag
