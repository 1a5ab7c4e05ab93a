#pragma once
// Tensor<T>: owning, 64-byte-aligned, contiguous, row-major, rank 1 to 4.
// TensorView<T>: the same without ownership (T may be const). Views slice the
// leading axis (mini-batches) and reshape without copying; both expose Eigen Maps.
#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include <Eigen/Core>

#include "polytag/tensor/shape.hpp"

namespace polytag {

/// A row-major matrix inside some buffer: `rows` x `cols`, rows `ld` elements apart.
/// This is what the GEMM kernel consumes; column blocks of a wider matrix are MatrixRefs too.
template <typename T>
struct MatrixRef {
    T* data;
    Index rows;
    Index cols;
    Index ld;

    template <typename U, typename = std::enable_if_t<std::is_same<const U, T>::value>>
    MatrixRef(const MatrixRef<U>& m) : data(m.data), rows(m.rows), cols(m.cols), ld(m.ld) {}
    MatrixRef(T* d, Index r, Index c, Index l) : data(d), rows(r), cols(c), ld(l) {}
    MatrixRef(T* d, Index r, Index c) : data(d), rows(r), cols(c), ld(c) {}

    /// Columns [begin, begin + n) of this matrix.
    MatrixRef col_block(Index begin, Index n) const { return {data + begin, rows, n, ld}; }
    /// Rows [begin, begin + n) of this matrix.
    MatrixRef row_block(Index begin, Index n) const { return {data + begin * ld, n, cols, ld}; }

    using Scalar = std::remove_const_t<T>;
    using EigenMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using EigenMap = Eigen::Map<std::conditional_t<std::is_const<T>::value, const EigenMatrix, EigenMatrix>,
                                Eigen::Unaligned, Eigen::OuterStride<>>;
    EigenMap map() const { return EigenMap(data, rows, cols, Eigen::OuterStride<>(ld)); }
};

namespace detail {
template <typename T>
using EigenRowMatrix = Eigen::Matrix<std::remove_const_t<T>, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using EigenArray = Eigen::Array<std::remove_const_t<T>, Eigen::Dynamic, 1>;
template <typename T>
using EigenVector = Eigen::Matrix<std::remove_const_t<T>, Eigen::Dynamic, 1>;
template <typename T, typename M>
using ConstIf = std::conditional_t<std::is_const<T>::value, const M, M>;

inline Index flat_index(const Shape& s, std::initializer_list<Index> idx) {
    Index flat = 0;
    int axis = 0;
    for (Index i : idx) flat = flat * s[axis++] + i;
    return flat;
}
}  // namespace detail

template <typename T>
class TensorView {
public:
    using Scalar = std::remove_const_t<T>;
    using MatrixMap = Eigen::Map<detail::ConstIf<T, detail::EigenRowMatrix<T>>>;
    using ArrayMap = Eigen::Map<detail::ConstIf<T, detail::EigenArray<T>>>;
    using VectorMap = Eigen::Map<detail::ConstIf<T, detail::EigenVector<T>>>;

    TensorView() = default;
    TensorView(T* data, Shape shape) : data_(data), shape_(shape) {}
    /// A view of mutable data converts to a view of const data.
    template <typename U, typename = std::enable_if_t<std::is_same<const U, T>::value>>
    TensorView(const TensorView<U>& v) : data_(v.data()), shape_(v.shape()) {}

    T* data() const { return data_; }
    const Shape& shape() const { return shape_; }
    int rank() const { return shape_.rank(); }
    Index size() const { return shape_.size(); }
    Index dim(int axis) const { return shape_[axis]; }
    bool empty() const { return size() == 0; }

    /// Element access by full index, e.g. v(b, f, d) on a rank-3 view.
    template <typename... I>
    T& operator()(I... idx) const {
        static_assert(sizeof...(I) >= 1 && sizeof...(I) <= kMaxRank, "one index per axis");
        return data_[detail::flat_index(shape_, {static_cast<Index>(idx)...})];
    }
    T& operator[](Index flat) const { return data_[flat]; }

    /// Rows [begin, end) of the leading axis, without copying: a mini-batch.
    TensorView rows(Index begin, Index end) const {
        if (rank() == 0 || begin < 0 || end < begin || end > shape_[0])
            throw ShapeError("polytag::TensorView::rows: [" + std::to_string(begin) + ", " + std::to_string(end) +
                             ") out of range for shape " + shape_.str());
        Index stride = shape_[0] == 0 ? 0 : size() / shape_[0];
        return TensorView(data_ + begin * stride, shape_.with_dim(0, end - begin));
    }
    /// The same elements under another shape of equal size.
    TensorView reshape(Shape s) const {
        if (s.size() != size())
            throw ShapeError("polytag::TensorView::reshape: cannot view " + shape_.str() + " as " + s.str());
        return TensorView(data_, s);
    }

