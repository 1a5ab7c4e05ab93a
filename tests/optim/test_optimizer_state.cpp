#include <catch2/catch.hpp>

#include "polytag/optim/adam.hpp"
#include "polytag/optim/adamw.hpp"
#include "polytag/optim/sgd.hpp"
#include "optim/toy_parameters.hpp"

using namespace polytag;

namespace {
test::ToyParameters<float> make_toy() {
    test::ToyParameters<float> toy;
    toy.add("0.weight", Shape{3, 2}, 0.25f);
    toy.add("0.bias", Shape{3}, -0.5f);
    return toy;
}
void fill_grads(test::ToyParameters<float>& toy, Rng& rng) {
    for (auto& g : toy.grads)
        for (auto& x : g) x = float(rng.uniform(-1, 1));
}

// Runs 3 steps on A, copies weights + optimizer state into a fresh B, then 4 more steps on
// both with the same gradients: the weights must stay bit-identical.
template <typename Opt>
void check_round_trip(Opt make(ParameterList<float>)) {
    auto a = make_toy();
    Opt opt_a = make(a.list());
    Rng rng(1);
    for (int s = 0; s < 3; ++s) {
        fill_grads(a, rng);
        opt_a.step();
    }
    opt_a.set_lr(opt_a.lr() * 0.5f);
    const auto saved = opt_a.state();

    auto b = make_toy();
    b.values = a.values;
    Opt opt_b = make(b.list());
    opt_b.load_state(saved);
    CHECK(opt_b.steps() == 3);
    CHECK(opt_b.lr() == opt_a.lr());
    for (int s = 0; s < 4; ++s) {
        fill_grads(a, rng);
        b.grads = a.grads;
        opt_a.step();
        opt_b.step();
    }
    for (std::size_t i = 0; i < a.values.size(); ++i)
        for (Index j = 0; j < a.values[i].size(); ++j) CHECK(a.values[i][j] == b.values[i][j]);
}
}  // namespace

TEST_CASE("Adam state names and round trip", "[optim]") {
    auto toy = make_toy();
    Adam<float> adam(toy.list(), 0.01f);
    auto s = adam.state();
    REQUIRE(s.size() == 6);
    CHECK(s[0].first == "adam.m.0.weight");
    CHECK(s[1].first == "adam.v.0.weight");
    CHECK(s[2].first == "adam.m.0.bias");
    CHECK(s[4].first == "adam.step");
    CHECK(s[5].first == "adam.lr");
    CHECK(s[0].second.shape() == Shape{3, 2});
    check_round_trip<Adam<float>>([](ParameterList<float> p) { return Adam<float>(std::move(p), 0.01f); });
}

TEST_CASE("AdamW and Sgd state round trip", "[optim]") {
    check_round_trip<AdamW<float>>([](ParameterList<float> p) { return AdamW<float>(std::move(p), 0.01f, 0.1f); });
    check_round_trip<Sgd<float>>([](ParameterList<float> p) { return Sgd<float>(std::move(p), 0.1f, 0.9f, true); });
    auto toy = make_toy();
    Sgd<float> sgd(toy.list(), 0.1f, 0.9f);
    CHECK(sgd.state()[0].first == "sgd.momentum.0.weight");
}

TEST_CASE("load_state names what is missing, extra or mis-shaped and changes nothing", "[optim]") {
    auto toy = make_toy();
    Adam<float> adam(toy.list(), 0.01f);
    toy.grads[0].fill(1.0f);
    adam.step();
    const auto good = adam.state();

    auto missing = good;
    missing.erase(missing.begin() + 3);  // adam.v.0.bias
    CHECK_THROWS_WITH(adam.load_state(missing), Catch::Contains("missing state 'adam.v.0.bias'") &&
                                                    Catch::Contains("parameter '0.bias'"));
    auto extra = good;
    extra.emplace_back("adam.m.1.weight", Tensor<float>(Shape{2}, 0.0f));
    CHECK_THROWS_WITH(adam.load_state(extra), Catch::Contains("unexpected state entry 'adam.m.1.weight'"));
    auto misshaped = good;
    misshaped[0].second = Tensor<float>(Shape{2, 3}, 0.0f);
    CHECK_THROWS_AS(adam.load_state(misshaped), ShapeError);
    auto bad_step = good;
    bad_step[4].second[0] = 1.5f;
    CHECK_THROWS_AS(adam.load_state(bad_step), ValueError);

    // The failed loads left the optimizer as it was.
    CHECK(adam.steps() == 1);
    CHECK(adam.first_moment(0)[0] == Approx(0.1f));

    // Another optimizer's state is refused.
    AdamW<float> adamw(toy.list());
    CHECK_THROWS_AS(adamw.load_state(good), ValueError);
}
