// The compile-time check of the layer concept (nn/layer.hpp): every shipped layer passes it,
// and a class missing a member is told which one (the negative cases are checked here as
// traits; `Sequential<NoInit>` would stop the build with "missing `void init(Rng&)`").
#include <catch2/catch.hpp>

#include "polytag/polytag.hpp"

using namespace polytag;

namespace {
struct NoInit {
    using Scalar = float;
    Shape output_shape(const Shape& s) const { return s; }
    TensorView<const float> forward(TensorView<const float> x, Mode) { return x; }
    TensorView<const float> backward(TensorView<const float> dy, bool) { return dy; }
    void parameters(ParameterList<float>&, const std::string&) {}
};
struct NoScalar {
    Shape output_shape(const Shape& s) const { return s; }
};
struct WrongForward : NoInit {
    void init(Rng&) {}
    int forward(int, Mode) { return 0; }
};
}  // namespace

TEST_CASE("Every shipped layer follows the layer concept", "[nn][concept]") {
    STATIC_REQUIRE(is_layer_v<Dense<float>>);
    STATIC_REQUIRE(is_layer_v<Dense<double>>);
    STATIC_REQUIRE(is_layer_v<Relu<float>>);
    STATIC_REQUIRE(is_layer_v<LeakyRelu<float>>);
    STATIC_REQUIRE(is_layer_v<Gelu<float>>);
    STATIC_REQUIRE(is_layer_v<Sigmoid<float>>);
    STATIC_REQUIRE(is_layer_v<Tanh<float>>);
    STATIC_REQUIRE(is_layer_v<Dropout<float>>);
    STATIC_REQUIRE(is_layer_v<LayerNorm<float>>);
    STATIC_REQUIRE(is_layer_v<MeanPool<float>>);
    STATIC_REQUIRE(is_layer_v<MaxPool<float>>);
    STATIC_REQUIRE(is_layer_v<AttentionPool<float>>);
    STATIC_REQUIRE(is_layer_v<MultiHead<float, 20>>);
    STATIC_REQUIRE(is_layer_v<Sequential<Dense<float>, Relu<float>>>);
}

TEST_CASE("The concept check names the missing member", "[nn][concept]") {
    STATIC_REQUIRE_FALSE(is_layer_v<NoInit>);
    STATIC_REQUIRE_FALSE(LayerTraits<NoInit>::init_ok);
    STATIC_REQUIRE(LayerTraits<NoInit>::forward_ok);
    STATIC_REQUIRE_FALSE(LayerTraits<NoScalar>::scalar_ok);
    STATIC_REQUIRE_FALSE(LayerTraits<WrongForward>::forward_ok);
    STATIC_REQUIRE(LayerTraits<WrongForward>::init_ok);
}
