#pragma once
// EarlyStopping: tracks a validation metric epoch by epoch - the best value, its epoch, and
// whether `patience` epochs have passed without improvement (patience 0: never stop early).
// An epoch improves when its value beats the best by more than min_delta (lower is better
// unless higher_is_better); the first non-NaN value always does. A NaN never improves.
// WeightSnapshot<T>: a copy of every parameter value, allocated once, to keep the best
// weights while training goes on and restore them at the end.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/nn/layer.hpp"

namespace polytag {

class EarlyStopping {
public:
    explicit EarlyStopping(int patience = 0, bool higher_is_better = false, double min_delta = 0)
        : patience_(patience), higher_(higher_is_better), min_delta_(min_delta) {
        if (patience < 0) throw ValueError("polytag::EarlyStopping: patience must be >= 0, got " + std::to_string(patience));
        if (!(min_delta >= 0)) throw ValueError("polytag::EarlyStopping: min_delta must be >= 0");
        best_ = higher_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    }

    /// Records the metric of `epoch`; returns true when it is the new best.
    bool update(int epoch, double metric) {
        const bool better = higher_ ? metric > best_ + min_delta_ : metric < best_ - min_delta_;
        if (!std::isnan(metric) && (best_epoch_ == 0 || better)) {
            best_ = metric;
            best_epoch_ = epoch;
            since_best_ = 0;
            return true;
        }
        ++since_best_;
        return false;
    }
    /// True once `patience` epochs in a row did not improve.
    bool should_stop() const { return patience_ > 0 && since_best_ >= patience_; }

    double best() const { return best_; }
    int best_epoch() const { return best_epoch_; }  ///< 0 before any improvement
    int epochs_since_best() const { return since_best_; }
    bool higher_is_better() const { return higher_; }

private:
    int patience_;
    bool higher_;
    double min_delta_;
    double best_;
    int best_epoch_ = 0;
    int since_best_ = 0;
};

template <typename T>
class WeightSnapshot {
public:
    explicit WeightSnapshot(const ParameterList<T>& params) {
        for (const auto& p : params) values_.push_back(Tensor<T>::copy_of(p.value));
    }
    /// Copies the current values in (no allocation).
    void take(const ParameterList<T>& params) {
        check(params);
        for (std::size_t i = 0; i < params.size(); ++i) std::copy(params[i].value.begin(), params[i].value.end(), values_[i].begin());
    }
    /// Copies the snapshot back into the parameters.
    void restore(const ParameterList<T>& params) const {
        check(params);
        for (std::size_t i = 0; i < params.size(); ++i) std::copy(values_[i].begin(), values_[i].end(), params[i].value.begin());
    }
    const std::vector<Tensor<T>>& values() const { return values_; }

private:
    void check(const ParameterList<T>& params) const {
        if (params.size() != values_.size())
            throw ShapeError("polytag::WeightSnapshot: " + std::to_string(params.size()) + " parameters, the snapshot has " +
                             std::to_string(values_.size()));
        for (std::size_t i = 0; i < params.size(); ++i)
            if (params[i].value.shape() != values_[i].shape())
                throw ShapeError("polytag::WeightSnapshot: parameter '" + params[i].name + "' is " +
                                 params[i].value.shape().str() + ", the snapshot holds " + values_[i].shape().str());
    }
    std::vector<Tensor<T>> values_;
};

}  // namespace polytag
