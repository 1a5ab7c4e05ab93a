#pragma once
// Thresholded binary classification: confusion counts and the scores built from them.
// A sample is predicted positive when score >= threshold (the convention of
// precision_recall_curve, so a tuned threshold equal to a score includes that score).
// Undefined ratios are 0, as scikit-learn's zero_division=0 makes them.
#include <cstddef>

#include "polytag/metrics/detail.hpp"

namespace polytag::metrics {

struct BinaryCounts {
    std::size_t tp = 0, fp = 0, tn = 0, fn = 0;

    std::size_t n() const { return tp + fp + tn + fn; }
    std::size_t positives() const { return tp + fn; }
    std::size_t negatives() const { return tn + fp; }
};

template <typename Scores, typename Labels>
BinaryCounts count_at_threshold(const Scores& scores, const Labels& labels, double threshold) {
    detail::check_inputs("count_at_threshold", scores, labels);
    BinaryCounts c;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        const bool predicted = static_cast<double>(scores[i]) >= threshold;
        const bool actual = labels[i] != 0;
        if (predicted) ++(actual ? c.tp : c.fp);
        else ++(actual ? c.fn : c.tn);
    }
    return c;
}

/// tp / (tp + fp); 0 when nothing is predicted positive.
inline double precision(const BinaryCounts& c) { return c.tp + c.fp ? double(c.tp) / double(c.tp + c.fp) : 0.0; }
/// tp / (tp + fn); 0 when there are no positives.
inline double recall(const BinaryCounts& c) { return c.tp + c.fn ? double(c.tp) / double(c.tp + c.fn) : 0.0; }
/// F1 of the positive class, 2 tp / (2 tp + fp + fn); 0 when tp = 0.
inline double f1(const BinaryCounts& c) { return c.tp ? 2.0 * double(c.tp) / double(2 * c.tp + c.fp + c.fn) : 0.0; }
/// F1 of the negative class (negatives treated as the class of interest).
inline double f1_negative(const BinaryCounts& c) {
    return c.tn ? 2.0 * double(c.tn) / double(2 * c.tn + c.fn + c.fp) : 0.0;
}

/// Two-class macro F1: the mean of the positive-class and negative-class F1, the figure the
/// VGGish-era OpenMIC papers report (scikit-learn's f1_score(average="macro") on 0/1 labels).
/// As there, only classes present in the labels or the predictions are averaged (all
/// negative and all predicted negative gives 1). NaN for no samples.
inline double f1_two_class(const BinaryCounts& c) {
    const bool positive_class = c.tp + c.fn + c.fp > 0;
    const bool negative_class = c.tn + c.fp + c.fn > 0;
    if (positive_class && negative_class) return 0.5 * (f1(c) + f1_negative(c));
    if (positive_class) return f1(c);
    if (negative_class) return f1_negative(c);
    return detail::kNaN;
}

}  // namespace polytag::metrics
