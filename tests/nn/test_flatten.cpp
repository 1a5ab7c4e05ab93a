#include <catch2/catch.hpp>

#include "nn/nn_test_util.hpp"
#include "polytag/nn/flatten.hpp"

using namespace polytag;
using Catch::Matchers::Contains;

TEST_CASE("Flatten views (B, H, W, C) as (B, H*W*C) in row-major (h, w, c) order", "[nn][flatten]") {
    Flatten<float> flat;
    CHECK(flat.output_shape(Shape{6, 4, 512}) == Shape{6 * 4 * 512});
    CHECK(flat.output_shape(Shape{5}) == Shape{5});
    Tensor<float> x(Shape{2, 3, 4, 5});
    for (Index i = 0; i < x.size(); ++i) x[i] = float(i);
    auto y = flat.forward(x, Mode::Eval);
    REQUIRE(y.shape() == Shape{2, 60});
    CHECK(y.data() == x.data());  // zero-copy
    // Element (b, h, w, c) lands at column (h * 4 + w) * 5 + c, TensorFlow's NHWC flatten.
    CHECK(y(1, (2 * 4 + 1) * 5 + 3) == x(1, 2, 1, 3));
    Tensor<float> dy(Shape{2, 60}, 1.f);
    auto dx = flat.backward(dy);
    CHECK(dx.shape() == x.shape());
    CHECK(dx.data() == dy.data());
    CHECK(flat.backward(dy, false).data() == nullptr);
}

TEST_CASE("Flatten passes gradients through unchanged", "[nn][flatten][gradcheck]") {
    Flatten<double> flat;
    Rng rng(301);
    Tensor<double> x(Shape{3, 2, 3, 2});
    test::fill_uniform(x, rng);
    auto res = test::gradcheck(flat, x);
    INFO(res.worst);
    CHECK(res.max_rel_error < 1e-6);
}

TEST_CASE("Flatten rejects inputs without a batch axis and a wrong dy", "[nn][flatten]") {
    Flatten<float> flat;
    CHECK_THROWS_WITH(flat.output_shape(Shape{}), Contains("()"));
    CHECK_THROWS_WITH(flat.forward(Tensor<float>(Shape{4}), Mode::Eval), Contains("(4,)"));
    Tensor<float> x(Shape{2, 3, 4}, 1.f);
    flat.forward(x, Mode::Train);
    CHECK_THROWS_WITH(flat.backward(Tensor<float>(Shape{2, 11})), Contains("(2, 11)") && Contains("(2, 12)"));
}
