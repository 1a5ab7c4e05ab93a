#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "polytag/optim/clip.hpp"
#include "polytag/optim/schedule.hpp"
#include "polytag/optim/sgd.hpp"
#include "optim/toy_parameters.hpp"

using namespace polytag;

TEST_CASE("clip_grad_norm scales all gradients by max_norm / (norm + 1e-6) when above", "[optim]") {
    test::ToyParameters<double> toy;
    toy.add("a", Shape{2}, 0.0);
    toy.add("b", Shape{1, 1}, 0.0);
    toy.grads[0][0] = 3.0;
    toy.grads[0][1] = 0.0;
    toy.grads[1][0] = -4.0;
    auto list = toy.list();
    CHECK(grad_norm(list) == Approx(5.0));
    const double norm = clip_grad_norm(list, 1.0);
    CHECK(norm == Approx(5.0).epsilon(1e-15));  // the norm before clipping
    CHECK(toy.grads[0][0] == Approx(3.0 / (5.0 + 1e-6)).epsilon(1e-15));
    CHECK(toy.grads[1][0] == Approx(-4.0 / (5.0 + 1e-6)).epsilon(1e-15));
    CHECK(grad_norm(list) == Approx(1.0).epsilon(1e-6));
    // Below the threshold nothing changes.
    const double before = toy.grads[0][0];
    CHECK(clip_grad_norm(list, 10.0) == Approx(1.0).epsilon(1e-6));
    CHECK(toy.grads[0][0] == before);
    CHECK_THROWS_AS(clip_grad_norm(list, -1.0), ValueError);
    toy.grads[1][0] = std::numeric_limits<double>::infinity();
    CHECK_THROWS_AS(clip_grad_norm(list, 1.0, true), ValueError);
}

TEST_CASE("clip_grad_norm in float does not overflow on large gradients", "[optim]") {
    test::ToyParameters<float> toy;
    toy.add("a", Shape{2}, 0.0f);
    toy.grads[0][0] = 3e30f;
    toy.grads[0][1] = 4e30f;
    auto list = toy.list();
    CHECK(clip_grad_norm(list, 1.0f) == Approx(5e30f));
    CHECK(toy.grads[0][0] == Approx(0.6f));
    CHECK(toy.grads[0][1] == Approx(0.8f));
}

TEST_CASE("LrSchedule: constant and step", "[optim]") {
    auto c = LrSchedule<double>::constant(0.3);
    CHECK(c.at(0) == 0.3);
    CHECK(c.at(100000) == 0.3);
    auto s = LrSchedule<double>::step(1.0, 2, 0.5);
    CHECK(s.at(0) == 1.0);
    CHECK(s.at(1) == 1.0);
    CHECK(s.at(2) == 0.5);
    CHECK(s.at(3) == 0.5);
    CHECK(s.at(4) == 0.25);
    CHECK_THROWS_AS(LrSchedule<double>::step(1.0, 0, 0.5), ValueError);
}

TEST_CASE("LrSchedule: cosine with linear warm-up", "[optim]") {
    const double pi = 3.14159265358979323846;
    auto s = LrSchedule<double>::warmup_cosine(1.0, 2, 6, 0.1);
    CHECK(s.at(0) == Approx(0.5));
    CHECK(s.at(1) == Approx(1.0));
    CHECK(s.at(2) == Approx(1.0));
    CHECK(s.at(3) == Approx(0.1 + 0.9 * (1 + std::cos(pi / 4)) / 2));
    CHECK(s.at(5) == Approx(0.1 + 0.9 * (1 + std::cos(3 * pi / 4)) / 2));
    CHECK(s.at(6) == Approx(0.1));
    CHECK(s.at(1000) == Approx(0.1));
    // Without warm-up: torch CosineAnnealingLR's closed form for 0 <= t <= T_max.
    auto c = LrSchedule<double>::warmup_cosine(0.5, 0, 10, 0.01);
    for (int t = 0; t <= 10; ++t) CHECK(c.at(t) == Approx(0.01 + 0.49 * (1 + std::cos(pi * t / 10)) / 2));
    CHECK_THROWS_AS(LrSchedule<double>::warmup_cosine(1.0, 5, 5), ValueError);
    CHECK_THROWS_AS(LrSchedule<double>::warmup_cosine(1.0, 0, 5, 2.0), ValueError);
}

TEST_CASE("LrSchedule::apply sets the rate for the optimizer's next step", "[optim]") {
    test::ToyParameters<double> toy;
    toy.add("p", Shape{1}, 0.0);
    Sgd<double> sgd(toy.list(), 1.0);
    auto s = LrSchedule<double>::step(1.0, 1, 0.5);
    toy.grads[0][0] = 1.0;
    for (int i = 0; i < 3; ++i) {
        s.apply(sgd);
        sgd.step();
    }
    CHECK(sgd.lr() == 0.25);
    CHECK(toy.values[0][0] == Approx(-(1.0 + 0.5 + 0.25)));
}
