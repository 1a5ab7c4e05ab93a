#pragma once
// The VGGish audio front end of the OpenMIC-2018 release (openmic/vggish/inputs.py,
// soundfile_to_examples): audio file -> mono -> divided by its peak -> 16 kHz -> log-mel
// frames -> (N, 96, 64) examples. Streams: memory is bounded whatever the file length.
//
//   polytag::audio::VggishFrontEnd front_end;                        // reusable, one thread
//   Tensor<float> ex = front_end.examples("song.ogg");             // (N, 96, 64)
//   PatchFramer clips(960, 1000);                                   // 10-s clips, 10 patches
//   front_end.stream_windows("long.flac", clips, [&](Index k, Index first_frame, const float* w) {
//       // clip k: frames [1000k, 1000k + 960) = w as (10, 96, 64); starts at first_frame * 10 ms
//   });
//
// The release divides by the peak |x| of the whole mono signal, so that peak is needed
// before the first sample can be scaled: a short file (FrontEndOptions::buffer_max_frames,
// 47 s at 44.1 kHz) is decoded once and held as mono float; a longer one is decoded twice,
// pass 1 for the peak and pass 2 to scale, resample and frame (FrontEndOptions::peak skips
// pass 1 when the caller knows the peak). Memory stays bounded either way. A silent file (peak 0) is
// left unscaled, as openmic.util.normalize does for a peak below float64's tiny, so every
// log-mel value is log(0.01). A file shorter than one 0.96-s example gives zero examples
// (the release's frame() does the same); an empty file (0 frames) is an IoError.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "polytag/audio/audio_file.hpp"
#include "polytag/audio/log_mel.hpp"
#include "polytag/audio/patch_framer.hpp"
#include "polytag/audio/resampler.hpp"
#include "polytag/error.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag::audio {

struct FrontEndOptions {
    ResamplerKind resampler = ResamplerKind::KaiserBest;
    /// Divide by the whole-file peak |mono| (the release does). Off: samples as decoded.
    bool normalize_peak = true;
    /// Known peak |mono| of the file: skips the first decoding pass (ignored when not
    /// normalising). 0 means "leave unscaled", like a silent file.
    std::optional<float> peak;
    /// Frames decoded per read (bounds the decode buffers: chunk * channels floats).
    Index decode_chunk_frames = AudioFile::kDefaultChunkFrames;
    /// Files of at most this many frames are decoded once and held as mono float while the
    /// peak is found (2^21 frames: 8 MB, 47 s at 44.1 kHz; a 10-s OpenMIC clip fits);
    /// longer files are decoded twice instead. 0: always two passes.
    Index buffer_max_frames = Index(1) << 21;
};

/// What one pass over a file found.
struct FrontEndSummary {
    AudioInfo info;
    float peak = 0.0f;         ///< peak |mono| before scaling (0 if not normalising and not given)
    float scale = 1.0f;        ///< factor applied to the mono samples
    Index input_frames = 0;    ///< frames decoded
    Index samples_16k = 0;     ///< resampled samples
    Index log_mel_frames = 0;  ///< complete 10-ms frames
};

class VggishFrontEnd {
public:
    explicit VggishFrontEnd(FrontEndOptions options = {}) : options_(std::move(options)) {
        if (options_.decode_chunk_frames <= 0)
            throw ValueError("VggishFrontEnd: decode_chunk_frames must be positive, got " +
                             std::to_string(options_.decode_chunk_frames));
        mono_.resize(static_cast<std::size_t>(options_.decode_chunk_frames));
    }

    const FrontEndOptions& options() const { return options_; }

    /// Streams the log-mel frames of the file: sink(Index first_frame, const float* rows,
    /// Index count), rows count x 64 row-major, frames numbered over the whole file.
    template <typename FrameSink>
    FrontEndSummary stream_log_mel(const std::string& path, FrameSink&& sink) {
        AudioFile file(path);
        FrontEndSummary summary;
        summary.info = file.info();
        Index pass1_frames = -1;
        bool buffered = false;  // the whole mono signal is in whole_: one decoding pass
        if (options_.normalize_peak) {
            if (options_.peak) {
                summary.peak = *options_.peak;
            } else if (options_.buffer_max_frames > 0 && decode_whole(file)) {
                buffered = true;
                pass1_frames = static_cast<Index>(whole_.size());
                for (float x : whole_) summary.peak = std::max(summary.peak, std::abs(x));
            } else {
                const MonoPeak p = scan_mono_peak(file, mono_, options_.decode_chunk_frames);
                summary.peak = p.peak;
                pass1_frames = p.frames;
            }
            if (pass1_frames == 0) throw IoError(path + ": no audio frames (empty file)");
            // openmic.util.normalize divides by the peak unless it is below float64's tiny;
            // a float peak is either 0 or far above it.
            if (summary.peak > 0.0f) summary.scale = 1.0f / summary.peak;
        }
        StreamingResampler resampler(file.sample_rate(), vggish_input::kSampleRate, options_.resampler);
        framer_.reset();
        auto to_framer = [&](const float* y, Index m) { framer_.push(y, m, sink); };
        const float scale = summary.scale;
        auto feed = [&](float* x, Index n) {
            if (scale != 1.0f)
                for (Index i = 0; i < n; ++i) x[i] *= scale;
            resampler.push(x, n, to_framer);
            summary.input_frames += n;
        };
        if (buffered) {
            const Index total = static_cast<Index>(whole_.size());
            for (Index at = 0; at < total; at += options_.decode_chunk_frames)
                feed(whole_.data() + at, std::min(options_.decode_chunk_frames, total - at));
        } else {
            while (const Index n = file.read_mono(mono_.data(), options_.decode_chunk_frames)) feed(mono_.data(), n);
        }
        if (summary.input_frames == 0) throw IoError(path + ": no audio frames (empty file)");
        if (pass1_frames >= 0 && pass1_frames != summary.input_frames)
            throw IoError(path + ": decoded " + std::to_string(pass1_frames) + " frames in the first pass and " +
                          std::to_string(summary.input_frames) + " in the second");
        resampler.finish(to_framer);
        summary.samples_16k = resampler.samples_out();
        summary.log_mel_frames = framer_.frames_emitted();
        return summary;
    }

