#pragma once
// Central-difference gradient check of a multi-input Network<double>: every input element
// and every parameter, loss L = sum(y * r) for a fixed random r (as support/gradcheck.hpp).
#include <string>
#include <vector>

#include "polytag/nn/network.hpp"
#include "support/gradcheck.hpp"

namespace polytag::test {

inline GradCheckResult gradcheck_network(Network<double>& net, std::vector<Tensor<double>>& xs, std::uint64_t seed = 7,
                                         double h = 1e-6) {
    Rng rng(seed);
    auto y0 = net.forward(xs, Mode::Train);
    Tensor<double> r(y0.shape());
    for (auto& v : r) v = rng.uniform(-1, 1);
    auto loss = [&]() {
        auto y = net.forward(xs, Mode::Train);
        double s = 0;
        for (Index i = 0; i < y.size(); ++i) s += y[i] * r[i];
        return s;
    };
    loss();
    const auto& g = net.backward(r, std::vector<bool>(xs.size(), true));
    std::vector<Tensor<double>> dxs;
    for (const auto& v : g) dxs.push_back(Tensor<double>::copy_of(v));
    ParameterList<double> params = net.parameters();
    std::vector<Tensor<double>> grads;

    std::vector<Perturbed> arrays;
    for (std::size_t k = 0; k < xs.size(); ++k) arrays.push_back({net.input_name(k), xs[k].data(), dxs[k].data(), xs[k].size()});
    add_parameters(arrays, params, grads);
    return compare_with_differences(loss, arrays, h);
}

}  // namespace polytag::test