    /// Row-major matrix over all leading axes x the last axis.
    MatrixMap matrix() const { return MatrixMap(data_, shape_.rows(), shape_.cols()); }
    /// The same as a MatrixRef, for the GEMM kernel.
    MatrixRef<T> mref() const { return MatrixRef<T>(data_, shape_.rows(), shape_.cols()); }
    /// All elements as a flat Eigen array (element-wise maths) or vector.
    ArrayMap array() const { return ArrayMap(data_, size()); }
    VectorMap vector() const { return VectorMap(data_, size()); }

    T* begin() const { return data_; }
    T* end() const { return data_ + size(); }

private:
    T* data_ = nullptr;
    Shape shape_;
};

template <typename T>
class Tensor {
    static_assert(std::is_arithmetic<T>::value, "Tensor<T> holds arithmetic scalars");

public:
    using Scalar = T;
    static constexpr std::size_t kAlignment = 64;

    /// An empty tensor, shape (0,): no storage. (A rank-0 Shape{} holds one element.)
    Tensor() = default;
    explicit Tensor(Shape shape) { resize(shape); }
    Tensor(Shape shape, T value) {
        resize(shape);
        fill(value);
    }
    /// A deep copy of any view's elements.
    static Tensor copy_of(TensorView<const T> v) {
        Tensor t(v.shape());
        if (v.size()) std::memcpy(t.data(), v.data(), sizeof(T) * v.size());
        return t;
    }

    Tensor(const Tensor& o) : Tensor(copy_of(o.view())) {}
    Tensor(Tensor&& o) noexcept { swap(o); }
    Tensor& operator=(const Tensor& o) {
        if (this != &o) {
            resize(o.shape());
            if (size()) std::memcpy(data(), o.data(), sizeof(T) * size());
        }
        return *this;
    }
    Tensor& operator=(Tensor&& o) noexcept {
        swap(o);
        return *this;
    }
    ~Tensor() { release(); }

    void swap(Tensor& o) noexcept {
        std::swap(data_, o.data_);
        std::swap(capacity_, o.capacity_);
        std::swap(shape_, o.shape_);
    }

    /// Give the tensor a new shape. Memory is reallocated only when the new size exceeds
    /// the capacity, so a buffer sized once for the largest batch never allocates again.
    /// Element values are unspecified afterwards.
    void resize(Shape shape) {
        Index n = shape.size();
        if (n > capacity_) {
            if (static_cast<std::size_t>(n) > std::numeric_limits<std::size_t>::max() / sizeof(T))
                throw ShapeError("polytag::Tensor: " + shape.str() + " is too large");
            T* fresh = static_cast<T*>(::operator new(sizeof(T) * static_cast<std::size_t>(n),
                                                      std::align_val_t(kAlignment)));
            release();
            data_ = fresh;
            capacity_ = n;
        }
        shape_ = shape;
    }
    Index capacity() const { return capacity_; }

    void fill(T value) { std::fill(data_, data_ + size(), value); }
    void set_zero() { fill(T(0)); }

    TensorView<T> view() { return TensorView<T>(data_, shape_); }
    TensorView<const T> view() const { return TensorView<const T>(data_, shape_); }
    operator TensorView<T>() { return view(); }
    operator TensorView<const T>() const { return view(); }

    T* data() { return data_; }
    const T* data() const { return data_; }
    const Shape& shape() const { return shape_; }
    int rank() const { return shape_.rank(); }
    Index size() const { return shape_.size(); }
    Index dim(int axis) const { return shape_[axis]; }
    bool empty() const { return size() == 0; }

    template <typename... I>
    T& operator()(I... idx) { return view()(idx...); }
    template <typename... I>
    const T& operator()(I... idx) const { return view()(idx...); }
    T& operator[](Index flat) { return data_[flat]; }
    const T& operator[](Index flat) const { return data_[flat]; }

    TensorView<T> rows(Index b, Index e) { return view().rows(b, e); }
    TensorView<const T> rows(Index b, Index e) const { return view().rows(b, e); }
    TensorView<T> reshape(Shape s) { return view().reshape(s); }
    TensorView<const T> reshape(Shape s) const { return view().reshape(s); }
    typename TensorView<T>::MatrixMap matrix() { return view().matrix(); }
    typename TensorView<const T>::MatrixMap matrix() const { return view().matrix(); }
    MatrixRef<T> mref() { return view().mref(); }
    MatrixRef<const T> mref() const { return view().mref(); }
    typename TensorView<T>::ArrayMap array() { return view().array(); }
    typename TensorView<const T>::ArrayMap array() const { return view().array(); }
    typename TensorView<T>::VectorMap vector() { return view().vector(); }
    typename TensorView<const T>::VectorMap vector() const { return view().vector(); }

    T* begin() { return data_; }
    T* end() { return data_ + size(); }
    const T* begin() const { return data_; }
    const T* end() const { return data_ + size(); }

private:
    void release() noexcept {
        if (data_) ::operator delete(data_, std::align_val_t(kAlignment));
        data_ = nullptr;
        capacity_ = 0;
    }
    T* data_ = nullptr;
    Index capacity_ = 0;
    Shape shape_{0};
};

}  // namespace polytag
