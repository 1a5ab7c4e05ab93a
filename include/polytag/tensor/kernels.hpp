#pragma once
// Dense kernels on row-major matrices and tensor views: GEMM, bias add, reductions,
// element-wise maps and softmax along an axis. None of them allocates (after the first call
// of a shape: JIT kernels and per-thread scratch are made then).
//
// polytag::gemm is the one GEMM entry point. It picks a backend per product (the table was
// chosen by measurement, docs/speed.md):
//   - libxsmm JIT kernels (POLYTAG_USE_LIBXSMM) for float products with alpha 1, beta 0 or 1,
//     both sides >= 2, not both operands transposed, and at most kXsmmMaxFlops multiply-adds
//     (the network's products: batch 64 or 640 rows against 128 to 1280 columns);
//   - OpenBLAS (POLYTAG_USE_BLAS) for the rest: gemv for single-row/column products, sgemm
//     and dgemm otherwise (large products, where its cache blocking and threads pay);
//   - Eigen for tiny products (below kBlasMinFlops) and when nothing else is built.
// oneDNN (POLYTAG_USE_DNNL) and Eigen can be asked for by name through gemm_with(); oneDNN is
// never picked by the dispatch because every oneDNN call allocates.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "polytag/tensor/avx2_kernels.hpp"
#include "polytag/tensor/tensor.hpp"

#if defined(POLYTAG_USE_BLAS)
#include <cblas.h>
#endif
#if defined(POLYTAG_USE_LIBXSMM)
#include "polytag/tensor/gemm_xsmm.hpp"
#endif
#if defined(POLYTAG_USE_DNNL)
#include "polytag/tensor/gemm_dnnl.hpp"
#endif

namespace polytag {

enum class Trans { No, Yes };

namespace detail {
inline void check_gemm(Index m, Index k, Index kb, Index n, Index cm, Index cn) {
    if (k != kb || m != cm || n != cn)
        throw ShapeError("polytag::gemm: op(A) is " + std::to_string(m) + "x" + std::to_string(k) + ", op(B) is " +
                         std::to_string(kb) + "x" + std::to_string(n) + ", C is " + std::to_string(cm) + "x" +
                         std::to_string(cn));
}

// Below this many multiply-adds a BLAS call costs more than it saves.
constexpr Index kBlasMinFlops = 4096;

#if defined(POLYTAG_USE_BLAS)
inline void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, Index m, Index n, Index k, float alpha, const float* a,
                      Index lda, const float* b, Index ldb, float beta, float* c, Index ldc) {
    cblas_sgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}
inline void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, Index m, Index n, Index k, double alpha, const double* a,
                      Index lda, const double* b, Index ldb, double beta, double* c, Index ldc) {
    cblas_dgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}
inline void blas_gemv(CBLAS_TRANSPOSE t, Index rows, Index cols, float alpha, const float* a, Index lda,
                      const float* x, Index incx, float beta, float* y, Index incy) {
    cblas_sgemv(CblasRowMajor, t, int(rows), int(cols), alpha, a, int(lda), x, int(incx), beta, y, int(incy));
}
inline void blas_gemv(CBLAS_TRANSPOSE t, Index rows, Index cols, double alpha, const double* a, Index lda,
                      const double* x, Index incx, double beta, double* y, Index incy) {
    cblas_dgemv(CblasRowMajor, t, int(rows), int(cols), alpha, a, int(lda), x, int(incx), beta, y, int(incy));
}

/// C = alpha op(A) op(B) + beta C when C is a single row or column, as one matrix-vector
/// product. sgemm packs the whole matrix operand on every call (for a batch-1 Dense(1280, 512)
/// that is 2.6 MB copied per call, about 20x the cost of the product itself); gemv streams it.
template <typename T>
void blas_gemv_product(bool ta, bool tb, Index m, Index n, Index k, T alpha, MatrixRef<const T> a,
                       MatrixRef<const T> b, T beta, MatrixRef<T> c) {
    if (beta == T(0))  // gemv may compute 0 * y: clear y so that NaN in C cannot survive
        for (Index i = 0; i < m; ++i)
            for (Index j = 0; j < n; ++j) c.data[i * c.ld + j] = T(0);
    if (m == 1) {
        // c^T (n) = op(B)^T (n x k) op(A)^T (k); op(A) element p is a[p] (ta No) or a[p * lda] (ta Yes).
        const Index incx = ta ? a.ld : 1;
        if (tb) blas_gemv(CblasNoTrans, n, k, alpha, b.data, b.ld, a.data, incx, beta, c.data, 1);
        else blas_gemv(CblasTrans, k, n, alpha, b.data, b.ld, a.data, incx, beta, c.data, 1);
    } else {
        // c (m, column stride ldc) = op(A) (m x k) op(B) (k); op(B) element p is b[p * ldb] (tb No) or b[p].
        const Index incx = tb ? 1 : b.ld;
        if (ta) blas_gemv(CblasTrans, k, m, alpha, a.data, a.ld, b.data, incx, beta, c.data, c.ld);
        else blas_gemv(CblasNoTrans, m, k, alpha, a.data, a.ld, b.data, incx, beta, c.data, c.ld);
    }
}
#endif

