#pragma once
// Central-difference gradient check for the masked losses (loss/): perturbs every prediction
// element, masked or not, and compares (L(p + h) - L(p - h)) / 2h with loss.backward().
#include <string>

#include "support/gradcheck.hpp"

namespace polytag::test {

template <typename Loss>
GradCheckResult loss_gradcheck(Loss& loss, Tensor<double>& pred, const Tensor<double>& target,
                               const Tensor<double>& mask, double h = 1e-6) {
    loss.forward(pred, target, mask);
    Tensor<double> analytic = Tensor<double>::copy_of(loss.backward());
    GradCheckResult res;
    const Index tasks = pred.shape().cols();
    for (Index i = 0; i < pred.size(); ++i) {
        const double keep = pred[i];
        pred[i] = keep + h;
        const double lp = loss.forward(pred, target, mask);
        pred[i] = keep - h;
        const double lm = loss.forward(pred, target, mask);
        pred[i] = keep;
        res.update(rel_error(analytic[i], (lp - lm) / (2 * h)),
                   "pred(" + std::to_string(i / tasks) + ", " + std::to_string(i % tasks) + ")");
    }
    return res;
}

}  // namespace polytag::test
