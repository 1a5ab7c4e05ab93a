#pragma once
// The pieces of VGGish's log-mel front end that are fixed tables: the analysis window and
// the mel weight matrix, built as the release's mel_features.py builds them, plus the
// VGGish input constants (vggish_params.py).
//
//   Eigen::MatrixXd W = polytag::audio::mel_weight_matrix(64, 257, 16000, 125, 7500);
//   // log_mel_row = log(|rfft(frame * periodic_hann(400), 512)| * W + 0.01)
#include <algorithm>
#include <cmath>
#include <string>

#include <Eigen/Core>

#include "polytag/error.hpp"
#include "polytag/tensor/shape.hpp"

namespace polytag::audio {

/// VGGish input constants (openmic/vggish/params.py).
namespace vggish_input {
constexpr int kSampleRate = 16000;
constexpr Index kWindowSamples = 400;  ///< 25 ms at 16 kHz
constexpr Index kHopSamples = 160;     ///< 10 ms
constexpr Index kFftLength = 512;      ///< next power of two >= kWindowSamples
constexpr Index kSpectrumBins = kFftLength / 2 + 1;
constexpr Index kMelBands = 64;
constexpr double kMelLowHz = 125.0;
constexpr double kMelHighHz = 7500.0;
constexpr double kLogOffset = 0.01;
constexpr Index kPatchFrames = 96;  ///< 0.96 s of 10 ms frames per example, hop 96 too
constexpr double kFrameHopSeconds = 0.010;
}  // namespace vggish_input

/// HTK mel: 1127 ln(1 + f / 700).
inline double hertz_to_mel(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }

/// "Periodic" Hann window of `length` points: one full cosine period of length `length`
/// (0.5 - 0.5 cos(2 pi n / length)), not numpy's symmetric hanning.
inline Eigen::VectorXd periodic_hann(Index length) {
    if (length <= 0) throw ValueError("periodic_hann: length must be positive, got " + std::to_string(length));
    Eigen::VectorXd w(length);
    for (Index n = 0; n < length; ++n) w[n] = 0.5 - 0.5 * std::cos(2.0 * M_PI * double(n) / double(length));
    return w;
}

/// The (num_spectrum_bins x num_bands) matrix that maps a magnitude spectrum row to mel
/// bands, as mel_features.spectrogram_to_mel_matrix builds it: bins spaced linearly from 0
/// to Nyquist, num_bands + 2 band edges spaced linearly in HTK mel between the edge
/// frequencies, triangles linear in mel, and the DC bin's row zeroed (HTK excludes it).
inline Eigen::MatrixXd mel_weight_matrix(Index num_bands, Index num_spectrum_bins, double sample_rate,
                                         double lower_edge_hz, double upper_edge_hz) {
    if (num_bands <= 0 || num_spectrum_bins < 2)
        throw ValueError("mel_weight_matrix: need bands > 0 and spectrum bins >= 2, got " + std::to_string(num_bands) +
                         " and " + std::to_string(num_spectrum_bins));
    if (!(lower_edge_hz >= 0.0) || !(lower_edge_hz < upper_edge_hz))
        throw ValueError("mel_weight_matrix: lower edge " + std::to_string(lower_edge_hz) +
                         " Hz must be >= 0 and below the upper edge " + std::to_string(upper_edge_hz) + " Hz");
    if (upper_edge_hz > sample_rate / 2.0)
        throw ValueError("mel_weight_matrix: upper edge " + std::to_string(upper_edge_hz) +
                         " Hz is above the Nyquist frequency " + std::to_string(sample_rate / 2.0) + " Hz");
    const double nyquist = sample_rate / 2.0;
    const double low_mel = hertz_to_mel(lower_edge_hz), high_mel = hertz_to_mel(upper_edge_hz);
    Eigen::MatrixXd w(num_spectrum_bins, num_bands);
    for (Index b = 0; b < num_spectrum_bins; ++b) {
        // np.linspace(0, nyquist, bins): b * step, the last point exactly nyquist.
        const double bin_step = nyquist / double(num_spectrum_bins - 1);
        const double hz = b + 1 == num_spectrum_bins ? nyquist : double(b) * bin_step;
        const double mel = hertz_to_mel(hz);
        for (Index i = 0; i < num_bands; ++i) {
            const double step = (high_mel - low_mel) / double(num_bands + 1);
            const double lo = low_mel + step * double(i);
            const double centre = low_mel + step * double(i + 1);
            const double hi = i + 2 == num_bands + 1 ? high_mel : low_mel + step * double(i + 2);
            const double rising = (mel - lo) / (centre - lo);
            const double falling = (hi - mel) / (hi - centre);
            w(b, i) = std::max(0.0, std::min(rising, falling));
        }
    }
    w.row(0).setZero();
    return w;
}

/// The VGGish mel matrix: 64 bands, 257 bins of a 512-point FFT at 16 kHz, 125-7500 Hz.
inline Eigen::MatrixXd vggish_mel_weight_matrix() {
    using namespace vggish_input;
    return mel_weight_matrix(kMelBands, kSpectrumBins, kSampleRate, kMelLowHz, kMelHighHz);
}

}  // namespace polytag::audio
