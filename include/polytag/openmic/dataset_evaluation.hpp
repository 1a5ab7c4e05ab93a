#pragma once
// Evaluating predictions for rows of a Dataset: the labels and mask of those rows gathered
// once (labels_of), the report (evaluate), and the pooled masked MSE over every observed label
// (observed_mse: the training's early-stopping criterion).
#include <string>
#include <vector>

#include "polytag/openmic/dataset.hpp"
#include "polytag/openmic/instrument_metrics.hpp"

namespace polytag::openmic {

/// The relevance targets and mask of `rows` of `d`, in that order: (rows, classes) each.
struct RowLabels {
    Tensor<float> y, mask;
};

/// Throws ValueError for a row outside the dataset.
inline RowLabels labels_of(const Dataset& d, const std::vector<Index>& rows) {
    const Index c = d.classes();
    RowLabels out{Tensor<float>(Shape{static_cast<Index>(rows.size()), c}),
                  Tensor<float>(Shape{static_cast<Index>(rows.size()), c})};
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Index r = rows[i];
        if (r < 0 || r >= d.size())
            throw ValueError("polytag::openmic::labels_of: row " + std::to_string(r) + " outside [0, " +
                             std::to_string(d.size()) + ")");
        for (Index j = 0; j < c; ++j) {
            out.y[static_cast<Index>(i) * c + j] = d.y_true()[r * c + j];
            out.mask[static_cast<Index>(i) * c + j] = d.mask()[r * c + j];
        }
    }
    return out;
}

/// The report for `pred` (rows.size(), C), predictions for `rows` of `d` in that order.
inline Evaluation evaluate(TensorView<const float> pred, const Dataset& d, const std::vector<Index>& rows,
                           const std::vector<float>* thresholds = nullptr) {
    const RowLabels l = labels_of(d, rows);
    return evaluate(pred, l.y, l.mask, d.class_names(), thresholds);
}

/// Masked MSE pooled over every observed label of (pred, y, mask), all (N, C): the sum of
/// squared errors over the entries with mask != 0, in double and row-major order, divided by
/// their count; 0 with no observed label. The early-stopping criterion of train() (fit's
/// metric over the validation rows' gathered targets and mask).
inline double observed_mse(TensorView<const float> pred, TensorView<const float> y, TensorView<const float> mask) {
    if (pred.rank() != 2 || y.shape() != pred.shape() || mask.shape() != pred.shape())
        throw ShapeError("polytag::openmic::observed_mse: pred " + pred.shape().str() + ", targets " + y.shape().str() +
                         ", mask " + mask.shape().str());
    double sum = 0;
    Index n = 0;
    for (Index i = 0; i < pred.size(); ++i) {
        if (mask[i] == 0.0f) continue;
        const double e = double(pred[i]) - double(y[i]);
        sum += e * e;
        ++n;
    }
    return n ? sum / double(n) : 0.0;
}

/// Masked MSE pooled over every observed label of `rows` (not a mean over instruments):
/// sum of squared errors / number of observed labels, in double; 0 with no observed label.
inline double observed_mse(TensorView<const float> pred, const Dataset& d, const std::vector<Index>& rows) {
    const Index c = d.classes();
    if (pred.rank() != 2 || pred.dim(0) != static_cast<Index>(rows.size()) || pred.dim(1) != c)
        throw ShapeError("polytag::openmic::observed_mse: pred " + pred.shape().str() + " for " +
                         std::to_string(rows.size()) + " rows and " + std::to_string(c) + " classes");
    double sum = 0;
    Index n = 0;
    for (std::size_t i = 0; i < rows.size(); ++i)
        for (Index k = 0; k < c; ++k) {
            const Index r = rows[i];
            if (d.mask()[r * c + k] == 0.0f) continue;
            const double e = double(pred[Index(i) * c + k]) - double(d.y_true()[r * c + k]);
            sum += e * e;
            ++n;
        }
    return n ? sum / double(n) : 0.0;
}

}  // namespace polytag::openmic
