#pragma once
// Stand-alone parameters for optimizer tests: owned value and gradient tensors plus the
// ParameterList of views an optimizer takes.
#include <string>
#include <vector>

#include "polytag/nn/layer.hpp"

namespace polytag::test {

template <typename T>
struct ToyParameters {
    std::vector<std::string> names;
    std::vector<Tensor<T>> values, grads;

    void add(const std::string& name, Shape shape, T value = T(0)) {
        names.push_back(name);
        values.emplace_back(shape, value);
        grads.emplace_back(shape, T(0));
    }
    ParameterList<T> list() {
        ParameterList<T> out;
        for (std::size_t i = 0; i < names.size(); ++i) out.push_back({names[i], values[i].view(), grads[i].view()});
        return out;
    }
};

}  // namespace polytag::test
