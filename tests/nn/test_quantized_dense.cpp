// QuantizedDense against the float Dense it was made from: per-channel scales, folded input
// conversion (x / 255 and per-feature affine), fused ReLU, every 8-bit kernel agreeing exactly.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "polytag/nn/activation.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/quantized_dense.hpp"
#include "polytag/tensor/random.hpp"

using namespace polytag;

namespace {
Tensor<std::uint8_t> random_bytes(Shape s, std::uint64_t seed) {
    Tensor<std::uint8_t> t(s);
    Rng rng(seed);
    for (Index i = 0; i < t.size(); ++i) t[i] = std::uint8_t(rng.below(256));
    return t;
}
}  // namespace

TEST_CASE("QuantizedDense matches the float Dense on x / 255 within the weights' rounding", "[nn][quantized]") {
    Rng rng(3);
    Dense<float> dense(128, 256);
    dense.init(rng);
    for (Index j = 0; j < 256; ++j) dense.bias()[j] = float(rng.uniform(-0.5, 0.5));
    const auto x8 = random_bytes(Shape{4, 10, 128}, 4);
    Tensor<float> xf(Shape{4, 10, 128});
    for (Index i = 0; i < xf.size(); ++i) xf[i] = float(x8[i]) / 255.0f;
    const auto yf = dense.forward(xf, Mode::Eval);

    for (bool relu : {false, true}) {
        QuantizedDense q = QuantizedDense::from_dense(dense, 1.0f / 255.0f, 0.0f, relu);
        CHECK(q.in_features() == 128);
        CHECK(q.out_features() == 256);
        const auto y = q.forward(x8);
        REQUIRE(y.shape() == (Shape{4, 10, 256}));
        double worst = 0;  // error / its standard deviation
        for (Index i = 0; i < 40; ++i)
            for (Index j = 0; j < 256; ++j) {
                // rounding errors of the weights are uniform in +-s/2 and independent: their sum
                // over the inputs has sd s sqrt(sum x_u8^2 / 12) (x in bytes, weights scaled to bytes)
                double sq = 0;
                for (Index p = 0; p < 128; ++p) sq += double(x8[i * 128 + p]) * double(x8[i * 128 + p]);
                const double sd = double(q.scales()[std::size_t(j)]) * std::sqrt(sq / 12.0) + 1e-7;
                float want = yf.data()[i * 256 + j];
                if (relu) want = std::max(want, 0.0f);
                // each weight is off by at most s / 2, each input at most 1 (x / 255 scaled by 255)
                const double bound = 0.5 * double(q.scales()[std::size_t(j)]) * 255.0 * 128 + 1e-4;
                const double err = std::abs(double(y.data()[i * 256 + j]) - double(want));
                CHECK(err <= bound);
                worst = std::max(worst, err / sd);
            }
        // and in practice the errors cancel as independent ones do: within 6 standard deviations
        CHECK(worst < 6.0);
    }
}

TEST_CASE("QuantizedDense folds a per-feature affine input conversion into weights and bias", "[nn][quantized]") {
    Rng rng(7);
    Dense<float> dense(20, 9);
    dense.init(rng);
    std::vector<float> scale(20), shift(20);
    for (int p = 0; p < 20; ++p) {
        scale[std::size_t(p)] = float(rng.uniform(0.001, 0.02));
        shift[std::size_t(p)] = float(rng.uniform(-2.0, 2.0));
    }
    const auto x8 = random_bytes(Shape{13, 20}, 8);
    Tensor<float> xf(Shape{13, 20});
    for (Index i = 0; i < 13; ++i)
        for (Index p = 0; p < 20; ++p)
            xf[i * 20 + p] = scale[std::size_t(p)] * float(x8[i * 20 + p]) + shift[std::size_t(p)];
    const auto yf = dense.forward(xf, Mode::Eval);
    QuantizedDense q = QuantizedDense::from_dense(dense, scale.data(), shift.data());
    const auto y = q.forward(x8);
    for (Index i = 0; i < 13; ++i)
        for (Index j = 0; j < 9; ++j) {
            double sq = 0;  // as above: 6 standard deviations of the weights' rounding
            for (Index p = 0; p < 20; ++p) sq += double(x8[i * 20 + p]) * double(x8[i * 20 + p]);
            const double tol = 6.0 * double(q.scales()[std::size_t(j)]) * std::sqrt(sq / 12.0) + 1e-5;
            CHECK(std::abs(double(y.data()[i * 9 + j]) - double(yf.data()[i * 9 + j])) <= tol);
        }

    // every kernel this CPU runs gives the identical output
    std::vector<float> first(y.data(), y.data() + y.size());
    for (U8S8Kernel k : {U8S8Kernel::Scalar, U8S8Kernel::Avx2, U8S8Kernel::Vnni512, U8S8Kernel::Xsmm}) {
        if (!u8s8_kernel_available(k)) continue;
        const auto yk = q.forward(x8, k);
        for (Index i = 0; i < yk.size(); ++i) CHECK(yk.data()[i] == first[std::size_t(i)]);
    }
}

TEST_CASE("QuantizedDense quantises each output channel on its own scale", "[nn][quantized]") {
    Dense<float> dense(4, 2);
    // channel 0 tiny weights, channel 1 large: one shared scale would zero channel 0
    const float w[8] = {1e-3f, -2e-3f, 3e-3f, -4e-3f, 10.f, -20.f, 30.f, -40.f};
    for (int i = 0; i < 8; ++i) dense.weight()[i] = w[i];
    QuantizedDense q = QuantizedDense::from_dense(dense, 1.0f, 0.0f);
    CHECK(q.scales()[0] == Approx(4e-3 / 127));
    CHECK(q.scales()[1] == Approx(40.0 / 127));
    Tensor<std::uint8_t> x(Shape{1, 4});
    for (int p = 0; p < 4; ++p) x[p] = std::uint8_t(p + 1);
    const auto y = q.forward(x);
    CHECK(y.data()[0] == Approx(1e-3 - 4e-3 + 9e-3 - 16e-3).epsilon(0.01));
    CHECK(y.data()[1] == Approx(10 - 40 + 90 - 160).epsilon(0.01));
    CHECK_THROWS_AS(q.forward(Tensor<std::uint8_t>(Shape{1, 5})), ShapeError);
}
