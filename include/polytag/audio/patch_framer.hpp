#pragma once
// Groups a stream of log-mel rows into windows of `window_frames` rows every `hop_frames`
// rows, complete windows only (mel_features.frame on the log-mel rows).
//
//   PatchFramer examples(96, 96);      // VGGish examples: (96, 64) patches, no overlap
//   PatchFramer clips(960, 1000);      // 10-s OpenMIC-style clips: clip k = frames
//                                      // [1000k, 1000k + 960), i.e. 10 patches of (96, 64)
//   framer.push(first_frame, rows, count, [&](Index index, Index first_frame, const float* w) {
//       // w: window_frames x 64, row-major, valid during the call
//   });
//
// A window of consecutive 96-row patches is contiguous, so a (960, 64) clip is already the
// (10, 96, 64) block of its examples. Memory: one window; no allocation after construction.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "polytag/audio/mel_filterbank.hpp"
#include "polytag/error.hpp"

namespace polytag::audio {

class PatchFramer {
public:
    static constexpr Index kBands = vggish_input::kMelBands;

    explicit PatchFramer(Index window_frames = vggish_input::kPatchFrames, Index hop_frames = vggish_input::kPatchFrames)
        : window_(window_frames), hop_(hop_frames) {
        if (window_frames <= 0 || hop_frames <= 0)
            throw ValueError("PatchFramer: window and hop must be positive, got " + std::to_string(window_frames) +
                             " and " + std::to_string(hop_frames));
        rows_.resize(static_cast<std::size_t>(window_ * kBands));
    }

    Index window_frames() const { return window_; }
    Index hop_frames() const { return hop_; }
    /// Windows emitted so far; window i starts at frame i * hop_frames.
    Index windows_emitted() const { return emitted_; }
    /// Complete windows in `frames` rows: 1 + (frames - window) / hop, or 0.
    Index window_count(Index frames) const { return frames >= window_ ? 1 + (frames - window_) / hop_ : 0; }

    /// Feeds rows `first_frame .. first_frame + count - 1` (count x 64, row-major); rows must
    /// arrive in order without gaps. Calls sink(Index window_index, Index first_frame,
    /// const float* window) for every window completed.
    template <typename Sink>
    void push(Index first_frame, const float* rows, Index count, Sink&& sink) {
        if (first_frame != next_frame_)
            throw ValueError("PatchFramer: expected frame " + std::to_string(next_frame_) + ", got frame " +
                             std::to_string(first_frame));
        for (Index r = 0; r < count; ++r) {
            const Index frame = next_frame_ + r;
            const Index start = emitted_ * hop_;  // first frame of the window being filled
            if (frame < start) continue;           // between windows (hop > window)
            const Index pos = frame - start;
            if (pos < window_) {
                std::memcpy(rows_.data() + pos * kBands, rows + r * kBands, sizeof(float) * kBands);
            }
            if (pos + 1 == window_) {
                sink(emitted_, start, static_cast<const float*>(rows_.data()));
                ++emitted_;
                // Overlapping windows (hop < window): keep the rows the next window shares.
                if (hop_ < window_)
                    std::memmove(rows_.data(), rows_.data() + hop_ * kBands,
                                 sizeof(float) * static_cast<std::size_t>((window_ - hop_) * kBands));
            }
        }
        next_frame_ += count;
    }

    void reset() { emitted_ = next_frame_ = 0; }

private:
    Index window_, hop_;
    std::vector<float> rows_;
    Index emitted_ = 0, next_frame_ = 0;
};

}  // namespace polytag::audio
