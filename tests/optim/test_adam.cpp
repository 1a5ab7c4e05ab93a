#include <catch2/catch.hpp>

#include "polytag/optim/adam.hpp"
#include "polytag/optim/adamw.hpp"
#include "optim/reference_adam.hpp"
#include "optim/toy_parameters.hpp"

using namespace polytag;
using test::ReferenceAdam;

TEST_CASE("Adam: hand-computed first steps", "[optim]") {
    test::ToyParameters<double> toy;
    toy.add("w", Shape{2}, 0.0);
    Adam<double> adam(toy.list(), 0.1);
    // Element 0 sees g = 1 then g = -1; element 1 a constant g = 0.5.
    toy.grads[0][0] = 1.0;
    toy.grads[0][1] = 0.5;
    adam.step();
    CHECK(adam.steps() == 1);
    // m_hat = g, v_hat = g^2: the first step moves by lr * g / (|g| + eps).
    CHECK(toy.values[0][0] == Approx(-0.1 / (1 + 1e-8)).epsilon(1e-15));
    CHECK(toy.values[0][1] == Approx(-0.1 * 0.5 / (0.5 + 1e-8)).epsilon(1e-15));
    toy.grads[0][0] = -1.0;
    adam.step();
    // m = 0.9 * 0.1 - 0.1 = -0.01, m_hat = -0.01 / 0.19; v = 0.001999, v_hat = 1.
    CHECK(toy.values[0][0] == Approx(-0.1 / (1 + 1e-8) + 0.1 * (0.01 / 0.19) / (1 + 1e-8)).epsilon(1e-13));
    // Constant gradient: m_hat = g and v_hat = g^2 at every step, so each step moves by lr.
    CHECK(toy.values[0][1] == Approx(-0.2).epsilon(1e-7));
}

TEST_CASE("Adam advances ONE step counter per step, shared by all parameter blocks", "[optim]") {
    test::ToyParameters<double> toy;
    for (int i = 0; i < 5; ++i) toy.add("block" + std::to_string(i), Shape{3}, 0.0);
    Adam<double> adam(toy.list(), 0.01);
    for (int s = 1; s <= 4; ++s) {
        for (auto& g : toy.grads) g.fill(2.0);
        adam.step();
        CHECK(adam.steps() == s);
        // With a constant gradient the bias-corrected step is exactly lr per step for EVERY
        // block; a per-block counter would give the later blocks a smaller step.
        for (auto& v : toy.values)
            for (double x : v) CHECK(x == Approx(-0.01 * s).epsilon(1e-8));
    }
}

TEST_CASE("Adam and AdamW follow torch's formulas over many steps", "[optim]") {
    const double lr = 0.05, wd = 0.1;
    for (bool decoupled : {false, true}) {
        test::ToyParameters<double> toy;
        toy.add("a", Shape{2, 2}, 0.0);
        toy.add("b", Shape{3}, 0.0);
        Rng rng(4);
        for (auto& v : toy.values)
            for (auto& x : v) x = rng.uniform(-1, 1);
        std::vector<ReferenceAdam> ref(7, ReferenceAdam{lr, 0.8, 0.95, 1e-6, wd, decoupled});
        std::vector<double> expect;
        for (auto& v : toy.values)
            for (double x : v) expect.push_back(x);
        AdamOptions<double> ao{lr, 0.8, 0.95, 1e-6, wd};
        AdamWOptions<double> wo{lr, 0.8, 0.95, 1e-6, wd};
        Adam<double> adam(toy.list(), ao);
        AdamW<double> adamw(toy.list(), wo);
        for (int s = 0; s < 20; ++s) {
            std::size_t j = 0;
            for (auto& g : toy.grads)
                for (auto& x : g) {
                    x = rng.uniform(-2, 2);
                    expect[j] = ref[j].step(expect[j], x);
                    ++j;
                }
            if (decoupled) adamw.step();
            else adam.step();
        }
        std::size_t j = 0;
        for (auto& v : toy.values)
            for (double x : v) CHECK(x == Approx(expect[j++]).epsilon(1e-12));
    }
}

TEST_CASE("Adam folds weight decay into the gradient, AdamW decays the weight", "[optim]") {
    test::ToyParameters<double> a, w;
    a.add("p", Shape{1}, 1.0);
    w.add("p", Shape{1}, 1.0);
    AdamOptions<double> ao;
    ao.lr = 0.1;
    ao.weight_decay = 0.5;
    Adam<double> adam(a.list(), ao);
    AdamW<double> adamw(w.list(), 0.1, 0.5);
    // Zero gradient: Adam still moves (g = 0.5 * p, first step = lr); AdamW only shrinks p.
    adam.step();
    adamw.step();
    CHECK(a.values[0][0] == Approx(0.9).epsilon(1e-7));
    CHECK(w.values[0][0] == Approx(0.95).epsilon(1e-15));
    adamw.step();
    CHECK(w.values[0][0] == Approx(0.95 * 0.95).epsilon(1e-15));
    CHECK(adamw.steps() == 2);
}

TEST_CASE("Adam validates its parameters and hyper-parameters", "[optim]") {
    test::ToyParameters<double> toy;
    toy.add("p", Shape{2}, 0.0);
    toy.add("p", Shape{2}, 0.0);
    CHECK_THROWS_WITH(Adam<double>(toy.list()), Catch::Contains("'p' appears twice"));
    test::ToyParameters<double> ok;
    ok.add("p", Shape{2}, 0.0);
    AdamOptions<double> bad;
    bad.beta1 = 1.0;
    CHECK_THROWS_AS(Adam<double>(ok.list(), bad), ValueError);
    CHECK_THROWS_AS(Adam<double>(ok.list(), -1.0), ValueError);
    auto list = ok.list();
    list[0].grad = list[0].grad.reshape(Shape{1, 2});
    CHECK_THROWS_AS(Adam<double>(list), ShapeError);
    Adam<double> adam(ok.list(), 0.1);
    adam.set_lr(0.5);
    CHECK(adam.lr() == 0.5);
    CHECK_THROWS_AS(adam.set_lr(-0.1), ValueError);
}

TEST_CASE("Adam in float tracks the double reference", "[optim]") {
    test::ToyParameters<float> toy;
    toy.add("p", Shape{64}, 0.5f);
    Adam<float> adam(toy.list(), 1e-3f);
    std::vector<ReferenceAdam> ref(64, ReferenceAdam{1e-3, 0.9, 0.999, 1e-8, 0, false});
    std::vector<double> expect(64, 0.5);
    Rng rng(8);
    for (int s = 0; s < 50; ++s) {
        for (int i = 0; i < 64; ++i) {
            toy.grads[0][i] = float(rng.uniform(-1, 1));
            expect[i] = ref[i].step(expect[i], toy.grads[0][i]);
        }
        adam.step();
    }
    for (int i = 0; i < 64; ++i) CHECK(toy.values[0][i] == Approx(expect[i]).margin(1e-6));
}
