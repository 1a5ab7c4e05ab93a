#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "polytag/tensor/kernels.hpp"
#include "polytag/tensor/random.hpp"
#include "polytag/tensor/tensor.hpp"

using namespace polytag;

TEST_CASE("Shape checks rank, extents and overflow", "[tensor]") {
    Shape s{64, 10, 128};
    CHECK(s.rank() == 3);
    CHECK(s.size() == 64 * 10 * 128);
    CHECK(s.rows() == 640);
    CHECK(s.cols() == 128);
    CHECK(s.str() == "(64, 10, 128)");
    CHECK(Shape{5}.str() == "(5,)");
    CHECK(s.drop_front() == Shape{10, 128});
    CHECK(s.drop_front().prepend(3) == Shape{3, 10, 128});
    CHECK_THROWS_AS((Shape{1, 2, 3, 4, 5}), ShapeError);
    CHECK_THROWS_AS((Shape{-1}), ShapeError);
    CHECK_THROWS_AS((Shape{Index(1) << 40, Index(1) << 40}), ShapeError);
    CHECK_THROWS_AS(s[3], ShapeError);
}

TEST_CASE("Tensor is aligned, row-major, and reuses capacity", "[tensor]") {
    Tensor<float> t(Shape{4, 3});
    CHECK(reinterpret_cast<std::uintptr_t>(t.data()) % 64 == 0);
    for (Index i = 0; i < 12; ++i) t[i] = float(i);
    CHECK(t(1, 2) == 5.0f);
    CHECK(t.matrix()(2, 1) == 7.0f);
    const float* before = t.data();
    t.resize(Shape{2, 3});
    CHECK(t.data() == before);
    CHECK(t.capacity() == 12);
    t.resize(Shape{5, 3});
    CHECK(t.capacity() == 15);
    Tensor<float> c = t;
    CHECK(c.data() != t.data());
    CHECK(c.shape() == t.shape());
}

TEST_CASE("Views slice rows and reshape without copying", "[tensor]") {
    Tensor<double> t(Shape{6, 2, 3});
    for (Index i = 0; i < t.size(); ++i) t[i] = double(i);
    auto batch = t.rows(2, 4);
    CHECK(batch.shape() == Shape{2, 2, 3});
    CHECK(batch.data() == t.data() + 12);
    CHECK(batch(1, 1, 2) == t(3, 1, 2));
    auto flat = batch.reshape(Shape{4, 3});
    CHECK(flat.matrix()(3, 2) == 23.0);
    CHECK_THROWS_AS(batch.reshape(Shape{5, 3}), ShapeError);
    CHECK_THROWS_AS(t.rows(5, 7), ShapeError);
    TensorView<const double> cv = batch;  // mutable -> const view
    CHECK(cv.data() == batch.data());
}

TEMPLATE_TEST_CASE("gemm matches Eigen for every transpose and alpha/beta", "[tensor]", float, double) {
    using T = TestType;
    Rng rng(1);
    for (Index m : {1, 7, 64}) {
        for (Index k : {1, 33, 130}) {
            for (Index n : {1, 5, 96}) {
                for (int ta = 0; ta < 2; ++ta) {
                    for (int tb = 0; tb < 2; ++tb) {
                        Tensor<T> a(ta ? Shape{k, m} : Shape{m, k}), b(tb ? Shape{n, k} : Shape{k, n}), c(Shape{m, n});
                        for (auto& v : a) v = T(rng.uniform(-1, 1));
                        for (auto& v : b) v = T(rng.uniform(-1, 1));
                        for (auto& v : c) v = T(rng.uniform(-1, 1));
                        using M = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
                        M am = a.matrix(), bm = b.matrix(), cm = c.matrix();
                        if (ta) am.transposeInPlace();
                        if (tb) bm.transposeInPlace();
                        M expect = T(0.5) * am * bm + T(2) * cm;
                        gemm<T>(ta ? Trans::Yes : Trans::No, tb ? Trans::Yes : Trans::No, T(0.5), a.mref(), b.mref(),
                                T(2), c.mref());
                        const double tol = std::is_same<T, float>::value ? 1e-4 : 1e-12;
                        CHECK((M(c.matrix()) - expect).cwiseAbs().maxCoeff() <= tol * (1 + k));
                    }
                }
            }
        }
    }
}

TEST_CASE("gemm with beta 0 ignores NaN in C, and checks shapes", "[tensor]") {
    Tensor<float> a(Shape{2, 3}, 1.f), b(Shape{3, 2}, 1.f), c(Shape{2, 2}, std::nanf(""));
    gemm<float>(Trans::No, Trans::No, 1.f, a.mref(), b.mref(), 0.f, c.mref());
    CHECK(c(1, 1) == 3.f);
    Tensor<float> bad(Shape{2, 2});
    CHECK_THROWS_AS(gemm<float>(Trans::No, Trans::No, 1.f, a.mref(), bad.mref(), 0.f, c.mref()), ShapeError);
}

