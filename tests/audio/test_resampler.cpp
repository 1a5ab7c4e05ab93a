// Resampling to 16 kHz: resampy 'kaiser_best' parity (the committed numpy reference and
// the OpenMIC clip's release waveform), chunking invariance, lengths, and the soxr option.
#include <catch2/catch.hpp>

#include <cmath>

#include "audio_test_util.hpp"
#include "polytag/audio/audio_file.hpp"
#include "polytag/audio/front_end.hpp"
#include "polytag/audio/resampler.hpp"

using namespace polytag;
using namespace polytag::audio;
using polytag::test::audio::audio_fixture;
using polytag::test::audio::error_stats;
using polytag::test::audio::reference;

namespace {
std::vector<float> normalised_mono(const std::string& path, int* rate) {
    std::vector<float> mono = read_mono_file(path, rate);
    float peak = 0;
    for (float x : mono) peak = std::max(peak, std::abs(x));
    for (float& x : mono) x /= peak;
    return mono;
}

std::vector<float> sine(double hz, double seconds, int rate) {
    std::vector<float> x(static_cast<std::size_t>(seconds * rate));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(0.5 * std::sin(2 * M_PI * hz * double(i) / rate));
    return x;
}
}  // namespace

TEST_CASE("resampled length is resampy's int(n * new / old)", "[front-end]") {
    CHECK(resampled_length(441000, 44100, 16000) == 160000);
    CHECK(resampled_length(44101, 44100, 16000) == 16000);
    CHECK(resampled_length(100, 44100, 16000) == 36);
    CHECK(resampled_length(22050, 22050, 16000) == 16000);
    CHECK(resampled_length(777, 16000, 16000) == 777);
    CHECK(resampled_length(8001, 8000, 16000) == 16002);
    CHECK_THROWS_AS(StreamingResampler(0, 16000), ValueError);
}

TEST_CASE("kaiser-best resampling of the 44.1 kHz fixture matches resampy", "[front-end]") {
    int rate = 0;
    const std::vector<float> mono = normalised_mono(audio_fixture("chirp_44k1_stereo.wav"), &rate);
    REQUIRE(rate == 44100);
    const std::vector<float> ours = resample_to_16k(mono.data(), static_cast<Index>(mono.size()), rate);
    const Tensor<double> expected = reference().read<double>("chirp_44k1_stereo/waveform_16k");
    REQUIRE(static_cast<Index>(ours.size()) == expected.size());
    const auto s = error_stats(ours, expected);
    INFO("max |diff| " << s.max_abs << " mean " << s.mean_abs);
    CHECK(s.max_abs < 2e-6);  // float32 rounding of a ~270-tap dot product
}

TEST_CASE("streaming resampling does not depend on the chunk sizes", "[front-end]") {
    const std::vector<float> x = sine(1234.5, 1.3, 22050);
    for (ResamplerKind kind : {ResamplerKind::KaiserBest, ResamplerKind::Soxr}) {
        const std::vector<float> whole = resample_to_16k(x.data(), static_cast<Index>(x.size()), 22050, kind);
        REQUIRE(static_cast<Index>(whole.size()) == resampled_length(static_cast<Index>(x.size()), 22050, 16000));
        for (Index chunk : {Index(1), Index(37), Index(4096), Index(5000)}) {
            StreamingResampler rs(22050, 16000, kind);
            std::vector<float> got;
            auto append = [&](const float* y, Index m) { got.insert(got.end(), y, y + m); };
            for (std::size_t at = 0; at < x.size(); at += static_cast<std::size_t>(chunk))
                rs.push(x.data() + at, std::min<Index>(chunk, static_cast<Index>(x.size() - at)), append);
            rs.finish(append);
            INFO(to_string(kind) << " chunk " << chunk);
            REQUIRE(got.size() == whole.size());
            if (kind == ResamplerKind::KaiserBest) {
                CHECK(got == whole);  // the same dot product over the same samples
            } else {
                float worst = 0;
                for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - whole[i]));
                CHECK(worst < 1e-5f);
            }
        }
    }
}

TEST_CASE("both resamplers keep a 1 kHz sine a sine, from 8, 22.05, 44.1 and 48 kHz", "[front-end]") {
    for (int rate : {8000, 22050, 44100, 48000, 16000}) {
        for (ResamplerKind kind : {ResamplerKind::KaiserBest, ResamplerKind::Soxr}) {
            const std::vector<float> x = sine(1000.0, 0.5, rate);
            const std::vector<float> y = resample_to_16k(x.data(), static_cast<Index>(x.size()), rate, kind);
            REQUIRE(static_cast<Index>(y.size()) == resampled_length(static_cast<Index>(x.size()), rate, 16000));
            double worst = 0;
            for (std::size_t i = 800; i + 800 < y.size(); ++i)  // away from the edges
                worst = std::max(worst, std::abs(double(y[i]) - 0.5 * std::sin(2 * M_PI * 1000.0 * double(i) / 16000)));
            INFO(rate << " Hz, " << to_string(kind) << ": max |error| " << worst);
            CHECK(worst < 1e-3);
        }
    }
}

TEST_CASE("decode + normalise + kaiser-best on the OpenMIC clip gives the release's waveform", "[front-end]") {
    POLYTAG_REQUIRE_SHARED(ogg, "audio/000046_3840.ogg");
    POLYTAG_REQUIRE_SHARED(npz_path, "vggish-reference/000046_3840.npz");
    int rate = 0;
    const std::vector<float> mono = normalised_mono(ogg, &rate);
    const Tensor<double> expected = io::NpzReader(npz_path).read<double>("waveform_16k");
    for (ResamplerKind kind : {ResamplerKind::KaiserBest, ResamplerKind::Soxr}) {
        const std::vector<float> ours = resample_to_16k(mono.data(), static_cast<Index>(mono.size()), rate, kind);
        REQUIRE(static_cast<Index>(ours.size()) == expected.size());
        const auto s = error_stats(ours, expected);
        WARN("OpenMIC clip waveform_16k, " << to_string(kind) << ": max |diff| " << s.max_abs << ", mean "
                                           << s.mean_abs);
        if (kind == ResamplerKind::KaiserBest) CHECK(s.max_abs < 1e-5);
    }
}
