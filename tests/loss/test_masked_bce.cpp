#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "polytag/loss/masked_bce.hpp"
#include "support/loss_gradcheck.hpp"

using namespace polytag;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor<double> make(Shape s, std::initializer_list<double> v) {
    Tensor<double> t(s);
    std::copy(v.begin(), v.end(), t.begin());
    return t;
}
double bce(double p, double y) { return -(y * std::log(p) + (1 - y) * std::log(1 - p)); }
double sigmoid(double z) { return 1 / (1 + std::exp(-z)); }
}  // namespace

TEST_CASE("MaskedBce on probabilities matches the formula", "[loss]") {
    auto p = make({2, 2}, {0.9, 0.2, 0.4, 0.7});
    auto y = make({2, 2}, {1.0, kNaN, 0.25, 0.0});
    auto m = make({2, 2}, {1, 0, 1, 1});
    MaskedBce<double> loss;
    const double expected = (bce(0.9, 1) + bce(0.4, 0.25) + bce(0.7, 0)) / 3;
    CHECK(loss.forward(p, y, m) == Approx(expected).epsilon(1e-14));
    CHECK(loss.backward()(0, 0) == Approx((0.9 - 1) / (0.9 * 0.1) / 3));
    CHECK(loss.backward()(0, 1) == 0.0);
    loss.set_task_weights({0.5, 2.0});
    CHECK(loss.forward(p, y, m) == Approx((0.5 * bce(0.9, 1) + 0.5 * bce(0.4, 0.25) + 2 * bce(0.7, 0)) / 3));
}

TEST_CASE("MaskedBce clamps probabilities and stays finite", "[loss]") {
    auto p = make({1, 2}, {0.0, 1.0});
    auto y = make({1, 2}, {1.0, 0.0});
    auto m = make({1, 2}, {1, 1});
    MaskedBce<double> loss(false, 1e-7);
    const double l = loss.forward(p, y, m);
    CHECK(std::isfinite(l));
    CHECK(l == Approx(-std::log(1e-7)).epsilon(1e-9));
    CHECK(std::isfinite(loss.backward()[0]));
    CHECK(loss.backward()[0] < 0);  // still pushes p up (straight-through at the clamp)
    CHECK(loss.backward()[1] > 0);
}

TEST_CASE("MaskedBce from logits equals BCE of the sigmoid, gradient sigmoid(z) - y", "[loss]") {
    auto z = make({2, 3}, {2.0, -1.0, 0.3, -12.0, 15.0, 0.0});
    auto y = make({2, 3}, {1.0, 0.0, 0.6, 0.0, 1.0, 0.5});
    auto m = make({2, 3}, {1, 1, 1, 1, 1, 0});
    MaskedBce<double> logits(true);
    const double l = logits.forward(z, y, m);
    double expected = 0;
    for (Index i = 0; i < 5; ++i) expected += bce(sigmoid(z[i]), y[i]) / 5;
    CHECK(l == Approx(expected).epsilon(1e-12));
    for (Index i = 0; i < 5; ++i) CHECK(logits.backward()[i] == Approx((sigmoid(z[i]) - y[i]) / 5).margin(1e-15));
    CHECK(logits.backward()[5] == 0.0);
}

TEST_CASE("MaskedBce: empty rows, all-unobserved batch, validation", "[loss]") {
    MaskedBce<double> loss;
    Tensor<double> p(Shape{3, 2}, 0.5), y(Shape{3, 2}, kNaN), none(Shape{3, 2}, 0.0);
    CHECK(loss.forward(p, y, none) == 0.0);
    for (double g : Tensor<double>::copy_of(loss.backward())) CHECK(g == 0.0);
    Tensor<double> m(Shape{3, 2}, 1.0);
    Tensor<double> y2(Shape{3, 2}, 0.5);
    y2(2, 1) = 1.5;
    CHECK_THROWS_WITH(loss.forward(p, y2, m), Catch::Contains("(row 2, task 1)"));
    CHECK_THROWS_AS(loss.forward(p, Tensor<double>(Shape{3, 3}, 0.5), m), ShapeError);
    CHECK_THROWS_AS(MaskedBce<double>(false, 0.0), ValueError);
}

TEST_CASE("MaskedBce gradients match central differences with masked rows and tasks", "[loss][gradcheck]") {
    Rng rng(5);
    Tensor<double> p(Shape{5, 4}), y(Shape{5, 4}), m(Shape{5, 4});
    test::fill_uniform(p, rng, 0.05, 0.95);
    test::fill_uniform(y, rng, 0, 1);
    for (auto& v : m) v = rng.uniform() < 0.6 ? 1.0 : 0.0;
    for (Index k = 0; k < 4; ++k) m(1, k) = 0;
    for (Index b = 0; b < 5; ++b) m(b, 2) = 0;
    m(0, 0) = 1;
    for (Index i = 0; i < m.size(); ++i)
        if (m[i] == 0) y[i] = kNaN;
    SECTION("probabilities") {
        MaskedBce<double> loss;
        loss.set_task_weights({1.0, 0.5, 2.0, 3.0});
        auto res = test::loss_gradcheck(loss, p, y, m);
        INFO(res.worst);
        CHECK(res.max_rel_error < 1e-6);
    }
    SECTION("logits") {
        MaskedBce<double> loss(true);
        test::fill_uniform(p, rng, -4, 4);
        auto res = test::loss_gradcheck(loss, p, y, m);
        INFO(res.worst);
        CHECK(res.max_rel_error < 1e-6);
    }
}

TEST_CASE("MaskedBce from logits is finite for extreme logits", "[loss]") {
    auto z = make({1, 2}, {-800.0, 800.0});
    auto y = make({1, 2}, {1.0, 0.0});
    auto m = make({1, 2}, {1, 1});
    MaskedBce<double> logits(true);
    CHECK(logits.forward(z, y, m) == Approx(800.0));
    CHECK(logits.backward()[0] == Approx(-0.5));
    CHECK(logits.backward()[1] == Approx(0.5));
}
