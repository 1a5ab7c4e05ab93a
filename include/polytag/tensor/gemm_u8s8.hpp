#pragma once
// 8-bit GEMM for inference: C (m x n) = A (m x k, uint8) B^T, B (n x k, int8), accumulated
// exactly in int32, with an optional fused epilogue y = scale[j] * C(i, j) + bias[j] (then
// ReLU) written as float. B is the weight in Dense's (out, in) layout, packed once
// (PackedS8) in libxsmm's "VNNI-A" layout: one block per group of 4 inputs, in it each
// channel's 4 bytes side by side (so 16 channels x 4 inputs fill one AVX-512 register),
// channels zero-padded to a multiple of 16 and inputs to a multiple of 4, so the kernels
// never need a tail on the packed side.
//
// Kernels, picked at run time from the CPU (no -march needed), or by name for tests:
//   - Xsmm: libxsmm's JIT int8 kernel (POLYTAG_USE_LIBXSMM, on CPUs with AVX-512 VNNI), the
//     fastest (docs/speed.md); its int32 result is scaled in place by our epilogue. It needs
//     lda a multiple of 4; otherwise (or for a shape libxsmm cannot JIT) Vnni512 runs.
//   - Vnni512: our AVX-512 VNNI vpdpbusd kernel (u8 x s8, 4 products summed into each s32
//     lane; it does not saturate: vpdpbusds is the saturating one).
//   - Avx2: no VNNI, so no vpmaddubsw either: its u8 x s8 pair sums saturate at int16
//     (255 * -128 * 2 = -65,280). A (per block of 6 rows) and the weights (at packing) are
//     widened to 16 bits and multiplied with vpmaddwd (s16 x s16 -> s32 pair sums), exact for
//     every byte value, at half vpmaddubsw's rate.
//   - Scalar: the portable reference, used on every other CPU.
// The float epilogue is one fused multiply-add per value (std::fma in the scalar code), so
// every kernel gives bit-identical float output too.
// Everything is exact: all kernels give the same int32 as the scalar loop. Nothing allocates
// (the packing does, once; libxsmm when it first generates a shape's kernel; the Avx2
// kernel's per-thread scratch when it first sees a larger k). Single-threaded.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define POLYTAG_U8S8_X86 1
#endif

#if defined(POLYTAG_USE_LIBXSMM)
#include <libxsmm.h>
#endif

#include "polytag/tensor/shape.hpp"

namespace polytag {

enum class U8S8Kernel { Auto, Scalar, Avx2, Vnni512, Xsmm };

inline const char* u8s8_kernel_name(U8S8Kernel k) {
    switch (k) {
        case U8S8Kernel::Auto: return "auto";
        case U8S8Kernel::Scalar: return "scalar";
        case U8S8Kernel::Avx2: return "avx2";
        case U8S8Kernel::Vnni512: return "avx512-vnni";
        case U8S8Kernel::Xsmm: return "libxsmm-vnni";
    }
    return "?";
}

/// Whether this CPU (and compiler) can run kernel `k`.
inline bool u8s8_kernel_available(U8S8Kernel k) {
    switch (k) {
        case U8S8Kernel::Auto:
        case U8S8Kernel::Scalar: return true;
#if defined(POLYTAG_U8S8_X86) && (defined(__GNUC__) || defined(__clang__))
        case U8S8Kernel::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case U8S8Kernel::Vnni512:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512vnni");
#if defined(POLYTAG_USE_LIBXSMM)
        // Only where libxsmm's int8 code is vpdpbusd: on older CPUs it would take the
        // saturating vpmaddubsw route.
        case U8S8Kernel::Xsmm: return u8s8_kernel_available(U8S8Kernel::Vnni512);
#endif
#endif
        default: return false;
    }
}

/// The kernel Auto runs on this CPU.
inline U8S8Kernel u8s8_best_kernel() {
    static const U8S8Kernel best = u8s8_kernel_available(U8S8Kernel::Xsmm)      ? U8S8Kernel::Xsmm
                                   : u8s8_kernel_available(U8S8Kernel::Vnni512) ? U8S8Kernel::Vnni512
                                   : u8s8_kernel_available(U8S8Kernel::Avx2)  ? U8S8Kernel::Avx2
                                                                              : U8S8Kernel::Scalar;
    return best;
}

/// int8 weights B (n x k) packed for the kernels: group g of 4 inputs is a block of
/// padded_n() x 4 bytes, channel j's 4 values at 4j .. 4j+3 of it (libxsmm's VNNI-A layout of
/// the column-major n x k matrix, leading dimension padded_n()); a panel of 16 channels is
/// 64 contiguous bytes of each block.
struct PackedS8 {
    static constexpr Index kPanel = 16;
    Index n = 0, k = 0;
    Index panels = 0, groups = 0;  ///< ceil(n / 16), ceil(k / 4)
    std::vector<std::int8_t> data;
    std::vector<std::int16_t> wide;  ///< the same weights as int16, in the Avx2 kernel's layout

