#pragma once
// Flatten<T>: (B, d1, d2, ...) -> (B, d1*d2*...), a zero-copy view both ways. Row-major, so an
// NHWC feature map flattens in (h, w, c) order, as TensorFlow's Flatten (and VGGish's
// checkpoint) expects; a torch model that flattens NCHW must permute to NHWC first.
// forward returns a view of x itself and backward a view of dy itself: nothing is copied and
// the caller's buffers stay the storage.
#include <string>

#include "polytag/nn/layer.hpp"

namespace polytag {

template <typename T>
class Flatten {
public:
    using Scalar = T;

    Shape output_shape(const Shape& in) const {
        if (in.rank() < 1)
            throw ShapeError("polytag::Flatten: expects at least one axis per sample, input is " + in.str());
        return Shape{in.size()};
    }

    void init(Rng&) {}
    void parameters(ParameterList<T>&, const std::string&) {}

    TensorView<const T> forward(TensorView<const T> x, Mode) {
        if (x.rank() < 2)
            throw ShapeError("polytag::Flatten: expects (B, d1, ...), input is " + x.shape().str());
        in_ = x.shape();
        out_ = Shape{in_[0], in_.drop_front().size()};
        return x.reshape(out_);
    }

    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        if (dy.shape() != out_)
            throw ShapeError("polytag::Flatten::backward: dy " + dy.shape().str() + " vs output " + out_.str());
        if (!need_dx) return {};
        return dy.reshape(in_);
    }

private:
    Shape in_, out_;
};

}  // namespace polytag
