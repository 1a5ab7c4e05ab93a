// The OpenMIC report: masking, skipped instruments, macro averages, thresholds, JSON.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "polytag/openmic/evaluation.hpp"

using namespace polytag;

namespace {

Tensor<float> matrix(Index rows, Index cols, std::vector<float> values) {
    Tensor<float> t(Shape{rows, cols});
    REQUIRE(static_cast<Index>(values.size()) == t.size());
    std::copy(values.begin(), values.end(), t.begin());
    return t;
}

struct Case {
    // Instrument "a": all observed, two positives (1.0 and 0.6), perfectly ranked.
    // Instrument "b": never observed (predictions there must not matter).
    // Instrument "c": three observed negatives, all predicted >= 0.5.
    Tensor<float> pred = matrix(4, 3, {0.9f, 0.2f, 0.6f, 0.4f, 0.7f, 0.5f, 0.1f, 0.3f, 0.5f, 0.8f, 0.6f, 0.5f});
    Tensor<float> y = matrix(4, 3, {1.0f, 0.5f, 0.0f, 0.2f, 0.5f, 0.0f, 0.0f, 0.5f, 0.0f, 0.6f, 0.5f, 0.5f});
    Tensor<float> mask = matrix(4, 3, {1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0});
    std::vector<std::string> names{"a", "b", "c"};
};

}  // namespace

TEST_CASE("evaluate scores observed labels only and reports skipped instruments", "[metrics]") {
    Case k;
    const auto ev = openmic::evaluate(k.pred, k.y, k.mask, k.names);
    REQUIRE(ev.instruments.size() == 3);
    const auto& a = ev.at("a");
    CHECK(a.n == 4);
    CHECK(a.n_pos == 2);
    CHECK(a.mse == Approx(0.025).epsilon(1e-5));  // errors .1 .2 .1 .2
    CHECK(a.mae == Approx(0.15).epsilon(1e-5));
    CHECK(a.precision == 1.0);
    CHECK(a.recall == 1.0);
    CHECK(a.f1 == 1.0);
    CHECK(a.f1_macro2 == 1.0);
    CHECK(a.ap == 1.0);
    CHECK(a.auc == 1.0);
    CHECK(a.threshold == 0.5);

    const auto& b = ev.at("b");
    CHECK(b.n == 0);
    CHECK(std::isnan(b.mse));
    CHECK(std::isnan(b.ap));

    const auto& c = ev.at("c");
    CHECK(c.n == 3);
    CHECK(c.n_pos == 0);
    CHECK(c.mse == Approx((0.36 + 0.25 + 0.25) / 3).epsilon(1e-5));
    CHECK(c.mae == Approx((0.6 + 0.5 + 0.5) / 3).epsilon(1e-5));
    CHECK(c.precision == 0.0);
    CHECK(c.f1 == 0.0);
    CHECK(c.f1_macro2 == 0.0);  // three false positives, no true negative
    CHECK(std::isnan(c.ap));
    CHECK(std::isnan(c.auc));

    CHECK(ev.skipped_empty == std::vector<std::string>{"b"});
    CHECK(ev.skipped_ranking == std::vector<std::string>{"c"});
    CHECK(ev.macro.instruments == 2);
    CHECK(ev.macro.ranked_instruments == 1);
    CHECK(ev.macro.mse == Approx((0.025 + 0.86 / 3) / 2).epsilon(1e-5));
    CHECK(ev.macro.f1 == Approx(0.5));
    CHECK(ev.macro.f1_macro2 == Approx(0.5));
    CHECK(ev.macro.ap == 1.0);
    CHECK(ev.macro.auc == 1.0);
    CHECK_FALSE(ev.tuned_thresholds);
    CHECK_THROWS_AS(ev.at("kazoo"), ValueError);
}

TEST_CASE("evaluate with per-instrument thresholds", "[metrics]") {
    Case k;
    const std::vector<float> thresholds{0.95f, 0.5f, 0.75f};
    const auto ev = openmic::evaluate(k.pred, k.y, k.mask, k.names, &thresholds);
    CHECK(ev.tuned_thresholds);
    CHECK(ev.at("a").threshold == Approx(0.95));
    CHECK(ev.at("a").recall == 0.0);  // nothing reaches 0.95
    CHECK(ev.at("a").ap == 1.0);      // ranking metrics ignore thresholds
    CHECK(ev.at("c").f1_macro2 == 1.0);  // all negatives now predicted negative
    const std::vector<float> wrong{0.5f};
    CHECK_THROWS_AS(openmic::evaluate(k.pred, k.y, k.mask, k.names, &wrong), ShapeError);
}

TEST_CASE("tune_thresholds maximises F1 per instrument, 0.5 without positives", "[metrics]") {
    Case k;
    const auto t = openmic::tune_thresholds(k.pred, k.y, k.mask);
    REQUIRE(t.size() == 3);
    CHECK(t[0] == Approx(0.6f));  // between 0.8 (lowest positive) and 0.4
    CHECK(t[1] == 0.5f);
    CHECK(t[2] == 0.5f);
    // Scores that are adjacent floats: the float threshold must still separate them.
    const float hi = 0.7f, lo = std::nextafter(0.7f, 0.0f);
    auto p = Tensor<float>(Shape{2, 1});
    p[0] = hi;
    p[1] = lo;
    auto y = Tensor<float>(Shape{2, 1});
    y[0] = 1.0f;
    y[1] = 0.0f;
    auto m = Tensor<float>(Shape{2, 1}, 1.0f);
    const auto t2 = openmic::tune_thresholds(p, y, m);
    CHECK(hi >= t2[0]);
    CHECK(lo < t2[0]);
}

TEST_CASE("precision_recall_curves and the JSON report", "[metrics]") {
    Case k;
    const auto curves = openmic::precision_recall_curves(k.pred, k.y, k.mask);
    REQUIRE(curves.size() == 3);
    CHECK(curves[0].threshold.size() == 4);
    CHECK(curves[1].threshold.empty());
    CHECK(curves[2].threshold.size() == 2);  // 0.6 and a tie at 0.5

    const auto j = openmic::to_json(openmic::evaluate(k.pred, k.y, k.mask, k.names));
    CHECK(j["macro"]["ap"].get<double>() == 1.0);
    for (const char* key : {"mse", "mae", "f1", "f1_macro2", "ap", "auc", "precision", "recall"})
        CHECK(j["macro"].contains(key));
    CHECK(j["instruments"]["a"]["n"].get<int>() == 4);
    CHECK(j["instruments"]["a"]["n_pos"].get<int>() == 2);
    CHECK(j["instruments"]["b"]["mse"].is_null());
    CHECK(j["instruments"]["c"]["auc"].is_null());
    CHECK(j["skipped_ranking"][0] == "c");
}

TEST_CASE("evaluate checks shapes", "[metrics]") {
    Case k;
    Tensor<float> short_pred(Shape{3, 3}, 0.5f);
    CHECK_THROWS_AS(openmic::evaluate(short_pred, k.y, k.mask, k.names), ShapeError);
    CHECK_THROWS_AS(openmic::evaluate(k.pred, k.y, k.mask, {"a", "b"}), ShapeError);
}
