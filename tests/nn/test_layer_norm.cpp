#include <catch2/catch.hpp>

#include <cmath>

#include "nn/nn_test_util.hpp"
#include "polytag/nn/layer_norm.hpp"

using namespace polytag;

TEST_CASE("LayerNorm normalises the last axis like torch.nn.LayerNorm", "[nn]") {
    LayerNorm<double> ln(5);
    Rng rng(41);
    test::randomize_parameters(ln, rng, -1, 1);
    Tensor<double> x(Shape{2, 3, 5});
    test::fill_uniform(x, rng, -3, 3);
    auto y = ln.forward(x, Mode::Train);
    REQUIRE(y.shape() == x.shape());
    for (Index b = 0; b < 2; ++b)
        for (Index f = 0; f < 3; ++f) {
            double mean = 0, var = 0;
            for (Index d = 0; d < 5; ++d) mean += x(b, f, d) / 5;
            for (Index d = 0; d < 5; ++d) var += (x(b, f, d) - mean) * (x(b, f, d) - mean) / 5;
            for (Index d = 0; d < 5; ++d)
                CHECK(y(b, f, d) ==
                      Approx((x(b, f, d) - mean) / std::sqrt(var + 1e-5) * ln.weight()[d] + ln.bias()[d])
                          .epsilon(1e-12));
        }
}

TEST_CASE("LayerNorm matches a torch value and initialises to the identity transform", "[nn]") {
    // torch.nn.LayerNorm(4)(torch.tensor([[1., 2., 3., 5.]], dtype=torch.float64))
    LayerNorm<double> ln(4);
    Rng rng(42);
    test::randomize_parameters(ln, rng);
    ln.init(rng);
    CHECK(ln.weight().array().minCoeff() == 1.0);
    CHECK(ln.bias().array().abs().maxCoeff() == 0.0);
    Tensor<double> x(Shape{1, 4});
    x[0] = 1;
    x[1] = 2;
    x[2] = 3;
    x[3] = 5;
    auto y = ln.forward(x, Mode::Eval);
    const double expect[4] = {-1.1832132521355803, -0.5070913937723915, 0.1690304645907973, 1.521274181317175};
    CHECK(y[0] == Approx(expect[0]).epsilon(1e-13));
    CHECK(y[1] == Approx(expect[1]).epsilon(1e-13));
    CHECK(y[2] == Approx(expect[2]).epsilon(1e-13));
    CHECK(y[3] == Approx(expect[3]).epsilon(1e-13));
}

TEST_CASE("LayerNorm gradients match central differences", "[nn][gradcheck]") {
    LayerNorm<double> ln(6);
    Rng rng(43);
    test::randomize_parameters(ln, rng, -1, 1);
    Tensor<double> x(Shape{2, 3, 6});
    test::fill_uniform(x, rng, -2, 2);
    // h = 1e-5: some of dx are ~1e-4 (dx sums to 0 over each row), where the loss's rounding
    // noise at h = 1e-6 would use up most of the 1e-6 budget.
    auto res = test::gradcheck(ln, x, 7, 1e-5);
    INFO(res.worst);
    CHECK(res.max_rel_error < 1e-6);
}

TEST_CASE("LayerNorm names its parameters as torch, checks shapes and reuses buffers", "[nn]") {
    CHECK_THROWS_AS(LayerNorm<float>(0), ShapeError);
    CHECK_THROWS_AS(LayerNorm<float>(4, 0.0), ValueError);
    LayerNorm<float> ln(8);
    ParameterList<float> ps;
    ln.parameters(ps, "1.");
    REQUIRE(ps.size() == 2);
    CHECK(ps[0].name == "1.weight");
    CHECK(ps[1].name == "1.bias");
    CHECK(ps[0].value.shape() == Shape{8});
    CHECK(ln.output_shape(Shape{10, 8}) == Shape{10, 8});
    CHECK_THROWS_AS(ln.output_shape(Shape{10, 7}), ShapeError);
    CHECK_THROWS_AS(ln.forward(Tensor<float>(Shape{2, 7}), Mode::Train), ShapeError);
    Tensor<float> x(Shape{6, 8}), dy(Shape{6, 8}, 1.f);
    for (Index i = 0; i < x.size(); ++i) x[i] = float(i % 5);
    const float* y0 = ln.forward(x, Mode::Train).data();
    const float* dx0 = ln.backward(dy).data();
    CHECK_THROWS_AS(ln.backward(Tensor<float>(Shape{6, 7})), ShapeError);
    for (Index batch : {6, 2, 6}) {
        CHECK(ln.forward(x.rows(0, batch), Mode::Train).data() == y0);
        CHECK(ln.backward(dy.rows(0, batch)).data() == dx0);
    }
}
