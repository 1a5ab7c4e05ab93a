#pragma once
// A small synthetic two-input multi-task problem for the fit tests: task 0 depends on input
// a only, task 1 on input b only, task 2 on both; about a fifth of the labels are unobserved.
#include <cmath>

#include "polytag/nn/layer_kinds.hpp"
#include "polytag/nn/network.hpp"
#include "polytag/train/batch_source.hpp"

namespace polytag::test {

inline TensorSource<float> two_stream_source(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Tensor<float> a(Shape{n, 3, 4}), b(Shape{n, 2}), y(Shape{n, 3}), m(Shape{n, 3});
    for (auto& v : a) v = float(rng.uniform(-1, 1));
    for (auto& v : b) v = float(rng.uniform(-1, 1));
    for (Index i = 0; i < n; ++i) {
        double sa = 0;
        for (Index f = 0; f < 3; ++f) sa += a(i, f, 0) - a(i, f, 2);
        const double sb = b(i, 0) - 0.5 * b(i, 1);
        y(i, 0) = sa > 0 ? 1.f : 0.f;
        y(i, 1) = sb > 0 ? 1.f : 0.f;
        y(i, 2) = sa + sb > 0 ? 1.f : 0.f;
        for (Index k = 0; k < 3; ++k) m(i, k) = rng.uniform(0, 1) < 0.8 ? 1.f : 0.f;
    }
    return TensorSource<float>({std::move(a), std::move(b)}, std::move(y), std::move(m));
}

/// Per-frame trunk and attention (or mean) pooling on a, late fusion with b, three heads, sigmoid.
inline Network<float> two_stream_net(bool attention = true) {
    Network<float> net;
    auto a = net.input("a", Shape{3, 4});
    auto b = net.input("b", Shape{2});
    auto h = net.add("trunk", Dense<float>(4, 8), a);
    h = net.add("act", Relu<float>(), h);
    h = net.add("drop", Dropout<float>(0.1, 3), h);
    auto p = attention ? net.add("pool", AttentionPool<float>(8), h) : net.add("pool", MeanPool<float>(), h);
    auto z = net.add("late", Concat<float>(), {p, b});
    net.add("head", MultiHead<float>(3, 10, {6}), z);
    net.add("out", Sigmoid<float>());
    return net;
}

inline std::vector<Index> row_range(Index begin, Index end) {
    std::vector<Index> r;
    for (Index i = begin; i < end; ++i) r.push_back(i);
    return r;
}

}  // namespace polytag::test
