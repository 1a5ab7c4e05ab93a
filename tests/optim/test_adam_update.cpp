#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "polytag/optim/adam.hpp"
#include "polytag/optim/adamw.hpp"
#include "polytag/tensor/random.hpp"
#include "optim/reference_adam.hpp"
#include "optim/toy_parameters.hpp"

using namespace polytag;
using detail::AdamConstants;

namespace {

using KernelFn = void (*)(const AdamConstants<float>&, float*, const float*, float*, float*, Index);

struct Kernel {
    std::string name;
    KernelFn run;
};

/// The kernels this CPU runs, for the decay form `Decoupled`.
template <bool Decoupled>
std::vector<Kernel> kernels() {
    std::vector<Kernel> out{{"eigen", &detail::adam_update_eigen<float, Decoupled>}};
#if POLYTAG_X86_DISPATCH
    if (detail::cpu_has_avx()) out.push_back({"avx", &detail::adam_update_avx<Decoupled>});
#endif
    return out;
}

template <bool Decoupled>
void check_tracks_reference(float wd) {
    const float lr = 1e-2f, b1 = 0.9f, b2 = 0.99f, eps = 1e-6f;
    // Lengths around the 4-, 8- and 16-float packets, so every tail and a few full blocks run.
    for (const Index n : {1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 100}) {
        for (const Kernel& kernel : kernels<Decoupled>()) {
            CAPTURE(kernel.name, n, Decoupled, wd);
            Rng rng(std::uint64_t(n) * 7 + (Decoupled ? 1 : 0));
            std::vector<float> p(n), g(n), m(n, 0.0f), v(n, 0.0f);
            std::vector<double> expect(n);
            std::vector<test::ReferenceAdam> ref(n, test::ReferenceAdam{lr, b1, b2, eps, wd, Decoupled});
            for (Index i = 0; i < n; ++i) expect[i] = p[i] = float(rng.uniform(-1, 1));
            for (int t = 1; t <= 40; ++t) {
                for (Index i = 0; i < n; ++i) {
                    // Some exact zeros: a moment that only decays.
                    g[i] = (i % 5 == 2 && t > 10) ? 0.0f : float(rng.uniform(-1, 1));
                    expect[i] = ref[i].step(expect[i], g[i]);
                }
                kernel.run(detail::adam_constants(lr, b1, b2, eps, wd, t), p.data(), g.data(), m.data(), v.data(), n);
            }
            // 40 steps of lr 1e-2 move each parameter by up to 0.4: an element left out or
            // a wrong term is off by far more than the float rounding allowed here.
            for (Index i = 0; i < n; ++i) {
                CAPTURE(i);
                CHECK(p[i] == Approx(expect[i]).margin(1e-5));
                CHECK(m[i] == Approx(ref[i].m).margin(1e-6));
                CHECK(v[i] == Approx(ref[i].v).margin(1e-6));
            }
        }
    }
}

}  // namespace

TEST_CASE("adam_update: every kernel tracks the double reference, at every tail length", "[optim]") {
    check_tracks_reference<false>(0.0f);
    check_tracks_reference<false>(0.05f);
    check_tracks_reference<true>(0.05f);
}

TEST_CASE("adam_update: the AVX kernel gives Eigen's m and v bit for bit, p within float rounding", "[optim]") {
#if POLYTAG_X86_DISPATCH
    if (!detail::cpu_has_avx()) {
        WARN("skipped: this CPU has no AVX");
        return;
    }
    for (const bool decoupled : {false, true}) {
        const KernelFn eigen = decoupled ? &detail::adam_update_eigen<float, true> : &detail::adam_update_eigen<float, false>;
        const KernelFn avx = decoupled ? &detail::adam_update_avx<true> : &detail::adam_update_avx<false>;
        const auto k = detail::adam_constants(1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 7);
        for (Index n = 0; n <= 1000; n += (n < 40 ? 1 : 320)) {
            CAPTURE(decoupled, n);
            Rng rng(std::uint64_t(n) + 100);
            // One float past an aligned start: the loads and stores are unaligned.
            std::vector<float> p0(n + 1), g(n + 1), m0(n + 1), v0(n + 1);
            for (Index i = 0; i <= n; ++i) {
                p0[i] = float(rng.uniform(-1, 1));
                g[i] = float(rng.normal());
                m0[i] = float(rng.uniform(-0.1, 0.1));
                v0[i] = i % 9 == 0 ? 0.0f : float(rng.uniform(0, 0.1));
            }
            std::vector<float> pe = p0, me = m0, ve = v0, pa = p0, ma = m0, va = v0;
            eigen(k, pe.data() + 1, g.data() + 1, me.data() + 1, ve.data() + 1, n);
            avx(k, pa.data() + 1, g.data() + 1, ma.data() + 1, va.data() + 1, n);
            CHECK(ma == me);
            CHECK(va == ve);
            for (Index i = 0; i <= n; ++i) {
                CAPTURE(i);
                CHECK(pa[i] == Approx(pe[i]).epsilon(1e-6));
            }
            CHECK(pa[0] == p0[0]);  // nothing before the range is touched
        }
    }
#else
    WARN("skipped: the AVX kernel exists on x86 with GCC or Clang only");
#endif
}

TEST_CASE("Adam<float> steps through adam_update's kernel for this build and CPU", "[optim]") {
    // In a build without AVX2 on an AVX CPU that is the AVX kernel (tests/optim/extra.cmake
    // builds these tests so as well), else Eigen's packets.
#if POLYTAG_X86_DISPATCH && !defined(__AVX2__)
    const bool avx = detail::cpu_has_avx();
#else
    const bool avx = false;
#endif
    CAPTURE(avx);
    test::ToyParameters<float> toy;
    toy.add("p", Shape{37}, 0.25f);
    AdamW<float> adam(toy.list(), AdamWOptions<float>{1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f});
    std::vector<float> p(37, 0.25f), m(37, 0.0f), v(37, 0.0f);
    Rng rng(5);
    for (int t = 1; t <= 3; ++t) {
        for (Index i = 0; i < 37; ++i) toy.grads[0][i] = float(rng.uniform(-1, 1));
        adam.step();
        const auto k = detail::adam_constants(1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, t);
#if POLYTAG_X86_DISPATCH
        if (avx) detail::adam_update_avx<true>(k, p.data(), toy.grads[0].data(), m.data(), v.data(), 37);
        else
#endif
            detail::adam_update_eigen<float, true>(k, p.data(), toy.grads[0].data(), m.data(), v.data(), 37);
    }
    for (Index i = 0; i < 37; ++i) {
        CAPTURE(i);
        CHECK(toy.values[0][i] == p[i]);  // the same bits
        CHECK(adam.first_moment(0)[i] == m[i]);
        CHECK(adam.second_moment(0)[i] == v[i]);
    }
}
