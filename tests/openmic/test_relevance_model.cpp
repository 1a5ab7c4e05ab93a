// RelevanceNet / RelevanceModel: shapes, configuration, predict (single, batched, threads).
#include <catch2/catch.hpp>

#include <thread>

#include "polytag/openmic/relevance_model.hpp"
#include "support/gradcheck.hpp"

using namespace polytag;
using namespace polytag::openmic;

namespace {
Tensor<std::uint8_t> random_clips(Index n, std::uint64_t seed) {
    Rng rng(seed);
    Tensor<std::uint8_t> x(Shape{n, 10, 128});
    for (auto& v : x) v = std::uint8_t(rng.below(256));
    return x;
}
/// Uniform bytes have mean 127.5 and std ~73.9: normalise them so outputs are not saturated.
Normalizer uniform_bytes_normalizer() {
    return Normalizer{std::vector<float>(128, 127.5f), std::vector<float>(128, 73.9f)};
}
RelevanceModel make_model(const ModelConfig& c, std::uint64_t seed) {
    RelevanceModel m(c, seed);
    m.set_normalizer(uniform_bytes_normalizer());
    return m;
}
ModelConfig small_config(PoolKind pool) {
    ModelConfig c;
    c.trunk = {16};
    c.pool = pool;
    return c;
}
}  // namespace

TEST_CASE("RelevanceNet maps (B, 10, 128) to (B, 20) relevances in [0, 1] for every pooling", "[model]") {
    for (PoolKind pool : {PoolKind::Mean, PoolKind::Max, PoolKind::Attention}) {
        for (std::vector<int> head : {std::vector<int>{}, std::vector<int>{8}}) {
            ModelConfig c = small_config(pool);
            c.trunk = {32, 16};
            c.head = head;
            RelevanceNet<float> net(c);
            Rng rng(3);
            net.init(rng);
            Tensor<float> x(Shape{5, 10, 128});
            test::fill_uniform(x, rng);
            auto y = net.forward(x, Mode::Train);
            CHECK(y.shape() == Shape{5, 20});
            for (float v : y) {
                CHECK(v >= 0.0f);
                CHECK(v <= 1.0f);
            }
            CHECK(net.output_shape(Shape{10, 128}) == Shape{20});
            CHECK_THROWS_AS(net.output_shape(Shape{10, 64}), ShapeError);
            Tensor<float> bad(Shape{2, 10, 64});
            CHECK_THROWS_AS(net.forward(bad, Mode::Eval), ShapeError);
        }
    }
}

TEST_CASE("RelevanceNet names its parameters by layer", "[model]") {
    ModelConfig c = small_config(PoolKind::Attention);
    c.trunk = {32, 16};
    RelevanceNet<float> net(c);
    std::vector<std::string> names;
    for (const auto& p : net.parameters()) names.push_back(p.name);
    CHECK(names == std::vector<std::string>{"trunk.0.weight", "trunk.0.bias", "trunk.1.weight", "trunk.1.bias",
                                            "pool.weight", "head.weight_out", "head.bias_out"});
    RelevanceNet<float> mean_net(small_config(PoolKind::Mean));
    for (const auto& p : mean_net.parameters()) CHECK(p.name.rfind("pool.", 0) == std::string::npos);
}

TEST_CASE("The whole RelevanceNet passes a gradient check in double", "[model][gradcheck]") {
    for (PoolKind pool : {PoolKind::Mean, PoolKind::Attention}) {
        for (ActivationKind act : {ActivationKind::Tanh, ActivationKind::Gelu}) {
            ModelConfig c;
            c.frames = 4;
            c.features = 6;
            c.trunk = {5, 4};
            c.head = {3};
            c.pool = pool;
            c.activation = act;
            c.dropout = 0.0;
            c.input_dropout = 0.0;
            RelevanceNet<double> net(c);
            Rng rng(11);
            net.init(rng);
            // Non-zero attention weights, so the attention softmax is exercised off its fixed point.
            for (auto& p : net.parameters())
                for (auto& v : p.value) v += rng.uniform(-0.3, 0.3);
            Tensor<double> x(Shape{3, 4, 6});
            test::fill_uniform(x, rng);
            // h = 1e-4: some attention-weight gradients are ~1e-7, below the rounding noise of h = 1e-6.
            const auto res = test::gradcheck(net, x, 7, 1e-4);
            INFO("pool " << to_string(pool) << " activation " << to_string(act) << " worst " << res.worst);
            CHECK(res.max_rel_error < 1e-5);
        }
    }
}

