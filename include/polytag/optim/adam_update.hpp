#pragma once
// The Adam / AdamW element update (adam.hpp has the formulas), one pass over p, g, m and v:
//
//   adam_update<T, Decoupled>(k, p, g, m, v, n)
//
// Two kernels, the same arithmetic in the same order (no fused multiply-add in either):
//   - adam_update_eigen: Eigen's packets for the instruction set the including file is compiled
//     for (AVX-512 with -march=native on such a CPU, SSE2 in a baseline x86-64 build).
//   - adam_update_avx (float, x86 with GCC or Clang): 8 floats a step in AVX registers, compiled
//     through a target attribute, so it is there whatever the user's flags. adam_update runs it
//     when the including file is compiled without AVX2 and the CPU has AVX: a program built
//     without -march (a library user's default) then steps 2-5x faster than with SSE2
//     (docs/speed.md: 2x on 2^20 parameters, 5x in the reference epoch). Written with GCC vector extensions rather than <immintrin.h>, which
//     would add half a second to every baseline translation unit that includes the optimizer.
// The square root: Eigen's psqrt under EIGEN_FAST_MATH (its default) is the CPU's reciprocal
// square root estimate refined by one Newton step (SSE, AVX and AVX-512 alike; the estimate
// differs between Intel and AMD); adam_update_avx takes the exact vsqrtps. So m and v come out
// bit-identical from both kernels and p within a few float ulps
// (tests/optim/test_adam_update.cpp). Nothing allocates.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include <Eigen/Core>

#include "polytag/tensor/cpu_features.hpp"
#include "polytag/tensor/shape.hpp"

