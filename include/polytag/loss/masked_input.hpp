#pragma once
// Shared checks for the masked multi-task losses: pred, target and mask are all (B, K)
// (more generally: equal shapes, tasks on the last axis), and per-task weights have K entries.
#include <cmath>
#include <string>
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

}  // namespace polytag::detail
