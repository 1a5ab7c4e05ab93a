#pragma once
// Concat<T>: joins its inputs along the last (feature) axis; every other axis must agree.
//   per frame:   (B, F, D1), (B, F, D2) -> (B, F, D1 + D2)   (two streams fused before pooling)
//   late fusion: (B, D1), (B, D2)       -> (B, D1 + D2)       (pooled embeddings joined)
// A multi-input layer (nn/multi_input_layer.hpp), no parameters. Forward copies each input's
// rows into its column block of the output; backward copies dy's column blocks back out,
// only for the inputs that need a gradient.
#include <algorithm>
#include <string>
#include <vector>

#include "polytag/nn/multi_input_layer.hpp"

namespace polytag {

template <typename T>
class Concat {
public:
    using Scalar = T;

    Shape output_shape(const std::vector<Shape>& in) const {
        if (in.empty()) throw ShapeError("polytag::Concat: needs at least one input");
        Index width = 0;
        for (const Shape& s : in) {
            if (s.rank() < 1 || s.rank() != in[0].rank() || s.with_dim(s.rank() - 1, 0) != in[0].with_dim(s.rank() - 1, 0))
                throw ShapeError("polytag::Concat: inputs " + in[0].str() + " and " + s.str() +
                                 " differ in an axis other than the last");
            width += s[s.rank() - 1];
        }
        return in[0].with_dim(in[0].rank() - 1, width);
    }
    void init(Rng&) {}
    void parameters(ParameterList<T>&, const std::string&) {}

    TensorView<const T> forward(const std::vector<TensorView<const T>>& xs, Mode) {
        detail::common_batch("Concat", xs);
        std::vector<Shape>& shapes = shapes_;
        shapes.resize(xs.size());  // allocates only when the input count grows
        for (std::size_t i = 0; i < xs.size(); ++i) shapes[i] = xs[i].shape().drop_front();
        const Shape out = output_shape(shapes).prepend(xs[0].dim(0));
        y_.resize(out);
        const Index rows = out.rows(), width = out.cols();
        Index offset = 0;
        for (const auto& x : xs) {
            const Index w = x.shape().cols();
            for (Index r = 0; r < rows; ++r) std::copy_n(x.data() + r * w, w, y_.data() + r * width + offset);
            offset += w;
        }
        widths_.resize(xs.size());
        for (std::size_t i = 0; i < xs.size(); ++i) widths_[i] = xs[i].shape();
        return y_;
    }

    const std::vector<TensorView<const T>>& backward(TensorView<const T> dy, const std::vector<bool>& need_dx) {
        if (dy.shape() != y_.shape())
            throw ShapeError("polytag::Concat::backward: dy " + dy.shape().str() + " vs output " + y_.shape().str());
        const std::size_t n = widths_.size();
        dx_.resize(n);
        grads_.resize(n);
        const Index rows = dy.shape().rows(), width = dy.shape().cols();
        Index offset = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const Index w = widths_[i].cols();
            if (i < need_dx.size() && need_dx[i]) {
                dx_[i].resize(widths_[i]);
                for (Index r = 0; r < rows; ++r) std::copy_n(dy.data() + r * width + offset, w, dx_[i].data() + r * w);
                grads_[i] = dx_[i].view();
            } else {
                grads_[i] = {};
            }
            offset += w;
        }
        return grads_;
    }

private:
    std::vector<Shape> shapes_, widths_;  // widths_: the full input shapes of the last forward
    Tensor<T> y_;
    std::vector<Tensor<T>> dx_;
    std::vector<TensorView<const T>> grads_;
};

}  // namespace polytag