TEST_CASE("predict: single clip, batch and Eval-mode forward agree; dropout is off", "[model]") {
    ModelConfig c = small_config(PoolKind::Attention);
    RelevanceModel m = make_model(c, 5);
    const Tensor<std::uint8_t> clips = random_clips(7, 1);
    const Tensor<float> batch = m.predict(clips);
    REQUIRE(batch.shape() == Shape{7, 20});
    for (Index i = 0; i < 7; ++i) {
        const auto one = m.predict(clips.data() + i * 1280);
        for (Index k = 0; k < 20; ++k) CHECK(one[std::size_t(k)] == Approx(batch(i, k)).margin(1e-6));
    }
    CHECK(m.predict(clips).vector() == batch.vector());  // deterministic
    Tensor<std::uint8_t> wrong(Shape{2, 10, 64});
    CHECK_THROWS_AS(m.predict(wrong), ShapeError);
}

TEST_CASE("predict is thread-safe: concurrent calls match single-threaded results", "[model][threads]") {
    RelevanceModel m = make_model(small_config(PoolKind::Attention), 9);
    const Tensor<std::uint8_t> clips = random_clips(600, 2);
    const Tensor<float> expected = m.predict(clips);
    std::vector<std::array<float, 20>> expected_one;
    for (Index i = 0; i < 40; ++i) expected_one.push_back(m.predict(clips.data() + i * 1280));
    std::vector<int> mismatches(6, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t)
        threads.emplace_back([&, t] {
            for (int rep = 0; rep < 5; ++rep) {
                if ((t + rep) % 2 == 0) {
                    const Tensor<float> got = m.predict(clips);
                    if (!(got.vector() == expected.vector())) ++mismatches[std::size_t(t)];
                } else {
                    for (Index i = 0; i < 40; ++i)
                        if (m.predict(clips.data() + i * 1280) != expected_one[std::size_t(i)])
                            ++mismatches[std::size_t(t)];
                }
            }
        });
    for (auto& th : threads) th.join();
    for (int t = 0; t < 6; ++t) CHECK(mismatches[std::size_t(t)] == 0);
}

TEST_CASE("predict sees weight changes made through net()", "[model]") {
    RelevanceModel m = make_model(small_config(PoolKind::Mean), 1);
    const Tensor<std::uint8_t> clips = random_clips(3, 4);
    const Tensor<float> before = m.predict(clips);
    for (auto& p : m.net().parameters())
        if (p.name == "head.bias_out") p.value.array() += 1.0f;
    const Tensor<float> after = m.predict(clips);
    for (Index i = 0; i < before.size(); ++i) CHECK(after[i] > before[i]);
}

TEST_CASE("class_index finds instruments and lists the valid names otherwise", "[model]") {
    RelevanceModel m(small_config(PoolKind::Mean));
    CHECK(m.class_index("accordion") == 0);
    CHECK(m.class_index("piano") == 12);
    CHECK(m.class_index("voice") == 19);
    try {
        m.class_index("kazoo");
        FAIL("no error");
    } catch (const ValueError& e) {
        const std::string msg = e.what();
        CHECK(msg.find("kazoo") != std::string::npos);
        CHECK(msg.find("mallet_percussion") != std::string::npos);
        CHECK(msg.find("voice") != std::string::npos);
    }
}
