#pragma once
// Streaming resampling of mono float audio to another rate, in bounded memory.
//
//   polytag::audio::StreamingResampler rs(44100, 16000);            // resampy parity
//   rs.push(chunk, n, [&](const float* y, Index m) { ... });        // any chunk sizes
//   rs.finish([&](const float* y, Index m) { ... });                // the tail
//
// Two methods:
//  * ResamplerKind::KaiserBest (default) computes what resampy.resample(x, sr, 16000) does
//    with its default filter 'kaiser_best' (resampy 0.4: a windowed sinc with 50 zero
//    crossings, 8192 table entries per crossing, Kaiser beta 12.9846, roll-off 0.917347 of
//    the lower Nyquist, linearly interpolated between table entries, zero outside the
//    signal, output length int(n * sr_new / sr_orig)). The OpenMIC release resampled with
//    it, and its roll-off visibly shapes the top mel band (7-7.5 kHz), which is why polytag
//    does not use a generic resampler by default (docs/audio.md has the figures). The
//    per-phase FIR weights are tabulated once (sr_out / gcd phases), so each output sample
//    is one contiguous dot product.
//  * ResamplerKind::Soxr: libsoxr's streaming resampler, SOXR_VHQ recipe. Faster for odd
//    rate pairs and of higher fidelity in the abstract, but ~0.3 off the release in the top
//    mel band.
// Equal rates pass samples through unchanged (resampy returns a copy).
#include <soxr.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "polytag/audio/noinline.hpp"
#include "polytag/error.hpp"
#include "polytag/tensor/shape.hpp"

namespace polytag::audio {

enum class ResamplerKind { KaiserBest, Soxr };

inline const char* to_string(ResamplerKind k) { return k == ResamplerKind::Soxr ? "soxr-vhq" : "kaiser-best"; }

/// Samples out of `input_samples` at `in_rate` resampled to `out_rate`, as resampy counts
/// them: int(n * out / in) in double precision.
inline Index resampled_length(Index input_samples, int in_rate, int out_rate) {
    if (in_rate == out_rate) return input_samples;
    return static_cast<Index>(static_cast<double>(input_samples) * static_cast<double>(out_rate) /
                              static_cast<double>(in_rate));
}

namespace detail {

/// Dot product in a fixed summation order (16 lanes, then a fixed tree), whatever the
/// pointers' alignment: Eigen's dynamic-size dot peels to the first aligned element, so
/// its rounding would depend on where the heap put the buffers, and two runs over the same
/// file could differ in the last bit.
inline float dot_fixed_order(const float* a, const float* b, Index n) {
    using Lanes = Eigen::Array<float, 16, 1>;
    Lanes acc = Lanes::Zero();
    Index i = 0;
    for (; i + 16 <= n; i += 16) acc += Eigen::Map<const Lanes>(a + i) * Eigen::Map<const Lanes>(b + i);
    float tail = 0.0f;
    for (; i < n; ++i) tail += a[i] * b[i];
    return acc.sum() + tail;
}

/// resampy 0.4's 'kaiser_best' filter: right half of a Kaiser-windowed sinc.
struct KaiserBestFilter {
    static constexpr int kZeroCrossings = 50;
    static constexpr int kTablePerCrossing = 8192;
    static constexpr double kBeta = 12.9846;
    static constexpr double kRolloff = 0.917347;
    static constexpr Index kLength = Index(kZeroCrossings) * kTablePerCrossing + 1;

    /// I0 by its power series; converges in ~40 terms for x <= 13.
    static double bessel_i0(double x) {
        const double q = 0.25 * x * x;
        double term = 1.0, sum = 1.0;
        for (int k = 1; k < 200 && term > 1e-17 * sum; ++k) {
            term *= q / (double(k) * double(k));
            sum += term;
        }
        return sum;
    }

