// polytag-embed's per-file worker (examples/tool/audio_pipeline.hpp; here because it needs the
// audio component): it embeds up to kClipsPerCall clips of a file per Vggish call, and a file
// of more clips than that must give, row for row, what embedding each clip alone gives.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "audio/audio_test_util.hpp"
#include "polytag/audio/front_end.hpp"
#include "polytag/audio/vggish.hpp"
#include "tool/audio_pipeline.hpp"

using namespace polytag;
using namespace polytag::audio;
using polytag::openmic::cli::AudioStage;
using polytag::openmic::cli::AudioWorker;
namespace cli = polytag::openmic::cli;
using polytag::test::fixture;
using polytag::test::audio::temp_path;
using polytag::test::audio::write_audio;

TEST_CASE("embed worker: a file of more clips than one Vggish call holds gives each clip's own embedding",
          "[audio][worker]") {
    // 8 whole clips and a 4.5-s rest (a padded ninth clip): one full call of kClipsPerCall clips,
    // then the rest with the padded clip.
    REQUIRE(cli::kClipsPerCall < 9);
    const int rate = 16000;
    const double seconds = 84.5;
    std::vector<float> x(std::size_t(seconds * rate));
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double t = double(i) / rate;
        x[i] = float(0.4 * std::sin(2 * M_PI * (220 + 20 * std::floor(t / 10)) * t) + 0.1 * std::sin(2 * M_PI * 3000 * t));
    }
    const std::string path = temp_path("worker_84s5.wav");
    write_audio(path, x, 1, rate);

    const Vggish v = Vggish::load(fixture("audio/vggish_small.npz"));
    AudioWorker worker(AudioStage::Clips, &v);
    const cli::FileRows rows = worker.process(path);
    REQUIRE(rows.error.empty());
    REQUIRE(rows.rows() == 9);
    CHECK(rows.padded_last);
    CHECK(rows.start_ms.back() == 80000);

    // Each clip alone: frames [1000k, 1000k + 960) of the file's log-mel, the last padded with
    // the log-mel of silence, embedded in a call of its own.
    VggishFrontEnd front_end;
    const Tensor<float> lm = front_end.log_mel(path);
    const Index bands = vggish_input::kMelBands, e = v.embedding_size();
    Index differ = 0;
    for (Index k = 0; k < 9; ++k) {
        Tensor<float> clip(Shape{cli::kClipPatches, vggish_input::kPatchFrames, bands}, cli::silence_log_mel());
        const Index first = k * cli::kClipHopFrames, n = std::min(cli::kClipFrames, lm.dim(0) - first);
        std::memcpy(clip.data(), lm.data() + first * bands, sizeof(float) * std::size_t(n * bands));
        const Tensor<std::uint8_t> want = v.embed_uint8(clip.view());
        const std::uint8_t* got = rows.data.data() + k * cli::kClipPatches * e;
        for (Index i = 0; i < want.size(); ++i) differ += got[i] != want[i];
    }
    CHECK(differ == 0);
}
