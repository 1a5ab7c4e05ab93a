#pragma once
// Float kernels in AVX2 + FMA registers, compiled through a target attribute, for programs
// built without AVX2 (a library user's default flags), where Eigen's packets are SSE2. Their
// callers run them when the including file lacks __AVX2__ and cpu_has_avx2_fma():
//   exp_avx2       exp_elementwise (tensor/kernels.hpp): the attention's softmax, Sigmoid.
//                  Eigen's SSE2 exp takes about 10x as long per element.
//   dot_rows_avx2  MultiHead's per-task output layer (nn/multi_head.hpp): a dot product per
//                  task and clip.
//   add_bias_avx2  add_bias (tensor/kernels.hpp): Dense, Conv2d and MultiHead's biases.
//   relu_avx2      Relu's forward (nn/activation.hpp).
// add_bias_avx2 and relu_avx2 give the same bits as Eigen's packets (an add; a max).
// In a baseline build they made the OpenMIC model's batch-1024 tagging 1.33x faster (docs/speed.md,
// "The flags that matter"). Written with GCC vector extensions and builtins rather than
// <immintrin.h>, which costs a baseline translation unit half a second to parse
// (optim/adam_update.hpp does the same for Adam's AVX kernel).
//
// exp: the method is Cephes' expf, as in Eigen's pexp: x = n ln 2 + r with n = floor(x log2 e + 1/2),
// so |r| <= ln 2 / 2, r taken in two steps (ln 2 = C1 + C2, C1 exact in a few bits) so that n C1
// is exact; e^r by a degree-5 polynomial in r times r^2 plus 1 + r; then times 2^n, put
// together in the exponent bits as 2^(n/2) 2^(n - n/2) so that n = 128 does not overflow them.
// The multiply-adds are explicit FMAs, so the bits do not depend on -ffp-contract. Within 1.5
// float ulps of the exact value (1.23 at worst over the range; tests/tensor/test_avx2_kernels.cpp).
// Outside the range of normal results the answer is that of exp_elementwise: 0 below
// log(FLT_MIN), +inf above log(FLT_MAX); NaN stays NaN.
#include <algorithm>

#include "polytag/tensor/cpu_features.hpp"
#include "polytag/tensor/shape.hpp"