    PackedS8() = default;
    /// Packs b (n x k, rows ldb apart).
    PackedS8(const std::int8_t* b, Index n_, Index k_, Index ldb) : n(n_), k(k_) {
        if (n < 1 || k < 1) throw ShapeError("polytag::PackedS8: n and k must be positive");
        panels = (n + kPanel - 1) / kPanel;
        groups = (k + 3) / 4;
        data.assign(std::size_t(panels * groups * 64), 0);
        for (Index j = 0; j < n; ++j)
            for (Index p = 0; p < k; ++p) data[std::size_t(offset(j, p))] = b[j * ldb + p];
        // The Avx2 kernel's copy, widened to int16 (no vpmaddubsw: see the top of this file):
        // panel by panel, per pair of inputs its 16 channels' 2 values side by side.
        wide.assign(std::size_t(panels * pairs() * 32), 0);
        for (Index j = 0; j < n; ++j)
            for (Index p = 0; p < k; ++p)
                wide[std::size_t(((j / kPanel) * pairs() + p / 2) * 32 + (j % kPanel) * 2 + p % 2)] = b[j * ldb + p];
    }
    Index padded_n() const { return panels * kPanel; }
    /// Pairs of inputs in `wide` per channel (k padded to the groups of 4).
    Index pairs() const { return groups * 2; }
    /// Bytes from one group's block to the next.
    Index group_stride() const { return panels * 64; }
    Index offset(Index j, Index p) const { return (p / 4) * group_stride() + j * 4 + p % 4; }
    std::int8_t at(Index j, Index p) const { return data[std::size_t(offset(j, p))]; }
};

/// What happens to each finished int32 value C(i, j).
struct U8S8Epilogue {
    std::int32_t* c = nullptr;  ///< int32 output (m x n, ldc), when `y` is null
    Index ldc = 0;
    float* y = nullptr;             ///< float output y = scale[j] * C + bias[j], then ReLU if relu
    Index ldy = 0;
    const float* scale = nullptr;  ///< per output channel (length n); required with y
    const float* bias = nullptr;   ///< per output channel, or null for none
    bool relu = false;
};

namespace detail::u8s8 {

/// Writes the finished tile rows [i0, i0 + rows) x channels [j0, j0 + cols) from acc
/// (row r, channel c at acc[r * ld + c]).
inline void store_tile(const U8S8Epilogue& e, Index i0, Index rows, Index j0, Index cols, const std::int32_t* acc,
                       Index ld = 32) {
    for (Index r = 0; r < rows; ++r) {
        const std::int32_t* a = acc + r * ld;
        if (!e.y) {
            std::memcpy(e.c + (i0 + r) * e.ldc + j0, a, std::size_t(cols) * sizeof(std::int32_t));
            continue;
        }
        float* y = e.y + (i0 + r) * e.ldy + j0;
        const float* s = e.scale + j0;
        for (Index c = 0; c < cols; ++c) {
            // one rounding, as the vector kernels' fused multiply-add
            float v = std::fma(s[c], float(a[c]), e.bias ? e.bias[j0 + c] : 0.0f);
            if (e.relu) v = std::max(v, 0.0f);
            y[c] = v;
        }
    }
}

/// 4 bytes of row `a` starting at p, zero past k (so that no read leaves the row). Byte by
/// byte at the end of the row rather than a memcpy of variable size: that would be a call,
/// and around a call the vector kernels' accumulators (caller-saved registers) go to the stack
/// on every step of their loop.
inline std::uint32_t quad(const std::uint8_t* a, Index p, Index k) {
    std::uint32_t q = 0;
    if (p + 4 <= k) {
        std::memcpy(&q, a + p, 4);
        return q;
    }
    for (Index t = 0; t < k - p; ++t) q |= std::uint32_t(a[p + t]) << (8 * t);
    return q;
}

inline void scalar(Index m, const std::uint8_t* a, Index lda, const PackedS8& b, const U8S8Epilogue& e) {
    alignas(64) std::int32_t acc[32];
    for (Index i = 0; i < m; ++i)
        for (Index p0 = 0; p0 < b.panels; ++p0) {
            const Index j0 = p0 * PackedS8::kPanel, cols = std::min(PackedS8::kPanel, b.n - j0);
            std::fill(acc, acc + 32, 0);
            const std::int8_t* w = b.data.data() + p0 * 64;
            const std::uint8_t* x = a + i * lda;
            for (Index g = 0; g < b.groups; ++g, w += b.group_stride())
                for (int r = 0; r < 4; ++r) {
                    const Index p = g * 4 + r;
                    if (p >= b.k) break;
                    const std::int32_t xv = x[p];
                    for (Index c = 0; c < 16; ++c) acc[c] += xv * std::int32_t(w[c * 4 + r]);
                }
            store_tile(e, i, 1, j0, cols, acc);
        }
}

#if defined(POLYTAG_U8S8_X86) && (defined(__GNUC__) || defined(__clang__))

/// The lanes of a 16-channel vector that hold one of the `left` remaining channels.
inline __mmask16 lane_mask16(Index left) {
    return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1u);
}

/// scale * float(acc) + bias, then ReLU if asked, for 16 channels: one rounding, as
/// store_tile's std::fma, so that every kernel's float output has the same bits.
__attribute__((target("avx512f"))) inline __m512 scaled16(__m512i acc, __m512 scale, __m512 bias, bool relu) {
    const __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc), scale, bias);
    return relu ? _mm512_max_ps(v, _mm512_setzero_ps()) : v;
}

