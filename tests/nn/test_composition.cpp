#include <catch2/catch.hpp>

#include "nn/nn_test_util.hpp"
#include "polytag/nn/activation.hpp"
#include "polytag/nn/attention_pool.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/dropout.hpp"
#include "polytag/nn/layer_norm.hpp"
#include "polytag/nn/multi_head.hpp"
#include "polytag/nn/pooling.hpp"
#include "polytag/nn/sequential.hpp"

using namespace polytag;

TEST_CASE("every layer composes in Sequential: the OpenMIC-style attention network", "[nn]") {
    Sequential net(Shape{10, 128}, Dense<float>(128, 64), Relu<float>(), AttentionPool<float>(64, 20),
                   MultiHead<float, 20>(64, {32}), Sigmoid<float>());
    CHECK(net.output_shape() == Shape{20});
    Rng rng(61);
    net.init(rng);
    auto params = net.parameters();
    REQUIRE(params.size() == 2 + 1 + 4);
    CHECK(params[2].name == "2.weight");
    CHECK(params[3].name == "3.weight0");
    CHECK(params[6].name == "3.bias_out");
    Tensor<float> x(Shape{8, 10, 128});
    test::fill_uniform(x, rng);
    auto y = net.forward(x, Mode::Train);
    REQUIRE(y.shape() == Shape{8, 20});
    CHECK(y.array().minCoeff() > 0.f);
    CHECK(y.array().maxCoeff() < 1.f);
    Tensor<float> dy(y.shape(), 1.f);
    CHECK(net.backward(dy, false).data() == nullptr);
    CHECK_THROWS_AS(Sequential(Shape{10, 128}, Dense<float>(128, 64), AttentionPool<float>(64, 20),
                               MultiHead<float, 19>(64, {32})),
                    ShapeError);
    CHECK_THROWS_AS(Sequential(Shape{128}, Dense<float>(128, 64), MeanPool<float>()), ShapeError);
}

TEST_CASE("a network of every layer kind passes the gradient check in double", "[nn][gradcheck]") {
    SECTION("frame layers, per-task attention and per-task heads") {
        Sequential net(Shape{5, 6}, Dense<double>(6, 8), LayerNorm<double>(8), Gelu<double>(),
                       AttentionPool<double>(8, 3), Tanh<double>(), MultiHead<double, 3>(8, {4}), Sigmoid<double>());
        Rng rng(63);
        net.init(rng);
        test::randomize_parameters(net, rng, -1, 1);
        Tensor<double> x(Shape{3, 5, 6});
        test::fill_uniform(x, rng);
        // Seven layers deep, some gradients are ~1e-7 (attention weights, and here x[36]), and
        // rounding noise in the loss (~1e-16 / h) weighs on them at small h (x[36]: 1.7e-6 at
        // h = 1e-5, 3e-7 at h = 1e-4): this composite check uses h = 1e-4.
        auto res = test::gradcheck(net, x, 7, 1e-4);
        INFO(res.worst);
        CHECK(res.max_rel_error < 1e-6);
    }
    SECTION("pooled then shared heads, leaky activations, dropout in eval") {
        Sequential net(Shape{4, 5}, Dense<double>(5, 6), LeakyRelu<double>(0.1), MaxPool<double>(),
                       Dropout<double>(0.5, 1), MultiHead<double, 2>(6, {3, 3}));
        Rng rng(63);
        net.init(rng);
        // Random biases too: zero-initialised ones put a dead unit's pre-activation exactly on
        // the ReLU kink, where central differences disagree with any one-sided derivative.
        test::randomize_parameters(net, rng, -1, 1);
        Tensor<double> x(Shape{2, 4, 5});
        test::fill_uniform(x, rng);
        auto res = test::gradcheck(net, x, 7, 1e-6, Mode::Eval);
        INFO(res.worst);
        CHECK(res.max_rel_error < 1e-6);
    }
    SECTION("mean pooling into shared linear heads") {
        Sequential net(Shape{3, 4}, MeanPool<double>(), Dense<double>(4, 5), Relu<double>(), MultiHead<double, 4>(5));
        Rng rng(64);
        net.init(rng);
        Tensor<double> x(Shape{3, 3, 4});
        test::fill_uniform(x, rng);
        auto res = test::gradcheck(net, x);
        INFO(res.worst);
        CHECK(res.max_rel_error < 1e-6);
    }
}

TEST_CASE("a trained-size network stops reallocating after its largest batch", "[nn]") {
    Sequential net(Shape{1280}, Dense<float>(1280, 512), Relu<float>(), Dense<float>(512, 256), Relu<float>(),
                   MultiHead<float, 20>(256, {32}), Sigmoid<float>());
    Rng rng(65);
    net.init(rng);
    Tensor<float> x(Shape{64, 1280});
    test::fill_uniform(x, rng);
    Tensor<float> dy(Shape{64, 20}, 0.5f);
    const float* y0 = net.forward(x, Mode::Train).data();
    const float* dx0 = net.backward(dy).data();
    for (Index batch : {64, 17, 64}) {
        CHECK(net.forward(x.rows(0, batch), Mode::Train).data() == y0);
        CHECK(net.backward(dy.rows(0, batch)).data() == dx0);
    }
}
