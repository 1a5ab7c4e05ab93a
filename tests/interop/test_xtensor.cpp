#include <catch2/catch.hpp>

#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include "polytag/interop/xtensor.hpp"

using namespace polytag;

TEST_CASE("as_xarray / as_xtensor adapt a Tensor without copying", "[interop]") {
    Tensor<float> t(Shape{2, 3, 4});
    for (Index i = 0; i < t.size(); ++i) t[i] = float(i);
    auto a = as_xarray(t);
    CHECK(a.data() == t.data());
    REQUIRE(a.dimension() == 3);
    CHECK(a.shape()[2] == 4);
    CHECK(a(1, 2, 3) == t(1, 2, 3));
    a(0, 1, 2) = -7.0f;
    CHECK(t(0, 1, 2) == -7.0f);

    auto x = as_xtensor<3>(t);
    CHECK(x.data() == t.data());
    CHECK(x(1, 0, 1) == t(1, 0, 1));
    CHECK_THROWS_AS(as_xtensor<2>(t), ShapeError);

    // xtensor expressions run on the tensor's memory.
    auto rows = as_xtensor<3>(t.rows(1, 2));
    CHECK(rows.data() == t.data() + 12);
    CHECK(xt::sum(rows)() == Approx(12 * 12 + 66));

    const Tensor<float>& ct = t;
    auto ca = as_xarray(ct);
    CHECK(ca.data() == t.data());
    CHECK(ca(1, 2, 3) == 23.0f);
}

TEST_CASE("as_tensor_view wraps xtensor containers without copying", "[interop]") {
    xt::xtensor<double, 2> x = {{1, 2, 3}, {4, 5, 6}};
    TensorView<double> v = as_tensor_view(x);
    CHECK(v.data() == x.data());
    CHECK(v.shape() == Shape{2, 3});
    CHECK(v(1, 0) == 4.0);
    v(0, 0) = 10.0;
    CHECK(x(0, 0) == 10.0);

    xt::xarray<float> a = xt::ones<float>({2, 1, 3, 2});
    auto av = as_tensor_view(a);
    CHECK(av.data() == a.data());
    CHECK(av.shape() == Shape{2, 1, 3, 2});

    const xt::xtensor<double, 2>& cx = x;
    TensorView<const double> cv = as_tensor_view(cx);
    CHECK(cv.data() == x.data());

    xt::xarray<double, xt::layout_type::column_major> col = {{1, 2}, {3, 4}};
    CHECK_THROWS_WITH(as_tensor_view(col), Catch::Contains("row-major"));
    xt::xarray<double, xt::layout_type::dynamic> dyn(std::vector<std::size_t>{2, 2}, 0.0, xt::layout_type::column_major);
    CHECK_THROWS_AS(as_tensor_view(dyn), ShapeError);
    xt::xarray<double> rank5 = xt::zeros<double>({1, 1, 1, 1, 2});
    CHECK_THROWS_AS(as_tensor_view(rank5), ShapeError);

    // And back: a view of an xtensor adapted again is the same memory.
    auto again = as_xarray(v);
    CHECK(again.data() == x.data());
}