/// R rows x P panels (16 channels each) of C through vpdpbusd.
template <int R, int P>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void vnni_tile(Index i0, Index p0, const std::uint8_t* a,
                                                                        Index lda, const PackedS8& b,
                                                                        const U8S8Epilogue& e) {
    __m512i acc[R][P];
    for (int r = 0; r < R; ++r)
        for (int q = 0; q < P; ++q) acc[r][q] = _mm512_setzero_si512();
    const std::int8_t* w = b.data.data() + p0 * 64;
    const Index group_stride = b.group_stride();
    const Index full = b.k / 4;  // groups whose 4 bytes of A all exist
    for (Index g = 0; g < b.groups; ++g) {
        __m512i wv[P];
        for (int q = 0; q < P; ++q) wv[q] = _mm512_loadu_si512(w + g * group_stride + q * 64);
        for (int r = 0; r < R; ++r) {
            const std::uint8_t* x = a + (i0 + r) * lda + g * 4;
            std::uint32_t q4;
            if (g < full) std::memcpy(&q4, x, 4);
            else q4 = quad(a + (i0 + r) * lda, g * 4, b.k);
            const __m512i xv = _mm512_set1_epi32(std::int32_t(q4));
            for (int q = 0; q < P; ++q) acc[r][q] = _mm512_dpbusd_epi32(acc[r][q], xv, wv[q]);
        }
    }
    const Index j0 = p0 * PackedS8::kPanel;
    const Index cols = std::min(Index(P) * PackedS8::kPanel, b.n - j0);
    if (e.y) {
        // Fused epilogue in registers: y = scale * float(acc) + bias, ReLU, masked at the edge.
        for (int q = 0; q < P; ++q) {
            const Index c0 = j0 + q * 16;
            const Index left = std::min<Index>(16, b.n - c0);
            if (left <= 0) break;
            const __mmask16 mask = lane_mask16(left);
            const __m512 sc = _mm512_maskz_loadu_ps(mask, e.scale + c0);
            const __m512 bi = e.bias ? _mm512_maskz_loadu_ps(mask, e.bias + c0) : _mm512_setzero_ps();
            for (int r = 0; r < R; ++r)
                _mm512_mask_storeu_ps(e.y + (i0 + r) * e.ldy + c0, mask, scaled16(acc[r][q], sc, bi, e.relu));
        }
        return;
    }
    alignas(64) std::int32_t out[R * P * 16];
    for (int r = 0; r < R; ++r)
        for (int q = 0; q < P; ++q) _mm512_store_si512(reinterpret_cast<void*>(out + (r * P + q) * 16), acc[r][q]);
    store_tile(e, i0, R, j0, cols, out, P * 16);
}

