#pragma once
// Add<T>: the element-wise sum of inputs of one shape (residual connections, summed
// branches). A multi-input layer (nn/multi_input_layer.hpp), no parameters. Backward hands
// dy itself to every input: no copy.
#include <string>
#include <vector>

#include "polytag/nn/multi_input_layer.hpp"

namespace polytag {

template <typename T>
class Add {
public:
    using Scalar = T;

    Shape output_shape(const std::vector<Shape>& in) const {
        if (in.empty()) throw ShapeError("polytag::Add: needs at least one input");
        for (const Shape& s : in)
            if (s != in[0]) throw ShapeError("polytag::Add: inputs " + in[0].str() + " and " + s.str() + " differ");
        return in[0];
    }
    void init(Rng&) {}
    void parameters(ParameterList<T>&, const std::string&) {}

    TensorView<const T> forward(const std::vector<TensorView<const T>>& xs, Mode) {
        detail::common_batch("Add", xs);
        for (const auto& x : xs)
            if (x.shape() != xs[0].shape())
                throw ShapeError("polytag::Add: inputs " + xs[0].shape().str() + " and " + x.shape().str() + " differ");
        y_.resize(xs[0].shape());
        y_.array() = xs[0].array();
        for (std::size_t i = 1; i < xs.size(); ++i) y_.array() += xs[i].array();
        inputs_ = xs.size();
        return y_;
    }

    const std::vector<TensorView<const T>>& backward(TensorView<const T> dy, const std::vector<bool>& need_dx) {
        if (dy.shape() != y_.shape())
            throw ShapeError("polytag::Add::backward: dy " + dy.shape().str() + " vs output " + y_.shape().str());
        grads_.resize(inputs_);
        for (std::size_t i = 0; i < inputs_; ++i)
            grads_[i] = i < need_dx.size() && need_dx[i] ? dy : TensorView<const T>();
        return grads_;
    }

private:
    Tensor<T> y_;
    std::size_t inputs_ = 0;
    std::vector<TensorView<const T>> grads_;
};

}  // namespace polytag
