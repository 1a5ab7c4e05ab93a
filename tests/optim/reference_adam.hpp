#pragma once
// Textbook Adam (Kingma & Ba, with torch's eps placement) for one scalar parameter, in double,
// written independently of the library's arrangement of the same arithmetic.
#include <cmath>

namespace polytag::test {

struct ReferenceAdam {
    double lr, b1, b2, eps, wd;
    bool decoupled;
    double m = 0, v = 0;
    int t = 0;
    double step(double p, double g) {
        ++t;
        if (decoupled) p *= 1 - lr * wd;
        else g += wd * p;
        m = b1 * m + (1 - b1) * g;
        v = b2 * v + (1 - b2) * g * g;
        const double m_hat = m / (1 - std::pow(b1, t));
        const double v_hat = v / (1 - std::pow(b2, t));
        return p - lr * m_hat / (std::sqrt(v_hat) + eps);
    }
};

}  // namespace polytag::test
