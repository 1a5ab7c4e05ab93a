#pragma once
// Helpers shared by the audio tests: the committed fixtures and their numpy reference,
// temporary audio files written with libsndfile, and error statistics.
#include <sndfile.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "polytag/io/npz.hpp"
#include "support/shared_data.hpp"

namespace polytag::test::audio {

inline std::string audio_fixture(const std::string& name) { return fixture("audio/" + name); }

/// tests/data/audio/reference.npz, written by make_audio_fixtures.py.
inline const io::NpzReader& reference() {
    static const io::NpzReader npz(audio_fixture("reference.npz"));
    return npz;
}

/// A path in this process's temporary directory, which is removed with its contents at exit.
inline std::string temp_path(const std::string& name) {
    struct TempDir {
        std::filesystem::path dir;
        TempDir() : dir(std::filesystem::temp_directory_path() / ("polytag-audio-test-" + std::to_string(::getpid()))) {
            std::filesystem::create_directories(dir);
        }
        ~TempDir() {
            std::error_code ignored;
            std::filesystem::remove_all(dir, ignored);
        }
    };
    static const TempDir temp;
    return (temp.dir / name).string();
}

/// Writes interleaved float samples as a 16-bit PCM WAV (or another libsndfile format).
inline void write_audio(const std::string& path, const std::vector<float>& interleaved, int channels, int rate,
                        int format = SF_FORMAT_WAV | SF_FORMAT_PCM_16) {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = channels;
    info.format = format;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!f) throw std::runtime_error("cannot write " + path + ": " + sf_strerror(nullptr));
    sf_writef_float(f, interleaved.data(), static_cast<sf_count_t>(interleaved.size() / channels));
    sf_close(f);
}

struct ErrorStats {
    double max_abs = 0, mean_abs = 0, p99_abs = 0;
};

inline ErrorStats error_stats(const float* a, const double* b, std::size_t n) {
    std::vector<double> d(n);
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        d[i] = std::abs(double(a[i]) - b[i]);
        sum += d[i];
    }
    ErrorStats s;
    if (n == 0) return s;
    s.mean_abs = sum / double(n);
    s.max_abs = *std::max_element(d.begin(), d.end());
    std::sort(d.begin(), d.end());
    // numpy's default percentile: linear interpolation between closest ranks.
    const double pos = 0.99 * double(n - 1);
    const std::size_t lo = static_cast<std::size_t>(pos);
    const std::size_t hi = std::min(lo + 1, n - 1);
    s.p99_abs = d[lo] + (pos - double(lo)) * (d[hi] - d[lo]);
    return s;
}

template <typename A, typename B>
ErrorStats error_stats(const A& ours, const B& reference_double) {
    return error_stats(ours.data(), reference_double.data(), static_cast<std::size_t>(reference_double.size()));
}

}  // namespace polytag::test::audio
