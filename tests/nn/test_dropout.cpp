#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>

#include "nn/nn_test_util.hpp"
#include "polytag/nn/dropout.hpp"

using namespace polytag;

TEST_CASE("Dropout is the identity in Eval mode, without a copy", "[nn]") {
    Dropout<double> d(0.5, 1);
    Rng rng(51);
    Tensor<double> x(Shape{4, 3, 5});
    test::fill_uniform(x, rng);
    auto y = d.forward(x, Mode::Eval);
    REQUIRE(y.shape() == x.shape());
    CHECK(y.data() == x.data());
    Tensor<double> dy(x.shape());
    test::fill_uniform(dy, rng);
    CHECK(d.backward(dy).data() == dy.data());
    CHECK_THROWS_AS(d.backward(Tensor<double>(Shape{4, 3, 4})), ShapeError);
    // A Train forward in between does not leak its mask into a later Eval backward.
    d.forward(x, Mode::Train);
    d.forward(x, Mode::Eval);
    CHECK(d.backward(dy).vector() == dy.vector());
    auto res = test::gradcheck(d, x, 7, 1e-6, Mode::Eval);
    CHECK(res.max_rel_error < 1e-6);
}

TEST_CASE("Dropout in Train mode zeroes about p of the elements and rescales the rest", "[nn]") {
    const double p = 0.3;
    Dropout<float> d(p, 2);
    Tensor<float> x(Shape{200, 100}, 2.f);
    auto y = d.forward(x, Mode::Train);
    Index zeros = 0, wrong = 0;
    const float kept = float(2.0 / (1 - p));
    for (Index i = 0; i < y.size(); ++i) {
        if (y[i] == 0.f) ++zeros;
        else wrong += std::abs(y[i] - kept) > 1e-6f * kept;
        wrong += y[i] != x[i] * d.mask()[i];
    }
    CHECK(wrong == 0);
    // 20000 Bernoulli(0.3) draws: sd ~ 65, so +-400 is far outside chance.
    CHECK(zeros > 6000 - 400);
    CHECK(zeros < 6000 + 400);
    // Expectation preserved.
    CHECK(y.array().mean() == Approx(2.0).epsilon(0.03));
    Tensor<float> dy(x.shape(), 1.f);
    auto dx = d.backward(dy);
    CHECK(dx.vector() == d.mask().vector());
}

TEST_CASE("Dropout masks are reproducible from the seed and the network generator", "[nn]") {
    Tensor<double> x(Shape{16, 32}, 1.0);
    Dropout<double> a(0.5, 7), b(0.5, 7), c(0.5, 8);
    Tensor<double> ya = Tensor<double>::copy_of(a.forward(x, Mode::Train));
    CHECK(b.forward(x, Mode::Train).vector() == ya.vector());
    CHECK(c.forward(x, Mode::Train).vector() != ya.vector());
    // The next mask differs from the first; reseeding replays the sequence.
    CHECK(a.forward(x, Mode::Train).vector() != ya.vector());
    a.reseed(7);
    CHECK(a.forward(x, Mode::Train).vector() == ya.vector());
    // init() reseeds from the network's generator: same network seed, same masks.
    Rng n1(100), n2(100), n3(101);
    a.init(n1);
    b.init(n2);
    c.init(n3);
    Tensor<double> ia = Tensor<double>::copy_of(a.forward(x, Mode::Train));
    CHECK(b.forward(x, Mode::Train).vector() == ia.vector());
    CHECK(c.forward(x, Mode::Train).vector() != ia.vector());
    CHECK(ia.vector() != ya.vector());
}

namespace {
/// Dropout whose generator is reseeded before every forward, so the gradient check's many
/// forwards all apply the same mask.
struct FixedMask {
    using Scalar = double;
    Dropout<double> layer;
    std::uint64_t seed;
    TensorView<const double> forward(TensorView<const double> x, Mode m) {
        layer.reseed(seed);
        return layer.forward(x, m);
    }
    TensorView<const double> backward(TensorView<const double> dy, bool need_dx = true) {
        return layer.backward(dy, need_dx);
    }
    void parameters(ParameterList<double>& out, const std::string& prefix) { layer.parameters(out, prefix); }
};
}  // namespace

TEST_CASE("Dropout gradient matches central differences under a fixed mask", "[nn][gradcheck]") {
    FixedMask d{Dropout<double>(0.4), 99};
    Rng rng(52);
    Tensor<double> x(Shape{6, 7});
    test::fill_uniform(x, rng);
    auto res = test::gradcheck(d, x);
    INFO(res.worst);
    CHECK(res.max_rel_error < 1e-6);
    Index dropped = 0;
    for (auto m : d.layer.mask()) dropped += m == 0.0;
    CHECK(dropped > 0);
    CHECK(dropped < x.size());
}

TEST_CASE("Dropout validates p, checks dy and reuses buffers", "[nn]") {
    CHECK_THROWS_AS(Dropout<float>(-0.1), ValueError);
    CHECK_THROWS_AS(Dropout<float>(1.0), ValueError);
    Dropout<float> zero(0.0);
    Tensor<float> x(Shape{8, 4}, 3.f), dy(Shape{8, 4}, 1.f);
    CHECK(zero.forward(x, Mode::Train).data() == x.data());  // p = 0: the identity, no copy
    CHECK(zero.backward(dy).data() == dy.data());
    Dropout<float> d(0.5, 3);
    CHECK(d.output_shape(Shape{10, 4}) == Shape{10, 4});
    const float* y0 = d.forward(x, Mode::Train).data();
    const float* dx0 = d.backward(dy).data();
    CHECK_THROWS_AS(d.backward(Tensor<float>(Shape{8, 3})), ShapeError);
    CHECK(d.backward(dy, false).data() == nullptr);
    for (Index batch : {8, 3, 8}) {
        CHECK(d.forward(x.rows(0, batch), Mode::Train).data() == y0);
        CHECK(d.backward(dy.rows(0, batch)).data() == dx0);
        CHECK(d.forward(x.rows(0, batch), Mode::Eval).data() == x.data());
        CHECK(d.backward(dy.rows(0, batch)).data() == dy.data());
    }
}
