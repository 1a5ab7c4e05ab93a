#pragma once
// Zero-copy views between polytag tensors and Eigen.
//
//   polytag -> Eigen:  eigen_map(view)              Map of a row-major matrix: rows = product
//                                                    of the leading axes, cols = last axis
//                      eigen_map(view, rows, cols)  the same elements as any rows x cols
//                      eigen_vector_map(view)       all elements as a column vector
//   Eigen -> polytag:  as_tensor_view(e)            view of a Matrix / Array / Map / Ref /
//                      as_tensor_view(e, shape)     Block whose memory is row-major contiguous
//
// Maps and views alias the original memory: writes through one are seen by the other, and
// the owner must outlive them. Constness is kept: a const Tensor or TensorView<const T>
// gives a read-only Map, a const Eigen object a TensorView<const T>.
// Eigen's default storage is column-major: only row-major matrices (Eigen::RowMajor), vectors
// and contiguous row-major blocks can be viewed; anything else is a ShapeError (take
// `m.transpose()`, which IS row-major over the same memory, or copy into a row-major matrix).
#include <string>
#include <type_traits>

#include <Eigen/Core>

#include "polytag/error.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag {

template <typename T>
typename TensorView<T>::MatrixMap eigen_map(TensorView<T> v) {
    return v.matrix();
}
template <typename T>
typename TensorView<T>::MatrixMap eigen_map(Tensor<T>& t) {
    return t.matrix();
}
template <typename T>
typename TensorView<const T>::MatrixMap eigen_map(const Tensor<T>& t) {
    return t.matrix();
}

/// The view's elements (row-major order) as a rows x cols row-major matrix.
template <typename T>
typename TensorView<T>::MatrixMap eigen_map(TensorView<T> v, Index rows, Index cols) {
    if (rows < 0 || cols < 0 || rows * cols != v.size())
        throw ShapeError("polytag::eigen_map: cannot view " + v.shape().str() + " as " + std::to_string(rows) + "x" +
                         std::to_string(cols));
    return typename TensorView<T>::MatrixMap(v.data(), rows, cols);
}
template <typename T>
typename TensorView<T>::MatrixMap eigen_map(Tensor<T>& t, Index rows, Index cols) {
    return eigen_map(t.view(), rows, cols);
}
template <typename T>
typename TensorView<const T>::MatrixMap eigen_map(const Tensor<T>& t, Index rows, Index cols) {
    return eigen_map(t.view(), rows, cols);
}

template <typename T>
typename TensorView<T>::VectorMap eigen_vector_map(TensorView<T> v) {
    return v.vector();
}
template <typename T>
typename TensorView<T>::VectorMap eigen_vector_map(Tensor<T>& t) {
    return t.vector();
}
template <typename T>
typename TensorView<const T>::VectorMap eigen_vector_map(const Tensor<T>& t) {
    return t.vector();
}

namespace detail {

template <typename Derived>
constexpr bool eigen_direct_access() {
    return (Eigen::internal::traits<Derived>::Flags & Eigen::DirectAccessBit) != 0;
}

/// Shape of an Eigen object as a tensor: (size,) for compile-time vectors, (rows, cols)
/// otherwise. Throws unless its memory is row-major contiguous.
template <typename Derived>
Shape eigen_tensor_shape(const Eigen::DenseBase<Derived>& base) {
    const Derived& e = base.derived();
    const Index rows = e.rows(), cols = e.cols();
    const bool vector_like = rows <= 1 || cols <= 1;
    bool contiguous;
    if (vector_like) contiguous = e.size() <= 1 || e.innerStride() == 1;
    else contiguous = Derived::IsRowMajor && e.innerStride() == 1 && e.outerStride() == cols;
    if (!contiguous)
        throw ShapeError(std::string("polytag::as_tensor_view: the Eigen ") + std::to_string(rows) + "x" +
                         std::to_string(cols) + " object is " +
                         (Derived::IsRowMajor ? "not contiguous" : "column-major") +
                         "; polytag tensors are contiguous row-major (use Eigen::RowMajor or .transpose())");
    if (Derived::IsVectorAtCompileTime) return Shape{e.size()};
    return Shape{rows, cols};
}

}  // namespace detail

/// Mutable view of a writable Eigen object (Matrix, Array, Map, Ref, Block) of row-major memory.
template <typename Derived>
auto as_tensor_view(Eigen::DenseBase<Derived>& e) {
    static_assert(detail::eigen_direct_access<Derived>(),
                  "polytag::as_tensor_view needs an Eigen object with its own memory, not an expression");
    using Scalar = typename Derived::Scalar;
    using T = std::conditional_t<(Eigen::internal::traits<Derived>::Flags & Eigen::LvalueBit) != 0, Scalar,
                                 const Scalar>;
    const Shape s = detail::eigen_tensor_shape(e);
    return TensorView<T>(e.derived().data(), s);
}

/// Read-only view of a const Eigen object (or of a temporary Map / Block / transpose).
template <typename Derived>
TensorView<const typename Derived::Scalar> as_tensor_view(const Eigen::DenseBase<Derived>& e) {
    static_assert(detail::eigen_direct_access<Derived>(),
                  "polytag::as_tensor_view needs an Eigen object with its own memory, not an expression");
    const Shape s = detail::eigen_tensor_shape(e);
    return TensorView<const typename Derived::Scalar>(e.derived().data(), s);
}

/// A temporary Matrix / Array would die at the end of the statement: refused at compile time.
template <typename Derived>
void as_tensor_view(Eigen::PlainObjectBase<Derived>&&) = delete;

/// The same, reshaped (equal element count), e.g. a (B, F*D) matrix seen as (B, F, D).
template <typename Derived>
auto as_tensor_view(Eigen::DenseBase<Derived>& e, Shape shape) {
    return as_tensor_view(e).reshape(shape);
}
template <typename Derived>
TensorView<const typename Derived::Scalar> as_tensor_view(const Eigen::DenseBase<Derived>& e, Shape shape) {
    return as_tensor_view(e).reshape(shape);
}
template <typename Derived>
void as_tensor_view(Eigen::PlainObjectBase<Derived>&&, Shape) = delete;

}  // namespace polytag
