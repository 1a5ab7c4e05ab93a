#include <catch2/catch.hpp>

#include <vector>

#include "nn/nn_test_util.hpp"
#include "polytag/nn/activation.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/multi_head.hpp"

using namespace polytag;

namespace {
constexpr Index kTasks = 3;

/// Head k as separate Dense layers holding slice k of the MultiHead parameters: this is
/// the documented 1:1 mapping onto K torch.nn.Linear stacks.
std::vector<double> reference_head(const MultiHead<double, kTasks>& mh, Index k, const double* x) {
    std::vector<double> a(x, x + mh.in_features());
    for (std::size_t i = 0; i < mh.hidden().size(); ++i) {
        const Tensor<double>& w = mh.weight(i);
        const Tensor<double>& b = mh.bias(i);
        std::vector<double> out(std::size_t(w.dim(1)));
        for (Index o = 0; o < w.dim(1); ++o) {
            double s = b(k, o);
            for (Index j = 0; j < w.dim(2); ++j) s += w(k, o, j) * a[std::size_t(j)];
            out[std::size_t(o)] = s > 0 ? s : 0;
        }
        a = out;
    }
    double s = mh.bias_out()[k];
    for (std::size_t j = 0; j < a.size(); ++j) s += mh.weight_out()(k, Index(j)) * a[j];
    return {s};
}

void check_against_reference(std::vector<Index> hidden, bool per_task) {
    MultiHead<double, kTasks> mh(5, hidden);
    Rng rng(21);
    mh.init(rng);
    test::randomize_parameters(mh, rng, -0.5, 0.5);
    Tensor<double> x(per_task ? Shape{4, kTasks, 5} : Shape{4, 5});
    test::fill_uniform(x, rng);
    auto y = mh.forward(x, Mode::Eval);
    REQUIRE(y.shape() == Shape{4, kTasks});
    for (Index b = 0; b < 4; ++b)
        for (Index k = 0; k < kTasks; ++k) {
            const double* xs = per_task ? &x(b, k, 0) : &x(b, 0);
            CHECK(y(b, k) == Approx(reference_head(mh, k, xs)[0]).epsilon(1e-12));
        }
}

void check_gradient(std::vector<Index> hidden, bool per_task) {
    MultiHead<double, kTasks> mh(4, hidden, Init::Glorot);
    Rng rng(22);
    mh.init(rng);
    test::randomize_parameters(mh, rng, -1, 1);
    Tensor<double> x(per_task ? Shape{5, kTasks, 4} : Shape{5, 4});
    test::fill_uniform(x, rng);
    auto res = test::gradcheck(mh, x);
    INFO("hidden layers " << hidden.size() << ", per-task " << per_task << ": " << res.worst);
    CHECK(res.max_rel_error < 1e-6);
}
}  // namespace

TEST_CASE("MultiHead equals K separate Dense/ReLU heads", "[nn]") {
    for (bool per_task : {false, true}) {
        check_against_reference({}, per_task);
        check_against_reference({6}, per_task);
        check_against_reference({6, 3}, per_task);
    }
}

TEST_CASE("MultiHead<float>'s per-task output layer is each task's dot product plus bias", "[nn]") {
    // In float, through the kernel this build picks (Eigen's, or tensor/avx2_kernels.hpp's in a
    // build without AVX2: tests/nn/extra.cmake builds this file so as well).
    for (Index width : {5, 40, 256}) {
        MultiHead<float, kTasks> mh(width);
        Rng rng(9);
        mh.init(rng);
        test::randomize_parameters(mh, rng);
        Tensor<float> x(Shape{7, kTasks, width});
        test::fill_uniform(x, rng);
        const TensorView<const float> y = mh.forward(x, Mode::Eval);
        REQUIRE(y.shape() == Shape{7, kTasks});
        for (Index b = 0; b < 7; ++b)
            for (Index k = 0; k < kTasks; ++k) {
                double ref = mh.bias_out()[k];
                for (Index j = 0; j < width; ++j) ref += double(x(b, k, j)) * double(mh.weight_out()(k, j));
                INFO("width " << width << " clip " << b << " task " << k);
                CHECK(double(y(b, k)) == Approx(ref).margin(1e-5));
            }
    }
}

TEST_CASE("MultiHead gradients match central differences", "[nn][gradcheck]") {
    for (bool per_task : {false, true}) {
        check_gradient({}, per_task);
        check_gradient({6}, per_task);
        check_gradient({6, 3}, per_task);
    }
}