    /// The table, built once per process (3.3 MB of double).
    static const std::vector<double>& half_window() {
        static const std::vector<double> table = [] {
            std::vector<double> w(static_cast<std::size_t>(kLength));
            const double n = double(kLength - 1);
            const double i0_beta = bessel_i0(kBeta);
            for (Index j = 0; j < kLength; ++j) {
                const double x = kRolloff * double(j) / kTablePerCrossing;  // in zero crossings
                const double sinc = j == 0 ? 1.0 : std::sin(M_PI * x) / (M_PI * x);
                const double r = double(j) / n;
                const double taper = bessel_i0(kBeta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0_beta;
                w[static_cast<std::size_t>(j)] = kRolloff * sinc * taper;
            }
            return w;
        }();
        return table;
    }
};

/// resampy's interpolation loop rearranged: for a fixed rate pair, the weights of output
/// sample t depend only on t's phase (t mod phases), so they are tabulated as one FIR
/// over x[n - left + 1 .. n + right], n = floor(t * in / out).
class KaiserBestKernel {
public:
    KaiserBestKernel(int in_rate, int out_rate) : in_rate_(in_rate), out_rate_(out_rate) {
        const int g = std::gcd(in_rate, out_rate);
        phases_ = out_rate / g;
        const double ratio = double(out_rate) / double(in_rate);
        scale_ = std::min(1.0, ratio);
        window_gain_ = ratio < 1.0 ? ratio : 1.0;  // resampy scales the window when downsampling
        step_ = static_cast<Index>(scale_ * KaiserBestFilter::kTablePerCrossing);
        wing_ = KaiserBestFilter::kLength / step_;
        taps_ = 2 * wing_;
        // Tabulate when the table stays under 16 MB; otherwise weigh each sample on the fly.
        if (Index(phases_) * taps_ <= (Index(1) << 22)) {
            table_.resize(static_cast<std::size_t>(Index(phases_) * taps_));
            for (int p = 0; p < phases_; ++p) weights_for_phase(p, table_.data() + Index(p) * taps_);
        } else {
            scratch_.resize(static_cast<std::size_t>(taps_));
        }
    }

    Index left() const { return wing_; }   ///< samples at and before n
    Index right() const { return wing_; }  ///< samples after n
    Index taps() const { return taps_; }
    int phases() const { return phases_; }

    /// Input index n of output sample t: floor(t * in / out).
    Index centre(Index t) const {
        return static_cast<Index>((std::int64_t(t) * in_rate_) / out_rate_);
    }
    /// One output sample from x[centre - left + 1 .. centre + right] (pointer to the first).
    float apply(Index t, const float* x) {
        const int p = static_cast<int>(t % phases_);
        const float* w;
        if (!table_.empty()) {
            w = table_.data() + Index(p) * taps_;
        } else {
            weights_for_phase(p, scratch_.data());
            w = scratch_.data();
        }
        return dot_fixed_order(w, x, taps_);
    }

private:
    // FIR index j <-> sample x[n - left + 1 + j]: left tap i is j = left - 1 - i, right tap
    // k is j = left + k. Taps beyond resampy's per-phase count stay zero.
    void weights_for_phase(int p, float* w) const {
        const auto& win = KaiserBestFilter::half_window();
        const Index nwin = KaiserBestFilter::kLength;
        const double table = KaiserBestFilter::kTablePerCrossing;
        std::fill(w, w + taps_, 0.0f);
        // Fractional input position of this phase: (t * in mod out) / out for t = p.
        const double frac_pos = double((std::int64_t(p) * in_rate_) % out_rate_) / double(out_rate_);
        auto wing = [&](double frac, auto&& put) {
            const double index_frac = frac * table;
            const Index offset = static_cast<Index>(index_frac);
            const double eta = index_frac - double(offset);
            const Index count = std::min(wing_, (nwin - offset) / step_);
            for (Index i = 0; i < count; ++i) {
                const Index at = offset + i * step_;
                const double delta = at + 1 < nwin ? win[std::size_t(at + 1)] - win[std::size_t(at)] : 0.0;
                put(i, window_gain_ * (win[std::size_t(at)] + eta * delta));
            }
        };
        const double frac = scale_ * frac_pos;
        wing(frac, [&](Index i, double v) { w[wing_ - 1 - i] = static_cast<float>(v); });
        wing(scale_ - frac, [&](Index k, double v) { w[wing_ + k] = static_cast<float>(v); });
    }

