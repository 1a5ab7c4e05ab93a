#pragma once
// The OpenMIC-2018 evaluation report: per instrument and macro-averaged, on observed labels
// only (mask 1), with positives = y_true > 0.5.
//
// Per instrument: n, n_pos, masked MSE and MAE of the relevance, precision, recall and F1 of
// the positive class at the threshold (0.5, or per-instrument thresholds tuned on validation
// data with tune_thresholds), the two-class macro F1 (f1_macro2), average precision and ROC-AUC.
// Macro: the unweighted mean over instruments. Instruments with no observed label are left
// out of every mean (listed in `skipped_empty`); instruments without both positives and
// negatives have AP and AUC NaN and are left out of those two means (`skipped_ranking`).
// Undefined precision/recall/F1 count as 0, as scikit-learn's zero_division=0.
// Over arrays only; dataset_evaluation.hpp evaluates rows of a Dataset, evaluation_json.hpp
// writes the report as JSON, evaluation.hpp includes all three.
#include <string>
#include <cmath>
#include <string>
#include <vector>

#include "polytag/metrics/binary.hpp"
#include "polytag/metrics/ranking.hpp"
#include "polytag/metrics/threshold.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag::openmic {

struct InstrumentMetrics {
    std::string name;
    Index n = 0;               ///< observed labels
    Index n_pos = 0;           ///< observed labels with y_true > 0.5
    double threshold = 0.5;    ///< decision threshold used for precision/recall/F1
    double mse = 0, mae = 0;
    double precision = 0, recall = 0, f1 = 0, f1_macro2 = 0;
    double ap = metrics::detail::kNaN, auc = metrics::detail::kNaN;
};

struct MacroMetrics {
    double mse = 0, mae = 0, precision = 0, recall = 0, f1 = 0, f1_macro2 = 0, ap = 0, auc = 0;
    Index instruments = 0;          ///< instruments in the mse..f1_macro2 means
    Index ranked_instruments = 0;   ///< instruments in the ap and auc means
};

struct Evaluation {
    std::vector<InstrumentMetrics> instruments;  ///< in column order
    MacroMetrics macro;
    std::vector<std::string> skipped_empty;      ///< no observed label: in no mean
    std::vector<std::string> skipped_ranking;    ///< one class only: not in the AP/AUC means
    bool tuned_thresholds = false;               ///< thresholds other than 0.5 were given

    /// The instrument named `name`; throws ValueError listing the valid names otherwise.
    const InstrumentMetrics& at(const std::string& name) const {
        for (const auto& m : instruments)
            if (m.name == name) return m;
        std::string valid;
        for (const auto& m : instruments) valid += (valid.empty() ? "" : ", ") + m.name;
        throw ValueError("polytag::openmic::Evaluation: no instrument '" + name + "' (valid: " + valid + ")");
    }
};

namespace detail {

inline void check_eval_shapes(const char* who, TensorView<const float> pred, TensorView<const float> y_true,
                              TensorView<const float> mask, std::size_t names) {
    if (pred.rank() != 2 || pred.shape() != y_true.shape() || pred.shape() != mask.shape())
        throw ShapeError(std::string("polytag::openmic::") + who + ": pred " + pred.shape().str() + ", y_true " +
                         y_true.shape().str() + " and mask " + mask.shape().str() + " must all be the same (N, classes)");
    if (names != static_cast<std::size_t>(pred.dim(1)))
        throw ShapeError(std::string("polytag::openmic::") + who + ": " + std::to_string(names) + " names for " +
                         std::to_string(pred.dim(1)) + " columns");
}

/// Scores and 0/1 labels of column `c` at the observed rows.
inline void observed_column(TensorView<const float> pred, TensorView<const float> y_true, TensorView<const float> mask,
                            Index c, std::vector<float>& scores, std::vector<unsigned char>& labels,
                            std::vector<float>* targets = nullptr) {
    scores.clear();
    labels.clear();
    if (targets) targets->clear();
    const Index n = pred.dim(0), classes = pred.dim(1);
    for (Index i = 0; i < n; ++i) {
        if (mask[i * classes + c] == 0.0f) continue;
        scores.push_back(pred[i * classes + c]);
        labels.push_back(y_true[i * classes + c] > 0.5f ? 1 : 0);
        if (targets) targets->push_back(y_true[i * classes + c]);
    }
}

}  // namespace detail

