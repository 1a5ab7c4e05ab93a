#pragma once
// Comparing polytag's values with a recorded PyTorch fixture (tests/data/parity/*.npz).
#include <algorithm>
#include <cmath>

#include <catch2/catch.hpp>

#include "polytag/tensor/tensor.hpp"

namespace polytag::test {

/// Largest |a - b| / max(1, |b|) over all elements; NaN counts as a failure (1e9).
inline double parity_deviation(TensorView<const float> actual, TensorView<const float> expected) {
    REQUIRE(actual.shape() == expected.shape());
    double worst = 0;
    for (Index i = 0; i < actual.size(); ++i) {
        const double e = std::abs(double(actual[i]) - double(expected[i])) / std::max(1.0, std::abs(double(expected[i])));
        if (!(e <= worst)) worst = std::isnan(e) ? 1e9 : e;
    }
    return worst;
}

}  // namespace polytag::test
