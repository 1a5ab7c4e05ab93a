#pragma once
// Dense kernels on row-major matrices and tensor views: GEMM (OpenBLAS when built
// with POLYTAG_USE_BLAS, Eigen otherwise or for tiny products), bias add, reductions,
// element-wise maps and softmax along an axis. None of them allocates.
#include <cmath>
#include <string>

#include "polytag/tensor/tensor.hpp"

#if defined(POLYTAG_USE_BLAS)
#include <cblas.h>
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

/// C = alpha * op(A) * op(B) + beta * C, for row-major matrices with leading dimensions.
/// With beta == 0, C is overwritten (its previous contents may be NaN).
template <typename T>
void gemm(Trans ta, Trans tb, T alpha, MatrixRef<const T> a, MatrixRef<const T> b, T beta, MatrixRef<T> c) {
    const Index m = ta == Trans::No ? a.rows : a.cols;
    const Index k = ta == Trans::No ? a.cols : a.rows;
    const Index kb = tb == Trans::No ? b.rows : b.cols;
    const Index n = tb == Trans::No ? b.cols : b.rows;
    detail::check_gemm(m, k, kb, n, c.rows, c.cols);
    if (m == 0 || n == 0) return;
    if (k == 0) {
        c.map() *= beta;
        if (beta == T(0)) c.map().setZero();
        return;
    }
#if defined(POLYTAG_USE_BLAS)
    if (m * n * k >= detail::kBlasMinFlops) {
        if (m == 1 || n == 1) {
            detail::blas_gemv_product<T>(ta == Trans::Yes, tb == Trans::Yes, m, n, k, alpha, a, b, beta, c);
            return;
        }
        detail::blas_gemm(ta == Trans::No ? CblasNoTrans : CblasTrans, tb == Trans::No ? CblasNoTrans : CblasTrans, m,
                          n, k, alpha, a.data, a.ld, b.data, b.ld, beta, c.data, c.ld);
        return;
    }
#endif
    auto am = a.map();
    auto bm = b.map();
    auto cm = c.map();
    if (ta == Trans::No && tb == Trans::No) detail::eigen_gemm(am, bm, alpha, beta, cm);
    else if (ta == Trans::No) detail::eigen_gemm(am, bm.transpose(), alpha, beta, cm);
    else if (tb == Trans::No) detail::eigen_gemm(am.transpose(), bm, alpha, beta, cm);
    else detail::eigen_gemm(am.transpose(), bm.transpose(), alpha, beta, cm);
}

/// Tensor-view overload: each view is taken as its matrix() (leading axes x last axis).
template <typename T>
void gemm(Trans ta, Trans tb, T alpha, TensorView<const T> a, TensorView<const T> b, T beta, TensorView<T> c) {
    gemm<T>(ta, tb, alpha, a.mref(), b.mref(), beta, c.mref());
}

/// Adds the vector `bias` (length cols) to every row of m.
template <typename T>
void add_bias(MatrixRef<T> m, const T* bias) {
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
    for (Index o = 0; o < outer; ++o)
        for (Index in = 0; in < inner; ++in) {
            const T* xp = x.data() + o * n * inner + in;
            T* yp = y.data() + o * n * inner + in;
            T mx = xp[0];
            for (Index j = 1; j < n; ++j) mx = std::max(mx, xp[j * inner]);
            T sum = 0;
            for (Index j = 0; j < n; ++j) sum += (yp[j * inner] = std::exp(xp[j * inner] - mx));
            const T inv = T(1) / sum;
            for (Index j = 0; j < n; ++j) yp[j * inner] *= inv;
        }
}

}  // namespace polytag
