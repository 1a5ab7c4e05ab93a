#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "nn/nn_test_util.hpp"
#include "polytag/nn/attention_pool.hpp"
#include "polytag/nn/pooling.hpp"

using namespace polytag;

TEST_CASE("MeanPool and MaxPool pool the frame axis", "[nn]") {
    Rng rng(31);
    Tensor<double> x(Shape{3, 5, 4});
    test::fill_uniform(x, rng);
    MeanPool<double> mean;
    MaxPool<double> max;
    CHECK(mean.output_shape(Shape{5, 4}) == Shape{4});
    CHECK(max.output_shape(Shape{5, 4}) == Shape{4});
    auto ym = mean.forward(x, Mode::Train);
    auto yx = max.forward(x, Mode::Train);
    REQUIRE(ym.shape() == Shape{3, 4});
    REQUIRE(yx.shape() == Shape{3, 4});
    for (Index b = 0; b < 3; ++b)
        for (Index d = 0; d < 4; ++d) {
            double s = 0, m = x(b, 0, d);
            for (Index f = 0; f < 5; ++f) {
                s += x(b, f, d);
                m = std::max(m, x(b, f, d));
            }
            CHECK(ym(b, d) == Approx(s / 5).epsilon(1e-14));
            CHECK(yx(b, d) == m);
            CHECK(x(b, max.argmax()(b, d), d) == m);
        }
}

TEST_CASE("MaxPool sends the gradient to the first maximal frame", "[nn]") {
    MaxPool<double> max;
    Tensor<double> x(Shape{1, 3, 1});
    x[0] = 1;
    x[1] = 2;
    x[2] = 2;
    max.forward(x, Mode::Train);
    Tensor<double> dy(Shape{1, 1}, 5.0);
    auto dx = max.backward(dy);
    CHECK(dx[0] == 0);
    CHECK(dx[1] == 5);
    CHECK(dx[2] == 0);
}

TEST_CASE("MeanPool and MaxPool gradients match central differences", "[nn][gradcheck]") {
    Rng rng(32);
    Tensor<double> x(Shape{2, 6, 3});
    test::fill_uniform(x, rng);
    MeanPool<double> mean;
    auto r1 = test::gradcheck(mean, x);
    INFO(r1.worst);
    CHECK(r1.max_rel_error < 1e-6);
    // Distinct values 0.01 apart: no two frames within the difference step of each other.
    std::vector<double> grid(std::size_t(x.size()));
    for (std::size_t i = 0; i < grid.size(); ++i) grid[i] = 0.01 * double(i) - 0.2;
    shuffle(grid.begin(), grid.end(), rng);
    std::copy(grid.begin(), grid.end(), x.begin());
    MaxPool<double> max;
    auto r2 = test::gradcheck(max, x);
    INFO(r2.worst);
    CHECK(r2.max_rel_error < 1e-6);
}

TEST_CASE("frame poolings reject inputs without a frame axis", "[nn]") {
    MeanPool<float> mean;
    MaxPool<float> max;
    AttentionPool<float> att(4, 2);
    CHECK_THROWS_AS(mean.output_shape(Shape{4}), ShapeError);
    CHECK_THROWS_AS(max.output_shape(Shape{0, 4}), ShapeError);
    CHECK_THROWS_AS(att.output_shape(Shape{5, 3}), ShapeError);
    CHECK_THROWS_AS(mean.forward(Tensor<float>(Shape{2, 4}), Mode::Train), ShapeError);
    CHECK_THROWS_AS(max.forward(Tensor<float>(Shape{2, 4}), Mode::Train), ShapeError);
    CHECK_THROWS_AS(att.forward(Tensor<float>(Shape{2, 3, 5}), Mode::Train), ShapeError);
    CHECK_THROWS_AS(AttentionPool<float>(0, 1), ShapeError);
    CHECK_THROWS_AS(AttentionPool<float>(4, 0), ShapeError);
    Tensor<float> x(Shape{2, 3, 4}, 1.f);
    mean.forward(x, Mode::Train);
    CHECK_THROWS_AS(mean.backward(Tensor<float>(Shape{2, 3})), ShapeError);
    att.forward(x, Mode::Train);
    CHECK_THROWS_AS(att.backward(Tensor<float>(Shape{2, 4})), ShapeError);
}

namespace {
/// o(b,k,:) = sum_f softmax_f(x(b,f,:).w_k) x(b,f,:), written out.
double reference_attention(const AttentionPool<double>& att, const Tensor<double>& x, Index b, Index k, Index d) {
    const Index frames = x.dim(1), dims = x.dim(2);
    std::vector<double> s(static_cast<std::size_t>(frames));
    double mx = -1e300;
    for (Index f = 0; f < frames; ++f) {
        double v = 0;
        for (Index j = 0; j < dims; ++j) v += x(b, f, j) * att.weight()(k, j);
        s[std::size_t(f)] = v;
        mx = std::max(mx, v);
    }
    double z = 0, o = 0;
    for (Index f = 0; f < frames; ++f) z += std::exp(s[std::size_t(f)] - mx);
    for (Index f = 0; f < frames; ++f) o += std::exp(s[std::size_t(f)] - mx) / z * x(b, f, d);
    return o;
}
}  // namespace