/// Calls f(std::integral_constant<int, R>{}) with R = rows, 1 to 6: the tile kernels take
/// their row count as a template argument (their accumulators are arrays in registers).
template <typename F>
void with_rows(Index rows, F&& f) {
    switch (rows) {
        case 6: f(std::integral_constant<int, 6>{}); break;
        case 5: f(std::integral_constant<int, 5>{}); break;
        case 4: f(std::integral_constant<int, 4>{}); break;
        case 3: f(std::integral_constant<int, 3>{}); break;
        case 2: f(std::integral_constant<int, 2>{}); break;
        case 1: f(std::integral_constant<int, 1>{}); break;
        default: break;
    }
}

template <int P>
void vnni_rows(Index m, const std::uint8_t* a, Index lda, const PackedS8& b, Index p0, const U8S8Epilogue& e) {
    Index i = 0;
    for (; i + 6 <= m; i += 6) vnni_tile<6, P>(i, p0, a, lda, b, e);
    with_rows(m - i, [&](auto r) { vnni_tile<decltype(r)::value, P>(i, p0, a, lda, b, e); });
}

inline void vnni512(Index m, const std::uint8_t* a, Index lda, const PackedS8& b, const U8S8Epilogue& e) {
    // Blocks of 96 rows outside (their input and output stay in L2 while every column block
    // passes: at batch 1024 the output is 10 MB), blocks of 4 panels (64 channels, 8 KB of
    // weights at k = 128: L1) inside, then the rows of the block: a 6 x 4 tile keeps 24
    // accumulators in flight (vpdpbusd's latency needs more than the 12 of a 6 x 2 tile) and
    // issues 24 vpdpbusd per 4 weight loads and 6 broadcasts.
    constexpr Index kRows = 96;
    for (Index i0 = 0; i0 < m; i0 += kRows) {
        const Index rows = std::min(kRows, m - i0);
        const std::uint8_t* ab = a + i0 * lda;
        U8S8Epilogue eb = e;
        if (eb.y) eb.y += i0 * eb.ldy;
        else eb.c += i0 * eb.ldc;
        Index p0 = 0;
        for (; p0 + 4 <= b.panels; p0 += 4) vnni_rows<4>(rows, ab, lda, b, p0, eb);
        if (p0 + 2 <= b.panels) vnni_rows<2>(rows, ab, lda, b, p0, eb), p0 += 2;
        if (p0 < b.panels) vnni_rows<1>(rows, ab, lda, b, p0, eb);
    }
}

