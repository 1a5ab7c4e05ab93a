#pragma once
// detail::MaskedLoss: the machinery every masked multi-task loss shares. pred, target and
// mask are all (B, K) (more generally: equal shapes, tasks on the last axis); per-task
// weights have K entries; unobserved entries are skipped, never multiplied by 0; the mean is
// over observed entries. A loss only says what one observed term and its derivative are.
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag::detail {

/// Throws ShapeError unless pred, target and mask share one shape of rank >= 1.
inline void check_masked_shapes(const char* loss, const Shape& pred, const Shape& target, const Shape& mask) {
    if (pred.rank() < 1 || pred != target || pred != mask)
        throw ShapeError(std::string("polytag::") + loss + ": pred " + pred.str() + ", target " + target.str() +
                         " and mask " + mask.str() + " must have one shape (batch, tasks)");
}

/// Throws ValueError unless the task weights are empty (all 1) or K finite non-negative values.
template <typename T>
void check_task_weights(const char* loss, const std::vector<T>& w, Index tasks) {
    if (!w.empty() && static_cast<Index>(w.size()) != tasks)
        throw ShapeError(std::string("polytag::") + loss + ": " + std::to_string(w.size()) +
                         " task weights for " + std::to_string(tasks) + " tasks");
    for (std::size_t k = 0; k < w.size(); ++k)
        if (!std::isfinite(w[k]) || w[k] < T(0))
            throw ValueError(std::string("polytag::") + loss + ": task weight " + std::to_string(k) + " is " +
                             std::to_string(w[k]) + ", must be finite and >= 0");
}

/// "(row 3, task 7)" for error messages.
inline std::string masked_position(Index flat, Index tasks) {
    return "(row " + std::to_string(flat / tasks) + ", task " + std::to_string(flat % tasks) + ")";
}

/// Mask entries must be 0 (unobserved) or nonzero finite (observed); NaN is refused.
template <typename T>
bool is_observed(const char* loss, T m, Index flat, Index tasks) {
    if (std::isnan(m))
        throw ValueError(std::string("polytag::") + loss + ": mask is NaN at " + masked_position(flat, tasks));
    return m != T(0);
}

/// CRTP base of MaskedMse and MaskedBce. Derived provides
///   static constexpr const char* kName;
///   void term(T p, T y, Index flat, Index tasks, T& l, T& dl) const;   // l(p, y), dl/dp; validates
template <typename T, typename Derived>
class MaskedLoss {
public:
    using Scalar = T;

    /// K finite non-negative weights, or empty for all 1. The count is checked at forward.
    void set_task_weights(std::vector<T> w) {
        check_task_weights(Derived::kName, w, w.empty() ? 0 : static_cast<Index>(w.size()));
        weights_ = std::move(w);
    }
    const std::vector<T>& task_weights() const { return weights_; }

    /// Computes the loss and, into an internal buffer, dL/dpred. Allocates only when the batch
    /// is larger than any before.
    T forward(TensorView<const T> pred, TensorView<const T> target, TensorView<const T> mask) {
        const char* name = Derived::kName;
        check_masked_shapes(name, pred.shape(), target.shape(), mask.shape());
        const Index tasks = pred.shape().cols();
        check_task_weights(name, weights_, tasks);
        grad_.resize(pred.shape());
        const Index n = pred.size();
        const T* p = pred.data();
        const T* y = target.data();
        const T* m = mask.data();
        T* g = grad_.data();
        Index observed = 0;
        for (Index i = 0; i < n; ++i) observed += is_observed(name, m[i], i, tasks) ? 1 : 0;
        observed_ = observed;
        const T inv_n = T(1) / T(observed > 1 ? observed : 1);
        T sum = 0;
        for (Index i = 0; i < n; ++i) {
            if (m[i] == T(0)) {
                g[i] = T(0);
                continue;
            }
            T l, dl;
            static_cast<const Derived&>(*this).term(p[i], y[i], i, tasks, l, dl);
            const T w = weights_.empty() ? T(1) : weights_[static_cast<std::size_t>(i % tasks)];
            sum += w * l;
            g[i] = w * dl * inv_n;
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

}  // namespace polytag::detail
