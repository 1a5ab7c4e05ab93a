#pragma once
// Choosing a decision threshold on validation data (never on test data): the one that
// maximises the positive-class F1.
#include <cstddef>

#include "polytag/metrics/binary.hpp"
#include "polytag/metrics/ranking.hpp"

namespace polytag::metrics {

struct ThresholdChoice {
    double threshold;  ///< predict positive when score >= threshold
    double f1;         ///< the F1 it reaches on the data it was tuned on
};

/// Tries every distinct score as threshold; among equal F1 the highest threshold wins. The
/// returned threshold is the midpoint between the winning score and the next lower score (same
/// F1 on these data, less brittle on new data). Without positives the F1 is 0 everywhere and
/// `fallback` is returned; with no samples the f1 is NaN.
template <typename Scores, typename Labels>
ThresholdChoice best_f1_threshold(const Scores& scores, const Labels& labels, double fallback = 0.5) {
    const auto curve = precision_recall_curve(scores, labels);
    if (curve.threshold.empty()) return {fallback, detail::kNaN};
    if (curve.positives == 0) return {fallback, 0.0};
    double best_f1 = -1.0;
    std::size_t best = 0;
    for (std::size_t k = 0; k < curve.threshold.size(); ++k) {
        const double p = curve.precision[k], r = curve.recall[k];
        const double f = p + r > 0.0 ? 2.0 * p * r / (p + r) : 0.0;
        if (f > best_f1) {
            best_f1 = f;
            best = k;
        }
    }
    double t = curve.threshold[best];
    if (best + 1 < curve.threshold.size()) {
        const double lower = curve.threshold[best + 1];
        const double mid = lower + (t - lower) / 2.0;
        if (mid > lower) t = mid;
    }
    return {t, best_f1};
}

}  // namespace polytag::metrics
