// The VGGish audio front end on one core, reported as seconds of audio per second
// (counter audio_s, so "audio_s=250/s" means 250x real time; target >= 200x):
//  * BM_FrontEndWav: decode + peak pass + resample + log-mel of a 60-s 44.1 kHz stereo
//    16-bit WAV written to /tmp at start-up (both resamplers);
//  * BM_FrontEndOgg: the same for Ogg/Vorbis: the OpenMIC clip when ../shared is present,
//    else a 60-s Vorbis file written at start-up (Vorbis decoding dominates);
//  * BM_Resample / BM_LogMel: the stages alone on in-memory signals.
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "polytag/audio/front_end.hpp"
#include "support/bench_util.hpp"

namespace {
using namespace polytag;
using namespace polytag::audio;

std::vector<float> test_signal(Index frames, int channels, int rate) {
    std::vector<float> x(static_cast<std::size_t>(frames * channels));
    std::uint32_t s = 12345;
    for (Index i = 0; i < frames; ++i) {
        const double t = double(i) / rate;
        for (int c = 0; c < channels; ++c) {
            s = s * 1664525u + 1013904223u;
            const double noise = double(int(s >> 9) - (1 << 22)) / double(1 << 23);
            x[std::size_t(i * channels + c)] =
                float(0.3 * std::sin(2 * M_PI * (200.0 + 50.0 * c) * t * (1 + t / 10)) + 0.05 * noise);
        }
    }
    return x;
}

/// Files written by synthetic_file, removed when the program ends.
struct SyntheticFiles {
    std::vector<std::string> paths;
    ~SyntheticFiles() {
        for (const auto& p : paths) std::remove(p.c_str());
    }
};
SyntheticFiles synthetic_files;

/// Writes `seconds` of the test signal once per process; returns the path.
std::string synthetic_file(const char* name, int format, double seconds) {
    const std::string path = "/tmp/polytag-bench-" + std::to_string(::getpid()) + "-" + name;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return path;
    synthetic_files.paths.push_back(path);
    SF_INFO info{};
    info.samplerate = 44100;
    info.channels = 2;
    info.format = format;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!f) return "";
    const auto x = test_signal(Index(seconds * 44100), 2, 44100);
    sf_writef_float(f, x.data(), sf_count_t(x.size() / 2));
    sf_close(f);
    return path;
}

void run_front_end(benchmark::State& state, const std::string& path, ResamplerKind kind) {
    if (path.empty()) {
        state.SkipWithError("cannot write the synthetic audio file");
        return;
    }
    FrontEndOptions options;
    options.resampler = kind;
    VggishFrontEnd front_end(options);
    PatchFramer patches;
    double seconds = 0;
    for (auto _ : state) {
        float checksum = 0;
        const FrontEndSummary s = front_end.stream_windows(path, patches, [&](Index, Index, const float* w) { checksum += w[0]; });
        benchmark::DoNotOptimize(checksum);
        seconds += double(s.input_frames) / s.info.sample_rate;
    }
    state.counters["audio_s"] = benchmark::Counter(seconds, benchmark::Counter::kIsRate);
}

void BM_FrontEndWav(benchmark::State& state) {
    run_front_end(state, synthetic_file("60s.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 60.0),
                  static_cast<ResamplerKind>(state.range(0)));
}
BENCHMARK(BM_FrontEndWav)->Arg(int(ResamplerKind::KaiserBest))->Arg(int(ResamplerKind::Soxr))->Unit(benchmark::kMillisecond);

void BM_FrontEndOgg(benchmark::State& state) {
    std::string path = std::string(POLYTAG_SHARED_DATA_DIR) + "/audio/000046_3840.ogg";
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) path = synthetic_file("60s.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 60.0);
    run_front_end(state, path, static_cast<ResamplerKind>(state.range(0)));
}
BENCHMARK(BM_FrontEndOgg)->Arg(int(ResamplerKind::KaiserBest))->Arg(int(ResamplerKind::Soxr))->Unit(benchmark::kMillisecond);

void BM_Resample(benchmark::State& state) {
    const int rate = int(state.range(0));
    const auto kind = static_cast<ResamplerKind>(state.range(1));
    const auto x = test_signal(Index(rate) * 10, 1, rate);
    double seconds = 0;
    for (auto _ : state) {
        StreamingResampler rs(rate, 16000, kind);
        float sum = 0;
        auto sink = [&](const float* y, Index m) { sum += y[m - 1]; };
        for (std::size_t at = 0; at < x.size(); at += 8192)
            rs.push(x.data() + at, std::min<Index>(8192, Index(x.size() - at)), sink);
        rs.finish(sink);
        benchmark::DoNotOptimize(sum);
        seconds += 10.0;
    }
    state.counters["audio_s"] = benchmark::Counter(seconds, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Resample)
    ->Args({44100, int(ResamplerKind::KaiserBest)})
    ->Args({44100, int(ResamplerKind::Soxr)})
    ->Args({48000, int(ResamplerKind::KaiserBest)})
    ->Args({22050, int(ResamplerKind::KaiserBest)})
    ->Unit(benchmark::kMillisecond);

void BM_LogMel(benchmark::State& state) {
    const auto x = test_signal(16000 * 10, 1, 16000);
    LogMelFramer framer;
    double seconds = 0;
    for (auto _ : state) {
        framer.reset();
        float sum = 0;
        for (std::size_t at = 0; at < x.size(); at += 4096)
            framer.push(x.data() + at, std::min<Index>(4096, Index(x.size() - at)),
                        [&](Index, const float* rows, Index) { sum += rows[0]; });
        benchmark::DoNotOptimize(sum);
        seconds += 10.0;
    }
    state.counters["audio_s"] = benchmark::Counter(seconds, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LogMel)->Unit(benchmark::kMillisecond);

}  // namespace