/// R rows (their bytes widened to u16 in `x`, `pairs` pairs per row) x one 16-channel panel
/// of the weights' int16 copy (PackedS8::wide) through vpmaddwd: each 32-bit lane of an accumulator is one
/// channel, so the epilogue is vector code. A 6 x 2 tile keeps 12 accumulators, 2 weight
/// vectors and the broadcast input pair in the 16 registers; per pair of inputs it issues 12
/// vpmaddwd per 2 weight loads and 6 broadcasts (loads, not shuffles: the input is widened).
template <int R>
__attribute__((target("avx2,fma"))) void avx2_tile(Index i0, Index p0, const std::uint16_t* x, Index pairs,
                                                    const PackedS8& b, const U8S8Epilogue& e) {
    __m256i acc[R][2];
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    const std::int16_t* w = b.wide.data() + p0 * pairs * 32;
    for (Index q = 0; q < pairs; ++q, w += 32) {
        const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
        const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 16));
        for (int r = 0; r < R; ++r) {
            std::int32_t pair;
            std::memcpy(&pair, x + r * 2 * pairs + 2 * q, sizeof pair);
            const __m256i xv = _mm256_set1_epi32(pair);
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(xv, w0));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(xv, w1));
        }
    }
    const Index j0 = p0 * PackedS8::kPanel, cols = std::min(PackedS8::kPanel, b.n - j0);
    if (e.y && cols == PackedS8::kPanel) {
        // y = scale * float(acc) + bias (one rounding, as store_tile's std::fma), then ReLU
        for (int h = 0; h < 2; ++h) {
            const __m256 sc = _mm256_loadu_ps(e.scale + j0 + 8 * h);
            const __m256 bi = e.bias ? _mm256_loadu_ps(e.bias + j0 + 8 * h) : _mm256_setzero_ps();
            for (int r = 0; r < R; ++r) {
                __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[r][h]), sc, bi);
                if (e.relu) v = _mm256_max_ps(v, _mm256_setzero_ps());
                _mm256_storeu_ps(e.y + (i0 + r) * e.ldy + j0 + 8 * h, v);
            }
        }
        return;
    }
    alignas(32) std::int32_t out[R * 16];
    for (int r = 0; r < R; ++r)
        for (int h = 0; h < 2; ++h) _mm256_store_si256(reinterpret_cast<__m256i*>(out + r * 16 + 8 * h), acc[r][h]);
    store_tile(e, i0, R, j0, cols, out, 16);
}

/// `rows` (at most 6) rows of A widened to u16 into x, zero past k, `pairs` pairs a row.
/// Out of line (it runs once per 6 rows): inlined next to a caller's small array, GCC 12's
/// -Warray-bounds flags the 16-byte load that the p + 16 <= k loop guards.
__attribute__((target("avx2"), noinline)) inline void widen_rows(const std::uint8_t* a, Index lda, Index k,
                                                                 Index rows, Index pairs, std::uint16_t* x) {
    for (Index r = 0; r < rows; ++r) {
        const std::uint8_t* src = a + r * lda;
        std::uint16_t* dst = x + r * 2 * pairs;
        Index p = 0;
        for (; p + 16 <= k; p += 16)
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + p),
                                _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + p))));
        for (; p < k; ++p) dst[p] = src[p];
        for (; p < 2 * pairs; ++p) dst[p] = 0;
    }
}

template <int R>
void avx2_rows(Index i0, const std::uint16_t* x, Index pairs, const PackedS8& b, const U8S8Epilogue& e) {
    for (Index p0 = 0; p0 < b.panels; ++p0) avx2_tile<R>(i0, p0, x, pairs, b, e);
}

