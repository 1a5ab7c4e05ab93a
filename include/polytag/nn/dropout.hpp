#pragma once
// Dropout<T>(p, seed): inverted dropout. In Mode::Train each element is kept with
// probability 1 - p and scaled by 1 / (1 - p), so Mode::Eval is the identity and needs no
// rescaling. The mask comes from the layer's own polytag::Rng, so a run is reproducible
// from its seed; init(rng) reseeds it from the network's generator (mixed with the
// constructor's seed, so two Dropout layers of one network draw different masks).
// In Mode::Eval (or with p == 0) forward returns x itself and backward returns dy itself:
// no copy. Each 64-bit draw decides two elements (32 bits each).
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
    /// The constructor's seed (mixed into every reseed from a network's generator).
    std::uint64_t seed() const { return seed_; }

    Shape output_shape(const Shape& in) const { return in; }
    void parameters(ParameterList<T>&, const std::string&) {}

    /// Reseeds the mask generator from the network's generator (one draw from `rng`).
    void init(Rng& rng) { rng_.reseed(seed_ ^ rng.next()); }
    /// Restarts the mask sequence: the next Train forwards draw the same masks again.
    void reseed(std::uint64_t seed) { rng_.reseed(seed); }

    TensorView<const T> forward(TensorView<const T> x, Mode mode) {
        train_ = mode == Mode::Train && p_ > 0.0;
        out_shape_ = x.shape();
        if (!train_) return x;  // the identity: the caller's view, no copy
        y_.resize(x.shape());
        mask_.resize(x.shape());
        // Keep when a 32-bit uniform integer is >= p * 2^32: P(keep) = 1 - p within 2^-32.
        // Each 64-bit draw gives two such integers.
        const std::uint64_t threshold = std::uint64_t(p_ * 0x1.0p32);
        const T scale = T(1.0 / (1.0 - p_));
        T* m = mask_.data();
        const Index n = mask_.size();
        Index i = 0;
        for (; i + 1 < n; i += 2) {
            const std::uint64_t r = rng_.next();
            m[i] = (r & 0xffffffffu) >= threshold ? scale : T(0);
            m[i + 1] = (r >> 32) >= threshold ? scale : T(0);
        }
        if (i < n) m[i] = (rng_.next() & 0xffffffffu) >= threshold ? scale : T(0);
        y_.array() = x.array() * mask_.array();
        return y_;
    }

    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        if (dy.shape() != out_shape_)
            throw ShapeError("polytag::Dropout::backward: dy " + dy.shape().str() + " vs output " +
                             out_shape_.str());
        if (!need_dx) return {};
        if (!train_) return dy;  // the identity: the caller's view, no copy
        dx_.resize(dy.shape());
        dx_.array() = dy.array() * mask_.array();
        return dx_;
    }

    /// The last Train mask: 0 for dropped elements, 1 / (1 - p) for kept ones.
    const Tensor<T>& mask() const { return mask_; }

private:
    double p_;
    std::uint64_t seed_;
    Rng rng_;
    bool train_ = false;
    Shape out_shape_;  // of the last forward (y_ is not used in Eval)
    Tensor<T> y_, dx_, mask_;
};

}  // namespace polytag
