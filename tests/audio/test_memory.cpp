// Bounded memory and no allocation in the steady state: the counting allocator (this is
// the one .cpp of the audio test program that includes it) counts every operator new and,
// on glibc, every malloc, including Eigen's, libsndfile's and libsoxr's.
#include <catch2/catch.hpp>

#include <cmath>

#include "audio_test_util.hpp"
#include "polytag/audio/front_end.hpp"
#include "support/counting_allocator.hpp"

using namespace polytag;
using namespace polytag::audio;
using polytag::test::audio::temp_path;
using polytag::test::audio::write_audio;

namespace {
long allocations() { return polytag::test::operator_new_calls() + polytag::test::malloc_calls(); }

std::vector<float> noise_chunk(Index n, unsigned seed) {
    std::vector<float> x(static_cast<std::size_t>(n));
    unsigned s = seed;
    for (auto& v : x) {
        s = s * 1664525u + 1013904223u;
        v = float(int(s >> 9) - (1 << 22)) / float(1 << 23);
    }
    return x;
}

/// A 44.1 kHz stereo 16-bit WAV of `seconds`, written in chunks (the test never holds it).
void write_long_wav(const std::string& path, int seconds) {
    SF_INFO info{};
    info.samplerate = 44100;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    REQUIRE(f);
    std::vector<float> chunk(44100 * 2);
    for (int s = 0; s < seconds; ++s) {
        for (std::size_t i = 0; i < chunk.size(); ++i)
            chunk[i] = float(0.4 * std::sin(0.02 * double(i + chunk.size() * s) * (1 + i % 2)) + 0.05 * std::sin(double(i * i % 9973)));
        sf_writef_float(f, chunk.data(), 44100);
    }
    sf_close(f);
}
}  // namespace

TEST_CASE("log-mel framer, resampler and patch framer allocate nothing after warm-up", "[front-end]") {
    const std::vector<float> chunk = noise_chunk(8192, 3);
    for (ResamplerKind kind : {ResamplerKind::KaiserBest, ResamplerKind::Soxr}) {
        StreamingResampler resampler(44100, 16000, kind);
        LogMelFramer framer;
        PatchFramer patches;
        Index windows = 0;
        auto to_patches = [&](Index first, const float* rows, Index count) {
            patches.push(first, rows, count, [&](Index, Index, const float*) { ++windows; });
        };
        auto to_framer = [&](const float* y, Index m) { framer.push(y, m, to_patches); };
        for (int i = 0; i < 4; ++i) resampler.push(chunk.data(), 8192, to_framer);  // warm-up
        const long before = allocations();
        for (int i = 0; i < 200; ++i) resampler.push(chunk.data(), 8192, to_framer);  // 37 s of audio
        const long during = allocations() - before;
        INFO(to_string(kind) << ": " << during << " allocations in 200 chunks (counting malloc: "
                             << polytag::test::kCountsMalloc << ")");
        CHECK(during == 0);
        CHECK(windows > 30);
    }
}

TEST_CASE("streaming a file allocates the same whether it lasts 20 s or 120 s", "[front-end]") {
    const std::string short_wav = temp_path("long_20s.wav"), long_wav = temp_path("long_120s.wav");
    write_long_wav(short_wav, 20);
    write_long_wav(long_wav, 120);
    // Default options hold the 20-s file's mono signal (one decoding pass) and decode the
    // 120-s one twice; buffer_max_frames = 0 decodes both twice.
    for (auto [kind, buffer_max_frames] : {std::pair{ResamplerKind::KaiserBest, FrontEndOptions{}.buffer_max_frames},
                                           std::pair{ResamplerKind::Soxr, FrontEndOptions{}.buffer_max_frames},
                                           std::pair{ResamplerKind::KaiserBest, Index(0)}}) {
        FrontEndOptions options;
        options.resampler = kind;
        options.buffer_max_frames = buffer_max_frames;
        VggishFrontEnd front_end(options);
        PatchFramer clips(960, 1000);
        Index clip_count = 0;
        auto count_clips = [&](Index, Index, const float*) { ++clip_count; };
        front_end.stream_windows(short_wav, clips, count_clips);  // warm-up: filter tables, FFT plan
        long before = allocations();
        const FrontEndSummary s20 = front_end.stream_windows(short_wav, clips, count_clips);
        const long for_20s = allocations() - before;
        before = allocations();
        const FrontEndSummary s120 = front_end.stream_windows(long_wav, clips, count_clips);
        const long for_120s = allocations() - before;
        INFO(to_string(kind) << ", buffer_max_frames " << buffer_max_frames << ": allocations for 20 s: " << for_20s << ", for 120 s: " << for_120s);
        CHECK(s20.log_mel_frames == 1998);
        CHECK(s120.log_mel_frames == 11998);
        CHECK(for_120s == for_20s);  // per-file setup only, nothing per chunk
        CHECK(for_20s > 0);  // the counter sees the per-file setup (sf_open, filter table, buffers)
        CHECK(for_20s < 200);
    }
    std::remove(short_wav.c_str());
    std::remove(long_wav.c_str());
}
