// The 8-bit kernel (gemm_u8s8: u8 x s8 -> s32) against an exact integer reference, for every
// kernel this CPU runs, at odd sizes (every tail of rows, channel panels and groups of 4),
// and at the extremes where a saturating int16 route (vpmaddubsw) would be wrong: 255 x -128.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <tuple>
#include <vector>

#include "polytag/tensor/gemm_u8s8.hpp"
#include "polytag/tensor/random.hpp"

using namespace polytag;

namespace {

const std::vector<U8S8Kernel> kKernels = {U8S8Kernel::Auto, U8S8Kernel::Scalar, U8S8Kernel::Avx2,
                                          U8S8Kernel::Vnni512, U8S8Kernel::Xsmm};

std::vector<std::int32_t> reference(Index m, Index n, Index k, const std::vector<std::uint8_t>& a, Index lda,
                                    const std::vector<std::int8_t>& b, Index ldb) {
    std::vector<std::int32_t> c(std::size_t(m * n));
    for (Index i = 0; i < m; ++i)
        for (Index j = 0; j < n; ++j) {
            std::int64_t s = 0;
            for (Index p = 0; p < k; ++p) s += std::int64_t(a[std::size_t(i * lda + p)]) * b[std::size_t(j * ldb + p)];
            c[std::size_t(i * n + j)] = std::int32_t(s);
        }
    return c;
}

void check(Index m, Index n, Index k, const std::vector<std::uint8_t>& a, Index lda, const std::vector<std::int8_t>& b,
           Index ldb) {
    const auto ref = reference(m, n, k, a, lda, b, ldb);
    const PackedS8 packed(b.data(), n, k, ldb);
    for (U8S8Kernel kern : kKernels) {
        if (!u8s8_kernel_available(kern)) continue;
        std::vector<std::int32_t> c(std::size_t(m * n), -7);
        U8S8Epilogue e;
        e.c = c.data();
        e.ldc = n;
        gemm_u8s8(m, a.data(), lda, packed, e, kern);
        Index bad = 0;
        for (std::size_t i = 0; i < c.size(); ++i) bad += c[i] != ref[i];
        INFO(u8s8_kernel_name(kern) << " m=" << m << " n=" << n << " k=" << k << " lda=" << lda);
        CHECK(bad == 0);
    }
}

}  // namespace

TEST_CASE("gemm_u8s8 equals the exact integer product for random bytes", "[tensor][u8s8]") {
    Rng rng(5);
    for (auto [m, n, k] : {std::tuple<Index, Index, Index>{640, 256, 128}, {64, 512, 1280}, {1, 1, 1}, {7, 17, 5},
                           {13, 33, 131}, {6, 32, 4}, {5, 15, 3}, {2, 48, 130}, {1, 256, 128},
                           {9, 112, 67}, {6, 80, 130},  // 7 and 5 panels: the 4-, 2- and 1-panel blocks
                           {65, 20, 132}, {129, 40, 7}}) {  // Xsmm's blocks of 64 rows and a last one
        // rows wider than k (the kernels read only k bytes), an odd lda and one a multiple of 4
        // (Xsmm's condition; it falls back to Vnni512 otherwise)
        for (Index lda : {k + 3, (k + 3) / 4 * 4 + 4}) {
            const Index ldb = k + 1;
            std::vector<std::uint8_t> a(std::size_t(m * lda));
            std::vector<std::int8_t> b(std::size_t(n * ldb));
            for (auto& x : a) x = std::uint8_t(rng.below(256));
            for (auto& x : b) x = std::int8_t(int(rng.below(256)) - 128);
            check(m, n, k, a, lda, b, ldb);
        }
    }
}

