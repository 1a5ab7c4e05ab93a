// polytag-predict / polytag-rank on a model with a second input stream: load_clips(path, NAME)
// reads the array the model's config names beside X (uint8 or float), score_rows feeds both
// to the model and refuses a missing array or another per-clip shape.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>

#include "polytag/io/npz.hpp"
#include "polytag/openmic/synthetic.hpp"
#include "polytag/openmic/trainer.hpp"
#include "tool/clip_source.hpp"

using namespace polytag;
using namespace polytag::openmic;

TEST_CASE("load_clips reads a model's second input by name and score_rows uses it", "[tools][inputs]") {
    SyntheticStreams s;
    s.name = "extra";
    s.classes = {2, 5};
    s.dims = 8;
    const Dataset d = make_synthetic(300, 2, s);
    ModelConfig mc;
    mc.trunk = {16};
    mc.input2 = "extra";
    mc.input2_frames = 10;
    mc.input2_features = 8;
    mc.fusion = FusionKind::Late;
    TrainConfig tc;
    tc.epochs = 1;
    RelevanceModel model(mc, 3);
    train(model, d, tc);

    const auto dir = std::filesystem::temp_directory_path() / ("polytag_test_inputs_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string bytes_npz = (dir / "bytes.npz").string(), floats_npz = (dir / "floats.npz").string(),
                      missing_npz = (dir / "missing.npz").string(), narrow_npz = (dir / "narrow.npz").string();
    const Tensor<float> extra = gather_input_values(d.input("extra"), [&] {
        std::vector<Index> all(std::size_t(d.size()));
        for (Index i = 0; i < d.size(); ++i) all[std::size_t(i)] = i;
        return all;
    }());
    io::save_npz(bytes_npz, {io::NpzEntry("X", d.features()), io::NpzEntry("extra", d.input("extra").bytes)});
    io::save_npz(floats_npz, {io::NpzEntry("X", d.features()), io::NpzEntry("extra", extra)});
    io::save_npz(missing_npz, {io::NpzEntry("X", d.features())});
    io::save_npz(narrow_npz, {io::NpzEntry("X", d.features()), io::NpzEntry("extra", Tensor<float>(Shape{d.size(), 10, 7}))});

    const std::vector<Index> rows{4, 0, 17};
    const Tensor<float> expected = predict_dataset(model, d, rows);
    for (const std::string& path : {bytes_npz, floats_npz}) {
        INFO(path);
        const ClipSet c = load_clips(path, model.input2());
        CHECK(c.input2_name == "extra");
        REQUIRE(c.input2.shape() == Shape{d.size(), 10, 8});
        const Tensor<float> got = score_rows(model, c, rows);
        REQUIRE(got.shape() == expected.shape());
        for (Index i = 0; i < got.size(); ++i) CHECK(got[i] == expected[i]);
    }
    CHECK_THROWS_WITH(load_clips(missing_npz, "extra"), Catch::Contains("missing.npz") && Catch::Contains("'extra'"));
    CHECK_THROWS_WITH(score_rows(model, load_clips(narrow_npz, "extra"), rows), Catch::Contains("'extra'"));
    CHECK_THROWS_WITH(score_rows(model, load_clips(bytes_npz), rows), Catch::Contains("'extra'"));
    // The X-only model reads X alone, as before.
    RelevanceModel plain(ModelConfig{}, 1);
    const ClipSet c = load_clips(missing_npz, plain.input2());
    CHECK(c.input2.empty());
    CHECK(score_rows(plain, c, rows).shape() == Shape{3, 20});
}