    int in_rate_, out_rate_;
    int phases_ = 1;
    double scale_ = 1.0, window_gain_ = 1.0;
    Index step_ = 1, wing_ = 0, taps_ = 0;
    std::vector<float> table_;
    std::vector<float> scratch_;
};

}  // namespace detail

/// Resamples a mono stream pushed in chunks of any size. Memory is bounded by the filter
/// and two fixed chunks, whatever the stream length; after the first push of a chunk no
/// further allocation happens.
class StreamingResampler {
public:
    /// Input samples processed per internal step (bounds the buffers).
    static constexpr Index kChunk = 4096;

    StreamingResampler(int in_rate, int out_rate, ResamplerKind kind = ResamplerKind::KaiserBest)
        : in_rate_(in_rate), out_rate_(out_rate), kind_(kind) {
        if (in_rate <= 0 || out_rate <= 0)
            throw ValueError("StreamingResampler: sample rates must be positive, got " + std::to_string(in_rate) +
                             " -> " + std::to_string(out_rate));
        out_.resize(static_cast<std::size_t>(kChunk));
        if (in_rate == out_rate) return;
        if (kind == ResamplerKind::KaiserBest) {
            kernel_ = std::make_unique<detail::KaiserBestKernel>(in_rate, out_rate);
            // Zero history before the first sample, as resampy's loop bounds imply.
            buffer_.reserve(static_cast<std::size_t>(2 * kChunk + kernel_->taps() + 1));
            buffer_.assign(static_cast<std::size_t>(kernel_->left()), 0.0f);
            base_ = -kernel_->left();
        } else {
            soxr_error_t err = nullptr;
            const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
            const soxr_quality_spec_t q = soxr_quality_spec(SOXR_VHQ, 0);
            soxr_ = soxr_create(in_rate, out_rate, 1, &err, &io, &q, nullptr);
            if (err || !soxr_)
                throw ValueError(std::string("StreamingResampler: soxr_create failed: ") + (err ? err : "unknown error"));
        }
    }
    StreamingResampler(const StreamingResampler&) = delete;
    StreamingResampler& operator=(const StreamingResampler&) = delete;
    ~StreamingResampler() {
        if (soxr_) soxr_delete(soxr_);
    }

    int in_rate() const { return in_rate_; }
    int out_rate() const { return out_rate_; }
    ResamplerKind kind() const { return kind_; }
    Index samples_in() const { return samples_in_; }
    Index samples_out() const { return samples_out_; }

    /// Feeds `n` samples; calls sink(const float* y, Index m) with every output block that
    /// becomes complete (blocks of at most kChunk).
    template <typename Sink>
    void push(const float* x, Index n, Sink&& sink) {
        if (finished_) throw ValueError("StreamingResampler: push after finish");
        samples_in_ += n;
        if (in_rate_ == out_rate_) {
            if (n > 0) sink(x, n);
            samples_out_ += n;
            return;
        }
        for (Index done = 0; done < n;) {
            const Index m = std::min(kChunk, n - done);
            if (kernel_) {
                buffer_.insert(buffer_.end(), x + done, x + done + m);
                produce_kaiser(false, sink);
            } else {
                produce_soxr(x + done, m, sink);
            }
            done += m;
        }
    }