TEST_CASE("AttentionPool matches the softmax-over-frames formula, shared and per task", "[nn]") {
    for (Index tasks : {1, 3}) {
        AttentionPool<double> att(4, tasks);
        Rng rng(33);
        test::randomize_parameters(att, rng, -1, 1);
        Tensor<double> x(Shape{2, 5, 4});
        test::fill_uniform(x, rng, -2, 2);
        auto y = att.forward(x, Mode::Train);
        CHECK(att.output_shape(Shape{5, 4}) == (tasks == 1 ? Shape{4} : Shape{tasks, 4}));
        REQUIRE(y.shape() == (tasks == 1 ? Shape{2, 4} : Shape{2, tasks, 4}));
        for (Index b = 0; b < 2; ++b)
            for (Index k = 0; k < tasks; ++k)
                for (Index d = 0; d < 4; ++d)
                    CHECK(y[(b * tasks + k) * 4 + d] == Approx(reference_attention(att, x, b, k, d)).epsilon(1e-12));
        for (Index b = 0; b < 2; ++b)
            for (Index k = 0; k < tasks; ++k) {
                double sum = 0;
                for (Index f = 0; f < 5; ++f) sum += att.attention()(b, f, k);
                CHECK(sum == Approx(1.0).epsilon(1e-14));
            }
    }
}

TEST_CASE("AttentionPool<float> at the OpenMIC model's sizes matches the double layer, forward and backward", "[nn]") {
    // 10 frames x 256 features x 20 tasks: the per-clip products (20 x 256 x 10) are large enough
    // for polytag::gemm's JIT backend, unlike the small cases above, which run on Eigen.
    const Index batch = 3, frames = 10, d = 256, tasks = 20;
    AttentionPool<float> f32(d, tasks);
    AttentionPool<double> f64(d, tasks);
    Rng rng(36);
    test::fill_uniform(f64.weight(), rng, -0.2, 0.2);
    for (Index i = 0; i < f64.weight().size(); ++i) f32.weight()[i] = float(f64.weight()[i]);
    Tensor<double> x64(Shape{batch, frames, d}), dy64(Shape{batch, tasks, d});
    test::fill_uniform(x64, rng, -1, 1);
    test::fill_uniform(dy64, rng, -1, 1);
    Tensor<float> x32(x64.shape()), dy32(dy64.shape());
    for (Index i = 0; i < x64.size(); ++i) x32[i] = float(x64[i]);
    for (Index i = 0; i < dy64.size(); ++i) dy32[i] = float(dy64[i]);
    auto max_diff = [](const auto& a, const auto& b) {
        double m = 0;
        for (Index i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
        return m;
    };
    const auto y32 = f32.forward(x32, Mode::Train);
    const auto y64 = f64.forward(x64, Mode::Train);
    CHECK(max_diff(y32, y64) < 1e-5);
    const auto dx32 = f32.backward(dy32);
    const auto dx64 = f64.backward(dy64);
    CHECK(max_diff(dx32, dx64) < 1e-4);
    ParameterList<float> p32;
    ParameterList<double> p64;
    f32.parameters(p32, "");
    f64.parameters(p64, "");
    CHECK(max_diff(p32[0].grad, p64[0].grad) < 1e-3);  // sums over 30 frames of 20 x 256 products
    // And the double layer against the formula, so the comparison is not of two wrong layers.
    for (Index b = 0; b < batch; ++b)
        for (Index k : {Index(0), tasks - 1})
            for (Index j : {Index(0), d - 1}) CHECK(y64(b, k, j) == Approx(reference_attention(f64, x64, b, k, j)).epsilon(1e-12));
}

TEST_CASE("AttentionPool starts as mean pooling", "[nn]") {
    AttentionPool<double> att(4, 3);
    Rng rng(34);
    test::randomize_parameters(att, rng);
    att.init(rng);
    CHECK(att.weight().array().abs().maxCoeff() == 0.0);
    Tensor<double> x(Shape{2, 5, 4});
    test::fill_uniform(x, rng);
    MeanPool<double> mean;
    auto ym = mean.forward(x, Mode::Train);
    auto ya = att.forward(x, Mode::Train);
    for (Index b = 0; b < 2; ++b)
        for (Index k = 0; k < 3; ++k)
            for (Index d = 0; d < 4; ++d) CHECK(ya(b, k, d) == Approx(ym(b, d)).epsilon(1e-14));
}

TEST_CASE("AttentionPool gradients match central differences, shared and per task", "[nn][gradcheck]") {
    for (Index tasks : {1, 3}) {
        AttentionPool<double> att(4, tasks);
        Rng rng(35);
        test::randomize_parameters(att, rng, -1, 1);
        Tensor<double> x(Shape{3, 5, 4});
        test::fill_uniform(x, rng, -1.5, 1.5);
        // The only parameter is the score weight: a per-task score bias would be cancelled by
        // the softmax over frames, so there is none.
        ParameterList<double> ps;
        att.parameters(ps, "");
        REQUIRE(ps.size() == 1);
        CHECK(ps[0].name == "weight");
        auto res = test::gradcheck(att, x);
        INFO("tasks " << tasks << ": " << res.worst);
        CHECK(res.max_rel_error < 1e-6);
    }
}

TEST_CASE("poolings reuse their buffers for batches up to the largest seen", "[nn]") {
    auto check = [](auto layer) {
        using T = typename decltype(layer)::Scalar;
        Tensor<T> x(Shape{8, 6, 4});
        Rng rng(36);
        test::randomize_parameters(layer, rng, -1, 1);
        for (auto& v : x) v = T(rng.uniform(-1, 1));
        auto y = layer.forward(x, Mode::Train);
        Tensor<T> dy(y.shape(), T(1));
        const T* y0 = y.data();
        const T* dx0 = layer.backward(dy).data();
        for (Index batch : {8, 3, 1, 8}) {
            CHECK(layer.forward(x.rows(0, batch), Mode::Train).data() == y0);
            auto dx = layer.backward(dy.rows(0, batch));
            CHECK(dx.data() == dx0);
            CHECK(dx.shape() == Shape{batch, 6, 4});
        }
    };
    check(MeanPool<float>());
    check(MaxPool<float>());
    check(AttentionPool<float>(4));
    check(AttentionPool<float>(4, 5));
}