TEST_CASE("gemm on column blocks with a leading dimension", "[tensor]") {
    // C's column block k = A * B_k, the MultiHead layout.
    Tensor<double> a(Shape{4, 3}), b(Shape{3, 2}), c(Shape{4, 6}, 0.0);
    Rng rng(3);
    for (auto& v : a) v = rng.uniform();
    for (auto& v : b) v = rng.uniform();
    gemm<double>(Trans::No, Trans::No, 1.0, a.mref(), b.mref(), 0.0, c.mref().col_block(2, 2));
    Eigen::MatrixXd expect = a.matrix() * b.matrix();
    CHECK((c.matrix().block(0, 2, 4, 2) - expect).cwiseAbs().maxCoeff() < 1e-14);
    CHECK(c.matrix().block(0, 0, 4, 2).cwiseAbs().maxCoeff() == 0.0);
}

TEST_CASE("bias add, reductions, transform and softmax", "[tensor]") {
    Tensor<double> m(Shape{2, 3});
    for (Index i = 0; i < 6; ++i) m[i] = double(i);
    double bias[3] = {10, 20, 30};
    add_bias<double>(m.mref(), bias);
    CHECK(m(1, 2) == 35.0);
    double cs[3], rs[2];
    sum_rows<double>(m.mref(), cs);
    sum_cols<double>(m.mref(), rs);
    CHECK(cs[0] == 23.0);
    CHECK(rs[1] == 3 + 4 + 5 + 60.0);
    transform<double>(m, m.view(), [](double v) { return v * 2; });
    CHECK(m(0, 0) == 20.0);

    Tensor<double> x(Shape{2, 3, 2});
    for (Index i = 0; i < x.size(); ++i) x[i] = double(i % 5) - 1000.0 * (i == 3);
    Tensor<double> y(x.shape());
    softmax<double>(x, y.view(), 1);
    for (Index b = 0; b < 2; ++b)
        for (Index j = 0; j < 2; ++j) {
            double s = 0;
            for (Index f = 0; f < 3; ++f) s += y(b, f, j);
            CHECK(s == Approx(1.0));
        }
    CHECK(y(0, 1, 1) == 0.0);  // exp(-1000) underflows cleanly, no NaN
    CHECK(y(0, 0, 0) == Approx(std::exp(0.0) / (std::exp(0.0) + std::exp(2.0) + std::exp(4.0))));
}

TEST_CASE("softmax matches the scalar formula on every layout it vectorises", "[tensor]") {
    // Axis contiguous (inner 1), strided with the block contiguous (inner 20: the OpenMIC
    // attention), and strided in several column chunks (inner 150 > 64), in place and not.
    for (Index inner : {1, 20, 150})
        for (bool in_place : {false, true}) {
            Tensor<float> x(Shape{3, 10, inner});
            Rng rng(7);
            for (auto& v : x) v = float(rng.uniform(-30, 30));
            Tensor<float> y(x.shape());
            Tensor<float> x0 = Tensor<float>::copy_of(x);
            if (in_place) softmax<float>(x, x.view(), 1);
            else softmax<float>(x, y.view(), 1);
            const Tensor<float>& out = in_place ? x : y;
            double worst = 0;
            for (Index o = 0; o < 3; ++o)
                for (Index i = 0; i < inner; ++i) {
                    double mx = -1e300, z = 0;
                    for (Index j = 0; j < 10; ++j) mx = std::max(mx, double(x0(o, j, i)));
                    for (Index j = 0; j < 10; ++j) z += std::exp(double(x0(o, j, i)) - mx);
                    for (Index j = 0; j < 10; ++j) {
                        const double expect = std::exp(double(x0(o, j, i)) - mx) / z;
                        worst = std::max(worst, std::abs(double(out(o, j, i)) - expect));
                    }
                }
            INFO("inner " << inner << (in_place ? " in place" : ""));
            CHECK(worst < 1e-6);
        }
}

