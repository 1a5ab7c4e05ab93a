// The 8-bit serving path: exactly the float model with trunk.0's weights rounded to 8 bits.
#include <catch2/catch.hpp>

#include <cmath>

#include "polytag/openmic/quantized_model.hpp"
#include "polytag/tensor/random.hpp"

using namespace polytag;
using namespace polytag::openmic;

namespace {
RelevanceModel random_model(ModelConfig c, std::uint64_t seed) {
    RelevanceModel m(c, seed);
    Rng rng(seed + 1);
    for (auto& p : m.net().parameters())
        for (auto& v : p.value) v += float(rng.uniform(-0.05, 0.05));
    Normalizer n = Normalizer::identity(c.features);
    for (std::size_t j = 0; j < n.mean.size(); ++j) n.mean[j] = 100.0f + float(j % 11) * 5, n.std[j] = 30.0f + float(j % 7) * 4;
    m.set_normalizer(n);
    return m;
}
Tensor<std::uint8_t> random_clips(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Tensor<std::uint8_t> x(Shape{n, 10, 128});
    for (auto& v : x) v = std::uint8_t(rng.below(256));
    return x;
}
/// The float model whose trunk.0 holds the dequantised weights q[j, p] s[j] (in float units of
/// the normalised input) and the bias that makes it compute what the 8-bit layer computes.
RelevanceModel dequantised(const RelevanceModel& m, const QuantizedDense& q) {
    RelevanceModel d = m;
    Dense<float>& dense = d.net().network().layer<Dense<float>>("trunk.0");
    const Normalizer& norm = m.normalizer();
    const Index k = dense.in_features();
    for (Index j = 0; j < dense.out_features(); ++j) {
        double b = q.folded_bias()[std::size_t(j)];
        for (Index p = 0; p < k; ++p) {
            // x_norm = (x - mean) / std, so a weight w on x_norm is w / std on the byte x.
            const double w = double(q.packed_weight().at(j, p)) * q.scales()[std::size_t(j)] * norm.std[std::size_t(p)];
            dense.weight().data()[j * k + p] = float(w);
            b += w * norm.mean[std::size_t(p)] / norm.std[std::size_t(p)];
        }
        dense.bias().data()[j] = float(b);
    }
    return d;
}
double max_abs_diff(const Tensor<float>& a, const Tensor<float>& b) {
    double worst = 0;
    for (Index i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
    return worst;
}
}  // namespace

TEST_CASE("QuantizedRelevanceModel computes the float model with trunk.0 rounded to 8 bits", "[model][quantized]") {
    for (PoolKind pool : {PoolKind::Attention, PoolKind::Mean}) {
        ModelConfig c;
        c.trunk = {64, 32};
        c.head = {8};
        c.pool = pool;
        const RelevanceModel m = random_model(c, 21);
        const Tensor<std::uint8_t> x = random_clips(300, 4);  // more than one predict chunk
        const Tensor<float> want = m.predict(x);
        for (U8S8Kernel kernel : {U8S8Kernel::Scalar, U8S8Kernel::Auto}) {
            QuantizedRelevanceModel q(m, kernel);
            REQUIRE(q.members() == 1);
            const Tensor<float> got = q.predict(x);
            REQUIRE(got.shape() == Shape{300, kClasses});
            // Against the float model on the dequantised weights: the same arithmetic up to float rounding.
            const Tensor<float> exact = dequantised(m, q.first_layer()).predict(x);
            CHECK(max_abs_diff(got, exact) < 2e-5);
            // Against the trained float weights: close, but the rounding is really there.
            const double d = max_abs_diff(got, want);
            CHECK(d > 0);
            CHECK(d < 0.02);
        }
    }
}

TEST_CASE("QuantizedRelevanceModel of an ensemble averages its quantised members", "[model][quantized]") {
    ModelConfig c;
    c.trunk = {32};
    const RelevanceModel a = random_model(c, 5), b = random_model(c, 6);
    const RelevanceModel e = RelevanceModel::ensemble({a, b});
    const Tensor<std::uint8_t> x = random_clips(17, 9);
    QuantizedRelevanceModel qe(e), qa(a), qb(b);
    REQUIRE(qe.members() == 2);
    const Tensor<float> ye = qe.predict(x), ya = qa.predict(x), yb = qb.predict(x);
    for (Index i = 0; i < ye.size(); ++i) CHECK(ye[i] == Approx(0.5f * (ya[i] + yb[i])).margin(1e-6));
}

TEST_CASE("QuantizedRelevanceModel refuses what it cannot quantise and wrong shapes", "[model][quantized]") {
    ModelConfig c;
    c.trunk = {16};
    c.activation = ActivationKind::Tanh;
    CHECK_THROWS_WITH(QuantizedRelevanceModel(RelevanceModel(c, 1)), Catch::Contains("needs a ReLU trunk"));
    c.activation = ActivationKind::Relu;
    QuantizedRelevanceModel q{RelevanceModel(c, 1)};
    Tensor<std::uint8_t> wrong(Shape{2, 10, 64}, 0);
    CHECK_THROWS_AS(q.predict(wrong), ShapeError);
    Tensor<std::uint8_t> x(Shape{2, 10, 128}, 0);
    Tensor<float> out(Shape{3, kClasses});
    CHECK_THROWS_AS(q.predict(x, out), ShapeError);
}
