// The whole front end on the committed fixtures (each format, stereo/mono, four rates,
// silent, short, empty, corrupt, truncated) against the numpy re-implementation of the
// release's pipeline, and on dev machines the real OpenMIC clip end to end.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

#include "audio_test_util.hpp"
#include "polytag/audio/front_end.hpp"

using namespace polytag;
using namespace polytag::audio;
using polytag::test::audio::audio_fixture;
using polytag::test::audio::error_stats;
using polytag::test::audio::reference;
using polytag::test::audio::temp_path;
using polytag::test::audio::write_audio;

namespace {
/// The IoError message of `f()`, or "" when it does not throw IoError.
template <typename F>
std::string io_error_of(F&& f) {
    try {
        f();
    } catch (const IoError& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("every fixture format decodes with the header's rate, channels and frames", "[front-end]") {
    struct Case {
        const char* name;
        int rate, channels;
        const char* format_word;
    };
    for (const Case& c : {Case{"chirp_16k_mono.wav", 16000, 1, "WAV"}, Case{"chirp_44k1_stereo.wav", 44100, 2, "WAV"},
                          Case{"chirp_22k05_stereo.flac", 22050, 2, "FLAC"}, Case{"chirp_48k_stereo.ogg", 48000, 2, "Vorbis"},
                          Case{"chirp_44k1_mono.mp3", 44100, 1, "MPEG"}}) {
        INFO(c.name);
        const std::string key = std::string(c.name).substr(0, std::string(c.name).rfind('.'));
        AudioFile file(audio_fixture(c.name));
        CHECK(file.sample_rate() == c.rate);
        CHECK(file.channels() == c.channels);
        CHECK(file.info().format.find(c.format_word) != std::string::npos);
        const auto frames = reference().read<double>(key + "/frames").data()[0];
        std::vector<float> scratch;
        const MonoPeak p = scan_mono_peak(file, scratch);
        CHECK(p.frames == Index(frames));
        CHECK(file.info().frames == Index(frames));
        // soundfile's float64 mean of the same decoded samples.
        CHECK(p.peak == Approx(reference().read<double>(key + "/peak").data()[0]).epsilon(1e-6));
    }
}

TEST_CASE("mono is the mean over channels", "[front-end]") {
    const std::vector<float> stereo = {0.5f, -0.25f, 0.125f, 0.125f, -1.0f, 0.5f};
    write_audio(temp_path("stereo.wav"), stereo, 2, 8000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    std::vector<float> mono = read_mono_file(temp_path("stereo.wav"));
    CHECK(mono == std::vector<float>{0.125f, 0.125f, -0.25f});
    const std::vector<float> three = {0.3f, 0.6f, 0.9f, -0.3f, 0.0f, 0.0f};
    write_audio(temp_path("three.wav"), three, 3, 8000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    mono = read_mono_file(temp_path("three.wav"));
    REQUIRE(mono.size() == 2);
    CHECK(mono[0] == Approx(0.6f));
    CHECK(mono[1] == Approx(-0.1f));
}

TEST_CASE("front end log-mel matches the numpy release pipeline on every fixture", "[front-end]") {
    VggishFrontEnd front_end;
    for (const char* name : {"chirp_16k_mono.wav", "chirp_44k1_stereo.wav", "chirp_22k05_stereo.flac",
                             "chirp_48k_stereo.ogg", "chirp_44k1_mono.mp3", "short_0s5_22k05_mono.wav"}) {
        const std::string key = std::string(name).substr(0, std::string(name).rfind('.'));
        const Tensor<double> expected = reference().read<double>(key + "/log_mel");
        FrontEndSummary summary;
        const Tensor<float> lm = front_end.log_mel(audio_fixture(name), &summary);
        INFO(name);
        REQUIRE(lm.shape() == expected.shape());
        CHECK(summary.log_mel_frames == lm.dim(0));
        CHECK(summary.samples_16k == resampled_length(summary.input_frames, summary.info.sample_rate, 16000));
        const auto s = error_stats(lm, expected);
        WARN(name << ": log-mel vs numpy release pipeline: max |diff| " << s.max_abs << ", mean " << s.mean_abs);
        CHECK(s.max_abs < 1e-4);  // measured <= 1.3e-5 (float vs float64); soxr would be ~0.5 off
    }
}

TEST_CASE("two decoding passes (rewind, decode again) give the one-pass result in every format", "[front-end]") {
    FrontEndOptions two_pass;
    two_pass.buffer_max_frames = 0;
    VggishFrontEnd once, twice(two_pass);
    for (const char* name : {"chirp_16k_mono.wav", "chirp_44k1_stereo.wav", "chirp_22k05_stereo.flac",
                             "chirp_48k_stereo.ogg", "chirp_44k1_mono.mp3"}) {
        INFO(name);
        const Tensor<float> a = once.log_mel(audio_fixture(name));
        const Tensor<float> b = twice.log_mel(audio_fixture(name));
        REQUIRE(a.shape() == b.shape());
        CHECK(std::equal(a.data(), a.data() + a.size(), b.data()));
    }
}

TEST_CASE("examples are the log-mel rows in complete 96-frame patches", "[front-end]") {
    VggishFrontEnd front_end;
    const Tensor<float> lm = front_end.log_mel(audio_fixture("chirp_48k_stereo.ogg"));
    const Tensor<float> ex = front_end.examples(audio_fixture("chirp_48k_stereo.ogg"));
    REQUIRE(lm.dim(0) == 248);  // 2.5 s
    REQUIRE(ex.shape() == Shape{2, 96, 64});
    CHECK(std::equal(ex.data(), ex.data() + ex.size(), lm.data()));
    const Tensor<float> again = file_to_examples(audio_fixture("chirp_48k_stereo.ogg"));
    CHECK(std::equal(ex.data(), ex.data() + ex.size(), again.data()));
}

TEST_CASE("a silent file is left unscaled: log(0.01) everywhere, no NaN", "[front-end]") {
    VggishFrontEnd front_end;
    FrontEndSummary summary;
    const Tensor<float> ex = front_end.examples(audio_fixture("silent_16k_mono.wav"), &summary);
    CHECK(summary.peak == 0.0f);
    CHECK(summary.scale == 1.0f);
    REQUIRE(ex.shape() == Shape{1, 96, 64});
    for (Index i = 0; i < ex.size(); ++i) REQUIRE(ex.data()[i] == Approx(std::log(0.01)).epsilon(1e-6));
    const Tensor<double> expected = reference().read<double>("silent_16k_mono/log_mel");
    CHECK(error_stats(front_end.log_mel(audio_fixture("silent_16k_mono.wav")), expected).max_abs < 1e-6);
}

TEST_CASE("a file shorter than one 0.96-s patch gives zero examples", "[front-end]") {
    VggishFrontEnd front_end;
    FrontEndSummary summary;
    const Tensor<float> ex = front_end.examples(audio_fixture("short_0s5_22k05_mono.wav"), &summary);
    CHECK(ex.shape() == Shape{0, 96, 64});
    CHECK(summary.log_mel_frames == 48);
    // A file too short for a single 25-ms frame still has no error, just no frames.
    write_audio(temp_path("tiny.wav"), std::vector<float>(100, 0.25f), 1, 44100);
    CHECK(front_end.log_mel(temp_path("tiny.wav"), &summary).shape() == Shape{0, 64});
    CHECK(summary.samples_16k == 36);
}

TEST_CASE("unreadable files throw IoError naming the full path, on one line", "[front-end]") {
    VggishFrontEnd front_end;
    struct Case {
        std::string path, words;
    };
    for (const Case& c : {Case{audio_fixture("empty.wav"), "no audio frames"},
                          Case{audio_fixture("corrupt.wav"), "not a readable audio file"},
                          Case{audio_fixture("garbage.flac"), "not a readable audio file"},
                          Case{audio_fixture("not_audio.txt"), "not a readable audio file"},
                          Case{audio_fixture("truncated.flac"), "decoding failed after"},
                          Case{audio_fixture("no_such_file.wav"), "cannot open: No such file"},
                          Case{audio_fixture(""), "not a regular file"}}) {
        const std::string message = io_error_of([&] { front_end.examples(c.path); });
        INFO(c.path << " -> " << message);
        CHECK(message.rfind(c.path + ": ", 0) == 0);
        CHECK(message.find(c.words) != std::string::npos);
        CHECK(message.find('\n') == std::string::npos);
    }
    // A known peak skips the first pass; the empty file is still an error.
    FrontEndOptions known;
    known.peak = 1.0f;
    VggishFrontEnd with_peak(known);
    CHECK(io_error_of([&] { with_peak.examples(audio_fixture("empty.wav")); }).find("no audio frames") != std::string::npos);
}

TEST_CASE("a WAV truncated after its header decodes the samples that are there", "[front-end]") {
    // libsndfile (and so soundfile and the release) trusts the file size over the data chunk's
    // length: the header promises 2 s, the file holds 0.25 s, and 0.25 s is decoded.
    AudioFile file(audio_fixture("truncated.wav"));
    CHECK(file.info().frames == 4000);
    VggishFrontEnd front_end;
    FrontEndSummary summary;
    front_end.log_mel(audio_fixture("truncated.wav"), &summary);
    CHECK(summary.input_frames == 4000);
    CHECK(summary.log_mel_frames == log_mel_frame_count(4000));
}

TEST_CASE("one or two decoding passes, a known peak or no normalisation", "[front-end]") {
    const std::string path = audio_fixture("chirp_16k_mono.wav");
    const float peak = mono_peak(path);
    FrontEndOptions given;
    given.peak = peak;
    const Tensor<float> a = VggishFrontEnd().log_mel(path);
    const Tensor<float> b = VggishFrontEnd(given).log_mel(path);
    CHECK(std::equal(a.data(), a.data() + a.size(), b.data()));
    FrontEndOptions two_pass;  // decode twice instead of holding the mono signal
    two_pass.buffer_max_frames = 0;
    const Tensor<float> d = VggishFrontEnd(two_pass).log_mel(path);
    CHECK(std::equal(a.data(), a.data() + a.size(), d.data()));
    two_pass.buffer_max_frames = 1000;  // too small for this file: falls back to two passes
    const Tensor<float> e = VggishFrontEnd(two_pass).log_mel(path);
    CHECK(std::equal(a.data(), a.data() + a.size(), e.data()));
    FrontEndOptions raw;
    raw.normalize_peak = false;
    FrontEndSummary summary;
    const Tensor<float> c = VggishFrontEnd(raw).log_mel(path, &summary);
    CHECK(summary.scale == 1.0f);
    CHECK(peak < 0.9f);  // the fixture peaks at 0.8, so normalising changes the values
    CHECK(c.data()[1000] < a.data()[1000]);
}

TEST_CASE("clip windows: clip k is frames 1000k to 1000k + 959 of the whole-file framing", "[front-end]") {
    // 21 s at 22.05 kHz stereo: 2098 frames -> clips 0 and 1 (clip 2 would need frame 2959).
    std::vector<float> stereo(static_cast<std::size_t>(22050 * 21 * 2));
    for (std::size_t i = 0; i < stereo.size(); ++i)
        stereo[i] = float(0.3 * std::sin(0.001 * double(i) * (1.0 + double(i % 7))));
    write_audio(temp_path("clips.wav"), stereo, 2, 22050);
    VggishFrontEnd front_end;
    const Tensor<float> lm = front_end.log_mel(temp_path("clips.wav"));
    REQUIRE(lm.dim(0) == 2098);
    PatchFramer clips(960, 1000);
    Index seen = 0;
    const FrontEndSummary s = front_end.stream_windows(temp_path("clips.wav"), clips, [&](Index k, Index first, const float* w) {
        CHECK(k == seen);
        CHECK(first == 1000 * k);
        CHECK(frame_start_seconds(first) == Approx(10.0 * double(k)));
        CHECK(std::equal(w, w + 960 * 64, lm.data() + first * 64));
        ++seen;
    });
    CHECK(seen == 2);
    CHECK(clips.window_count(s.log_mel_frames) == 2);
    // Overlapping windows too (hop < window).
    PatchFramer overlapping(96, 48);
    Index windows = 0;
    front_end.stream_windows(temp_path("clips.wav"), overlapping, [&](Index k, Index first, const float* w) {
        CHECK(first == 48 * k);
        CHECK(std::equal(w, w + 96 * 64, lm.data() + first * 64));
        ++windows;
    });
    CHECK(windows == overlapping.window_count(2098));
    std::remove(temp_path("clips.wav").c_str());
}

TEST_CASE("the OpenMIC clip end to end (.ogg -> 10 x 96 x 64) matches the release", "[front-end]") {
    POLYTAG_REQUIRE_SHARED(ogg, "audio/000046_3840.ogg");
    POLYTAG_REQUIRE_SHARED(npz_path, "vggish-reference/000046_3840.npz");
    const Tensor<double> expected = io::NpzReader(npz_path).read<double>("examples");
    REQUIRE(expected.shape() == Shape{10, 96, 64});
    for (ResamplerKind kind : {ResamplerKind::KaiserBest, ResamplerKind::Soxr}) {
        FrontEndOptions options;
        options.resampler = kind;
        FrontEndSummary summary;
        const Tensor<float> ex = VggishFrontEnd(options).examples(ogg, &summary);
        REQUIRE(ex.shape() == expected.shape());
        CHECK(summary.samples_16k == 160000);
        CHECK(summary.log_mel_frames == 998);
        const auto s = error_stats(ex, expected);
        WARN("OpenMIC clip end to end, " << to_string(kind) << ": mean |diff| " << s.mean_abs << ", p99 " << s.p99_abs
                                         << ", max " << s.max_abs);
        CHECK(s.mean_abs < 0.01);
        CHECK(s.p99_abs < 0.3);
        if (kind == ResamplerKind::KaiserBest) CHECK(s.max_abs < 1e-3);
    }
}
