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

#include "polytag/loss/masked_loss.hpp"

namespace polytag {

template <typename T>
class MaskedBce : public detail::MaskedLoss<T, MaskedBce<T>> {
public:
    static constexpr const char* kName = "MaskedBce";

    /// `eps` is the probability clamp (ignored with from_logits).
    explicit MaskedBce(bool from_logits = false, T eps = T(1e-7)) : from_logits_(from_logits), eps_(eps) {
        if (!(eps > T(0) && eps < T(0.5)))
            throw ValueError("polytag::MaskedBce: eps must be in (0, 0.5), got " + std::to_string(eps));
    }
    bool from_logits() const { return from_logits_; }
    T eps() const { return eps_; }

    void term(T p, T y, Index flat, Index tasks, T& l, T& dl) const {
        if (!std::isfinite(p))
            throw ValueError("polytag::MaskedBce: observed prediction is not finite at " +
                             detail::masked_position(flat, tasks));
        if (!(y >= T(0) && y <= T(1)))
            throw ValueError("polytag::MaskedBce: observed target " + std::to_string(y) + " at " +
                             detail::masked_position(flat, tasks) + " is not in [0, 1]");
        if (from_logits_) {
            const T z = p;
            l = std::max(z, T(0)) - z * y + std::log1p(std::exp(-std::abs(z)));
            const T s = z >= T(0) ? T(1) / (T(1) + std::exp(-z)) : std::exp(z) / (T(1) + std::exp(z));
            dl = s - y;
        } else {
            const T pc = std::min(std::max(p, eps_), T(1) - eps_);
            l = -(y * std::log(pc) + (T(1) - y) * std::log1p(-pc));
            dl = (pc - y) / (pc * (T(1) - pc));
        }
    }

private:
    bool from_logits_;
    T eps_;
};

}  // namespace polytag
