#pragma once
// Central-difference gradient checks in double for anything that follows the layer
// concept (nn/layer.hpp). The scalar loss is L = sum(y * r) for a fixed random r, so
// dL/dy = r and every output element is exercised.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "polytag/nn/layer.hpp"

namespace polytag::test {

/// |a - n| / (|a| + |n|), the relative error of the checks. The denominator is floored at
/// `floor`: a central difference with h = 1e-6 on a loss of order 1 carries ~1e-10 of rounding
/// noise (1e-16 / h), so gradients below 1e-4 are held to that absolute accuracy (1e-6 x 1e-4)
/// instead of to a relative one the difference cannot resolve (seen: 3.2349417e-5 analytic
/// against 3.2349345e-5 numeric, 1.1e-6 relative, in a correct layer).
inline double rel_error(double analytic, double numeric, double floor = 1e-4) {
    return std::abs(analytic - numeric) / std::max(floor, std::abs(analytic) + std::abs(numeric));
}

struct GradCheckResult {
    double max_rel_error = 0;
    std::string worst;  // which input or parameter element
    void update(double e, const std::string& what) {
        if (e > max_rel_error || std::isnan(e)) {
            max_rel_error = std::isnan(e) ? 1e9 : e;
            worst = what;
        }
    }
};

/// One array whose elements are perturbed: `values` (changed in place and restored) and the
/// analytic gradient of the loss with respect to it.
struct Perturbed {
    std::string name;
    double* values;
    const double* analytic;
    Index size;
};

/// The central difference (L(v + h) - L(v - h)) / 2h of every element of every array against
/// its analytic gradient; names the worst element "<name>[<index>]".
template <typename Loss>
GradCheckResult compare_with_differences(Loss&& loss, const std::vector<Perturbed>& arrays, double h) {
    GradCheckResult res;
    for (const Perturbed& a : arrays)
        for (Index i = 0; i < a.size; ++i) {
            const double keep = a.values[i];
            a.values[i] = keep + h;
            const double lp = loss();
            a.values[i] = keep - h;
            const double lm = loss();
            a.values[i] = keep;
            res.update(rel_error(a.analytic[i], (lp - lm) / (2 * h)), a.name + "[" + std::to_string(i) + "]");
        }
    return res;
}

/// The parameters of `params` with copies of their gradients (kept in `grads`), as Perturbed.
inline void add_parameters(std::vector<Perturbed>& out, ParameterList<double>& params, std::vector<Tensor<double>>& grads) {
    grads.clear();
    grads.reserve(params.size());
    for (auto& p : params) grads.push_back(Tensor<double>::copy_of(p.grad));
    for (std::size_t k = 0; k < params.size(); ++k)
        out.push_back({params[k].name, params[k].value.data(), grads[k].data(), params[k].value.size()});
}

/// Checks dL/dx and dL/dparams of `layer` at input `x` (mode Train, but layers with
/// randomness must be deterministic between calls for this to make sense).
template <typename Layer>
GradCheckResult gradcheck(Layer& layer, Tensor<double>& x, std::uint64_t seed = 7, double h = 1e-6,
                          Mode mode = Mode::Train) {
    Rng rng(seed);
    auto y0 = layer.forward(x, mode);
    Tensor<double> r(y0.shape());
    for (auto& v : r) v = rng.uniform(-1, 1);
    auto loss = [&]() {
        auto y = layer.forward(x, mode);
        double s = 0;
        for (Index i = 0; i < y.size(); ++i) s += y[i] * r[i];
        return s;
    };
    loss();
    Tensor<double> dx = Tensor<double>::copy_of(layer.backward(r, true));
    ParameterList<double> params;
    layer.parameters(params, "");
    std::vector<Tensor<double>> grads;
    std::vector<Perturbed> arrays{{"x", x.data(), dx.data(), x.size()}};
    add_parameters(arrays, params, grads);
    return compare_with_differences(loss, arrays, h);
}

/// Fills a tensor with uniform values in [lo, hi).
template <typename T>
void fill_uniform(Tensor<T>& t, Rng& rng, double lo = -1, double hi = 1) {
    for (auto& v : t) v = T(rng.uniform(lo, hi));
}

}  // namespace polytag::test
