#pragma once
// Zero-copy views between polytag tensors and xtensor containers.
//
//   polytag -> xtensor:  as_xarray(view)      xt::adapt over the tensor's memory, dynamic rank
//                        as_xtensor<N>(view)  the same with static rank N (ShapeError if not N)
//   xtensor -> polytag:  as_tensor_view(c)    view of an xt::xarray / xt::xtensor / adaptor /
//                                             xtensor_fixed holding row-major contiguous data
//
// Both directions alias memory: the owner must outlive the view, and writes are shared.
// Constness is kept (a TensorView<const T> adapts to a read-only expression). Column-major
// or non-contiguous containers are a ShapeError; so is rank 0 or rank > 4.
// Include this header only where xtensor is available (polytag itself does not need it).
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xcontainer.hpp>

#include "polytag/error.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag {

/// An xt::xarray_adaptor (dynamic rank) over the view's memory; no copy, no ownership.
template <typename T>
auto as_xarray(TensorView<T> v) {
    std::vector<std::size_t> shape(static_cast<std::size_t>(v.rank()));
    for (int i = 0; i < v.rank(); ++i) shape[static_cast<std::size_t>(i)] = static_cast<std::size_t>(v.dim(i));
    return xt::adapt(v.data(), static_cast<std::size_t>(v.size()), xt::no_ownership(), shape);
}
template <typename T>
auto as_xarray(Tensor<T>& t) {
    return as_xarray(t.view());
}
template <typename T>
auto as_xarray(const Tensor<T>& t) {
    return as_xarray(t.view());
}

/// An xt::xtensor_adaptor of static rank N over the view's memory.
template <std::size_t N, typename T>
auto as_xtensor(TensorView<T> v) {
    if (v.rank() != static_cast<int>(N))
        throw ShapeError("polytag::as_xtensor<" + std::to_string(N) + ">: the view " + v.shape().str() + " has rank " +
                         std::to_string(v.rank()));
    std::array<std::size_t, N> shape{};
    for (std::size_t i = 0; i < N; ++i) shape[i] = static_cast<std::size_t>(v.dim(static_cast<int>(i)));
    return xt::adapt(v.data(), static_cast<std::size_t>(v.size()), xt::no_ownership(), shape);
}
template <std::size_t N, typename T>
auto as_xtensor(Tensor<T>& t) {
    return as_xtensor<N>(t.view());
}
template <std::size_t N, typename T>
auto as_xtensor(const Tensor<T>& t) {
    return as_xtensor<N>(t.view());
}

namespace detail {

template <typename D>
Shape xtensor_shape(const xt::xcontainer<D>& base) {
    const D& c = static_cast<const D&>(base);
    const std::size_t rank = c.dimension();
    if (rank < 1 || rank > static_cast<std::size_t>(kMaxRank))
        throw ShapeError("polytag::as_tensor_view: xtensor container of rank " + std::to_string(rank) +
                         ", polytag tensors have rank 1 to 4");
    // Row-major contiguous: each stride is the product of the extents after it (axes of
    // extent 1 may carry any stride; xtensor gives them 0).
    std::ptrdiff_t expect = 1;
    for (std::size_t i = rank; i-- > 0;) {
        const auto extent = static_cast<std::ptrdiff_t>(c.shape()[i]);
        if (extent != 1 && static_cast<std::ptrdiff_t>(c.strides()[i]) != expect)
            throw ShapeError("polytag::as_tensor_view: the xtensor container is not row-major contiguous "
                             "(use xt::layout_type::row_major)");
        expect *= extent;
    }
    Shape s;
    for (std::size_t i = 0; i < rank; ++i) s.push_back(static_cast<Index>(c.shape()[i]));
    return s;
}

}  // namespace detail

/// Mutable view of an xtensor container's data.
template <typename D>
auto as_tensor_view(xt::xcontainer<D>& c) {
    using T = std::remove_reference_t<decltype(*static_cast<D&>(c).data())>;
    const Shape s = detail::xtensor_shape(c);
    return TensorView<T>(static_cast<D&>(c).data(), s);
}
/// Read-only view of a const xtensor container's data.
template <typename D>
auto as_tensor_view(const xt::xcontainer<D>& c) {
    using T = std::remove_reference_t<decltype(*static_cast<const D&>(c).data())>;
    const Shape s = detail::xtensor_shape(c);
    return TensorView<const std::remove_const_t<T>>(static_cast<const D&>(c).data(), s);
}
/// A temporary container would die at the end of the statement: refused at compile time.
template <typename D>
void as_tensor_view(xt::xcontainer<D>&&) = delete;

}  // namespace polytag
