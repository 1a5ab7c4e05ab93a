#pragma once
// Dropout<T>(p, seed): inverted dropout. In Mode::Train each element is kept with
// probability 1 - p and scaled by 1 / (1 - p), so Mode::Eval is the identity and needs no
// rescaling. The mask comes from the layer's own polytag::Rng, so a run is reproducible
// from its seed; init(rng) reseeds it from the network's generator (mixed with the
// constructor's seed, so two Dropout layers of one network draw different masks).
#include <cstdint>
#include <string>

#include "polytag/nn/layer.hpp"

namespace polytag {

template <typename T>
class Dropout {
public:
    using Scalar = T;

    explicit Dropout(double p = 0.5, std::uint64_t seed = 0) : p_(p), seed_(seed), rng_(seed) {
        if (!(p >= 0.0 && p < 1.0))
            throw ValueError("polytag::Dropout: p must be in [0, 1), got " + std::to_string(p));
    }

    double p() const { return p_; }

    Shape output_shape(const Shape& in) const { return in; }
    void parameters(ParameterList<T>&, const std::string&) {}

    /// Reseeds the mask generator from the network's generator (one draw from `rng`).
    void init(Rng& rng) { rng_.reseed(seed_ ^ rng.next()); }
    /// Restarts the mask sequence: the next Train forwards draw the same masks again.
    void reseed(std::uint64_t seed) { rng_.reseed(seed); }

    TensorView<const T> forward(TensorView<const T> x, Mode mode) {
        train_ = mode == Mode::Train && p_ > 0.0;
        y_.resize(x.shape());
        if (!train_) {
            y_.array() = x.array();
            return y_;
        }
        mask_.resize(x.shape());
        // Keep when a 53-bit uniform integer is >= p * 2^53: exactly P(keep) = 1 - p.
        const std::uint64_t threshold = std::uint64_t(p_ * 0x1.0p53);
        const T scale = T(1.0 / (1.0 - p_));
        T* m = mask_.data();
        for (Index i = 0, n = mask_.size(); i < n; ++i) m[i] = (rng_.next() >> 11) >= threshold ? scale : T(0);
        y_.array() = x.array() * mask_.array();
        return y_;
    }

    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        if (dy.shape() != y_.shape())
            throw ShapeError("polytag::Dropout::backward: dy " + dy.shape().str() + " vs output " +
                             y_.shape().str());
        if (!need_dx) return {};
        dx_.resize(dy.shape());
        if (train_) dx_.array() = dy.array() * mask_.array();
        else dx_.array() = dy.array();
        return dx_;
    }

    /// The last Train mask: 0 for dropped elements, 1 / (1 - p) for kept ones.
    const Tensor<T>& mask() const { return mask_; }

private:
    double p_;
    std::uint64_t seed_;
    Rng rng_;
    bool train_ = false;
    Tensor<T> y_, dx_, mask_;
};

}  // namespace polytag
