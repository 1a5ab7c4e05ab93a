// openmic::Predictor: the narrow serving API gives bitwise RelevanceModel's predictions and
// refuses sizes that are not whole clips. This file is also the one translation unit of the
// test program that compiles the implementation (header-only use, as a user without
// polytag::predictor would do it).
#include <catch2/catch.hpp>

#include <filesystem>
#include <vector>

#include "polytag/openmic/predictor_impl.hpp"
#include "polytag/openmic/synthetic.hpp"

using namespace polytag;
using namespace polytag::openmic;

TEST_CASE("Predictor serves a model file exactly as RelevanceModel does", "[openmic][predictor]") {
    ModelConfig mc;
    mc.trunk = {24};
    RelevanceModel model(mc, 5);
    const Dataset data = make_synthetic(40, 2);
    const auto path = (std::filesystem::temp_directory_path() / "polytag-test-predictor.npz").string();
    model.save(path);
    const Predictor p = Predictor::load(path);
    CHECK(p.frames() == 10);
    CHECK(p.features() == 128);
    CHECK(p.clip_size() == 1280);
    CHECK(p.classes() == 20);
    CHECK(p.class_names() == model.class_names());
    CHECK(p.class_index("piano") == 12);
    CHECK_THROWS_WITH(p.class_index("Piano"), Catch::Contains("did you mean 'piano'"));

    const Tensor<float> expected = model.predict(data.features());
    std::vector<float> got(std::size_t(expected.size()));
    p.predict(data.features(), got);
    for (std::size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == expected[Index(i)]);  // bitwise

    // One clip through the std::vector convenience, against the model's one-clip predict (a
    // batch of one may take another GEMM kernel than a batch of 40, so compare like with like).
    const std::vector<std::uint8_t> clip(data.features().data(), data.features().data() + 1280);
    const std::vector<float> one = p.predict(clip);
    const std::array<float, 20> one_expected = model.predict(clip.data());
    REQUIRE(one.size() == 20);
    for (std::size_t k = 0; k < 20; ++k) CHECK(one[k] == one_expected[k]);
    std::filesystem::remove(path);
}

TEST_CASE("Predictor refuses partial clips and wrong output sizes", "[openmic][predictor]") {
    RelevanceModel model;
    const auto path = (std::filesystem::temp_directory_path() / "polytag-test-predictor-sizes.npz").string();
    model.save(path);
    const Predictor p = Predictor::load(path);
    std::vector<std::uint8_t> in(1280 + 64, 1);  // one clip and a bit: never read across a clip
    std::vector<float> out(20);
    CHECK_THROWS_AS(p.predict(in, out), ShapeError);
    CHECK_THROWS_WITH(p.predict(in, out), Catch::Contains("1344 bytes") && Catch::Contains("1280 bytes"));
    in.resize(1280);
    std::vector<float> wrong(19);
    CHECK_THROWS_AS(p.predict(in, wrong), ShapeError);
    CHECK_NOTHROW(p.predict(in, out));
    std::filesystem::remove(path);
}

TEST_CASE("Predictor::load names the file it cannot read", "[openmic][predictor]") {
    CHECK_THROWS_WITH(Predictor::load("/nonexistent/model.npz"), Catch::Contains("/nonexistent/model.npz"));
}
