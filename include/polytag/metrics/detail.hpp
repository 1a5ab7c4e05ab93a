#pragma once
// Shared checks for the metric kernels: scores and labels are any random-access containers
// with size() and operator[] (std::vector, Tensor rows gathered into vectors, ...); a label
// counts as positive when it is non-zero.
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "polytag/error.hpp"

namespace polytag::metrics::detail {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

template <typename Scores, typename Labels>
void check_inputs(const char* who, const Scores& scores, const Labels& labels) {
    if (scores.size() != labels.size())
        throw ShapeError(std::string("polytag::metrics::") + who + ": " + std::to_string(scores.size()) + " scores but " +
                         std::to_string(labels.size()) + " labels");
    for (std::size_t i = 0; i < scores.size(); ++i)
        if (std::isnan(static_cast<double>(scores[i])))
            throw ValueError(std::string("polytag::metrics::") + who + ": score " + std::to_string(i) + " is NaN");
}

/// Indices of `scores` ordered by descending score (ties in index order).
template <typename Scores>
std::vector<std::size_t> order_descending(const Scores& scores) {
    std::vector<std::size_t> idx(scores.size());
    std::iota(idx.begin(), idx.end(), std::size_t(0));
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
        return static_cast<double>(scores[a]) > static_cast<double>(scores[b]);
    });
    return idx;
}

}  // namespace polytag::metrics::detail
