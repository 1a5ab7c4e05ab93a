#pragma once
// libxsmm backend of polytag::gemm (POLYTAG_USE_LIBXSMM): JIT-generated single-threaded float
// kernels for the network's small, skinny products (AVX2 or AVX-512, whichever the CPU has).
//
// libxsmm is column-major. A row-major C (m x n) is the column-major C^T (n x m), and
//   C^T = op(B)^T op(A)^T,
// so a row-major product is a column-major one with the operands swapped. libxsmm 1.17 JITs
// "NN" and "NT" (column-major B transposed) but not "TN", which gives, in row-major terms:
//   (No,  No)  C = A B      column-major NN                        (backward dx = dy W)
//   (Yes, No)  C = A^T B    column-major NT                        (backward dW = dy^T x)
//   (No,  Yes) C = A B^T    the forward x W^T: one operand is transposed into a thread-local
//              buffer first, whichever moves less memory (see gemm() below), and the
//              product runs as column-major NN.
//   (Yes, Yes) not offered (returns false; the caller uses another backend).
// Only alpha == 1 and beta in {0, 1} (what libxsmm JITs). Kernels are generated on first use
// of a shape and cached by libxsmm's own thread-safe code registry; a 16-entry thread-local
// cache in front of it skips even that lookup for the handful of shapes a network repeats. After the
// first call of a shape (and the first growth of the thread's buffers) nothing allocates.
#include <algorithm>
#include <cstddef>
#include <vector>

#include <libxsmm.h>
#if defined(__AVX__)
#include <immintrin.h>
#endif

#include "polytag/tensor/tensor.hpp"