inline void avx2(Index m, const std::uint8_t* a, Index lda, const PackedS8& b, const U8S8Epilogue& e) {
    // Blocks of 6 rows: widened once into per-thread scratch (it grows to 6 k once, then never
    // allocates), then every panel of the weights passes over them.
    constexpr Index kRows = 6;
    const Index pairs = b.pairs();
    thread_local std::vector<std::uint16_t> scratch;
    if (scratch.size() < std::size_t(kRows * 2 * pairs)) scratch.resize(std::size_t(kRows * 2 * pairs));
    std::uint16_t* x = scratch.data();
    for (Index i0 = 0; i0 < m; i0 += kRows) {
        const Index rows = std::min(kRows, m - i0);
        widen_rows(a + i0 * lda, lda, b.k, rows, pairs, x);
        with_rows(rows, [&](auto r) { avx2_rows<decltype(r)::value>(i0, x, pairs, b, e); });
    }
}

#if defined(POLYTAG_USE_LIBXSMM)
/// libxsmm's int8 kernel for one block of `rows` rows: column-major C (n x rows, ldc) = the
/// packed weights (n x k4, VNNI-A, leading dimension padded_n()) times A^T (k4 x rows, lda),
/// i.e. row-major C (rows x n) = A B^T over the first k4 inputs. Null if libxsmm cannot JIT it.
/// libxsmm's registry caches the code (thread-safe); only the first call of a shape allocates.
inline libxsmm_subimmfunction xsmm_kernel(const PackedS8& b, Index rows, Index k4, Index lda, Index ldc) {
    const libxsmm_blasint m = libxsmm_blasint(b.n), n = libxsmm_blasint(rows), k = libxsmm_blasint(k4);
    const libxsmm_blasint la = libxsmm_blasint(b.padded_n()), lb = libxsmm_blasint(lda), lc = libxsmm_blasint(ldc);
    const int alpha = 1, beta = 0;
    const int flags = LIBXSMM_GEMM_FLAG_VNNI_A | LIBXSMM_GEMM_FLAG_BETA_0;
    const int prefetch = LIBXSMM_GEMM_PREFETCH_NONE;
    return libxsmm_subimmdispatch(m, n, k, &la, &lb, &lc, &alpha, &beta, &flags, &prefetch);
}

/// The Xsmm kernel's float epilogue, in place: rows [i0, i0 + rows) of y hold int32 C; each
/// becomes scale * C + bias (then ReLU) through scaled16, as in vnni_tile.
__attribute__((target("avx512f"))) inline void scale_in_place(const U8S8Epilogue& e, Index i0, Index rows, Index n) {
    for (Index r = i0; r < i0 + rows; ++r) {
        float* y = e.y + r * e.ldy;
        for (Index c0 = 0; c0 < n; c0 += 16) {
            const __mmask16 mask = lane_mask16(n - c0);
            const __m512 sc = _mm512_maskz_loadu_ps(mask, e.scale + c0);
            const __m512 bi = e.bias ? _mm512_maskz_loadu_ps(mask, e.bias + c0) : _mm512_setzero_ps();
            _mm512_mask_storeu_ps(y + c0, mask, scaled16(_mm512_maskz_loadu_epi32(mask, y + c0), sc, bi, e.relu));
        }
    }
}

