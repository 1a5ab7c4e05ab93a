// Multi-input data: further named per-clip arrays beside X, normalised per input, gathered
// into batches; the release with X only loads unchanged.
#include <catch2/catch.hpp>

#include "openmic/release_fixture.hpp"
#include "polytag/openmic/batch.hpp"
#include "polytag/openmic/dataset.hpp"

using namespace polytag;
using namespace polytag::openmic;
using polytag::test::ReleaseFixture;

TEST_CASE("Dataset::load reads further per-clip inputs, uint8 or float, any per-clip shape", "[dataset][inputs]") {
    ReleaseFixture f;
    Tensor<float> lyrics(Shape{6, 4, 3});
    for (Index i = 0; i < lyrics.size(); ++i) lyrics[i] = float(i % 7) * 0.5f - 1.0f;
    Tensor<std::uint8_t> tempo(Shape{6});
    for (Index i = 0; i < 6; ++i) tempo[i] = std::uint8_t(60 + 10 * i);
    Tensor<double> wide(Shape{6, 5});
    for (Index i = 0; i < wide.size(); ++i) wide[i] = double(i);
    f.extra.emplace_back("lyrics", lyrics);
    f.extra.emplace_back("tempo", tempo);
    f.extra.emplace_back("wide", wide);
    const std::string dir = f.write("inputs");

    const Dataset plain = Dataset::load(dir);  // X only, as before
    CHECK(plain.inputs().empty());

    const Dataset d = Dataset::load(dir, {"X", "lyrics", "tempo", "wide"});
    REQUIRE(d.inputs().size() == 3);
    const ClipInput& l = d.input("lyrics");
    CHECK_FALSE(l.is_bytes());
    CHECK(l.per_clip() == Shape{4, 3});
    CHECK(l.width() == 3);
    CHECK(l.steps() == 4);
    CHECK(l.values.vector() == lyrics.vector());
    const ClipInput& t = d.input("tempo");
    CHECK(t.is_bytes());
    CHECK(t.per_clip() == Shape{});
    CHECK(t.width() == 1);
    CHECK(d.input("wide").values[7] == 7.0f);
    CHECK_THROWS_AS(d.input("nope"), ValueError);

    // Normalisers per input, then batches with every input filled.
    std::vector<Normalizer> norms = fit_normalizers(d, d.train());
    REQUIRE(norms.size() == 4);
    CHECK(norms[0].dims() == 128);
    CHECK(norms[1].dims() == 3);
    CHECK(norms[2].dims() == 1);
    Batch<float> b;
    const std::vector<Index> rows{4, 1};
    gather_batch(d, norms, rows.data(), 2, b);
    REQUIRE(b.inputs.size() == 3);
    CHECK(b.x.shape() == Shape{2, 10, 128});
    CHECK(b.inputs[0].shape() == Shape{2, 4, 3});
    CHECK(b.inputs[1].shape() == Shape{2});
    CHECK(b.inputs[2].shape() == Shape{2, 5});
    CHECK(b.inputs[0][0] == Approx((lyrics[4 * 12] - norms[1].mean[0]) / norms[1].std[0]));
    CHECK(b.inputs[1][1] == Approx((70.0f - norms[2].mean[0]) / norms[2].std[0]));
    // The X part is exactly what the single-input gatherer gives.
    Batch<float> single;
    gather_batch(d, norms[0], rows.data(), 2, single);
    CHECK(single.x.vector() == b.x.vector());
    CHECK(single.inputs.empty());
}

TEST_CASE("Dataset::load refuses bad inputs, naming the file and the array", "[dataset][inputs]") {
    ReleaseFixture f;
    Tensor<float> short_input(Shape{5, 2});
    Tensor<std::int32_t> ints(Shape{6, 2});
    Tensor<float> nan_input(Shape{6, 2}, 0.0f);
    nan_input[9] = std::numeric_limits<float>::quiet_NaN();
    f.extra.emplace_back("short", short_input);
    f.extra.emplace_back("ints", ints);
    f.extra.emplace_back("nan", nan_input);
    const std::string dir = f.write("bad-inputs");
    auto error = [&](const std::vector<std::string>& names) {
        try {
            Dataset::load(dir, names);
        } catch (const DatasetError& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    CHECK_THAT(error({"X", "missing"}), Catch::Contains("openmic-2018.npz") && Catch::Contains("'missing'"));
    CHECK_THAT(error({"X", "short"}), Catch::Contains("'short'") && Catch::Contains("(6, ...)"));
    CHECK_THAT(error({"X", "ints"}), Catch::Contains("'ints'") && Catch::Contains("int32"));
    CHECK_THAT(error({"X", "nan"}), Catch::Contains("'nan'") && Catch::Contains("not finite"));
    CHECK_THAT(error({"lyrics"}), Catch::Contains("X"));
    CHECK_THAT(error({"X", "X"}), Catch::Contains("twice"));
    CHECK_THAT(error({"X", "Y_true"}), Catch::Contains("Y_true"));
}
