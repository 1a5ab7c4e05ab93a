#pragma once
// Threshold-free ranking metrics, matching scikit-learn:
//   precision_recall_curve  one point per distinct score, from the highest threshold down
//   average_precision       sum_n (R_n - R_{n-1}) P_n over those points, R_0 = 0
//                           (sklearn.metrics.average_precision_score: tied scores form one
//                           threshold, no interpolation)
//   roc_auc                 Mann-Whitney U / (P N) with average ranks for ties (equal to
//                           sklearn.metrics.roc_auc_score's trapezoidal area)
// AP is NaN without positives; AUC is NaN without positives or without negatives.
#include <algorithm>
#include <cstddef>
#include <vector>

#include "polytag/metrics/detail.hpp"

namespace polytag::metrics {

struct PrecisionRecallCurve {
    /// Parallel arrays, one entry per distinct score in descending order (recall ascending).
    /// Point k predicts positive every score >= threshold[k]. scikit-learn's curve also
    /// appends a final (recall 0, precision 1) point; plotters add it if they want it.
    std::vector<double> threshold;
    std::vector<double> precision;
    std::vector<double> recall;
    std::size_t positives = 0;
    std::size_t negatives = 0;
};

template <typename Scores, typename Labels>
PrecisionRecallCurve precision_recall_curve(const Scores& scores, const Labels& labels) {
    detail::check_inputs("precision_recall_curve", scores, labels);
    PrecisionRecallCurve curve;
    for (std::size_t i = 0; i < labels.size(); ++i) ++(labels[i] != 0 ? curve.positives : curve.negatives);
    const auto order = detail::order_descending(scores);
    std::size_t tp = 0, fp = 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
        if (labels[order[k]] != 0) ++tp;
        else ++fp;
        const double s = static_cast<double>(scores[order[k]]);
        if (k + 1 < order.size() && static_cast<double>(scores[order[k + 1]]) == s) continue;  // end of a tie group
        curve.threshold.push_back(s);
        curve.precision.push_back(double(tp) / double(tp + fp));
        curve.recall.push_back(curve.positives ? double(tp) / double(curve.positives) : detail::kNaN);
    }
    return curve;
}

template <typename Scores, typename Labels>
double average_precision(const Scores& scores, const Labels& labels) {
    const auto curve = precision_recall_curve(scores, labels);
    if (curve.positives == 0) return detail::kNaN;
    double ap = 0.0, previous_recall = 0.0;
    for (std::size_t k = 0; k < curve.threshold.size(); ++k) {
        ap += (curve.recall[k] - previous_recall) * curve.precision[k];
        previous_recall = curve.recall[k];
    }
    return ap;
}

template <typename Scores, typename Labels>
double roc_auc(const Scores& scores, const Labels& labels) {
    detail::check_inputs("roc_auc", scores, labels);
    auto order = detail::order_descending(scores);
    std::reverse(order.begin(), order.end());  // ascending; ties are averaged, so their order is moot
    std::size_t positives = 0;
    double positive_rank_sum = 0.0;
    for (std::size_t k = 0; k < order.size();) {
        std::size_t end = k + 1;
        const double s = static_cast<double>(scores[order[k]]);
        while (end < order.size() && static_cast<double>(scores[order[end]]) == s) ++end;
        const double rank = 0.5 * (double(k + 1) + double(end));  // mean of ranks k+1 .. end
        for (std::size_t j = k; j < end; ++j)
            if (labels[order[j]] != 0) {
                ++positives;
                positive_rank_sum += rank;
            }
        k = end;
    }
    const std::size_t negatives = order.size() - positives;
    if (positives == 0 || negatives == 0) return detail::kNaN;
    const double p = double(positives);
    return (positive_rank_sum - p * (p + 1.0) / 2.0) / (p * double(negatives));
}

}  // namespace polytag::metrics
