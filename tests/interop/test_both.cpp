// Both interop headers in one translation unit: the as_tensor_view overloads must not clash.
#include <catch2/catch.hpp>

#include <xtensor/xtensor.hpp>

#include "polytag/interop/eigen.hpp"
#include "polytag/interop/xtensor.hpp"

using namespace polytag;

TEST_CASE("Eigen and xtensor views of one Tensor share its memory", "[interop]") {
    Tensor<double> t(Shape{3, 4}, 2.0);
    auto m = eigen_map(t);
    auto x = as_xtensor<2>(t);
    m(1, 1) = 5.0;
    CHECK(x(1, 1) == 5.0);
    x(2, 3) = 7.0;
    CHECK(m(2, 3) == 7.0);
    xt::xtensor<double, 2> owned = {{1, 2}, {3, 4}};
    Eigen::Matrix<double, 2, 2, Eigen::RowMajor> e;
    e << 1, 2, 3, 4;
    CHECK(as_tensor_view(owned).shape() == as_tensor_view(e).shape());
}