template <typename T, typename MA, typename MB, typename MC>
void eigen_gemm(const MA& a, const MB& b, T alpha, T beta, MC&& c) {
    if (beta == T(0))
        c.noalias() = alpha * (a * b);
    else {
        if (beta != T(1)) c *= beta;
        c.noalias() += alpha * (a * b);
    }
}
}  // namespace detail

/// The GEMM implementations polytag can run. Auto is polytag::gemm's own choice per product.
enum class GemmBackend { Auto, Eigen, Blas, Xsmm, Dnnl };

inline const char* gemm_backend_name(GemmBackend b) {
    switch (b) {
        case GemmBackend::Auto: return "auto";
        case GemmBackend::Eigen: return "eigen";
        case GemmBackend::Blas: return "openblas";
        case GemmBackend::Xsmm: return "libxsmm";
        case GemmBackend::Dnnl: return "onednn";
    }
    return "?";
}

/// Whether this build has backend `b` (Auto and Eigen always).
inline bool gemm_backend_available(GemmBackend b) {
    switch (b) {
        case GemmBackend::Auto:
        case GemmBackend::Eigen: return true;
#if defined(POLYTAG_USE_BLAS)
        case GemmBackend::Blas: return true;
#endif
#if defined(POLYTAG_USE_LIBXSMM)
        case GemmBackend::Xsmm: return true;
#endif
#if defined(POLYTAG_USE_DNNL)
        case GemmBackend::Dnnl: return true;
#endif
        default: return false;
    }
}

namespace detail {
// libxsmm's kernels run on one thread and have no cache blocking over k: past this many
// multiply-adds (2^29; the OpenMIC per-frame Dense at batch-1024 inference is 10240 x 256 x 128
// = 335M and still 1.8x faster in libxsmm, 2048^3 = 8.6G is not) OpenBLAS's blocked,
// threaded sgemm is used instead.
constexpr double kXsmmMaxFlops = 536870912.0;

inline void check_backend(GemmBackend b) {
    if (!gemm_backend_available(b))
        throw std::invalid_argument(std::string("polytag::gemm_with: backend ") + gemm_backend_name(b) +
                                    " is not built in (see cmake/gemm-backends.cmake)");
}

template <typename T>
void gemm_eigen(Trans ta, Trans tb, T alpha, MatrixRef<const T> a, MatrixRef<const T> b, T beta, MatrixRef<T> c) {
    auto am = a.map();
    auto bm = b.map();
    auto cm = c.map();
    // A single-row or single-column result, or a single inner index (an outer product), as
    // compile-time vectors, so that Eigen runs its GEMV or outer-product loop instead of a GEMM
    // that packs its operands (a one-task AttentionPool's per-clip 1 x 256 x 10 and 10 x 256 x 1
    // products: its backward took 1.3x as long that way).
    auto run = [&](const auto& op_a, const auto& op_b) {
        if (op_a.cols() == 1) eigen_gemm(op_a.col(0), op_b.row(0), alpha, beta, cm);
        else if (c.rows == 1) eigen_gemm(op_a.row(0), op_b, alpha, beta, cm.row(0));
        else if (c.cols == 1) eigen_gemm(op_a, op_b.col(0), alpha, beta, cm.col(0));
        else eigen_gemm(op_a, op_b, alpha, beta, cm);
    };
    if (ta == Trans::No && tb == Trans::No) run(am, bm);
    else if (ta == Trans::No) run(am, bm.transpose());
    else if (tb == Trans::No) run(am.transpose(), bm);
    else run(am.transpose(), bm.transpose());
}

#if defined(POLYTAG_USE_BLAS)
template <typename T>
void gemm_blas(Trans ta, Trans tb, Index m, Index n, Index k, T alpha, MatrixRef<const T> a, MatrixRef<const T> b,
               T beta, MatrixRef<T> c) {
    if (m == 1 || n == 1) {
        blas_gemv_product<T>(ta == Trans::Yes, tb == Trans::Yes, m, n, k, alpha, a, b, beta, c);
        return;
    }
    blas_gemm(ta == Trans::No ? CblasNoTrans : CblasTrans, tb == Trans::No ? CblasNoTrans : CblasTrans, m, n, k, alpha,
              a.data, a.ld, b.data, b.ld, beta, c.data, c.ld);
}
#endif

/// The backend Auto runs for this product (after the shape checks and the empty cases).
template <typename T>
GemmBackend auto_backend(Trans ta, Trans tb, Index m, Index n, Index k, T alpha, T beta) {
    const double flops = double(m) * double(n) * double(k);
#if defined(POLYTAG_USE_LIBXSMM)
    if constexpr (std::is_same<T, float>::value) {
        if (m >= 2 && n >= 2 && alpha == T(1) && (beta == T(0) || beta == T(1)) &&
            !(ta == Trans::Yes && tb == Trans::Yes) && flops >= double(kBlasMinFlops) && flops <= kXsmmMaxFlops)
            return GemmBackend::Xsmm;
    }
#endif
#if defined(POLYTAG_USE_BLAS)
    if (flops >= double(kBlasMinFlops)) return GemmBackend::Blas;
#endif
    (void)ta, (void)tb, (void)alpha, (void)beta, (void)flops;
    return GemmBackend::Eigen;
}
}  // namespace detail