    /// Streams complete windows of log-mel rows (see PatchFramer): sink(Index index,
    /// Index first_frame, const float* window), window_frames x 64 row-major.
    template <typename WindowSink>
    FrontEndSummary stream_windows(const std::string& path, PatchFramer& framer, WindowSink&& sink) {
        framer.reset();
        return stream_log_mel(path, [&](Index first, const float* rows, Index count) {
            framer.push(first, rows, count, sink);
        });
    }

    /// All VGGish examples of the file: (N, 96, 64), N = frames / 96 (may be 0). Holds the
    /// examples in memory (1 h of audio: 375 examples, 9 MB).
    Tensor<float> examples(const std::string& path, FrontEndSummary* summary = nullptr) {
        std::vector<float> all;
        PatchFramer patches;
        const FrontEndSummary s = stream_windows(path, patches, [&](Index, Index, const float* w) {
            all.insert(all.end(), w, w + vggish_input::kPatchFrames * vggish_input::kMelBands);
        });
        if (summary) *summary = s;
        const Index n = static_cast<Index>(all.size()) / (vggish_input::kPatchFrames * vggish_input::kMelBands);
        Tensor<float> out(Shape{n, vggish_input::kPatchFrames, vggish_input::kMelBands});
        if (n) std::memcpy(out.data(), all.data(), sizeof(float) * all.size());
        return out;
    }

    /// All log-mel frames of the file: (frames, 64). Holds them in memory (1 h: 92 MB).
    Tensor<float> log_mel(const std::string& path, FrontEndSummary* summary = nullptr) {
        std::vector<float> all;
        const FrontEndSummary s = stream_log_mel(path, [&](Index, const float* rows, Index count) {
            all.insert(all.end(), rows, rows + count * vggish_input::kMelBands);
        });
        if (summary) *summary = s;
        Tensor<float> out(Shape{s.log_mel_frames, vggish_input::kMelBands});
        if (!all.empty()) std::memcpy(out.data(), all.data(), sizeof(float) * all.size());
        return out;
    }

private:
    // Decodes the whole file into whole_ if it has at most buffer_max_frames frames (true);
    // otherwise stops there (false) and the caller takes the two-pass route.
    bool decode_whole(AudioFile& file) {
        const Index cap = options_.buffer_max_frames;
        if (static_cast<Index>(whole_.capacity()) < cap) whole_.reserve(static_cast<std::size_t>(cap));  // once
        whole_.clear();
        file.rewind();
        while (const Index n = file.read_mono(mono_.data(), options_.decode_chunk_frames)) {
            if (static_cast<Index>(whole_.size()) + n > cap) return false;
            whole_.insert(whole_.end(), mono_.begin(), mono_.begin() + n);
        }
        return true;
    }

    FrontEndOptions options_;
    std::vector<float> mono_;
    std::vector<float> whole_;  // the mono signal of a short file (at most buffer_max_frames)
    LogMelFramer framer_;
};

/// The release's soundfile_to_examples for one file: (N, 96, 64).
inline Tensor<float> file_to_examples(const std::string& path, const FrontEndOptions& options = {}) {
    VggishFrontEnd front_end(options);
    return front_end.examples(path);
}

/// Mono samples resampled to 16 kHz (no scaling), all at once: resampled_length(n) samples.
inline std::vector<float> resample_to_16k(const float* mono, Index n, int sample_rate,
                                          ResamplerKind kind = ResamplerKind::KaiserBest) {
    std::vector<float> out;
    out.reserve(static_cast<std::size_t>(resampled_length(n, sample_rate, vggish_input::kSampleRate)));
    StreamingResampler rs(sample_rate, vggish_input::kSampleRate, kind);
    auto append = [&](const float* y, Index m) { out.insert(out.end(), y, y + m); };
    rs.push(mono, n, append);
    rs.finish(append);
    return out;
}

/// (frames, 64) log-mel rows -> (frames / 96, 96, 64) examples (mel_features.frame, hop 96).
inline Tensor<float> examples_from_log_mel(const Tensor<float>& log_mel) {
    using namespace vggish_input;
    if (log_mel.shape().rank() != 2 || log_mel.dim(1) != kMelBands)
        throw ShapeError("examples_from_log_mel: expected (frames, 64) log-mel rows");
    const Index n = log_mel.dim(0) / kPatchFrames;
    Tensor<float> out(Shape{n, kPatchFrames, kMelBands});
    if (n) std::memcpy(out.data(), log_mel.data(), sizeof(float) * static_cast<std::size_t>(out.size()));
    return out;
}

/// The release's waveform_to_examples: mono samples at `sample_rate` (not normalised: the
/// release only normalises in soundfile_to_examples) -> (N, 96, 64).
inline Tensor<float> waveform_to_examples(const float* mono, Index n, int sample_rate,
                                          ResamplerKind kind = ResamplerKind::KaiserBest) {
    const std::vector<float> wave = resample_to_16k(mono, n, sample_rate, kind);
    return examples_from_log_mel(log_mel_spectrogram(wave.data(), static_cast<Index>(wave.size())));
}

}  // namespace polytag::audio
