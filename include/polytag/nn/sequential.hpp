#pragma once
// Sequential<L...>: layers chained at compile time. Built from the per-sample input shape,
// so a width mismatch is a ShapeError at construction, not a wrong answer later. The calls
// unroll over a std::tuple: no virtual call anywhere. A Sequential is itself a layer.
#include <string>
#include <tuple>
#include <utility>

#include "polytag/nn/layer.hpp"

namespace polytag {

template <typename... Layers>
class Sequential {
    static_assert(sizeof...(Layers) >= 1, "Sequential needs at least one layer");
    static_assert((check_layer<Layers>() && ...), "Sequential: every argument must follow the layer concept");
    using First = std::tuple_element_t<0, std::tuple<Layers...>>;

public:
    using Scalar = typename First::Scalar;
    static constexpr std::size_t size = sizeof...(Layers);

    /// `input` is the per-sample input shape, e.g. {10, 128} for a clip of 10 frames.
    explicit Sequential(Shape input, Layers... layers) : input_(input), layers_(std::move(layers)...) {
        output_ = output_shape(input_);
    }

    const Shape& input_shape() const { return input_; }
    const Shape& output_shape() const { return output_; }

    Shape output_shape(const Shape& in) const {
        Shape s = in;
        for_each_layer([&](const auto& layer, std::size_t) { s = layer.output_shape(s); });
        return s;
    }

    template <std::size_t I>
    auto& get() { return std::get<I>(layers_); }
    template <std::size_t I>
    const auto& get() const { return std::get<I>(layers_); }

    void init(Rng& rng) {
        for_each_layer([&](auto& layer, std::size_t) { layer.init(rng); });
    }

    TensorView<const Scalar> forward(TensorView<const Scalar> x, Mode mode) {
        detail::check_batch("Sequential", x.shape(), input_);
        for_each_layer([&](auto& layer, std::size_t) { x = layer.forward(x, mode); });
        return x;
    }

    TensorView<const Scalar> backward(TensorView<const Scalar> dy, bool need_dx = true) {
        backward_from<sizeof...(Layers) - 1>(dy, need_dx);
        return dy;
    }

    /// Parameters named "<index>.<name>", as torch.nn.Sequential names them.
    void parameters(ParameterList<Scalar>& out, const std::string& prefix = "") {
        for_each_layer([&](auto& layer, std::size_t i) { layer.parameters(out, prefix + std::to_string(i) + "."); });
    }
    ParameterList<Scalar> parameters() {
        ParameterList<Scalar> out;
        parameters(out, "");
        return out;
    }

private:
    template <typename F>
    void for_each_layer(F&& f) {
        std::apply([&](auto&... l) {
            std::size_t i = 0;
            (f(l, i++), ...);
        }, layers_);
    }
    template <typename F>
    void for_each_layer(F&& f) const {
        std::apply([&](const auto&... l) {
            std::size_t i = 0;
            (f(l, i++), ...);
        }, layers_);
    }
    template <std::size_t I>
    void backward_from(TensorView<const Scalar>& dy, bool need_dx) {
        dy = std::get<I>(layers_).backward(dy, I > 0 || need_dx);
        if constexpr (I > 0) backward_from<I - 1>(dy, need_dx);
    }

    Shape input_, output_;
    std::tuple<Layers...> layers_;
};

}  // namespace polytag