/// Through libxsmm, in blocks of kRows rows: the int32 block goes straight into the output
/// (into y's floats, which have int32's size, when the epilogue is float) and is finished
/// there while it is in cache: the last partial group of 4 inputs (libxsmm takes whole
/// groups only) is added, then the epilogue. Returns false, having written nothing, when
/// libxsmm cannot run the case (it reads A's rows in 4-byte steps, so lda must be a multiple
/// of 4; or it cannot JIT the shapes); the caller then runs Vnni512.
inline bool xsmm(Index m, const std::uint8_t* a, Index lda, const PackedS8& b, const U8S8Epilogue& e) {
    constexpr Index kRows = 64;
    if (lda % 4 != 0) return false;
    const Index k4 = (b.k / 4) * 4;
    std::int32_t* out = e.y ? reinterpret_cast<std::int32_t*>(e.y) : e.c;
    const Index ldo = e.y ? e.ldy : e.ldc;
    libxsmm_subimmfunction whole = nullptr, last = nullptr;
    if (k4 > 0) {
        whole = m >= kRows ? xsmm_kernel(b, kRows, k4, lda, ldo) : nullptr;
        last = m % kRows ? xsmm_kernel(b, m % kRows, k4, lda, ldo) : nullptr;
        if ((m >= kRows && !whole) || (m % kRows && !last)) return false;
    }
    const std::int8_t* tail_w = b.data.data() + (k4 / 4) * b.group_stride();
    for (Index i0 = 0; i0 < m; i0 += kRows) {
        const Index rows = std::min(kRows, m - i0);
        std::int32_t* c = out + i0 * ldo;
        if (k4 > 0) (rows == kRows ? whole : last)(reinterpret_cast<const char*>(b.data.data()), a + i0 * lda, c);
        if (k4 < b.k)
            for (Index r = 0; r < rows; ++r) {
                // memcpy: these int32 may live in the caller's float array
                const std::uint8_t* x = a + (i0 + r) * lda + k4;
                std::int32_t* cr = c + r * ldo;
                for (Index j = 0; j < b.n; ++j) {
                    std::int32_t v = 0;
                    if (k4 > 0) std::memcpy(&v, cr + j, sizeof v);
                    for (Index t = 0; t < b.k - k4; ++t) v += std::int32_t(x[t]) * std::int32_t(tail_w[j * 4 + t]);
                    std::memcpy(cr + j, &v, sizeof v);
                }
            }
        if (e.y) scale_in_place(e, i0, rows, b.n);
    }
    return true;
}
#endif
#endif

}  // namespace detail::u8s8

/// C = A B^T for A (m x k uint8, rows lda apart) and packed int8 B (n x k): the int32 result
/// or the fused float epilogue, as `e` says. Throws if the kernel is not available here.
inline void gemm_u8s8(Index m, const std::uint8_t* a, Index lda, const PackedS8& b, const U8S8Epilogue& e,
                      U8S8Kernel kernel = U8S8Kernel::Auto) {
    if (m < 0 || lda < b.k)
        throw ShapeError("polytag::gemm_u8s8: lda " + std::to_string(lda) + " < k " + std::to_string(b.k));
    if (!e.y && (!e.c || e.ldc < b.n)) throw ShapeError("polytag::gemm_u8s8: int32 output needs c and ldc >= n");
    if (e.y && (!e.scale || e.ldy < b.n)) throw ShapeError("polytag::gemm_u8s8: float output needs scale and ldy >= n");
    if (kernel == U8S8Kernel::Auto) kernel = u8s8_best_kernel();
    if (!u8s8_kernel_available(kernel))
        throw std::invalid_argument(std::string("polytag::gemm_u8s8: kernel ") + u8s8_kernel_name(kernel) +
                                    " not available on this CPU");
    if (m == 0) return;
#if defined(POLYTAG_U8S8_X86) && (defined(__GNUC__) || defined(__clang__))
#if defined(POLYTAG_USE_LIBXSMM)
    if (kernel == U8S8Kernel::Xsmm && detail::u8s8::xsmm(m, a, lda, b, e)) return;
    if (kernel == U8S8Kernel::Xsmm) kernel = U8S8Kernel::Vnni512;  // a shape libxsmm does not JIT
#endif
    if (kernel == U8S8Kernel::Vnni512) return detail::u8s8::vnni512(m, a, lda, b, e);
    if (kernel == U8S8Kernel::Avx2) return detail::u8s8::avx2(m, a, lda, b, e);
#endif
    detail::u8s8::scalar(m, a, lda, b, e);
}

}  // namespace polytag