/// The report for predictions `pred` (N, C) against `y_true` and `mask` (N, C) with class
/// `names` (C). `thresholds` (C values), when given, replaces 0.5 per instrument.
/// Throws ShapeError on mismatched shapes and ValueError on a NaN prediction.
inline Evaluation evaluate(TensorView<const float> pred, TensorView<const float> y_true, TensorView<const float> mask,
                           const std::vector<std::string>& names, const std::vector<float>* thresholds = nullptr) {
    detail::check_eval_shapes("evaluate", pred, y_true, mask, names.size());
    const Index classes = pred.dim(1);
    if (thresholds && thresholds->size() != names.size())
        throw ShapeError("polytag::openmic::evaluate: " + std::to_string(thresholds->size()) + " thresholds for " +
                         std::to_string(names.size()) + " instruments");
    Evaluation ev;
    ev.tuned_thresholds = thresholds != nullptr;
    std::vector<float> scores, targets;
    std::vector<unsigned char> labels;
    for (Index c = 0; c < classes; ++c) {
        InstrumentMetrics m;
        m.name = names[static_cast<std::size_t>(c)];
        m.threshold = thresholds ? (*thresholds)[static_cast<std::size_t>(c)] : 0.5;
        detail::observed_column(pred, y_true, mask, c, scores, labels, &targets);
        m.n = static_cast<Index>(scores.size());
        for (unsigned char l : labels) m.n_pos += l;
        if (m.n == 0) {
            m.mse = m.mae = m.precision = m.recall = m.f1 = m.f1_macro2 = metrics::detail::kNaN;
            ev.skipped_empty.push_back(m.name);
            ev.instruments.push_back(m);
            continue;
        }
        double se = 0, ae = 0;
        for (std::size_t i = 0; i < scores.size(); ++i) {
            const double e = double(scores[i]) - double(targets[i]);
            if (std::isnan(e)) throw ValueError("polytag::openmic::evaluate: NaN prediction for '" + m.name + "'");
            se += e * e;
            ae += std::abs(e);
        }
        m.mse = se / double(m.n);
        m.mae = ae / double(m.n);
        const auto counts = metrics::count_at_threshold(scores, labels, m.threshold);
        m.precision = metrics::precision(counts);
        m.recall = metrics::recall(counts);
        m.f1 = metrics::f1(counts);
        m.f1_macro2 = metrics::f1_two_class(counts);
        if (m.n_pos > 0 && m.n_pos < m.n) {
            m.ap = metrics::average_precision(scores, labels);
            m.auc = metrics::roc_auc(scores, labels);
        } else {
            ev.skipped_ranking.push_back(m.name);
        }
        ev.instruments.push_back(m);
    }
    auto& mac = ev.macro;
    for (const auto& m : ev.instruments) {
        if (m.n == 0) continue;
        ++mac.instruments;
        mac.mse += m.mse;
        mac.mae += m.mae;
        mac.precision += m.precision;
        mac.recall += m.recall;
        mac.f1 += m.f1;
        mac.f1_macro2 += m.f1_macro2;
        if (m.n_pos > 0 && m.n_pos < m.n) {
            ++mac.ranked_instruments;
            mac.ap += m.ap;
            mac.auc += m.auc;
        }
    }
    const double k = mac.instruments ? double(mac.instruments) : metrics::detail::kNaN;
    const double kr = mac.ranked_instruments ? double(mac.ranked_instruments) : metrics::detail::kNaN;
    mac.mse /= k;
    mac.mae /= k;
    mac.precision /= k;
    mac.recall /= k;
    mac.f1 /= k;
    mac.f1_macro2 /= k;
    mac.ap /= kr;
    mac.auc /= kr;
    return ev;
}

/// Per-instrument thresholds maximising the positive-class F1 on (validation!) data, see
/// metrics::best_f1_threshold; 0.5 for an instrument without an observed positive.
inline std::vector<float> tune_thresholds(TensorView<const float> pred, TensorView<const float> y_true,
                                          TensorView<const float> mask) {
    detail::check_eval_shapes("tune_thresholds", pred, y_true, mask, static_cast<std::size_t>(pred.dim(1)));
    std::vector<float> out;
    std::vector<float> scores;
    std::vector<unsigned char> labels;
    for (Index c = 0; c < pred.dim(1); ++c) {
        detail::observed_column(pred, y_true, mask, c, scores, labels);
        const auto choice = metrics::best_f1_threshold(scores, labels, 0.5);
        // A float threshold must split the scores exactly as the double one does; if rounding
        // moved it onto a lower score, fall back to the winning score itself.
        float t = static_cast<float>(choice.threshold);
        bool same_split = true;
        float winning = t;
        bool have_winning = false;
        for (float s : scores) {
            same_split = same_split && ((double(s) >= choice.threshold) == (s >= t));
            if (double(s) >= choice.threshold && (!have_winning || s < winning)) {
                winning = s;
                have_winning = true;
            }
        }
        if (!same_split && have_winning) t = winning;
        out.push_back(t);
    }
    return out;
}

/// Precision-recall curve of every instrument on its observed labels (for plots).
inline std::vector<metrics::PrecisionRecallCurve> precision_recall_curves(TensorView<const float> pred,
                                                                          TensorView<const float> y_true,
                                                                          TensorView<const float> mask) {
    detail::check_eval_shapes("precision_recall_curves", pred, y_true, mask, static_cast<std::size_t>(pred.dim(1)));
    std::vector<metrics::PrecisionRecallCurve> out;
    std::vector<float> scores;
    std::vector<unsigned char> labels;
    for (Index c = 0; c < pred.dim(1); ++c) {
        detail::observed_column(pred, y_true, mask, c, scores, labels);
        out.push_back(metrics::precision_recall_curve(scores, labels));
    }
    return out;
}

}  // namespace polytag::openmic
