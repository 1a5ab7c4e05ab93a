#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "nn/nn_test_util.hpp"
#include "polytag/nn/activation.hpp"

using namespace polytag;

namespace {
template <typename Layer, typename F>
void check_forward(Layer layer, F reference) {
    Rng rng(11);
    Tensor<double> x(Shape{3, 4, 5});
    test::fill_uniform(x, rng, -4, 4);
    x[0] = 0.0;
    x[1] = -40.0;
    x[2] = 40.0;
    auto y = layer.forward(x, Mode::Train);
    REQUIRE(y.shape() == x.shape());
    for (Index i = 0; i < x.size(); ++i) CHECK(y[i] == Approx(reference(x[i])).epsilon(1e-13).margin(1e-300));
}

template <typename Layer>
void check_gradient(Layer layer, bool avoid_kink) {
    Rng rng(12);
    Tensor<double> x(Shape{4, 6});
    if (avoid_kink) test::fill_away_from_zero(x, rng);
    else test::fill_uniform(x, rng, -3, 3);
    auto res = test::gradcheck(layer, x);
    INFO(res.worst);
    CHECK(res.max_rel_error < 1e-6);
}
}  // namespace

TEST_CASE("activations match their formulas element-wise on any shape", "[nn]") {
    check_forward(Relu<double>(), [](double v) { return v > 0 ? v : 0.0; });
    check_forward(LeakyRelu<double>(), [](double v) { return v > 0 ? v : 0.01 * v; });
    check_forward(LeakyRelu<double>(0.2), [](double v) { return v > 0 ? v : 0.2 * v; });
    check_forward(Gelu<double>(), [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); });
    check_forward(Sigmoid<double>(), [](double v) { return 1 / (1 + std::exp(-v)); });
    check_forward(Tanh<double>(), [](double v) { return std::tanh(v); });
}

TEST_CASE("Gelu is the exact erf form (torch.nn.GELU values)", "[nn]") {
    Gelu<double> g;
    Tensor<double> x(Shape{1, 3});
    x[0] = 1.0;
    x[1] = -0.5;
    x[2] = 2.5;
    auto y = g.forward(x, Mode::Eval);
    CHECK(y[0] == Approx(0.8413447460685429).epsilon(1e-14));
    CHECK(y[1] == Approx(-0.15426876936299344).epsilon(1e-14));
    CHECK(y[2] == Approx(2.4844758366855597).epsilon(1e-14));
}

TEST_CASE("Sigmoid saturates without NaN in float", "[nn]") {
    Sigmoid<float> s;
    Tensor<float> x(Shape{1, 2});
    x[0] = -1000.f;
    x[1] = 1000.f;
    auto y = s.forward(x, Mode::Eval);
    CHECK(y[0] == 0.0f);
    CHECK(y[1] == 1.0f);
    Tensor<float> dy(Shape{1, 2}, 1.f);
    auto dx = s.backward(dy);
    CHECK(dx[0] == 0.0f);
    CHECK(dx[1] == 0.0f);
}

namespace {
/// Whether each of 3 rows of 20 (the OpenMIC heads: 60 floats, so part of the batch is a
/// partial vector) gets the same bits from forward and backward alone as inside the batch.
template <typename Activation>
bool same_bits_at_any_position(Activation batch, Activation single) {
    Rng rng(13);
    Tensor<float> x(Shape{3, 20}), dy(Shape{3, 20});
    for (auto& v : x) v = float(rng.uniform(-8, 8));
    for (auto& v : dy) v = float(rng.uniform(-1, 1));
    const Tensor<float> y = Tensor<float>::copy_of(batch.forward(x, Mode::Train));
    const Tensor<float> dx = Tensor<float>::copy_of(batch.backward(dy));
    bool same = true;
    for (Index b = 0; b < 3; ++b) {
        Tensor<float> row(Shape{1, 20}), drow(Shape{1, 20});
        std::copy_n(x.data() + b * 20, 20, row.data());
        std::copy_n(dy.data() + b * 20, 20, drow.data());
        const Tensor<float> r = Tensor<float>::copy_of(single.forward(row, Mode::Train));
        const auto dr = single.backward(drow);
        for (Index k = 0; k < 20; ++k) same = same && r[k] == y(b, k) && dr[k] == dx(b, k);
    }
    return same;
}
}  // namespace

TEST_CASE("every activation gives a row the same bits at any position in a batch", "[nn]") {
    CHECK(same_bits_at_any_position(Sigmoid<float>(), Sigmoid<float>()));
    CHECK(same_bits_at_any_position(Tanh<float>(), Tanh<float>()));
    CHECK(same_bits_at_any_position(Relu<float>(), Relu<float>()));
    CHECK(same_bits_at_any_position(LeakyRelu<float>(0.1f), LeakyRelu<float>(0.1f)));
    CHECK(same_bits_at_any_position(Gelu<float>(), Gelu<float>()));
}

TEST_CASE("activation gradients match central differences", "[nn][gradcheck]") {
    check_gradient(Relu<double>(), true);
    check_gradient(LeakyRelu<double>(), true);
    check_gradient(LeakyRelu<double>(0.3), true);
    check_gradient(Gelu<double>(), false);
    check_gradient(Sigmoid<double>(), false);
    check_gradient(Tanh<double>(), false);
}

TEST_CASE("activations check dy, skip dx on request and reuse their buffers", "[nn]") {
    Tanh<float> t;
    Tensor<float> x(Shape{8, 16}, 0.5f), dy(Shape{8, 16}, 1.f);
    const float* y0 = t.forward(x, Mode::Train).data();
    const float* dx0 = t.backward(dy).data();
    CHECK(t.backward(dy, false).data() == nullptr);
    CHECK_THROWS_AS(t.backward(Tensor<float>(Shape{8, 15})), ShapeError);
    Tensor<float> small(Shape{3, 16}, 0.1f), dsmall(Shape{3, 16}, 1.f);
    CHECK(t.forward(small, Mode::Train).data() == y0);
    CHECK(t.backward(dsmall).data() == dx0);
    CHECK(t.forward(x, Mode::Train).data() == y0);
    CHECK(t.backward(dy).data() == dx0);
    CHECK(t.output_shape(Shape{10, 7}) == Shape{10, 7});
}