    /// Ends the stream: emits the tail (the filter sees zeros after the last sample) and
    /// trims the total to resampled_length(samples_in). Call once.
    template <typename Sink>
    void finish(Sink&& sink) {
        if (finished_) return;
        finished_ = true;
        if (in_rate_ == out_rate_) return;
        total_out_ = resampled_length(samples_in_, in_rate_, out_rate_);
        if (kernel_) {
            if (total_out_ > samples_out_) {
                const Index end_needed = kernel_->centre(total_out_ - 1) + kernel_->right() + 1;
                const Index end_index = base_ + static_cast<Index>(buffer_.size());
                if (end_needed > end_index)
                    buffer_.resize(buffer_.size() + static_cast<std::size_t>(end_needed - end_index), 0.0f);
            }
            produce_kaiser(true, sink);
        } else {
            produce_soxr(nullptr, 0, sink);
            // soxr's count may differ from resampy's by a sample: pad with zeros.
            while (samples_out_ < total_out_) {
                const Index m = std::min(kChunk, total_out_ - samples_out_);
                std::fill(out_.begin(), out_.begin() + m, 0.0f);
                samples_out_ += m;
                sink(out_.data(), m);
            }
        }
    }

private:
    // Emits every output whose filter span is inside the buffer (at the end, the caller has
    // appended the zeros resampy's right-wing bound implies, and total_out_ caps the count).
    template <typename Sink>
    void produce_kaiser(bool final, Sink&& sink) {
        while (const Index m = kaiser_block(final)) sink(out_.data(), m);
        drop_consumed();
    }

    // Out of line, so that every Sink instantiation runs the same code (noinline.hpp).
    POLYTAG_AUDIO_NOINLINE Index kaiser_block(bool final) {
        const Index left = kernel_->left(), right = kernel_->right();
        const Index end_index = base_ + static_cast<Index>(buffer_.size());  // one past the last sample held
        Index filled = 0;
        while (filled < kChunk) {
            const Index t = samples_out_ + filled;
            if (final && t >= total_out_) break;
            const Index n = kernel_->centre(t);
            if (n + right >= end_index) break;
            out_[static_cast<std::size_t>(filled++)] = kernel_->apply(t, buffer_.data() + (n - left + 1 - base_));
        }
        samples_out_ += filled;
        return filled;
    }

    // Drops samples no later output needs (the next output starts at centre - left + 1).
    void drop_consumed() {
        const Index keep_from = kernel_->centre(samples_out_) - kernel_->left() + 1;
        const Index drop = std::min<Index>(keep_from - base_, static_cast<Index>(buffer_.size()));
        if (drop > 0) {
            buffer_.erase(buffer_.begin(), buffer_.begin() + drop);
            base_ += drop;
        }
    }

    template <typename Sink>
    void produce_soxr(const float* x, Index n, Sink&& sink) {
        const bool flushing = x == nullptr;
        Index consumed = 0;
        for (;;) {
            std::size_t idone = 0, odone = 0;
            soxr_error_t err = soxr_process(soxr_, flushing ? nullptr : x + consumed,
                                            static_cast<std::size_t>(n - consumed), &idone, out_.data(),
                                            static_cast<std::size_t>(kChunk), &odone);
            if (err) throw ValueError(std::string("StreamingResampler: soxr_process failed: ") + err);
            consumed += static_cast<Index>(idone);
            Index m = static_cast<Index>(odone);
            if (flushing) m = std::min(m, total_out_ - samples_out_);  // resampy's length
            if (m > 0) {
                samples_out_ += m;
                sink(out_.data(), m);
            }
            if (flushing ? (odone == 0 || samples_out_ >= total_out_) : (consumed >= n && odone < std::size_t(kChunk)))
                break;
        }
    }

    int in_rate_, out_rate_;
    ResamplerKind kind_;
    std::unique_ptr<detail::KaiserBestKernel> kernel_;
    soxr_t soxr_ = nullptr;
    std::vector<float> buffer_;  // input samples [base_, base_ + size), zeros before 0
    Index base_ = 0;
    std::vector<float> out_;
    Index samples_in_ = 0, samples_out_ = 0, total_out_ = 0;
    bool finished_ = false;
};

}  // namespace polytag::audio
