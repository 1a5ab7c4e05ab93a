#include <catch2/catch.hpp>

#include "polytag/interop/eigen.hpp"

using namespace polytag;

TEST_CASE("eigen_map aliases a Tensor as a row-major matrix", "[interop]") {
    Tensor<float> t(Shape{2, 3, 4});
    for (Index i = 0; i < t.size(); ++i) t[i] = float(i);
    auto m = eigen_map(t);
    CHECK(m.data() == t.data());
    CHECK(m.rows() == 6);
    CHECK(m.cols() == 4);
    CHECK(m(1, 2) == t(0, 1, 2));
    CHECK(m(5, 3) == t(1, 2, 3));
    m(0, 0) = -1.0f;  // writes go to the tensor
    CHECK(t(0, 0, 0) == -1.0f);

    auto wide = eigen_map(t, 2, 12);
    CHECK(wide.data() == t.data());
    CHECK(wide(1, 0) == t(1, 0, 0));
    CHECK_THROWS_AS(eigen_map(t, 5, 5), ShapeError);

    const Tensor<float>& ct = t;
    auto cm = eigen_map(ct);  // read-only Map
    static_assert(std::is_const<std::remove_pointer_t<decltype(cm.data())>>::value, "const stays const");
    CHECK(cm.data() == t.data());
    auto v = eigen_vector_map(t.rows(1, 2));
    CHECK(v.data() == t.data() + 12);
    CHECK(v.size() == 12);
}

TEST_CASE("as_tensor_view wraps row-major Eigen memory without copying", "[interop]") {
    using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    RowMatrix m(3, 4);
    for (Index r = 0; r < 3; ++r)
        for (Index c = 0; c < 4; ++c) m(r, c) = double(10 * r + c);
    TensorView<double> v = as_tensor_view(m);
    CHECK(v.data() == m.data());
    CHECK(v.shape() == Shape{3, 4});
    CHECK(v(2, 1) == 21.0);
    v(0, 3) = 99.0;
    CHECK(m(0, 3) == 99.0);

    auto v3 = as_tensor_view(m, Shape{3, 2, 2});
    CHECK(v3.data() == m.data());
    CHECK(v3(1, 1, 0) == m(1, 2));

    // Contiguous row blocks of a row-major matrix are fine, column blocks are not.
    auto rows = as_tensor_view(m.middleRows(1, 2));
    CHECK(rows.data() == m.data() + 4);
    CHECK(rows.shape() == Shape{2, 4});
    CHECK_THROWS_AS(as_tensor_view(m.leftCols(2)), ShapeError);

    // Vectors become rank 1; a Map of foreign memory works too.
    Eigen::VectorXf vec = Eigen::VectorXf::LinSpaced(5, 0, 4);
    auto vv = as_tensor_view(vec);
    CHECK(vv.shape() == Shape{5});
    CHECK(vv.data() == vec.data());
    float raw[6] = {1, 2, 3, 4, 5, 6};
    Eigen::Map<Eigen::Matrix<float, 2, 3, Eigen::RowMajor>> map(raw);
    auto mv = as_tensor_view(map);
    CHECK(mv.data() == raw);
    CHECK(mv(1, 2) == 6.0f);

    // Column-major matrices are refused; their transpose is row-major over the same memory.
    Eigen::MatrixXd col(3, 2);
    col << 1, 2, 3, 4, 5, 6;
    CHECK_THROWS_WITH(as_tensor_view(col), Catch::Contains("column-major"));
    auto tv = as_tensor_view(col.transpose());
    CHECK(tv.data() == col.data());
    CHECK(tv.shape() == Shape{2, 3});
    CHECK(tv(0, 2) == col(2, 0));

    // const Eigen object -> read-only view.
    const RowMatrix& cm = m;
    TensorView<const double> cv = as_tensor_view(cm);
    CHECK(cv.data() == m.data());
}

TEST_CASE("Round trip Tensor -> Eigen Map -> TensorView is the same memory", "[interop]") {
    Tensor<float> t(Shape{4, 5}, 1.5f);
    auto m = eigen_map(t);
    auto back = as_tensor_view(m);
    CHECK(back.data() == t.data());
    CHECK(back.shape() == t.shape());
}
