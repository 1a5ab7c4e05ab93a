#pragma once
// Helpers shared by the nn layer tests.
#include <cmath>
#include <string>
#include <vector>

#include "polytag/nn/layer.hpp"
#include "support/gradcheck.hpp"

namespace polytag::test {

/// Uniform values with |v| in [gap, 1 + gap): keeps inputs away from the kink at 0 of
/// ReLU-like layers, so central differences never straddle it.
inline void fill_away_from_zero(Tensor<double>& t, Rng& rng, double gap = 0.1) {
    for (auto& v : t) {
        const double u = rng.uniform(-1, 1);
        v = u < 0 ? u - gap : u + gap;
    }
}

/// Fills every parameter of `layer` with uniform values in [lo, hi).
template <typename Layer>
void randomize_parameters(Layer& layer, Rng& rng, double lo = -1, double hi = 1) {
    ParameterList<typename Layer::Scalar> ps;
    layer.parameters(ps, "");
    for (auto& p : ps)
        for (auto& v : p.value) v = typename Layer::Scalar(rng.uniform(lo, hi));
}

}  // namespace polytag::test
