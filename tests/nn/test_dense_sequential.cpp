#include <catch2/catch.hpp>

#include <type_traits>

#include "polytag/nn/dense.hpp"
#include "polytag/nn/sequential.hpp"
#include "support/gradcheck.hpp"

using namespace polytag;

TEMPLATE_TEST_CASE("Dense matches y = x W^T + b on 2-d and 3-d input", "[nn]", float, double) {
    // 11 outputs: a full 8-wide block and a tail in the vectorised bias (tensor/avx2_kernels.hpp
    // in a build without AVX2, tests/nn/extra.cmake); the bias random, not its zero init.
    using T = TestType;
    Dense<T> d(3, 11);
    Rng rng(1);
    d.init(rng);
    test::fill_uniform(d.bias(), rng);
    Tensor<T> x(Shape{2, 4, 3});
    test::fill_uniform(x, rng);
    auto y = d.forward(x, Mode::Train);
    REQUIRE(y.shape() == Shape{2, 4, 11});
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    for (Index b = 0; b < 2; ++b)
        for (Index f = 0; f < 4; ++f)
            for (Index o = 0; o < 11; ++o) {
                double s = d.bias()[o];
                for (Index i = 0; i < 3; ++i) s += double(x(b, f, i)) * double(d.weight()(o, i));
                CHECK(double(y(b, f, o)) == Approx(s).margin(tol));
            }
    CHECK_THROWS_AS(d.forward(Tensor<T>(Shape{2, 4}), Mode::Train), ShapeError);
}

TEST_CASE("Dense gradients match central differences", "[nn][gradcheck]") {
    Dense<double> d(5, 4, Init::Glorot);
    Rng rng(2);
    d.init(rng);
    Tensor<double> x(Shape{3, 5});
    test::fill_uniform(x, rng);
    auto res = test::gradcheck(d, x);
    INFO(res.worst);
    CHECK(res.max_rel_error < 1e-6);
}

TEST_CASE("Dense init is deterministic and scaled", "[nn]") {
    Dense<float> a(256, 128), b(256, 128);
    Rng r1(9), r2(9);
    a.init(r1);
    b.init(r2);
    CHECK(a.weight().vector() == b.weight().vector());
    const double var = a.weight().array().square().mean();
    CHECK(var == Approx(2.0 / 256).epsilon(0.05));
}

TEST_CASE("Sequential checks shapes when built and chains backward", "[nn]") {
    CHECK_THROWS_AS(Sequential(Shape{8}, Dense<double>(8, 4), Dense<double>(5, 2)), ShapeError);
    Sequential net(Shape{8}, Dense<double>(8, 4), Dense<double>(4, 2));
    CHECK(net.output_shape() == Shape{2});
    Rng rng(3);
    net.init(rng);
    auto params = net.parameters();
    REQUIRE(params.size() == 4);
    CHECK(params[0].name == "0.weight");
    CHECK(params[3].name == "1.bias");
    Tensor<double> x(Shape{4, 8});
    test::fill_uniform(x, rng);
    auto res = test::gradcheck(net, x);
    INFO(res.worst);
    CHECK(res.max_rel_error < 1e-6);
    CHECK_THROWS_AS(net.forward(Tensor<double>(Shape{4, 7}), Mode::Eval), ShapeError);
}