/// C = alpha * op(A) * op(B) + beta * C through the named backend (Auto: polytag::gemm's choice).
/// Throws std::invalid_argument for a backend this build lacks. A backend that does not offer
/// the case at hand (libxsmm: alpha != 1, beta not 0 or 1, both transposed, double) falls back
/// to OpenBLAS, then Eigen; the result is the same product either way.
template <typename T>
void gemm_with(GemmBackend backend, Trans ta, Trans tb, T alpha, MatrixRef<const T> a, MatrixRef<const T> b, T beta,
               MatrixRef<T> c) {
    const Index m = ta == Trans::No ? a.rows : a.cols;
    const Index k = ta == Trans::No ? a.cols : a.rows;
    const Index kb = tb == Trans::No ? b.rows : b.cols;
    const Index n = tb == Trans::No ? b.cols : b.rows;
    detail::check_gemm(m, k, kb, n, c.rows, c.cols);
    if (backend != GemmBackend::Auto) detail::check_backend(backend);
    if (m == 0 || n == 0) return;
    if (k == 0) {
        c.map() *= beta;
        if (beta == T(0)) c.map().setZero();
        return;
    }
    if (backend == GemmBackend::Auto) backend = detail::auto_backend<T>(ta, tb, m, n, k, alpha, beta);
#if defined(POLYTAG_USE_LIBXSMM)
    if (backend == GemmBackend::Xsmm) {
        if constexpr (std::is_same<T, float>::value) {
            if (detail::xsmm::gemm(ta == Trans::Yes, tb == Trans::Yes, m, n, k, alpha, a.data, a.ld, b.data, b.ld,
                                   beta, c.data, c.ld))
                return;
        }
        backend = GemmBackend::Blas;  // not offered by libxsmm: fall back
    }
#endif
#if defined(POLYTAG_USE_DNNL)
    if (backend == GemmBackend::Dnnl) {
        if constexpr (std::is_same<T, float>::value) {
            detail::dnnl_backend::gemm(ta == Trans::Yes, tb == Trans::Yes, m, n, k, alpha, a.data, a.ld, b.data, b.ld,
                                       beta, c.data, c.ld);
            return;
        }
        backend = GemmBackend::Blas;
    }
#endif
#if defined(POLYTAG_USE_BLAS)
    if (backend == GemmBackend::Blas) {
        detail::gemm_blas<T>(ta, tb, m, n, k, alpha, a, b, beta, c);
        return;
    }
#endif
    detail::gemm_eigen<T>(ta, tb, alpha, a, b, beta, c);
}

/// C = alpha * op(A) * op(B) + beta * C, for row-major matrices with leading dimensions.
/// With beta == 0, C is overwritten (its previous contents may be NaN).
template <typename T>
void gemm(Trans ta, Trans tb, T alpha, MatrixRef<const T> a, MatrixRef<const T> b, T beta, MatrixRef<T> c) {
    gemm_with<T>(GemmBackend::Auto, ta, tb, alpha, a, b, beta, c);
}