TEMPLATE_TEST_CASE("relu_backward passes dy where y > 0 and slope x dy (0 for a ReLU) elsewhere, at every vector tail",
                   "[tensor]", float, double) {
    using T = TestType;
    Rng rng(9);
    for (T slope : {T(0), T(0.1)})
        for (Index n : {0, 1, 7, 15, 16, 17, 33, 1000})
            for (bool in_place : {false, true}) {
                std::vector<T> y(static_cast<std::size_t>(n)), dy(y.size()), dx(y.size(), T(-7));
                for (Index i = 0; i < n; ++i) {
                    const double u = rng.uniform();
                    y[std::size_t(i)] = u < 0.3 ? T(0) : u < 0.4 ? T(-u) : T(u);  // zeros, negatives, positives
                    dy[std::size_t(i)] = T(rng.uniform(-2, 2));
                }
                if (n > 3) {
                    y[1] = std::numeric_limits<T>::quiet_NaN();  // NaN > 0 is false: no gradient, as torch
                    y[2] = T(0);
                    dy[2] = std::numeric_limits<T>::infinity();  // masked, not inf * 0 = NaN
                    y[3] = std::numeric_limits<T>::denorm_min();
                }
                const std::vector<T> dy0 = dy;
                T* out = in_place ? dy.data() : dx.data();
                relu_backward<T>(y.data(), dy.data(), out, n, slope);
                bool ok = true;
                for (Index i = 0; i < n; ++i) {
                    const std::size_t k = std::size_t(i);
                    const T expect = y[k] > T(0) ? dy0[k] : slope == T(0) ? T(0) : slope * dy0[k];
                    ok = ok && out[k] == expect;
                }
                INFO("n " << n << " slope " << slope << (in_place ? " in place" : ""));
                CHECK(ok);
            }
}

TEMPLATE_TEST_CASE("exp_elementwise: std::exp within rounding, the same bits at any offset, clean underflow", "[tensor]",
                   float, double) {
    using T = TestType;
    Rng rng(10);
    std::vector<T> x(103), y(103), z(103);
    for (auto& v : x) v = T(rng.uniform(-20, 20));
    x[5] = T(-1000);
    x[6] = std::numeric_limits<T>::quiet_NaN();
    x[7] = std::numeric_limits<T>::infinity();
    x[8] = T(0);
    x[4] = T(1000);
    exp_elementwise(x.data(), y.data(), 103);
    CHECK(y[4] == std::numeric_limits<T>::infinity());  // overflow is +inf, as std::exp
    CHECK(y[5] == T(0));  // underflow is exactly 0
    CHECK(std::isnan(y[6]));
    CHECK(y[7] == std::numeric_limits<T>::infinity());
    CHECK(y[8] == T(1));
    double worst = 0;
    for (std::size_t i = 9; i < x.size(); ++i)
        worst = std::max(worst, std::abs(double(y[i]) / double(std::exp(x[i])) - 1));
    CHECK(worst < 8 * double(std::numeric_limits<T>::epsilon()));
    // Every element alike wherever it sits: the tail of 102 elements from offset 1, as one
    // element at a time.
    exp_elementwise(x.data() + 1, z.data() + 1, 102);
    bool same = true;
    for (std::size_t i = 1; i < x.size(); ++i) {
        T one;
        exp_elementwise(&x[i], &one, 1);
        same = same && (std::isnan(y[i]) ? std::isnan(z[i]) && std::isnan(one) : y[i] == z[i] && y[i] == one);
    }
    CHECK(same);
}

TEST_CASE("softmax gives a clip the same bits at any position in a batch", "[tensor]") {
    // Clips of (10, 20) are 800 bytes: every other one starts off a 64-byte boundary; rows of 13
    // (the contiguous axis) start at every offset.
    for (Index inner : {20, 1}) {
        const Index n = inner == 1 ? 13 : 10;
        Tensor<float> x(Shape{7, n, inner}), y(x.shape());
        Rng rng(11);
        for (auto& v : x) v = float(rng.uniform(-5, 5));
        softmax<float>(x, y.view(), 1);
        bool same = true;
        for (Index b = 0; b < 7; ++b) {
            Tensor<float> one(Shape{1, n, inner}), out(Shape{1, n, inner});
            std::copy_n(x.data() + b * n * inner, n * inner, one.data());
            softmax<float>(one, out.view(), 1);
            for (Index i = 0; i < n * inner; ++i) same = same && out[i] == y[b * n * inner + i];
        }
        INFO("inner " << inner);
        CHECK(same);
    }
}

TEST_CASE("Rng is deterministic and roughly normal", "[tensor]") {
    Rng a(42), b(42);
    for (int i = 0; i < 10; ++i) CHECK(a.next() == b.next());
    Rng r(5);
    double s = 0, s2 = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
        double v = r.normal();
        s += v;
        s2 += v * v;
    }
    CHECK(std::abs(s / n) < 0.03);
    CHECK(std::abs(s2 / n - 1) < 0.05);
}

TEST_CASE("A default Tensor is empty and copies and moves as empty", "[tensor]") {
    Tensor<float> t;
    CHECK(t.empty());
    CHECK(t.shape() == Shape{0});
    Tensor<float> c = t;
    CHECK(c.empty());
    c = Tensor<float>(Shape{2}, 1.f);
    Tensor<float> m = std::move(c);
    CHECK(m.size() == 2);
    CHECK(c.empty());
    m = t;
    CHECK(m.empty());
    Tensor<double> scalar(Shape{}, 3.0);  // 0-d: one element
    CHECK(scalar.size() == 1);
    CHECK(scalar[0] == 3.0);
}