namespace polytag::detail {

/// Per-step constants of the update, derived once per step() from the hyper-parameters.
template <typename T>
struct AdamConstants {
    T step_size;       ///< lr / (1 - beta1^t)
    T inv_bias2_sqrt;  ///< 1 / sqrt(1 - beta2^t)
    T b1, b2;          ///< beta1, beta2
    T c1, c2;          ///< 1 - beta1, 1 - beta2
    T eps;
    T wd;      ///< weight decay (Adam: added to the gradient as wd * p)
    T shrink;  ///< 1 - lr * wd (AdamW: the decoupled decay of p)
};

/// The constants of step `t` (1, 2, ...); the bias corrections are computed in double.
template <typename T>
AdamConstants<T> adam_constants(T lr, T beta1, T beta2, T eps, T weight_decay, std::int64_t t) {
    const double bias1 = 1.0 - std::pow(double(beta1), double(t));
    const double bias2 = 1.0 - std::pow(double(beta2), double(t));
    AdamConstants<T> k;
    k.step_size = T(double(lr) / bias1);
    // torch divides sqrt(v) by sqrt(bias2); multiplying by the inverse differs by rounding only.
    k.inv_bias2_sqrt = T(1.0 / std::sqrt(bias2));
    k.b1 = beta1;
    k.b2 = beta2;
    k.c1 = T(1) - beta1;
    k.c2 = T(1) - beta2;
    k.eps = eps;
    k.wd = weight_decay;
    k.shrink = T(1.0 - double(lr) * double(weight_decay));
    return k;
}

/// Runs `packet` over [0, n) in steps of `lanes`; the last partial step runs on a zero-padded
/// copy, so every element goes through the same code (zeros give m = v = 0 and a zero update).
template <typename T, int lanes, typename Packet>
inline void adam_blocks(T* p, const T* g, T* m, T* v, Index n, Packet packet) {
    Index i = 0;
    for (; i + lanes <= n; i += lanes) packet(p + i, g + i, m + i, v + i);
    if (i == n) return;
    T bp[lanes] = {}, bg[lanes] = {}, bm[lanes] = {}, bv[lanes] = {};
    const Index rest = n - i;
    std::copy_n(p + i, rest, bp);
    std::copy_n(g + i, rest, bg);
    std::copy_n(m + i, rest, bm);
    std::copy_n(v + i, rest, bv);
    packet(bp, bg, bm, bv);
    std::copy_n(bp, rest, p + i);
    std::copy_n(bm, rest, m + i);
    std::copy_n(bv, rest, v + i);
}

/// Eigen's packets: each value is loaded once and stored once, so the division and square root
/// of one packet overlap the memory traffic of the next (three Eigen statements over L1-sized
/// blocks took 1.3x as long, hot).
template <typename T, bool Decoupled>
void adam_update_eigen(const AdamConstants<T>& k, T* p, const T* g, T* m, T* v, Index n) {
    namespace ei = Eigen::internal;
    using Packet = typename ei::packet_traits<T>::type;
    const Packet b1 = ei::pset1<Packet>(k.b1), b2 = ei::pset1<Packet>(k.b2), c1 = ei::pset1<Packet>(k.c1),
                 c2 = ei::pset1<Packet>(k.c2), eps = ei::pset1<Packet>(k.eps), wd = ei::pset1<Packet>(k.wd),
                 shrink = ei::pset1<Packet>(k.shrink), step = ei::pset1<Packet>(k.step_size),
                 inv_bias2_sqrt = ei::pset1<Packet>(k.inv_bias2_sqrt);
    const bool decay = k.wd != T(0);
    adam_blocks<T, ei::packet_traits<T>::size>(p, g, m, v, n, [&](T* pp, const T* gp, T* mp, T* vp) {
        Packet pi = ei::ploadu<Packet>(pp), gi = ei::ploadu<Packet>(gp);
        if (Decoupled && decay) pi = ei::pmul(pi, shrink);
        if (!Decoupled && decay) gi = ei::padd(gi, ei::pmul(wd, pi));  // L2: into the gradient
        const Packet mi = ei::padd(ei::pmul(b1, ei::ploadu<Packet>(mp)), ei::pmul(c1, gi));
        const Packet vi = ei::padd(ei::pmul(b2, ei::ploadu<Packet>(vp)), ei::pmul(c2, ei::pmul(gi, gi)));
        ei::pstoreu(mp, mi);
        ei::pstoreu(vp, vi);
        const Packet denom = ei::padd(ei::pmul(ei::psqrt(vi), inv_bias2_sqrt), eps);
        ei::pstoreu(pp, ei::psub(pi, ei::pdiv(ei::pmul(step, mi), denom)));
    });
}

#if POLYTAG_X86_DISPATCH
typedef float AdamFloat8 __attribute__((vector_size(32)));

/// One block of 8 elements, the same statements as adam_update_eigen's packet. A function of
/// its own, not a lambda: a lambda would not inherit the target attribute.
template <bool Decoupled>
__attribute__((target("avx"))) inline void adam_avx_block(const AdamConstants<float>& k, float* pp, const float* gp,
                                                          float* mp, float* vp) {
    AdamFloat8 pi, gi, mi, vi;
    __builtin_memcpy(&pi, pp, sizeof pi);  // unaligned loads and stores (vmovups)
    __builtin_memcpy(&gi, gp, sizeof gi);
    __builtin_memcpy(&mi, mp, sizeof mi);
    __builtin_memcpy(&vi, vp, sizeof vi);
    const bool decay = k.wd != 0.0f;
    if (Decoupled && decay) pi = pi * k.shrink;
    if (!Decoupled && decay) gi = gi + k.wd * pi;
    mi = k.b1 * mi + k.c1 * gi;
    vi = k.b2 * vi + k.c2 * (gi * gi);
    __builtin_memcpy(mp, &mi, sizeof mi);
    __builtin_memcpy(vp, &vi, sizeof vi);
    const AdamFloat8 denom = __builtin_ia32_sqrtps256(vi) * k.inv_bias2_sqrt + k.eps;
    pi = pi - (k.step_size * mi) / denom;
    __builtin_memcpy(pp, &pi, sizeof pi);
}

/// The AVX kernel; call only where cpu_has_avx().
template <bool Decoupled>
__attribute__((target("avx"))) void adam_update_avx(const AdamConstants<float>& k, float* p, const float* g, float* m,
                                                    float* v, Index n) {
    // The full blocks here, where adam_avx_block inlines (adam_blocks' lambda below is not
    // compiled for AVX, so through it each block would be a call); adam_blocks pads the tail.
    Index i = 0;
    for (; i + 8 <= n; i += 8) adam_avx_block<Decoupled>(k, p + i, g + i, m + i, v + i);
    if (i == n) return;
    adam_blocks<float, 8>(p + i, g + i, m + i, v + i, n - i, [&k](float* pp, const float* gp, float* mp, float* vp) {
        adam_avx_block<Decoupled>(k, pp, gp, mp, vp);
    });
}
#endif

/// The update of n elements: the AVX kernel where it beats the including file's own packets
/// (compiled without AVX2, run on a CPU with AVX), else Eigen's.
template <typename T, bool Decoupled>
void adam_update(const AdamConstants<T>& k, T* p, const T* g, T* m, T* v, Index n) {
#if POLYTAG_X86_DISPATCH && !defined(__AVX2__)
    if constexpr (std::is_same_v<T, float>) {
        if (cpu_has_avx()) return adam_update_avx<Decoupled>(k, p, g, m, v, n);
    }
#endif
    adam_update_eigen<T, Decoupled>(k, p, g, m, v, n);
}

}  // namespace polytag::detail