/// Tensor-view overload: each view is taken as its matrix() (leading axes x last axis).
template <typename T>
void gemm(Trans ta, Trans tb, T alpha, TensorView<const T> a, TensorView<const T> b, T beta, TensorView<T> c) {
    gemm<T>(ta, tb, alpha, a.mref(), b.mref(), beta, c.mref());
}

/// Adds the vector `bias` (length cols) to every row of m.
template <typename T>
void add_bias(MatrixRef<T> m, const T* bias) {
#if POLYTAG_X86_DISPATCH && !defined(__AVX2__)
    if constexpr (std::is_same_v<T, float>) {  // without AVX2: the AVX2 kernel where the CPU has it
        if (detail::cpu_has_avx2_fma()) return detail::add_bias_avx2(m.data, m.rows, m.cols, m.ld, bias);
    }
#endif
    using Row = Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>;
    m.map().rowwise() += Row(bias, m.cols);
}

/// out[j] (+)= sum over rows i of m(i, j): the reduction a bias gradient needs.
template <typename T>
void sum_rows(MatrixRef<const T> m, T* out, bool accumulate = false) {
    using Row = Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>>;
    Row r(out, m.cols);
    if (accumulate) r += m.map().colwise().sum();
    else r = m.map().colwise().sum();
}

/// out[i] (+)= sum over columns j of m(i, j).
template <typename T>
void sum_cols(MatrixRef<const T> m, T* out, bool accumulate = false) {
    using Col = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>;
    Col c(out, m.rows);
    if (accumulate) c += m.map().rowwise().sum();
    else c = m.map().rowwise().sum();
}

/// out[i] = f(in[i]) element-wise; in and out may be the same view.
template <typename T, typename U, typename F>
void transform(TensorView<const T> in, TensorView<U> out, F f) {
    if (in.size() != out.size())
        throw ShapeError("polytag::transform: " + in.shape().str() + " vs " + out.shape().str());
    const T* src = in.data();
    U* dst = out.data();
    const Index n = in.size();
    for (Index i = 0; i < n; ++i) dst[i] = f(src[i]);
}

/// dx[i] = dy[i] where y[i] > 0, else negative_slope * dy[i] (exactly 0 for a slope of 0, even
/// where dy is inf or NaN): the gradient through a ReLU whose output is y, or through a leaky
/// ReLU whose input (or output) is y (dx may be dy). Written with Eigen's packet primitives (a
/// compare and a bitwise and, or a select), so it runs in the widest vectors the build has at
/// -O2 as at -O3: a multiply by the 0/1 mask cast to T stays scalar (0.12 ms on 164k floats,
/// against 0.02 ms here), and Eigen 3.4's select() or a plain loop vectorise only at -O3 (at
/// -O2 they branch: 0.86 ms on random signs).
template <typename T>
void relu_backward(const T* y, const T* dy, T* dx, Index n, T negative_slope = T(0)) {
    using namespace Eigen::internal;
    using Packet = typename packet_traits<T>::type;
    constexpr Index kWidth = packet_traits<T>::size;
    const Packet zero = pset1<Packet>(T(0)), slope = pset1<Packet>(negative_slope);
    Index i = 0;
    if (negative_slope == T(0)) {
        for (; i + kWidth <= n; i += kWidth)
            pstoreu(dx + i, pand(pcmp_lt(zero, ploadu<Packet>(y + i)), ploadu<Packet>(dy + i)));
    } else {
        for (; i + kWidth <= n; i += kWidth) {
            const Packet d = ploadu<Packet>(dy + i);
            pstoreu(dx + i, pselect(pcmp_lt(zero, ploadu<Packet>(y + i)), d, pmul(slope, d)));
        }
    }
    for (; i < n; ++i) dx[i] = y[i] > T(0) ? dy[i] : negative_slope == T(0) ? T(0) : negative_slope * dy[i];
}

