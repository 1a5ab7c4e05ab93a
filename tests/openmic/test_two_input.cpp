// A second per-clip input stream beside X (polytag-train --inputs X,NAME): the config and its
// JSON (the X-only JSON unchanged), the parameter layout, the model file round trip, bitwise
// reproducible training (no allocation per step: test_no_allocation.cpp), and the proof on synthetic data: a second
// stream that carries what X lacks about some instruments makes the fused model better on
// those instruments than either single-stream model (observed labels of the test split only).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "polytag/io/npz.hpp"
#include "polytag/openmic/predictor.hpp"
#include "polytag/openmic/synthetic.hpp"
#include "polytag/openmic/trainer.hpp"

using namespace polytag;
using namespace polytag::openmic;

namespace {
const std::vector<Index> kSecondStreamClasses{1, 4, 8, 12, 17};

SyntheticStreams streams() {
    SyntheticStreams s;
    s.name = "stream2";
    s.classes = kSecondStreamClasses;
    return s;
}
const Dataset& two_stream_data() {
    static const Dataset d = make_synthetic(3000, 5, streams());
    return d;
}
ModelConfig fused(FusionKind fusion, PoolKind pool = PoolKind::Attention) {
    ModelConfig c;
    c.trunk = {32};
    c.pool = pool;
    c.input2 = "stream2";
    c.input2_frames = 10;
    c.input2_features = 32;
    c.fusion = fusion;
    c.input2_trunk = {16};
    return c;
}
TrainConfig training() {
    TrainConfig t;
    t.epochs = 12;
    t.batch = 32;
    t.lr = 3e-3;
    t.threads = 1;
    t.seed = 7;
    t.patience = 4;
    t.validation_fraction = 0.15;
    return t;
}
std::string temp_path(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / ("polytag_test_two_input_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}

/// Masked MSE and mean AP over the observed labels of `classes` among `rows`.
struct StreamScore {
    double mse = 0, ap = 0;
};
StreamScore score_on(const Tensor<float>& pred, const Dataset& d, const std::vector<Index>& rows,
                     const std::vector<Index>& classes) {
    const Evaluation ev = evaluate(pred, d, rows);
    StreamScore s;
    double sum = 0;
    Index n = 0;
    for (std::size_t i = 0; i < rows.size(); ++i)
        for (Index c : classes) {
            const Index r = rows[i];
            if (d.mask()(r, c) == 0.0f) continue;
            const double e = double(pred(Index(i), c)) - double(d.y_true()(r, c));
            sum += e * e;
            ++n;
        }
    s.mse = sum / double(n);
    for (Index c : classes) s.ap += ev.instruments[std::size_t(c)].ap / double(classes.size());
    return s;
}
}  // namespace

TEST_CASE("ModelConfig with a second input: JSON round trip, X-only JSON unchanged, checks", "[model][config][inputs]") {
    const nlohmann::json plain = to_json(ModelConfig{});
    std::set<std::string> keys;
    for (auto it = plain.begin(); it != plain.end(); ++it) keys.insert(it.key());
    CHECK(keys == std::set<std::string>{"frames", "features", "classes", "trunk", "activation", "input_dropout", "dropout",
                                        "pool", "head"});
    for (FusionKind f : {FusionKind::Frame, FusionKind::Late}) {
        const ModelConfig c = fused(f);
        const ModelConfig back = model_config_from_string(to_json(c).dump());
        CHECK(back == c);
        CHECK(back.fusion == f);
    }
    ModelConfig bad = fused(FusionKind::Frame);
    bad.input2_frames = 5;
    CHECK_THROWS_WITH(bad.validate(), Catch::Contains("config.input2_frames") && Catch::Contains("frame fusion"));
    bad.fusion = FusionKind::Late;
    CHECK_NOTHROW(bad.validate());  // late fusion pools each stream over its own frames
    bad.input2 = "X";
    CHECK_THROWS_WITH(bad.validate(), Catch::Contains("config.input2"));
    CHECK_THROWS_WITH(model_config_from_string(R"({"fusion": "late"})"), Catch::Contains("only allowed with input2"));
    CHECK_THROWS_WITH(model_config_from_string(R"({"input2": "s", "input2_frames": 10, "input2_features": 4, "fusion": "mid"})"),
                      Catch::Contains("config.fusion"));
}

TEST_CASE("parameter_shapes lists the two-input network's parameters in order", "[model][inputs]") {
    for (FusionKind f : {FusionKind::Frame, FusionKind::Late})
        for (PoolKind pool : {PoolKind::Attention, PoolKind::Mean, PoolKind::Max}) {
            ModelConfig c = fused(f, pool);
            c.head = {8};
            RelevanceNet<float> net(c);
            const auto params = net.parameters();
            const auto wanted = parameter_shapes(c);
            REQUIRE(params.size() == wanted.size());
            for (std::size_t i = 0; i < params.size(); ++i) {
                CHECK(params[i].name == wanted[i].name);
                CHECK(params[i].value.shape() == wanted[i].shape);
            }
            CHECK(parameter_count(c) > parameter_count(ModelConfig{}) / 100);
        }
    // Frame fusion widens the first Dense; late fusion adds the second trunk and widens the heads.
    CHECK(parameter_shapes(fused(FusionKind::Frame))[0].shape == Shape{32, 128 + 32});
    const auto late = parameter_shapes(fused(FusionKind::Late));
    CHECK(late[3].name == "input2.trunk.0.weight");
    CHECK(late.back().name == "head.bias_out");
    CHECK(late[late.size() - 2].shape == Shape{20, 32 + 16});
}

TEST_CASE("A two-input model trains, saves, loads and predicts the same; X alone is refused", "[model][file][inputs]") {
    const Dataset& d = two_stream_data();
    TrainConfig t = training();
    t.epochs = 2;
    for (FusionKind f : {FusionKind::Frame, FusionKind::Late}) {
        RelevanceModel m(fused(f), 1);
        train(m, d, t);
        const std::vector<Index> rows(d.test().begin(), d.test().begin() + 50);
        const Tensor<float> before = predict_dataset(m, d, rows);
        const std::string path = temp_path(std::string("fused-") + to_string(f) + ".npz");
        m.save(path);
        {
            io::NpzReader r(path);
            CHECK(r.contains("input2.normalizer.mean"));
            CHECK(r.contains("input2.normalizer.std"));
        }
        const RelevanceModel back = RelevanceModel::load(path);
        CHECK(back.config() == m.config());
        CHECK(back.normalizer2().mean == m.normalizer2().mean);
        const Tensor<float> after = predict_dataset(back, d, rows);
        REQUIRE(after.shape() == before.shape());
        for (Index i = 0; i < after.size(); ++i) REQUIRE(after[i] == before[i]);
        const Tensor<std::uint8_t> clips = gather_clips(d, rows);
        CHECK_THROWS_WITH(back.predict(clips), Catch::Contains("stream2"));
        // The serving API: the second input by name, the same relevances.
        const Predictor p = Predictor::load(path);
        CHECK(p.input2_name() == "stream2");
        CHECK(p.input2_size() == 10 * 32);
        const Tensor<float> x2 = gather_input_values(d.input("stream2"), rows);
        std::vector<float> served(rows.size() * 20);
        p.predict(clips.data(), std::size_t(clips.size()), x2.data(), std::size_t(x2.size()), served.data(), served.size());
        for (std::size_t i = 0; i < served.size(); ++i) REQUIRE(served[i] == before[Index(i)]);
        CHECK_THROWS_AS(p.predict(clips.data(), std::size_t(clips.size()), served.data(), served.size()), ValueError);
        CHECK_THROWS_AS(back.predict_inputs(clips, Tensor<float>(Shape{50, 10, 31})), ShapeError);
        // An ensemble of two-input models predicts through both streams too.
        const RelevanceModel both = RelevanceModel::ensemble({RelevanceModel(back), RelevanceModel(back)});
        const Tensor<float> e = predict_dataset(both, d, rows);
        for (Index i = 0; i < e.size(); ++i) CHECK(e[i] == Approx(before[i]).margin(1e-6));
    }
    // A dataset without the stream, or with another shape, is refused by name.
    RelevanceModel m(fused(FusionKind::Late), 1);
    CHECK_THROWS_WITH(train(m, make_synthetic(300, 1), t), Catch::Contains("stream2"));
}

TEST_CASE("Two-input training is bitwise reproducible", "[model][train][inputs][determinism]") {
    const Dataset& d = two_stream_data();
    TrainConfig t = training();
    t.epochs = 2;
    for (FusionKind f : {FusionKind::Frame, FusionKind::Late}) {
        ModelConfig c = fused(f);
        c.dropout = 0.2;
        c.input_dropout = 0.1;
        RelevanceModel a(c, 1), b(c, 2);
        train(a, d, t);
        train(b, d, t);
        const auto pa = a.net().parameters(), pb = b.net().parameters();
        INFO("fusion " << to_string(f));
        for (std::size_t i = 0; i < pa.size(); ++i)
            CHECK(std::equal(pa[i].value.begin(), pa[i].value.end(), pb[i].value.begin()));
        CHECK(a.normalizer2().mean == b.normalizer2().mean);
    }
}

TEST_CASE("A second stream with what X lacks: the fused model beats both single-stream models on those instruments",
          "[model][train][inputs][fusion]") {
    const Dataset& d = two_stream_data();
    const std::vector<Index>& test = d.test();
    const TrainConfig t = training();

    // X alone (the plain model) and the second stream alone (a model whose X is that stream).
    ModelConfig single;
    single.trunk = {32};
    RelevanceModel x_only(single, 1);
    train(x_only, d, t);
    const StreamScore sx = score_on(predict_dataset(x_only, d, test), d, test, kSecondStreamClasses);

    const ClipInput& s2 = d.input("stream2");
    const Dataset d2 = Dataset::from_arrays(Tensor<std::uint8_t>::copy_of(s2.bytes), Tensor<float>::copy_of(d.y_true()),
                                            Tensor<float>::copy_of(d.mask()), d.keys(), d.class_names(), d.train(),
                                            d.test(), "stream2 alone");
    ModelConfig single2 = single;
    single2.features = 32;
    RelevanceModel s_only(single2, 1);
    train(s_only, d2, t);
    const StreamScore ss = score_on(predict_dataset(s_only, d2, test), d2, test, kSecondStreamClasses);

    for (FusionKind f : {FusionKind::Frame, FusionKind::Late}) {
        RelevanceModel m(fused(f), 1);
        train(m, d, t);
        const StreamScore sf = score_on(predict_dataset(m, d, test), d, test, kSecondStreamClasses);
        INFO("on instruments 1, 4, 8, 12, 17 of the test split: X alone mse " << sx.mse << " ap " << sx.ap
             << "; stream2 alone mse " << ss.mse << " ap " << ss.ap << "; fused (" << to_string(f) << ") mse " << sf.mse
             << " ap " << sf.ap);
        CHECK(sf.mse < sx.mse);
        CHECK(sf.mse < ss.mse);
        CHECK(sf.ap > sx.ap);
        CHECK(sf.ap > ss.ap);
        // The other instruments are in X alone: fusing must not cost them much.
        std::vector<Index> others;
        for (Index c = 0; c < kClasses; ++c)
            if (std::find(kSecondStreamClasses.begin(), kSecondStreamClasses.end(), c) == kSecondStreamClasses.end())
                others.push_back(c);
        const StreamScore fo = score_on(predict_dataset(m, d, test), d, test, others);
        const StreamScore xo = score_on(predict_dataset(x_only, d, test), d, test, others);
        // (The second stream is noise for them: measured 8 % (late) and 15 % (frame) higher MSE
        // than X alone at this size, 2,000 training clips.)
        INFO("other instruments: X alone mse " << xo.mse << ", fused " << fo.mse);
        CHECK(fo.mse < 1.25 * xo.mse);
        WARN("fusion " << to_string(f) << ": instruments 1, 4, 8, 12, 17: X alone mse " << sx.mse << " ap " << sx.ap
                       << "; stream2 alone mse " << ss.mse << " ap " << ss.ap << "; fused mse " << sf.mse << " ap "
                       << sf.ap << "; other instruments mse X " << xo.mse << " fused " << fo.mse);
    }
}
