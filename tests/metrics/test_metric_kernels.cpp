// Metric kernels on cases small enough to compute by hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "polytag/metrics/binary.hpp"
#include "polytag/metrics/ranking.hpp"
#include "polytag/metrics/threshold.hpp"

using namespace polytag;

TEST_CASE("average precision and AUC of a four-sample ranking", "[metrics]") {
    // Descending: 0.8 (+) P=1 R=.5 | 0.4 (-) | 0.35 (+) P=2/3 R=1 | 0.1 (-)
    const std::vector<double> scores{0.1, 0.4, 0.35, 0.8};
    const std::vector<int> labels{0, 0, 1, 1};
    CHECK(metrics::average_precision(scores, labels) == Approx(0.5 * 1.0 + 0.5 * 2.0 / 3.0));
    CHECK(metrics::roc_auc(scores, labels) == Approx(0.75));  // 3 of 4 pairs ordered
}

TEST_CASE("tied scores form one threshold; AUC counts a tied pair as one half", "[metrics]") {
    const std::vector<double> scores{0.5, 0.5, 0.5, 0.2};
    const std::vector<int> labels{1, 0, 1, 0};
    CHECK(metrics::average_precision(scores, labels) == Approx(2.0 / 3.0));
    CHECK(metrics::roc_auc(scores, labels) == Approx(0.75));

    const std::vector<double> flat{0.3, 0.3, 0.3, 0.3, 0.3};
    const std::vector<int> flat_labels{1, 0, 0, 1, 0};
    CHECK(metrics::average_precision(flat, flat_labels) == Approx(0.4));  // precision of everything
    CHECK(metrics::roc_auc(flat, flat_labels) == Approx(0.5));

    const auto curve = metrics::precision_recall_curve(scores, labels);
    REQUIRE(curve.threshold.size() == 2);
    CHECK(curve.threshold[0] == 0.5);
    CHECK(curve.precision[0] == Approx(2.0 / 3.0));
    CHECK(curve.recall[0] == 1.0);
    CHECK(curve.threshold[1] == 0.2);
    CHECK(curve.precision[1] == 0.5);
    CHECK(curve.positives == 2);
    CHECK(curve.negatives == 2);
}

TEST_CASE("perfect and reversed rankings; one class only is NaN", "[metrics]") {
    const std::vector<float> scores{0.9f, 0.8f, 0.2f, 0.1f};
    CHECK(metrics::average_precision(scores, std::vector<int>{1, 1, 0, 0}) == 1.0);
    CHECK(metrics::roc_auc(scores, std::vector<int>{1, 1, 0, 0}) == 1.0);
    CHECK(metrics::roc_auc(scores, std::vector<int>{0, 0, 1, 1}) == 0.0);
    // Reversed: positives last: P at R=.5 is 1/3, at R=1 is 1/2.
    CHECK(metrics::average_precision(scores, std::vector<int>{0, 0, 1, 1}) == Approx(0.5 / 3 + 0.5 / 2));
    CHECK(std::isnan(metrics::average_precision(scores, std::vector<int>{0, 0, 0, 0})));
    CHECK(std::isnan(metrics::roc_auc(scores, std::vector<int>{1, 1, 1, 1})));
    CHECK(std::isnan(metrics::roc_auc(scores, std::vector<int>{0, 0, 0, 0})));
    CHECK(std::isnan(metrics::average_precision(std::vector<float>{}, std::vector<int>{})));
}

TEST_CASE("confusion counts at a threshold, F1 of both classes", "[metrics]") {
    const std::vector<double> scores{0.2, 0.5, 0.7, 0.4};
    const std::vector<int> labels{0, 1, 1, 1};
    const auto c = metrics::count_at_threshold(scores, labels, 0.5);  // 0.5 counts as positive
    CHECK(c.tp == 2);
    CHECK(c.fn == 1);
    CHECK(c.tn == 1);
    CHECK(c.fp == 0);
    CHECK(metrics::precision(c) == 1.0);
    CHECK(metrics::recall(c) == Approx(2.0 / 3.0));
    CHECK(metrics::f1(c) == Approx(0.8));
    CHECK(metrics::f1_negative(c) == Approx(2.0 / 3.0));
    CHECK(metrics::f1_two_class(c) == Approx((0.8 + 2.0 / 3.0) / 2));
}

TEST_CASE("zero_division=0 conventions and the two-class F1 of a one-class set", "[metrics]") {
    const std::vector<double> scores{0.1, 0.2, 0.3};
    const auto none = metrics::count_at_threshold(scores, std::vector<int>{0, 0, 0}, 0.5);
    CHECK(metrics::precision(none) == 0.0);
    CHECK(metrics::recall(none) == 0.0);
    CHECK(metrics::f1(none) == 0.0);
    CHECK(metrics::f1_two_class(none) == 1.0);  // only the negative class occurs, all right
    const auto missed = metrics::count_at_threshold(scores, std::vector<int>{1, 0, 0}, 0.5);
    CHECK(metrics::f1(missed) == 0.0);
    CHECK(metrics::f1_two_class(missed) == Approx(0.5 * (0.0 + 0.8)));
    CHECK(std::isnan(metrics::f1_two_class(metrics::BinaryCounts{})));
}

TEST_CASE("best_f1_threshold picks the F1-maximising cut, midway to the next score", "[metrics]") {
    const std::vector<double> scores{0.9, 0.8, 0.3, 0.2};
    const auto best = metrics::best_f1_threshold(scores, std::vector<int>{1, 1, 0, 0});
    CHECK(best.f1 == 1.0);
    CHECK(best.threshold == Approx(0.55));
    // Best is everything positive: the lowest score itself.
    const auto all = metrics::best_f1_threshold(scores, std::vector<int>{1, 1, 1, 1});
    CHECK(all.f1 == 1.0);
    CHECK(all.threshold == 0.2);
    // Without positives: the fallback.
    const auto none = metrics::best_f1_threshold(scores, std::vector<int>{0, 0, 0, 0}, 0.42);
    CHECK(none.threshold == 0.42);
    CHECK(none.f1 == 0.0);
    // Ties in F1 go to the higher threshold: 0.7 gives F1 2/3 as does 0.1 ({1,0,0,1}: tp 1 fp 0 fn 1
    // vs tp 2 fp 2 fn 0).
    const auto tie = metrics::best_f1_threshold(std::vector<double>{0.7, 0.5, 0.3, 0.1}, std::vector<int>{1, 0, 0, 1});
    CHECK(tie.f1 == Approx(2.0 / 3.0));
    CHECK(tie.threshold == Approx(0.6));
}

TEST_CASE("metric kernels refuse NaN scores and mismatched lengths", "[metrics]") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(metrics::average_precision(std::vector<double>{0.1, nan}, std::vector<int>{0, 1}), ValueError);
    CHECK_THROWS_AS(metrics::roc_auc(std::vector<double>{0.1}, std::vector<int>{0, 1}), ShapeError);
    CHECK_THROWS_AS(metrics::count_at_threshold(std::vector<double>{0.1, 0.2}, std::vector<int>{0}, 0.5), ShapeError);
}