/// y[i] = exp(x[i]) for i < n (y may be x). Every element goes through the same vector code,
/// the last partial packet too (zero-padded on the stack), so its bits do not depend on where it
/// sits: Eigen's own loops peel to the destination's alignment and leave a scalar tail, and
/// with them a clip's attention came out a rounding different at another position in a batch
/// (polytag-predict's streamed rows against --keys). Past the normal range the result is 0 and
/// +inf, as std::exp underflows and overflows (Eigen's exp clamps its input there), so that
/// 1 / (1 + exp(-x)) saturates to exactly 0 and 1; NaN stays NaN.
template <typename T>
void exp_elementwise(const T* x, T* y, Index n) {
#if POLYTAG_X86_DISPATCH && !defined(__AVX2__)
    // Compiled without AVX2 (Eigen's packets are SSE2 here): the AVX2 kernel where the CPU has it.
    if constexpr (std::is_same_v<T, float>) {
        if (detail::cpu_has_avx2_fma()) return detail::exp_avx2(x, y, n);
    }
#endif
    using namespace Eigen::internal;
    using Packet = typename packet_traits<T>::type;
    constexpr Index kWidth = packet_traits<T>::size;
    if constexpr (kWidth == 1 || !packet_traits<T>::HasExp) {
        for (Index i = 0; i < n; ++i) y[i] = std::exp(x[i]);
    } else {
        const Packet lowest = pset1<Packet>(std::log(std::numeric_limits<T>::min()));
        const Packet highest = pset1<Packet>(std::log(std::numeric_limits<T>::max()));
        const Packet inf = pset1<Packet>(std::numeric_limits<T>::infinity());
        const auto exp_or_zero = [&](const Packet& v) {
            return pselect(pcmp_lt(highest, v), inf, pandnot(pexp(v), pcmp_lt(v, lowest)));
        };
        Index i = 0;
        for (; i + kWidth <= n; i += kWidth) pstoreu(y + i, exp_or_zero(ploadu<Packet>(x + i)));
        if (i < n) {
            T buf[kWidth] = {};
            std::copy(x + i, x + n, buf);
            pstoreu(buf, exp_or_zero(ploadu<Packet>(buf)));
            std::copy(buf, buf + (n - i), y + i);
        }
    }
}

/// Numerically stable softmax of `x` along `axis`, written to `y` (may alias x).
template <typename T>
void softmax(TensorView<const T> x, TensorView<T> y, int axis) {
    if (x.shape() != y.shape())
        throw ShapeError("polytag::softmax: " + x.shape().str() + " vs " + y.shape().str());
    const Shape& s = x.shape();
    if (axis < 0) axis += s.rank();
    if (axis < 0 || axis >= s.rank()) throw ShapeError("polytag::softmax: axis out of range for " + s.str());
    Index outer = 1, inner = 1;
    for (int i = 0; i < axis; ++i) outer *= s[i];
    for (int i = axis + 1; i < s.rank(); ++i) inner *= s[i];
    const Index n = s[axis];
    using Row = Eigen::Map<Eigen::Array<T, 1, Eigen::Dynamic>>;
    using ConstRow = Eigen::Map<const Eigen::Array<T, 1, Eigen::Dynamic>>;
    for (Index o = 0; o < outer; ++o) {
        const T* xo = x.data() + o * n * inner;
        T* yo = y.data() + o * n * inner;
        if (inner == 1) {  // the axis is contiguous: one vectorised row
            const T mx = ConstRow(xo, n).maxCoeff();
            Row yr(yo, n);
            yr = ConstRow(xo, n) - mx;
            exp_elementwise(yo, yo, n);
            T sum = 0;  // in index order, whatever the row's alignment
            for (Index j = 0; j < n; ++j) sum += yo[j];
            yr *= T(1) / sum;
            continue;
        }
        // Strided axis: vectorise across the contiguous inner axis instead, kChunk columns at
        // a time (the running max and sum live on the stack: softmax allocates nothing).
        constexpr Index kChunk = 64;
        T mx_buf[kChunk], sum_buf[kChunk];
        for (Index c = 0; c < inner; c += kChunk) {
            const Index w = std::min(kChunk, inner - c);
            Row mx(mx_buf, w), sum(sum_buf, w);
            mx = ConstRow(xo + c, w);
            for (Index j = 1; j < n; ++j) mx = mx.max(ConstRow(xo + j * inner + c, w));
            for (Index j = 0; j < n; ++j) Row(yo + j * inner + c, w) = ConstRow(xo + j * inner + c, w) - mx;
            // The exp over the whole block when it is contiguous: one padded partial packet per
            // block rather than one per row (rows are 20 long for the OpenMIC attention's tasks).
            if (w == inner) exp_elementwise(yo, yo, n * inner);
            else
                for (Index j = 0; j < n; ++j) exp_elementwise(yo + j * inner + c, yo + j * inner + c, w);
            sum.setZero();
            for (Index j = 0; j < n; ++j) sum += Row(yo + j * inner + c, w);
            sum = sum.inverse();
            for (Index j = 0; j < n; ++j) Row(yo + j * inner + c, w) *= sum;
        }
    }
}

}  // namespace polytag