namespace polytag::detail::xsmm {

/// Reusable per-thread scratch: grows to the largest product seen, never shrinks.
struct Scratch {
    std::vector<float> a, c;
    static Scratch& get() {
        thread_local Scratch s;
        return s;
    }
    static float* reserve(std::vector<float>& v, std::size_t n) {
        if (v.size() < n) v.resize(n);
        return v.data();
    }
};

#if defined(__AVX__)
/// One 8 x 8 block: out rows j = in columns j (unpack / shuffle / permute, 24 instructions).
inline void transpose8x8(const float* in, Index ldi, float* out, Index ldo) {
    __m256 r0 = _mm256_loadu_ps(in + 0 * ldi), r1 = _mm256_loadu_ps(in + 1 * ldi);
    __m256 r2 = _mm256_loadu_ps(in + 2 * ldi), r3 = _mm256_loadu_ps(in + 3 * ldi);
    __m256 r4 = _mm256_loadu_ps(in + 4 * ldi), r5 = _mm256_loadu_ps(in + 5 * ldi);
    __m256 r6 = _mm256_loadu_ps(in + 6 * ldi), r7 = _mm256_loadu_ps(in + 7 * ldi);
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(out + 0 * ldo, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(out + 1 * ldo, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(out + 2 * ldo, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(out + 3 * ldo, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(out + 4 * ldo, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(out + 5 * ldo, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(out + 6 * ldo, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(out + 7 * ldo, _mm256_permute2f128_ps(u3, u7, 0x31));
}
#endif

/// out (cols x rows, leading dimension ldo) = in^T, in (rows x cols, leading dimension ldi):
/// 8 x 8 register blocks (AVX builds) inside 32 x 32 cache tiles, scalar edges.
inline void transpose(const float* in, Index rows, Index cols, Index ldi, float* out, Index ldo) {
    constexpr Index kTile = 32;
    for (Index i0 = 0; i0 < rows; i0 += kTile) {
        const Index i1 = std::min(rows, i0 + kTile);
        for (Index j0 = 0; j0 < cols; j0 += kTile) {
            const Index j1 = std::min(cols, j0 + kTile);
            Index i = i0;
#if defined(__AVX__)
            for (; i + 8 <= i1; i += 8) {
                Index j = j0;
                for (; j + 8 <= j1; j += 8) transpose8x8(in + i * ldi + j, ldi, out + j * ldo + i, ldo);
                for (; j < j1; ++j)
                    for (Index r = i; r < i + 8; ++r) out[j * ldo + r] = in[r * ldi + j];
            }
#endif
            for (; i < i1; ++i)
                for (Index j = j0; j < j1; ++j) out[j * ldo + i] = in[i * ldi + j];
        }
    }
}

/// c (rows x cols, ldc) = in^T (+ c when accumulate), in (cols x rows, contiguous, ld = rows).
inline void transpose_out(const float* in, Index rows, Index cols, float* c, Index ldc, bool accumulate) {
    if (!accumulate) return transpose(in, cols, rows, rows, c, ldc);
    constexpr Index kTile = 16;
    for (Index i0 = 0; i0 < rows; i0 += kTile) {
        const Index i1 = std::min(rows, i0 + kTile);
        for (Index j0 = 0; j0 < cols; j0 += kTile) {
            const Index j1 = std::min(cols, j0 + kTile);
            for (Index i = i0; i < i1; ++i) {
                float* ci = c + i * ldc;
                if (accumulate)
                    for (Index j = j0; j < j1; ++j) ci[j] += in[j * rows + i];
                else
                    for (Index j = j0; j < j1; ++j) ci[j] = in[j * rows + i];
            }
        }
    }
}

/// The column-major kernel C (M x N, ldc) = A (M x K, lda) op(B) (+ C), op(B) = B (K x N, ldb)
/// or, with trans_b, B^T where B is N x K. Null if libxsmm cannot JIT it.
inline libxsmm_smmfunction kernel(Index M, Index N, Index K, Index lda, Index ldb, Index ldc, bool trans_b,
                                  bool beta_one) {
    struct Key {
        Index M = -1, N, K, lda, ldb, ldc;
        bool trans_b, beta_one;
        bool operator==(const Key& o) const {
            return M == o.M && N == o.N && K == o.K && lda == o.lda && ldb == o.ldb && ldc == o.ldc &&
                   trans_b == o.trans_b && beta_one == o.beta_one;
        }
    };
    // A few entries per thread (a network repeats a handful of shapes); libxsmm's registry
    // behind it is the real cache (thread-safe, every shape).
    constexpr int kEntries = 16;
    thread_local Key keys[kEntries];
    thread_local libxsmm_smmfunction fns[kEntries];
    thread_local int next = 0;
    const Key key{M, N, K, lda, ldb, ldc, trans_b, beta_one};
    for (int i = 0; i < kEntries; ++i)
        if (keys[i] == key) return fns[i];
    const libxsmm_blasint m = libxsmm_blasint(M), n = libxsmm_blasint(N), k = libxsmm_blasint(K);
    const libxsmm_blasint la = libxsmm_blasint(lda), lb = libxsmm_blasint(ldb), lc = libxsmm_blasint(ldc);
    const float alpha = 1.0f, beta = beta_one ? 1.0f : 0.0f;
    const int flags = (trans_b ? LIBXSMM_GEMM_FLAG_TRANS_B : 0) | (beta_one ? 0 : LIBXSMM_GEMM_FLAG_BETA_0);
    const int prefetch = LIBXSMM_GEMM_PREFETCH_NONE;
    libxsmm_smmfunction f = libxsmm_smmdispatch(m, n, k, &la, &lb, &lc, &alpha, &beta, &flags, &prefetch);
    keys[next] = key;
    fns[next] = f;
    next = (next + 1) % kEntries;
    return f;
}

/// Row-major C (m x n) = op(A) op(B) (+ C when beta == 1) through libxsmm. Returns false (and
/// leaves C untouched) when this backend does not offer the case; then the caller falls back.
inline bool gemm(bool ta, bool tb, Index m, Index n, Index k, float alpha, const float* a, Index lda, const float* b,
                 Index ldb, float beta, float* c, Index ldc) {
    if (alpha != 1.0f || (beta != 0.0f && beta != 1.0f) || (ta && tb)) return false;
    const bool beta_one = beta == 1.0f;
    if (!tb) {
        // Column-major C^T (n x m) = B' (n x k, ld ldb) op(A') with A' = A: stored k x m
        // column-major (ta No, ld lda) or, for ta Yes, m x k column-major and transposed.
        libxsmm_smmfunction f = kernel(n, m, k, ldb, lda, ldc, ta, beta_one);
        if (!f) return false;
        f(b, a, c);
        return true;
    }
    // tb Yes, ta No (the forward x W^T): two ways to reach a kernel libxsmm JITs, and the one
    // that moves less memory is taken:
    //  (1) transpose B (n x k) into Bt (k x n): then C = A Bt is the (No, No) case above;
    //  (2) transpose A (m x k): row-major B (n x k) is column-major B^T (k x n), so column-major
    //      C (m x n) = A B^T is NN once A is column-major; that result is row-major C^T, which
    //      is transposed out into C.
    // (1) touches n k elements, (2) m k + m n: a wide batch (640 frames, 10,240 at inference)
    // transposes the weight, the reference network's batch of 64 against Dense(1280, 512) the input.
    // Both buffers are sized for either way at once, so that after a first call at the largest
    // batch a smaller one (which may take the other way) finds them big enough: no allocation.
    Scratch& s = Scratch::get();
    Scratch::reserve(s.a, std::size_t(std::max(n, m)) * std::size_t(k));
    Scratch::reserve(s.c, std::size_t(m) * std::size_t(n));
    if (n * k <= m * (k + n)) {
        libxsmm_smmfunction f = kernel(n, m, k, n, lda, ldc, false, beta_one);
        if (!f) return false;
        float* bt = Scratch::reserve(s.a, std::size_t(n) * std::size_t(k));
        transpose(b, n, k, ldb, bt, n);  // bt: k x n row-major, ld n
        f(bt, a, c);
        return true;
    }
    libxsmm_smmfunction f = kernel(m, n, k, m, ldb, m, false, false);
    if (!f) return false;
    float* at = Scratch::reserve(s.a, std::size_t(m) * std::size_t(k));
    float* ct = Scratch::reserve(s.c, std::size_t(m) * std::size_t(n));
    transpose(a, m, k, lda, at, m);  // at: k x m row-major = column-major m x k, ld m
    f(at, b, ct);                    // ct: column-major m x n, ld m = row-major n x m
    transpose_out(ct, m, n, c, ldc, beta_one);
    return true;
}

}  // namespace polytag::detail::xsmm
