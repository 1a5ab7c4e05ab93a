// The kernels of tensor/avx2_kernels.hpp. dot_rows_avx2 against a double reference at every
// tail length; add_bias_avx2 and relu_avx2 bit for bit against the scalar rule (NaN, -0, inf
// included). exp_elementwise, through whichever kernel this build and CPU take (Eigen's packets, or the
// AVX2 kernel of tensor/avx2_kernels.hpp in a build without AVX2: tests/tensor/extra.cmake builds
// this file so as well), and the AVX2 kernel itself: close to the exact value (the AVX2 kernel
// within 1.5 float ulps over the whole normal range), 0 below log(FLT_MIN), +inf above
// log(FLT_MAX), NaN kept, and an element's bits independent of its position and of the
// array's length.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "polytag/tensor/kernels.hpp"
#include "polytag/tensor/random.hpp"

using namespace polytag;

namespace {

using ExpFn = void (*)(const float*, float*, Index);

/// A kernel, the arguments over which it is accurate, and how accurate (float ulps).
struct ExpKernel {
    std::string name;
    ExpFn run;
    float from, to;
    double max_ulps;
};

const float kLowest = std::log(std::numeric_limits<float>::min());
const float kHighest = std::log(std::numeric_limits<float>::max());

std::vector<ExpKernel> exp_kernels() {
    // Eigen's packets (3.4): 4.5 ulps next to FLT_MIN with AVX-512, and that pexp clamps its
    // argument at 88.376, so 88.38..88.72 come out +inf there; softmax (arguments <= 0) and
    // sigmoid (saturated long before) never see either end.
    std::vector<ExpKernel> out{{"exp_elementwise", &exp_elementwise<float>, -87.0f, 88.3f, 5.0}};
#if POLYTAG_X86_DISPATCH
    if (detail::cpu_has_avx2_fma()) out.push_back({"exp_avx2", &detail::exp_avx2, kLowest, kHighest, 1.5});
#endif
    return out;
}

/// Distance in float ulps between a float and the exact value (in double).
double ulps(float got, double exact) {
    const double ulp = std::ldexp(1.0, std::ilogb(exact) - 23);
    return std::abs(double(got) - exact) / ulp;
}

std::uint32_t bits(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

}  // namespace

TEST_CASE("exp kernels are close to the exact value over their range", "[tensor][exp]") {
    for (const auto& k : exp_kernels()) {
        INFO(k.name);
        // Every 2^-10 over the range (the highest argument itself excluded: its exact e^x is
        // just above FLT_MAX, so inf and FLT_MAX are both right), the lowest, small values.
        std::vector<float> x;
        for (double v = double(k.from); v < double(k.to); v += 1.0 / 1024) x.push_back(float(v));
        for (float v : {k.from, 0.0f, -0.0f, 1e-30f, -1e-30f, 1e-7f, 0.5f, -0.5f, 0.3465736f, 1.0f}) x.push_back(v);
        std::vector<float> y(x.size());
        k.run(x.data(), y.data(), Index(x.size()));
        double worst = 0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double exact = std::exp(double(x[i]));
            const double u = ulps(y[i], exact);
            if (u > worst) worst = u;
            if (u > k.max_ulps) FAIL_CHECK("exp(" << x[i] << ") = " << y[i] << ", exact " << exact << ": " << u << " ulps");
        }
        INFO("worst " << worst << " ulps");
        CHECK(worst <= k.max_ulps);
        CHECK(y[x.size() - 9] == 1.0f);  // exp(0) and exp(-0) are exactly 1
        CHECK(y[x.size() - 8] == 1.0f);
    }
}

TEST_CASE("exp kernels saturate past the normal range and keep NaN", "[tensor][exp]") {
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> x{std::nextafter(kLowest, -inf), -88.0f, -100.0f, -1e30f, -inf,
                               std::nextafter(kHighest, inf), 89.0f, 1e30f, inf, nan};
    for (const auto& k : exp_kernels()) {
        INFO(k.name);
        std::vector<float> y(x.size(), 7.0f);
        k.run(x.data(), y.data(), Index(x.size()));
        for (int i = 0; i < 5; ++i) CHECK(bits(y[std::size_t(i)]) == bits(0.0f));
        for (int i = 5; i < 9; ++i) CHECK(y[std::size_t(i)] == inf);
        CHECK(std::isnan(y[9]));
        // In place gives the same.
        std::vector<float> z = x;
        k.run(z.data(), z.data(), Index(z.size()));
        for (std::size_t i = 0; i < 9; ++i) CHECK(bits(z[i]) == bits(y[i]));
    }
}

TEST_CASE("exp kernels give an element the same bits at any position and length", "[tensor][exp]") {
    const std::vector<float> values{-3.7f, 0.123f, 12.5f, -0.0001f, 60.25f};
    for (const auto& k : exp_kernels()) {
        INFO(k.name);
        for (float v : values) {
            float ref;
            k.run(&v, &ref, 1);
            for (Index n = 1; n <= 40; ++n)
                for (Index at = 0; at < n; at += 3) {
                    std::vector<float> x(static_cast<std::size_t>(n), 0.5f), y(static_cast<std::size_t>(n));
                    x[std::size_t(at)] = v;
                    k.run(x.data(), y.data(), n);
                    if (bits(y[std::size_t(at)]) != bits(ref))
                        FAIL_CHECK("exp(" << v << ") at " << at << " of " << n << ": " << y[std::size_t(at)] << " vs " << ref);
                }
        }
    }
}