TEST_CASE("gemm_u8s8 is exact at the saturation-prone extremes 255 x -128 and 255 x 127", "[tensor][u8s8]") {
    // vpmaddubsw would sum 255 * -128 twice into int16 (-65,280) and saturate at -32,768.
    for (auto [m, n, k] : {std::tuple<Index, Index, Index>{6, 32, 128}, {7, 17, 1280}, {3, 5, 3}}) {
        for (int wv : {-128, 127}) {
            std::vector<std::uint8_t> a(std::size_t(m * k), 255);
            std::vector<std::int8_t> b(std::size_t(n * k), std::int8_t(wv));
            check(m, n, k, a, k, b, k);
        }
        // alternating signs and bytes: sums of opposite extremes in one group of 4
        std::vector<std::uint8_t> a(std::size_t(m * k));
        std::vector<std::int8_t> b(std::size_t(n * k));
        for (std::size_t i = 0; i < a.size(); ++i) a[i] = (i % 3) ? 255 : 0;
        for (std::size_t i = 0; i < b.size(); ++i) b[i] = std::int8_t((i % 2) ? -128 : 127);
        check(m, n, k, a, k, b, k);
    }
    // the value itself: 1280 x 255 x -128
    std::vector<std::uint8_t> a(1280, 255);
    std::vector<std::int8_t> b(1280, -128);
    const PackedS8 packed(b.data(), 1, 1280, 1280);
    for (U8S8Kernel kern : kKernels) {
        if (!u8s8_kernel_available(kern)) continue;
        std::int32_t c = 0;
        U8S8Epilogue e;
        e.c = &c;
        e.ldc = 1;
        gemm_u8s8(1, a.data(), 1280, packed, e, kern);
        CHECK(c == -1280 * 255 * 128);
    }
}

TEST_CASE("gemm_u8s8's float epilogue applies scale, bias and ReLU per channel", "[tensor][u8s8]") {
    const Index m = 9, n = 19, k = 21, lda = 24;  // lda a multiple of 4: Xsmm runs it too
    Rng rng(9);
    std::vector<std::uint8_t> a(std::size_t(m * lda));
    std::vector<std::int8_t> b(std::size_t(n * k));
    for (auto& x : a) x = std::uint8_t(rng.below(256));
    for (auto& x : b) x = std::int8_t(int(rng.below(256)) - 128);
    std::vector<float> scale(static_cast<std::size_t>(n)), bias(static_cast<std::size_t>(n));
    for (Index j = 0; j < n; ++j) {
        scale[std::size_t(j)] = 0.001f * float(j + 1);
        bias[std::size_t(j)] = float(j) - 9.0f;
    }
    const auto ref = reference(m, n, k, a, lda, b, k);
    const PackedS8 packed(b.data(), n, k, k);
    for (U8S8Kernel kern : kKernels) {
        if (!u8s8_kernel_available(kern)) continue;
        for (bool relu : {false, true}) {
            std::vector<float> y(std::size_t(m * (n + 2)), -99.0f);
            U8S8Epilogue e;
            e.y = y.data();
            e.ldy = n + 2;
            e.scale = scale.data();
            e.bias = bias.data();
            e.relu = relu;
            gemm_u8s8(m, a.data(), lda, packed, e, kern);
            for (Index i = 0; i < m; ++i)
                for (Index j = 0; j < n + 2; ++j) {
                    const float got = y[std::size_t(i * (n + 2) + j)];
                    if (j >= n) {
                        CHECK(got == -99.0f);  // padding untouched
                        continue;
                    }
                    float want = std::fma(scale[std::size_t(j)], float(ref[std::size_t(i * n + j)]), bias[std::size_t(j)]);
                    if (relu) want = std::max(want, 0.0f);
                    CHECK(got == want);
                }
        }
    }
}

TEST_CASE("gemm_u8s8 checks its arguments and kernels", "[tensor][u8s8]") {
    std::vector<std::int8_t> b(12, 1);
    const PackedS8 packed(b.data(), 3, 4, 4);
    std::vector<std::uint8_t> a(8, 1);
    std::vector<std::int32_t> c(6);
    U8S8Epilogue e;
    e.c = c.data();
    e.ldc = 3;
    CHECK_THROWS_AS(gemm_u8s8(2, a.data(), 3, packed, e), ShapeError);  // lda < k
    U8S8Epilogue none;
    CHECK_THROWS_AS(gemm_u8s8(2, a.data(), 4, packed, none), ShapeError);
    CHECK_THROWS_AS(PackedS8(b.data(), 0, 4, 4), ShapeError);
    CHECK(u8s8_kernel_available(u8s8_best_kernel()));
    gemm_u8s8(2, a.data(), 4, packed, e);
    for (auto v : c) CHECK(v == 4);
}
