#include <catch2/catch.hpp>

#include <limits>

#include "polytag/optim/adam.hpp"
#include "polytag/optim/adamw.hpp"
#include "polytag/optim/flush_denormals.hpp"
#include "polytag/optim/sgd.hpp"
#include "optim/toy_parameters.hpp"

using namespace polytag;

namespace {
// Halves the smallest normal float through volatile storage, so the compiler cannot fold it:
// a subnormal unless the thread flushes.
float half_of_smallest_normal() {
    volatile float tiny = std::numeric_limits<float>::min();
    volatile float two = 2.0f;
    return tiny / two;
}
}  // namespace

#if POLYTAG_HAS_MXCSR
TEST_CASE("FlushDenormals flushes subnormal results while alive and restores the mode after", "[optim]") {
    REQUIRE(half_of_smallest_normal() > 0.0f);
    {
        const FlushDenormals flush;
        CHECK(half_of_smallest_normal() == 0.0f);
        {
            const FlushDenormals nested;
            CHECK(half_of_smallest_normal() == 0.0f);
        }
        CHECK(half_of_smallest_normal() == 0.0f);  // the inner guard restored the outer's mode
    }
    CHECK(half_of_smallest_normal() > 0.0f);
}

TEMPLATE_TEST_CASE("Adam and AdamW: a moment that turns subnormal is flushed to zero, the thread's mode is kept",
                   "[optim]", Adam<float>, AdamW<float>) {
    test::ToyParameters<float> toy;
    toy.add("w", Shape{2}, 1.0f);
    TestType opt(toy.list(), 1e-3f);
    // Element 0: g = 1e-19, so v = 0.001 g^2 = 1e-41 (subnormal) and m = 1e-20 (normal).
    // Element 1: g = 1, an ordinary update beside it.
    toy.grads[0][0] = 1e-19f;
    toy.grads[0][1] = 1.0f;
    opt.step();
    CHECK(opt.second_moment(0)[0] == 0.0f);
    CHECK(opt.first_moment(0)[0] == Approx(1e-20f).epsilon(1e-6));
    CHECK(opt.second_moment(0)[1] == Approx(1.0f - 0.999f).epsilon(1e-6));  // (1 - beta2) g^2 in float
    // With v flushed, element 0 moves by step_size * m / eps = 1e-14: lost against 1.0.
    CHECK(toy.values[0][0] == Approx(1.0f - (std::is_same_v<TestType, AdamW<float>> ? 1e-5f : 0.0f)).epsilon(1e-7));
    // m = 1e-20 decays by 0.9 per zero-gradient step: it falls below 1.18e-38 after 393 steps,
    // then is flushed to exactly 0 instead of lingering ~150 more steps as a subnormal.
    toy.grads[0].fill(0.0f);
    for (int s = 0; s < 400; ++s) opt.step();
    CHECK(opt.first_moment(0)[0] == 0.0f);
    CHECK(half_of_smallest_normal() > 0.0f);
}

TEST_CASE("Sgd: a momentum buffer that turns subnormal is flushed to zero", "[optim]") {
    test::ToyParameters<float> toy;
    toy.add("w", Shape{1}, 1.0f);
    Sgd<float> sgd(toy.list(), 0.1f, 0.5f);
    toy.grads[0][0] = std::numeric_limits<float>::min();  // buf = g on the first step
    sgd.step();
    toy.grads[0][0] = 0.0f;
    sgd.step();  // buf = 0.5 * min: subnormal unless flushed
    const auto state = sgd.state();
    bool found = false;
    for (const auto& [key, t] : state)
        if (key.rfind("sgd.momentum", 0) == 0) {
            found = true;
            CHECK(t[0] == 0.0f);
        }
    CHECK(found);
    CHECK(half_of_smallest_normal() > 0.0f);
}
#endif
