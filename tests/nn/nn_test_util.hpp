#pragma once
// Helpers shared by the nn layer tests.
#include <algorithm>
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

/// `layer` with some parameters hidden from the gradient check (by full name). For
/// parameters whose true gradient is exactly 0, where central differences only measure
/// rounding noise: AttentionPool's bias, which the softmax over frames cancels.
template <typename Layer>
struct ExcludeParameters {
    using Scalar = typename Layer::Scalar;
    Layer& layer;
    std::vector<std::string> excluded;
    TensorView<const Scalar> forward(TensorView<const Scalar> x, Mode m) { return layer.forward(x, m); }
    TensorView<const Scalar> backward(TensorView<const Scalar> dy, bool need_dx = true) {
        return layer.backward(dy, need_dx);
    }
    void parameters(ParameterList<Scalar>& out, const std::string& prefix) {
        ParameterList<Scalar> all;
        layer.parameters(all, prefix);
        for (auto& p : all)
            if (std::find(excluded.begin(), excluded.end(), p.name) == excluded.end()) out.push_back(p);
    }
};
template <typename Layer>
ExcludeParameters<Layer> exclude_parameters(Layer& layer, std::vector<std::string> names) {
    return {layer, std::move(names)};
}

}  // namespace polytag::test