#if POLYTAG_X86_DISPATCH
TEST_CASE("exp_elementwise takes the AVX2 kernel exactly when built without AVX2 on an AVX2 CPU", "[tensor][exp]") {
    if (!detail::cpu_has_avx2_fma()) {
        WARN("skipped: this CPU has no AVX2 and FMA");
        return;
    }
    std::vector<float> x;
    for (int i = 0; i < 1000; ++i) x.push_back(float(i) * 0.168f - 80.0f);  // -80 .. 87.8
    std::vector<float> a(x.size()), b(x.size());
    exp_elementwise<float>(x.data(), a.data(), Index(x.size()));
    detail::exp_avx2(x.data(), b.data(), Index(x.size()));
#if defined(__AVX2__)
    // Eigen's packets for this build's instruction set: close, not necessarily the same bits.
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(ulps(a[i], std::exp(double(x[i]))) <= 5);
#else
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(bits(a[i]) == bits(b[i]));
#endif
}
#endif

#if POLYTAG_X86_DISPATCH
TEST_CASE("dot_rows_avx2 adds the bias to each pair of rows' dot product", "[tensor][avx2]") {
    if (!detail::cpu_has_avx2_fma()) {
        WARN("skipped: this CPU has no AVX2 and FMA");
        return;
    }
    Rng rng(3);
    for (Index width : {1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 63, 64, 65, 70, 256}) {
        const Index rows = 5;
        std::vector<float> a(static_cast<std::size_t>(rows * width)), b(a.size()), c(static_cast<std::size_t>(rows)),
            y(static_cast<std::size_t>(rows + 1), 9.0f);
        for (auto& v : a) v = float(rng.uniform(-1, 1));
        for (auto& v : b) v = float(rng.uniform(-1, 1));
        for (auto& v : c) v = float(rng.uniform(-1, 1));
        detail::dot_rows_avx2(a.data(), b.data(), c.data(), rows, width, y.data());
        for (Index k = 0; k < rows; ++k) {
            double ref = c[std::size_t(k)], mag = std::abs(ref);
            for (Index j = 0; j < width; ++j) {
                ref += double(a[std::size_t(k * width + j)]) * double(b[std::size_t(k * width + j)]);
                mag += std::abs(double(a[std::size_t(k * width + j)]) * double(b[std::size_t(k * width + j)]));
            }
            INFO("width " << width << " row " << k);
            CHECK(std::abs(double(y[std::size_t(k)]) - ref) <= 1e-6 * mag);
        }
        CHECK(y[std::size_t(rows)] == 9.0f);  // nothing past the last row
    }
}
#endif

#if POLYTAG_X86_DISPATCH
TEST_CASE("add_bias_avx2 and relu_avx2 give the scalar rule's bits", "[tensor][avx2]") {
    if (!detail::cpu_has_avx2_fma()) {
        WARN("skipped: this CPU has no AVX2 and FMA");
        return;
    }
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    Rng rng(4);
    for (Index cols = 1; cols <= 40; ++cols) {
        const Index rows = 3, ld = cols + 3;
        std::vector<float> m(static_cast<std::size_t>(rows * ld)), bias(static_cast<std::size_t>(cols));
        for (auto& v : m) v = float(rng.uniform(-2, 2));
        for (auto& v : bias) v = float(rng.uniform(-2, 2));
        std::vector<float> want = m;
        for (Index i = 0; i < rows; ++i)
            for (Index j = 0; j < cols; ++j) want[std::size_t(i * ld + j)] += bias[std::size_t(j)];
        detail::add_bias_avx2(m.data(), rows, cols, ld, bias.data());
        for (std::size_t i = 0; i < m.size(); ++i) CHECK(bits(m[i]) == bits(want[i]));  // the padding untouched too
    }
    const std::vector<float> special{nan, -nan, -0.0f, 0.0f, inf, -inf, -1e-40f, 1e-40f, -3.0f, 2.5f};
    for (Index n = 0; n <= 40; ++n) {
        std::vector<float> x(static_cast<std::size_t>(n));
        for (Index i = 0; i < n; ++i)
            x[std::size_t(i)] = i % 3 == 0 ? special[std::size_t(i / 3) % special.size()] : float(rng.uniform(-1, 1));
        std::vector<float> y(x.size(), 7.0f), z = x;
        detail::relu_avx2(x.data(), y.data(), n);
        detail::relu_avx2(z.data(), z.data(), n);  // in place
        for (std::size_t i = 0; i < x.size(); ++i) {
            const float want = std::isnan(x[i]) ? x[i] : (x[i] < 0.0f ? 0.0f : x[i]);  // std::max(x, 0)
            INFO("n " << n << " x " << x[i]);
            CHECK(bits(y[i]) == bits(want));
            CHECK(bits(z[i]) == bits(want));
        }
    }
}
#endif
