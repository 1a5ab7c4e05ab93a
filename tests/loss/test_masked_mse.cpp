#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "polytag/loss/masked_mse.hpp"
#include "support/loss_gradcheck.hpp"

using namespace polytag;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor<double> make(Shape s, std::initializer_list<double> v) {
    Tensor<double> t(s);
    std::copy(v.begin(), v.end(), t.begin());
    return t;
}
}  // namespace

TEST_CASE("MaskedMse is sum(w * mask * (p - y)^2) / max(1, sum(mask))", "[loss]") {
    auto p = make({2, 3}, {0.5, 0.2, 0.9, 0.1, 0.7, 0.3});
    auto y = make({2, 3}, {1.0, 0.0, kNaN, 0.0, 0.5, 0.5});
    auto m = make({2, 3}, {1, 1, 0, 1, 0, 1});
    MaskedMse<double> loss;
    const double expected = (0.25 + 0.04 + 0.01 + 0.04) / 4;
    CHECK(loss.forward(p, y, m) == Approx(expected).epsilon(1e-14));
    CHECK(loss.observed() == 4);
    auto g = loss.backward();
    REQUIRE(g.shape() == Shape{2, 3});
    CHECK(g(0, 0) == Approx(2 * (0.5 - 1.0) / 4));
    CHECK(g(0, 1) == Approx(2 * 0.2 / 4));
    CHECK(g(0, 2) == 0.0);  // unobserved, target NaN
    CHECK(g(1, 1) == 0.0);
    CHECK(g(1, 2) == Approx(2 * (0.3 - 0.5) / 4));

    loss.set_task_weights({2.0, 1.0, 0.5});
    const double weighted = (2 * 0.25 + 0.04 + 2 * 0.01 + 0.5 * 0.04) / 4;
    CHECK(loss.forward(p, y, m) == Approx(weighted).epsilon(1e-14));
    CHECK(loss.backward()(0, 0) == Approx(2 * 2 * (0.5 - 1.0) / 4));
    CHECK(loss.backward()(1, 2) == Approx(0.5 * 2 * (0.3 - 0.5) / 4));
}

TEST_CASE("MaskedMse ignores unobserved targets completely", "[loss]") {
    auto p = make({2, 2}, {0.3, 0.8, 0.6, 0.1});
    auto m = make({2, 2}, {1, 0, 0, 1});
    auto y1 = make({2, 2}, {0.0, kNaN, std::numeric_limits<double>::infinity(), 1.0});
    auto y2 = make({2, 2}, {0.0, 0.5, 0.5, 1.0});
    MaskedMse<double> a, b;
    const double la = a.forward(p, y1, m);
    const double lb = b.forward(p, y2, m);
    CHECK(la == lb);
    CHECK(std::isfinite(la));
    for (Index i = 0; i < 4; ++i) CHECK(a.backward()[i] == b.backward()[i]);
    // Unobserved predictions may be NaN too (e.g. a head that is not trained on this batch).
    p(0, 1) = kNaN;
    CHECK(a.forward(p, y1, m) == la);
    CHECK(a.backward()(0, 1) == 0.0);
}

TEST_CASE("MaskedMse: empty rows, empty tasks and an all-unobserved batch", "[loss]") {
    auto p = make({3, 2}, {0.3, 0.8, 0.6, 0.1, 0.9, 0.2});
    auto y = make({3, 2}, {0.0, 1.0, kNaN, kNaN, 1.0, 0.0});
    auto m = make({3, 2}, {1, 1, 0, 0, 1, 1});
    MaskedMse<double> loss;
    const double full = loss.forward(p, y, m);
    // The fully masked row 1 contributes nothing: same loss as the batch without it.
    auto p2 = make({2, 2}, {0.3, 0.8, 0.9, 0.2});
    auto y2 = make({2, 2}, {0.0, 1.0, 1.0, 0.0});
    auto m2 = make({2, 2}, {1, 1, 1, 1});
    MaskedMse<double> loss2;
    CHECK(loss2.forward(p2, y2, m2) == Approx(full).epsilon(1e-15));
    CHECK(loss.backward()(1, 0) == 0.0);
    CHECK(loss.backward()(1, 1) == 0.0);

    Tensor<double> none(Shape{3, 2}, 0.0);
    Tensor<double> nan_targets(Shape{3, 2}, kNaN);
    CHECK(loss.forward(p, nan_targets, none) == 0.0);
    CHECK(loss.observed() == 0);
    for (double g : Tensor<double>::copy_of(loss.backward())) CHECK(g == 0.0);

    // A zero-row batch is valid too.
    Tensor<double> empty(Shape{0, 2});
    CHECK(loss.forward(empty, empty, empty) == 0.0);
}

