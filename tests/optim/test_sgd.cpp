#include <catch2/catch.hpp>

#include "polytag/optim/sgd.hpp"
#include "optim/toy_parameters.hpp"

using namespace polytag;

TEST_CASE("Sgd without momentum: p -= lr * (g + wd p)", "[optim]") {
    test::ToyParameters<double> toy;
    toy.add("p", Shape{2}, 1.0);
    SgdOptions<double> o;
    o.lr = 0.1;
    o.weight_decay = 0.1;
    Sgd<double> sgd(toy.list(), o);
    toy.grads[0][0] = 2.0;
    sgd.step();
    CHECK(toy.values[0][0] == Approx(1 - 0.1 * (2 + 0.1)).epsilon(1e-15));
    CHECK(toy.values[0][1] == Approx(1 - 0.1 * 0.1).epsilon(1e-15));
    CHECK(sgd.steps() == 1);
}

TEST_CASE("Sgd momentum, dampening and Nesterov as torch.optim.SGD", "[optim]") {
    test::ToyParameters<double> toy;
    toy.add("p", Shape{1}, 1.0);
    toy.grads[0][0] = 1.0;
    SECTION("heavy ball") {
        Sgd<double> sgd(toy.list(), 0.1, 0.9);
        sgd.step();  // buf = 1
        CHECK(toy.values[0][0] == Approx(0.9).epsilon(1e-15));
        sgd.step();  // buf = 1.9
        CHECK(toy.values[0][0] == Approx(0.71).epsilon(1e-15));
        sgd.step();  // buf = 2.71
        CHECK(toy.values[0][0] == Approx(0.439).epsilon(1e-14));
        CHECK(sgd.momentum_buffer(0)[0] == Approx(2.71).epsilon(1e-15));
    }
    SECTION("nesterov") {
        Sgd<double> sgd(toy.list(), 0.1, 0.9, true);
        sgd.step();  // buf = 1, d = 1 + 0.9
        CHECK(toy.values[0][0] == Approx(0.81).epsilon(1e-15));
        sgd.step();  // buf = 1.9, d = 1 + 1.71
        CHECK(toy.values[0][0] == Approx(0.539).epsilon(1e-14));
    }
    SECTION("dampening (not applied on the first step, as torch)") {
        SgdOptions<double> o;
        o.lr = 0.1;
        o.momentum = 0.9;
        o.dampening = 0.5;
        Sgd<double> sgd(toy.list(), o);
        sgd.step();  // buf = 1
        CHECK(toy.values[0][0] == Approx(0.9).epsilon(1e-15));
        sgd.step();  // buf = 0.9 + 0.5
        CHECK(toy.values[0][0] == Approx(0.76).epsilon(1e-15));
    }
    SECTION("Nesterov needs momentum and no dampening") {
        CHECK_THROWS_AS(Sgd<double>(toy.list(), 0.1, 0.0, true), ValueError);
        SgdOptions<double> o;
        o.momentum = 0.9;
        o.dampening = 0.1;
        o.nesterov = true;
        CHECK_THROWS_AS(Sgd<double>(toy.list(), o), ValueError);
    }
}
