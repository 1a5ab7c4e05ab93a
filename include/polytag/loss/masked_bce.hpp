#pragma once
// MaskedBce<T>: binary cross-entropy over the observed labels of a multi-task batch.
//
//   L = sum_{b,k} w_k * m_bk * l(p_bk, y_bk) / max(1, N),   N = number of observed entries
//   l(p, y) = -(y log p + (1 - y) log(1 - p))
//
// Same masking contract as MaskedMse (masked_mse.hpp): the mask is binary, unobserved entries
// are skipped (their targets may be NaN), rows/tasks without labels contribute nothing, an
// all-unobserved batch gives L = 0 and a zero gradient. Targets may be soft, in [0, 1]
// (OpenMIC relevances are); observed targets outside [0, 1] or non-finite are a ValueError.
//
// Probabilities (default): p is clamped to [eps, 1 - eps] before the logs, so p = 0 or 1
// gives a large finite loss. The gradient is dl/dp evaluated at the clamped p,
// (p_c - y) / (p_c (1 - p_c)), also where the clamp is active ("straight-through"; torch's
// BCELoss likewise keeps a nonzero gradient there), so a saturated sigmoid is still pushed back.
//
// Logits (from_logits = true): pred holds z and p = sigmoid(z); the loss uses the stable form
// l = max(z, 0) - z y + log(1 + exp(-|z|)) and dl/dz = sigmoid(z) - y, as
// torch.nn.BCEWithLogitsLoss. No clamping is needed.
#include <algorithm>
#include <cmath>
#include <vector>

#include "polytag/loss/masked_input.hpp"

namespace polytag {

template <typename T>
class MaskedBce {
public:
    using Scalar = T;

    /// `eps` is the probability clamp (ignored with from_logits).
    explicit MaskedBce(bool from_logits = false, T eps = T(1e-7)) : from_logits_(from_logits), eps_(eps) {
        if (!(eps > T(0) && eps < T(0.5)))
            throw ValueError("polytag::MaskedBce: eps must be in (0, 0.5), got " + std::to_string(eps));
    }

    void set_task_weights(std::vector<T> w) {
        detail::check_task_weights("MaskedBce", w, w.empty() ? 0 : static_cast<Index>(w.size()));
        weights_ = std::move(w);
    }
    const std::vector<T>& task_weights() const { return weights_; }
    bool from_logits() const { return from_logits_; }
    T eps() const { return eps_; }

    /// Computes the loss and, into an internal buffer, dL/dpred (dL/dlogits with from_logits).
    T forward(TensorView<const T> pred, TensorView<const T> target, TensorView<const T> mask) {
        detail::check_masked_shapes("MaskedBce", pred.shape(), target.shape(), mask.shape());
        const Index tasks = pred.shape().cols();
        detail::check_task_weights("MaskedBce", weights_, tasks);
        grad_.resize(pred.shape());
        const Index n = pred.size();
        const T* p = pred.data();
        const T* y = target.data();
        const T* m = mask.data();
        T* g = grad_.data();
        Index observed = 0;
        for (Index i = 0; i < n; ++i) observed += detail::is_observed("MaskedBce", m[i], i, tasks) ? 1 : 0;
        observed_ = observed;
        const T inv_n = T(1) / T(observed > 1 ? observed : 1);
        T sum = 0;
        for (Index i = 0; i < n; ++i) {
            if (m[i] == T(0)) {
                g[i] = T(0);
                continue;
            }
            if (!std::isfinite(p[i]))
                throw ValueError("polytag::MaskedBce: observed prediction is not finite at " +
                                 detail::masked_position(i, tasks));
            if (!(y[i] >= T(0) && y[i] <= T(1)))
                throw ValueError("polytag::MaskedBce: observed target " + std::to_string(y[i]) + " at " +
                                 detail::masked_position(i, tasks) + " is not in [0, 1]");
            const T w = weights_.empty() ? T(1) : weights_[static_cast<std::size_t>(i % tasks)];
            T l, dl;
            if (from_logits_) {
                const T z = p[i];
                l = std::max(z, T(0)) - z * y[i] + std::log1p(std::exp(-std::abs(z)));
                const T s = z >= T(0) ? T(1) / (T(1) + std::exp(-z)) : std::exp(z) / (T(1) + std::exp(z));
                dl = s - y[i];
            } else {
                const T pc = std::min(std::max(p[i], eps_), T(1) - eps_);
                l = -(y[i] * std::log(pc) + (T(1) - y[i]) * std::log1p(-pc));
                dl = (pc - y[i]) / (pc * (T(1) - pc));
            }
            sum += w * l;
            g[i] = w * dl * inv_n;
        }
        loss_ = sum * inv_n;
        return loss_;
    }

    /// dL/dpred of the last forward (zero where unobserved), valid until the next forward.
    TensorView<const T> backward() const { return grad_.view(); }

    T loss() const { return loss_; }
    Index observed() const { return observed_; }

private:
    bool from_logits_;
    T eps_;
    std::vector<T> weights_;
    Tensor<T> grad_;
    T loss_ = 0;
    Index observed_ = 0;
};

}  // namespace polytag
