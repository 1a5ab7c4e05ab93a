// Log-mel front end: the mel matrix and window as mel_features.py builds them, the
// streaming framer against whole-signal results, and log-mel values against the release's
// float64 numbers (committed numpy reference and, on dev machines, the real OpenMIC clip).
#include <catch2/catch.hpp>

#include <random>

#include "audio_test_util.hpp"
#include "polytag/audio/log_mel.hpp"
#include "polytag/audio/mel_filterbank.hpp"

using namespace polytag;
using namespace polytag::audio;
using polytag::test::audio::error_stats;
using polytag::test::audio::reference;

TEST_CASE("periodic Hann window is one full cosine period", "[front-end]") {
    const Eigen::VectorXd w = periodic_hann(400);
    CHECK(w[0] == 0.0);
    CHECK(w[200] == Approx(1.0));
    CHECK(w[100] == Approx(0.5));
    CHECK(w[399] == Approx(0.5 - 0.5 * std::cos(2 * M_PI * 399 / 400)));
    CHECK(w[1] == Approx(w[399]));  // periodic: symmetric about n = 200, not about 199.5
    CHECK_THROWS_AS(periodic_hann(0), ValueError);
}

TEST_CASE("mel matrix: HTK triangles, DC row zero, bands between 125 and 7500 Hz", "[front-end]") {
    const Eigen::MatrixXd W = vggish_mel_weight_matrix();
    REQUIRE(W.rows() == 257);
    REQUIRE(W.cols() == 64);
    CHECK(W.row(0).isZero());
    CHECK(W.minCoeff() >= 0.0);
    CHECK(W.maxCoeff() <= 1.0);
    CHECK(hertz_to_mel(700.0) == Approx(1127.0 * std::log(2.0)));
    // Bin 4 is 125 Hz exactly (the lower edge): zero weight everywhere.
    CHECK(W.row(4).isZero());
    // Bin 240 is 7500 Hz (upper edge): zero; bins above carry nothing.
    CHECK(W.bottomRows(257 - 240).isZero());
    // Every band has weight somewhere, and each band's peak sits right of the previous one's.
    Eigen::Index previous = -1;
    for (int b = 0; b < 64; ++b) {
        Eigen::Index argmax;
        CHECK(W.col(b).maxCoeff(&argmax) > 0.0);
        CHECK(argmax >= previous);
        previous = argmax;
    }
    CHECK_THROWS_AS(mel_weight_matrix(64, 257, 16000, 7500, 125), ValueError);
    CHECK_THROWS_AS(mel_weight_matrix(64, 257, 16000, 125, 9000), ValueError);
}

TEST_CASE("log-mel frame count and times follow mel_features.frame", "[front-end]") {
    CHECK(log_mel_frame_count(0) == 0);
    CHECK(log_mel_frame_count(399) == 0);
    CHECK(log_mel_frame_count(400) == 1);
    CHECK(log_mel_frame_count(559) == 1);
    CHECK(log_mel_frame_count(560) == 2);
    CHECK(log_mel_frame_count(160000) == 998);
    CHECK(frame_start_seconds(1000) == Approx(10.0));
}

TEST_CASE("streaming log-mel equals the whole-signal log-mel for any chunking", "[front-end]") {
    std::mt19937 rng(5);
    std::normal_distribution<float> noise(0.0f, 0.3f);
    std::vector<float> wave(16000 * 3 + 123);
    for (auto& x : wave) x = noise(rng);
    const Tensor<float> whole = log_mel_spectrogram(wave.data(), static_cast<Index>(wave.size()));
    REQUIRE(whole.dim(0) == log_mel_frame_count(static_cast<Index>(wave.size())));
    for (Index chunk : {Index(1), Index(159), Index(400), Index(5521), Index(20000)}) {
        LogMelFramer framer;
        std::vector<float> got;
        Index expected_first = 0;
        for (std::size_t at = 0; at < wave.size(); at += static_cast<std::size_t>(chunk)) {
            const Index n = std::min<Index>(chunk, static_cast<Index>(wave.size() - at));
            framer.push(wave.data() + at, n, [&](Index first, const float* rows, Index count) {
                CHECK(first == expected_first);
                expected_first += count;
                got.insert(got.end(), rows, rows + count * 64);
            });
        }
        INFO("chunk " << chunk);
        REQUIRE(static_cast<Index>(got.size()) == whole.size());
        // Equal up to float rounding: blocks of different sizes take different GEMM paths.
        float worst = 0.0f;
        for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - whole.data()[i]));
        CHECK(worst < 1e-5f);
        CHECK(framer.frames_emitted() == whole.dim(0));
    }
}

TEST_CASE("log-mel of silence is log(0.01) everywhere", "[front-end]") {
    std::vector<float> zeros(16000, 0.0f);
    const Tensor<float> lm = log_mel_spectrogram(zeros.data(), 16000);
    REQUIRE(lm.dim(0) == 98);
    for (Index i = 0; i < lm.size(); ++i) REQUIRE(lm.data()[i] == Approx(std::log(0.01)).epsilon(1e-6));
}

TEST_CASE("log-mel of the fixture's 16 kHz waveform matches the numpy reference to 1e-3", "[front-end]") {
    const Tensor<float> wave = reference().read<float>("chirp_44k1_stereo/waveform_16k");
    const Tensor<double> expected = reference().read<double>("chirp_44k1_stereo/log_mel");
    const Tensor<float> lm = log_mel_spectrogram(wave.data(), wave.size());
    REQUIRE(lm.shape() == expected.shape());
    const auto s = error_stats(lm, expected);
    INFO("max |diff| " << s.max_abs << ", mean " << s.mean_abs);
    CHECK(s.max_abs < 1e-3);
}

TEST_CASE("log-mel of the OpenMIC clip's release waveform matches the release to 1e-3", "[front-end]") {
    POLYTAG_REQUIRE_SHARED(path, "vggish-reference/000046_3840.npz");
    const io::NpzReader npz(path);
    const Tensor<double> wave64 = npz.read<double>("waveform_16k");
    const Tensor<double> expected = npz.read<double>("log_mel");
    std::vector<float> wave(wave64.data(), wave64.data() + wave64.size());
    const Tensor<float> lm = log_mel_spectrogram(wave.data(), static_cast<Index>(wave.size()));
    REQUIRE(lm.dim(0) == 998);
    REQUIRE(lm.shape() == expected.shape());
    const auto s = error_stats(lm, expected);
    WARN("OpenMIC clip, log-mel from the release's 16 kHz waveform: max |diff| " << s.max_abs << ", mean "
                                                                                 << s.mean_abs);
    CHECK(s.max_abs < 1e-3);
}