TEST_CASE("MaskedMse validates shapes, weights, masks and observed values", "[loss]") {
    MaskedMse<double> loss;
    Tensor<double> a(Shape{2, 3}, 0.5), b(Shape{2, 2}, 0.5), m(Shape{2, 3}, 1.0);
    CHECK_THROWS_AS(loss.forward(a, b, m), ShapeError);
    CHECK_THROWS_AS(loss.forward(a, a, b), ShapeError);
    CHECK_THROWS_AS(loss.set_task_weights({1.0, -1.0}), ValueError);
    CHECK_THROWS_AS(loss.set_task_weights({1.0, kNaN}), ValueError);
    loss.set_task_weights({1.0, 2.0});
    CHECK_THROWS_AS(loss.forward(a, a, m), ShapeError);  // 2 weights, 3 tasks
    loss.set_task_weights({});
    Tensor<double> y = a;
    y(1, 2) = kNaN;
    CHECK_THROWS_WITH(loss.forward(a, y, m), Catch::Contains("target") && Catch::Contains("(row 1, task 2)"));
    Tensor<double> bad_mask = m;
    bad_mask(0, 1) = kNaN;
    CHECK_THROWS_AS(loss.forward(a, a, bad_mask), ValueError);
}

TEST_CASE("MaskedMse gradients match central differences with masked rows and tasks", "[loss][gradcheck]") {
    Rng rng(11);
    Tensor<double> p(Shape{5, 4}), y(Shape{5, 4}), m(Shape{5, 4});
    test::fill_uniform(p, rng, 0, 1);
    test::fill_uniform(y, rng, 0, 1);
    for (auto& v : m) v = rng.uniform() < 0.6 ? 1.0 : 0.0;
    for (Index k = 0; k < 4; ++k) m(2, k) = 0;  // a fully masked row
    for (Index b = 0; b < 5; ++b) m(b, 3) = 0;  // a fully masked task
    m(0, 0) = 1;
    for (Index i = 0; i < m.size(); ++i)
        if (m[i] == 0) y[i] = kNaN;
    MaskedMse<double> loss({1.0, 0.5, 2.0, 3.0});
    auto res = test::loss_gradcheck(loss, p, y, m);
    INFO(res.worst);
    CHECK(res.max_rel_error < 1e-6);
}

TEST_CASE("MaskedMse in float agrees with double", "[loss]") {
    Rng rng(3);
    Tensor<double> p(Shape{8, 5}), y(Shape{8, 5}), m(Shape{8, 5});
    test::fill_uniform(p, rng, 0, 1);
    test::fill_uniform(y, rng, 0, 1);
    for (auto& v : m) v = rng.uniform() < 0.5 ? 1.0 : 0.0;
    Tensor<float> pf(p.shape()), yf(y.shape()), mf(m.shape());
    for (Index i = 0; i < p.size(); ++i) pf[i] = float(p[i]), yf[i] = float(y[i]), mf[i] = float(m[i]);
    MaskedMse<double> ld;
    MaskedMse<float> lf;
    CHECK(lf.forward(pf, yf, mf) == Approx(ld.forward(p, y, m)).epsilon(1e-6));
}
