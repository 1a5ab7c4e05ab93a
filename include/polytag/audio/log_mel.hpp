#pragma once
// Log-mel frames of a 16 kHz mono stream, as the release's mel_features.log_mel_spectrogram
// computes them: 400-sample frames every 160 samples (complete frames only), periodic Hann
// window, |rfft| of length 512, times the 257 x 64 HTK mel matrix, log(mel + 0.01).
//
//   polytag::audio::LogMelFramer framer;
//   framer.push(wave16k, n, [&](Index first_frame, const float* rows, Index count) {
//       // rows: count x 64, row-major; frame k starts at k * 10 ms
//   });
//   Tensor<float> lm = polytag::audio::log_mel_spectrogram(wave16k, n);   // (frames, 64)
//
// Computed in float: the FFT is Eigen's (kissfft), the mel product one GEMM per block of
// up to 32 frames. Buffers are sized at construction; push() allocates nothing (the FFT
// plan is built in the constructor).
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <vector>

#include <Eigen/Core>
#include <unsupported/Eigen/FFT>

#include "polytag/audio/mel_filterbank.hpp"
#include "polytag/audio/noinline.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag::audio {

/// Number of complete log-mel frames in `samples` 16 kHz samples (mel_features.frame).
inline Index log_mel_frame_count(Index samples) {
    using namespace vggish_input;
    return samples >= kWindowSamples ? 1 + (samples - kWindowSamples) / kHopSamples : 0;
}

/// Start time in seconds of log-mel frame `k` (frame k covers samples [160k, 160k + 400)).
inline double frame_start_seconds(Index k) { return double(k) * vggish_input::kFrameHopSeconds; }

/// Streaming log-mel: push 16 kHz samples in chunks of any size; complete frames come out
/// through the sink in order, numbered from 0 since construction (or reset()).
class LogMelFramer {
public:
    static constexpr Index kBlockFrames = 32;  ///< frames per FFT + GEMM block
    static constexpr Index kBands = vggish_input::kMelBands;

    LogMelFramer() {
        using namespace vggish_input;
        window_ = periodic_hann(kWindowSamples).cast<float>();
        mel_ = vggish_mel_weight_matrix().cast<float>();
        buffer_.resize(static_cast<std::size_t>(kBlockFrames * kHopSamples + kWindowSamples));
        fft_in_.setZero(kFftLength);
        spectrum_.resize(static_cast<std::size_t>(kSpectrumBins));
        magnitudes_.setZero(kBlockFrames, kSpectrumBins);
        mel_out_.setZero(kBlockFrames, kBands);
        fft_.SetFlag(Eigen::FFT<float>::HalfSpectrum);
        fft_.fwd(spectrum_.data(), fft_in_.data(), kFftLength);  // builds and caches the plan
    }

    /// Feeds `n` samples; calls sink(Index first_frame, const float* rows, Index count) for
    /// each block of newly complete frames (rows: count x 64, row-major, valid during the call).
    template <typename Sink>
    void push(const float* x, Index n, Sink&& sink) {
        const Index capacity = static_cast<Index>(buffer_.size());
        samples_pushed_ += n;
        for (Index done = 0; done < n;) {
            const Index m = std::min(n - done, capacity - held_);
            std::memcpy(buffer_.data() + held_, x + done, sizeof(float) * static_cast<std::size_t>(m));
            held_ += m;
            done += m;
            const Index complete = log_mel_frame_count(held_);
            for (Index f = 0; f < complete; f += kBlockFrames) emit_block(f, std::min(kBlockFrames, complete - f), sink);
            const Index consumed = complete * vggish_input::kHopSamples;
            if (consumed > 0) {
                std::memmove(buffer_.data(), buffer_.data() + consumed,
                             sizeof(float) * static_cast<std::size_t>(held_ - consumed));
                held_ -= consumed;
            }
        }
    }

    Index frames_emitted() const { return frames_emitted_; }
    Index samples_pushed() const { return samples_pushed_; }
    void reset() { held_ = frames_emitted_ = samples_pushed_ = 0; }

private:
    template <typename Sink>
    void emit_block(Index first_in_buffer, Index count, Sink&& sink) {
        compute_block(first_in_buffer, count);
        sink(frames_emitted_, static_cast<const float*>(mel_out_.data()), count);
        frames_emitted_ += count;
    }

    // Out of line, so that every Sink instantiation runs the same code (noinline.hpp).
    POLYTAG_AUDIO_NOINLINE void compute_block(Index first_in_buffer, Index count) {
        using namespace vggish_input;
        for (Index r = 0; r < count; ++r) {
            const float* frame = buffer_.data() + (first_in_buffer + r) * kHopSamples;
            fft_in_.head(kWindowSamples) = Eigen::Map<const Eigen::VectorXf>(frame, kWindowSamples).cwiseProduct(window_);
            fft_.fwd(spectrum_.data(), fft_in_.data(), kFftLength);
            // sqrt(re^2 + im^2), not std::abs (hypot guards against overflow at ~10x the
            // cost, and these magnitudes are far from float's range limits).
            const float* c = reinterpret_cast<const float*>(spectrum_.data());
            float* mag = magnitudes_.row(r).data();
            for (Index b = 0; b < kSpectrumBins; ++b) mag[b] = std::sqrt(c[2 * b] * c[2 * b] + c[2 * b + 1] * c[2 * b + 1]);
        }
        auto mel = mel_out_.topRows(count);
        mel.noalias() = magnitudes_.topRows(count) * mel_;
        mel = (mel.array() + static_cast<float>(kLogOffset)).log();
    }

    using RowMajorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::VectorXf window_;
    RowMajorMatrix mel_;          // 257 x 64
    std::vector<float> buffer_;   // samples not yet consumed by a complete frame
    Index held_ = 0;
    Eigen::VectorXf fft_in_;      // windowed frame, zero-padded to 512
    std::vector<std::complex<float>> spectrum_;
    RowMajorMatrix magnitudes_;   // block x 257
    RowMajorMatrix mel_out_;      // block x 64
    Eigen::FFT<float> fft_;
    Index frames_emitted_ = 0, samples_pushed_ = 0;
};

/// Log-mel of a whole 16 kHz waveform: (frames, 64), frames = log_mel_frame_count(n).
inline Tensor<float> log_mel_spectrogram(const float* wave16k, Index n) {
    Tensor<float> out(Shape{log_mel_frame_count(n), vggish_input::kMelBands});
    LogMelFramer framer;
    framer.push(wave16k, n, [&](Index first, const float* rows, Index count) {
        std::memcpy(out.data() + first * vggish_input::kMelBands, rows,
                    sizeof(float) * static_cast<std::size_t>(count * vggish_input::kMelBands));
    });
    return out;
}

}  // namespace polytag::audio