TEST_CASE("MultiHead names and lays out its parameters per head", "[nn]") {
    MultiHead<float, 20> mh(256, {32, 16});
    ParameterList<float> ps;
    mh.parameters(ps, "2.");
    REQUIRE(ps.size() == 6);
    CHECK(ps[0].name == "2.weight0");
    CHECK(ps[0].value.shape() == Shape{20, 32, 256});
    CHECK(ps[1].name == "2.bias0");
    CHECK(ps[1].value.shape() == Shape{20, 32});
    CHECK(ps[2].name == "2.weight1");
    CHECK(ps[2].value.shape() == Shape{20, 16, 32});
    CHECK(ps[3].value.shape() == Shape{20, 16});
    CHECK(ps[4].name == "2.weight_out");
    CHECK(ps[4].value.shape() == Shape{20, 16});
    CHECK(ps[5].name == "2.bias_out");
    CHECK(ps[5].value.shape() == Shape{20});
    for (auto& p : ps) CHECK(p.grad.shape() == p.value.shape());

    MultiHead<float, 4> linear(8);
    ParameterList<float> lp;
    linear.parameters(lp, "");
    REQUIRE(lp.size() == 2);
    CHECK(lp[0].name == "weight_out");
    CHECK(lp[0].value.shape() == Shape{4, 8});
}

TEST_CASE("MultiHead init is deterministic, scaled and zero-biased", "[nn]") {
    MultiHead<float, 20> a(256, {32}), b(256, {32});
    Rng r1(5), r2(5);
    a.init(r1);
    b.init(r2);
    CHECK(a.weight(0).vector() == b.weight(0).vector());
    CHECK(a.weight_out().vector() == b.weight_out().vector());
    CHECK(a.weight(0).array().square().mean() == Approx(2.0 / 256).epsilon(0.05));
    CHECK(a.weight_out().array().square().mean() == Approx(2.0 / 32).epsilon(0.25));
    CHECK(a.bias(0).array().abs().maxCoeff() == 0.f);
    CHECK(a.bias_out().array().abs().maxCoeff() == 0.f);
    Rng r3(6);
    b.init(r3);
    CHECK(a.weight(0).vector() != b.weight(0).vector());
}

TEST_CASE("MultiHead rejects bad shapes", "[nn]") {
    CHECK_THROWS_AS((MultiHead<float, 3>(0)), ShapeError);
    CHECK_THROWS_AS((MultiHead<float, 3>(4, {8, 0})), ShapeError);
    MultiHead<float, 3> mh(4, {8});
    CHECK(mh.output_shape(Shape{4}) == Shape{3});
    CHECK(mh.output_shape(Shape{3, 4}) == Shape{3});
    CHECK_THROWS_AS(mh.output_shape(Shape{5}), ShapeError);
    CHECK_THROWS_AS(mh.output_shape(Shape{2, 4}), ShapeError);
    CHECK_THROWS_AS(mh.forward(Tensor<float>(Shape{2, 5}), Mode::Train), ShapeError);
    CHECK_THROWS_AS(mh.forward(Tensor<float>(Shape{2, 2, 4}), Mode::Train), ShapeError);
    Tensor<float> x(Shape{2, 4}, 1.f);
    mh.forward(x, Mode::Train);
    CHECK_THROWS_AS(mh.backward(Tensor<float>(Shape{2, 4})), ShapeError);
}

TEST_CASE("MultiHead reuses its buffers for batches up to the largest seen", "[nn]") {
    for (bool per_task : {false, true}) {
        MultiHead<float, 20> mh(64, {32});
        Rng rng(3);
        mh.init(rng);
        Tensor<float> x(per_task ? Shape{16, 20, 64} : Shape{16, 64}, 0.25f), dy(Shape{16, 20}, 1.f);
        const float* y0 = mh.forward(x, Mode::Train).data();
        const float* dx0 = mh.backward(dy).data();
        for (Index batch : {16, 7, 1, 16}) {
            auto xs = x.rows(0, batch);
            CHECK(mh.forward(xs, Mode::Train).data() == y0);
            auto dx = mh.backward(dy.rows(0, batch));
            CHECK(dx.data() == dx0);
            CHECK(dx.shape() == xs.shape());
        }
        CHECK(mh.backward(dy, false).data() == nullptr);
    }
}