#if POLYTAG_X86_DISPATCH
namespace polytag::detail {

typedef float Avx2Float8 __attribute__((vector_size(32)));
typedef int Avx2Int8 __attribute__((vector_size(32)));

__attribute__((target("avx2,fma"))) inline Avx2Float8 avx2_fma8(Avx2Float8 a, Avx2Float8 b, Avx2Float8 c) {
    return __builtin_ia32_vfmaddps256(a, b, c);  // a b + c, one rounding
}

/// e^x of 8 floats (see the header comment for the method and the ends of the range).
__attribute__((target("avx2,fma"))) inline Avx2Float8 exp8_avx2(Avx2Float8 x) {
    // std::log of FLT_MIN and FLT_MAX in float, the bounds exp_elementwise's Eigen path uses.
    const Avx2Float8 lowest = Avx2Float8{} - 0x1.5d58ap+6f, highest = Avx2Float8{} + 0x1.62e43p+6f;
    const Avx2Float8 xc = x < lowest ? lowest : (x > highest ? highest : x);  // NaN stays NaN
    const Avx2Float8 half = Avx2Float8{} + 0.5f, one = Avx2Float8{} + 1.0f;
    // n = floor(x log2 e + 1/2): roundps mode 9 = floor, exceptions suppressed.
    const Avx2Float8 n = __builtin_ia32_roundps256(avx2_fma8(xc, Avx2Float8{} + 1.44269504088896341f, half), 9);
    Avx2Float8 r = avx2_fma8(n, Avx2Float8{} - 0.693359375f, xc);  // x - n C1, exact
    r = avx2_fma8(n, Avx2Float8{} + 2.12194440e-4f, r);          // - n C2
    const Avx2Float8 r2 = r * r;
    Avx2Float8 p = avx2_fma8(Avx2Float8{} + 1.9875691500e-4f, r, Avx2Float8{} + 1.3981999507e-3f);
    p = avx2_fma8(p, r, Avx2Float8{} + 8.3334519073e-3f);
    p = avx2_fma8(p, r, Avx2Float8{} + 4.1665795894e-2f);
    p = avx2_fma8(p, r, Avx2Float8{} + 1.6666665459e-1f);
    p = avx2_fma8(p, r, Avx2Float8{} + 5.0000001201e-1f);
    const Avx2Float8 er = avx2_fma8(p, r2, r + one);  // e^r
    // 2^n for n in [-126, 128] as two powers of two in [2^-63, 2^64], from their exponent bits.
    const Avx2Int8 ni = __builtin_convertvector(n, Avx2Int8);
    const Avx2Int8 n1 = ni >> 1, n2 = ni - n1;
    const Avx2Float8 s1 = (Avx2Float8)((n1 + 127) << 23), s2 = (Avx2Float8)((n2 + 127) << 23);
    const Avx2Float8 e = er * s1 * s2;
    const Avx2Float8 zero = {}, inf = Avx2Float8{} + __builtin_inff();
    return x < lowest ? zero : (x > highest ? inf : e);
}

/// y[i] = e^x[i] for i < n; x and y may be the same array. The last partial block runs on a
/// zero-padded copy through the same code, so an element's result does not depend on where
/// it sits. Call only where cpu_has_avx2_fma().
__attribute__((target("avx2,fma"))) inline void exp_avx2(const float* x, float* y, Index n) {
    Index i = 0;
    for (; i + 8 <= n; i += 8) {
        Avx2Float8 v;
        __builtin_memcpy(&v, x + i, sizeof v);  // unaligned loads and stores (vmovups)
        v = exp8_avx2(v);
        __builtin_memcpy(y + i, &v, sizeof v);
    }
    if (i == n) return;
    float buf[8] = {};
    std::copy(x + i, x + n, buf);
    Avx2Float8 v;
    __builtin_memcpy(&v, buf, sizeof v);
    v = exp8_avx2(v);
    __builtin_memcpy(buf, &v, sizeof v);
    std::copy(buf, buf + (n - i), y + i);
}

/// y[k] = (sum over j < width of a[k width + j] b[k width + j]) + c[k], for k < rows: the dot
/// products of the rows of two (rows, width) arrays, plus a bias. Four 8-lane accumulators,
/// summed pairwise at the end; a row's tail runs as a zero-padded block, so each result depends
/// only on its own two rows. Call only where cpu_has_avx2_fma().
__attribute__((target("avx2,fma"))) inline void dot_rows_avx2(const float* a, const float* b, const float* c, Index rows,
                                                              Index width, float* y) {
    for (Index k = 0; k < rows; ++k) {
        const float* ak = a + k * width;
        const float* bk = b + k * width;
        Avx2Float8 acc[4] = {};
        Index j = 0;
        for (; j + 32 <= width; j += 32)
            for (int u = 0; u < 4; ++u) {
                Avx2Float8 va, vb;
                __builtin_memcpy(&va, ak + j + 8 * u, sizeof va);
                __builtin_memcpy(&vb, bk + j + 8 * u, sizeof vb);
                acc[u] = avx2_fma8(va, vb, acc[u]);
            }
        for (int u = 0; j < width; j += 8, ++u) {
            float pa[8] = {}, pb[8] = {};
            const Index m = std::min<Index>(8, width - j);
            std::copy(ak + j, ak + j + m, pa);
            std::copy(bk + j, bk + j + m, pb);
            Avx2Float8 va, vb;
            __builtin_memcpy(&va, pa, sizeof va);
            __builtin_memcpy(&vb, pb, sizeof vb);
            acc[u % 4] = avx2_fma8(va, vb, acc[u % 4]);
        }
        const Avx2Float8 s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        y[k] = (((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]))) + c[k];
    }
}

/// m[i ld + j] += bias[j] for i < rows, j < cols. Call only where cpu_has_avx2_fma().
__attribute__((target("avx2,fma"))) inline void add_bias_avx2(float* m, Index rows, Index cols, Index ld,
                                                              const float* bias) {
    for (Index i = 0; i < rows; ++i) {
        float* row = m + i * ld;
        Index j = 0;
        for (; j + 8 <= cols; j += 8) {
            Avx2Float8 v, b;
            __builtin_memcpy(&v, row + j, sizeof v);
            __builtin_memcpy(&b, bias + j, sizeof b);
            v += b;
            __builtin_memcpy(row + j, &v, sizeof v);
        }
        for (; j < cols; ++j) row[j] += bias[j];
    }
}

/// y[i] = max(x[i], 0) for i < n, as Eigen's max(x, 0): NaN stays NaN, -0 stays -0 (vmaxps
/// with x second returns x when either is NaN or both are zeros). x and y may be the same
/// array. Call only where cpu_has_avx2_fma().
__attribute__((target("avx2,fma"))) inline void relu_avx2(const float* x, float* y, Index n) {
    const Avx2Float8 zero = {};
    Index i = 0;
    for (; i + 8 <= n; i += 8) {
        Avx2Float8 v;
        __builtin_memcpy(&v, x + i, sizeof v);
        v = __builtin_ia32_maxps256(zero, v);
        __builtin_memcpy(y + i, &v, sizeof v);
    }
    for (; i < n; ++i) y[i] = 0.0f > x[i] ? 0.0f : x[i];  // NaN and -0 as vmaxps(0, x)
}

}  // namespace polytag::detail
#endif
