#pragma once
// What polytag-embed and polytag-tag do to each audio file, and how files run in parallel.
//
// Clips (the OpenMIC release's layout): clip k of a file is log-mel frames [1000k, 1000k +
// 960) of the whole file's framing, i.e. the 10 VGGish patches of the 10 seconds starting at
// 10k s, exactly as the release framed its 10-s excerpts (998 frames, 10 patches, the last
// 38 frames unused). After the last complete clip, the rest of the file becomes one more
// clip if it holds at least 1 s of audio (16000 samples at 16 kHz): its complete log-mel
// frames, then rows of the value digital silence gives (log(0.01), computed by the same
// log-mel code) up to 960 rows, the same as padding the waveform with silence except for the
// one or two 25-ms frames that would straddle the end of the audio. A file shorter than 1 s
// gives no clip.
//
// Patches (--stage logmel): every complete 96-frame patch of the file, frames [96j, 96j+96),
// the release's mel_features.frame; no padding.
//
// Files are processed by `threads` workers, each with its own front end and VGGish
// workspace; results are handed over strictly in file order, and a worker runs at most
// 2 x threads files ahead of the one being written, so memory stays bounded.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <unistd.h>

#include "polytag/audio/front_end.hpp"
#include "polytag/audio/log_mel.hpp"
#include "polytag/audio/patch_framer.hpp"
#include "polytag/audio/vggish.hpp"
#include "polytag/io/text.hpp"
#include "tool/cli_support.hpp"
#include "tool/stop_signal.hpp"

namespace polytag::openmic::cli {

enum class AudioStage { Clips, LogMel };

constexpr Index kClipFrames = 960;       ///< 10 patches of 96 frames
constexpr Index kClipHopFrames = 1000;   ///< a clip every 10 s
constexpr Index kClipPatches = 10;
// Clips of one file embedded per Vggish call: the FC layers read their weights (270 MB at full
// width) once per call, so 6 clips (60 patches) cost much less per clip than one; 1.5 MB of
// log-mel buffer.
constexpr Index kClipsPerCall = 6;
constexpr Index kMinTailSamples = 16000; ///< 1 s at 16 kHz: a shorter rest gives no clip

/// The log-mel value of digital silence, bit for bit what the front end computes for it.
inline float silence_log_mel() {
    static const float v = [] {
        const std::vector<float> zeros(400, 0.0f);
        return audio::log_mel_spectrogram(zeros.data(), Index(zeros.size()))[0];
    }();
    return v;
}

/// The rows of one file, ready to be written: rows x row_bytes bytes, with start times.
struct FileRows {
    std::vector<unsigned char> data;
    std::vector<double> start_s;
    std::vector<std::int64_t> start_ms;
    std::string error;        ///< non-empty: the file could not be processed (one line, names it)
    bool interrupted = false; ///< Ctrl-C came while it was processed
    bool padded_last = false; ///< the last clip was padded
    double seconds = 0;       ///< audio duration
    Index rows() const { return Index(start_s.size()); }
};

struct Interrupted {};

/// Everything one worker thread owns.
class AudioWorker {
public:
    AudioWorker(AudioStage stage, const audio::Vggish* vggish)
        : stage_(stage), vggish_(vggish), ws_(kClipsPerCall * kClipPatches) {
        clips_.resize(std::size_t(kClipsPerCall * kClipFrames * audio::vggish_input::kMelBands));
    }

    /// Bytes per row the stage produces.
    static std::size_t row_bytes(AudioStage stage, const audio::Vggish* v) {
        return stage == AudioStage::LogMel
                   ? std::size_t(audio::vggish_input::kPatchFrames * audio::vggish_input::kMelBands) * sizeof(float)
                   : std::size_t(kClipPatches * v->embedding_size());
    }

    FileRows process(const std::string& path) {
        FileRows out;
        try {
            if (stage_ == AudioStage::LogMel) patches(path, out);
            else clips(path, out);
        } catch (const Interrupted&) {
            out = FileRows{};
            out.interrupted = true;
        } catch (const std::bad_alloc&) {
            out = FileRows{};
            out.error = path + ": out of memory";
        } catch (const std::exception& e) {
            out = FileRows{};
            std::string msg = one_line(e.what());
            if (msg.compare(0, path.size(), path) != 0) msg = path + ": " + msg;
            out.error = msg;
        }
        return out;
    }

private:
    static void check_stop() {
        if (stop_requested()) throw Interrupted{};
    }

    void patches(const std::string& path, FileRows& out) {
        using namespace audio::vggish_input;
        audio::PatchFramer framer(kPatchFrames, kPatchFrames);
        const std::size_t bytes = std::size_t(kPatchFrames * kMelBands) * sizeof(float);
        const auto s = front_end_.stream_windows(path, framer, [&](Index j, Index, const float* w) {
            check_stop();
            const auto* p = reinterpret_cast<const unsigned char*>(w);
            out.data.insert(out.data.end(), p, p + bytes);
            out.start_ms.push_back(std::int64_t(j) * 960);
            out.start_s.push_back(double(j * 960) / 1000.0);
        });
        out.seconds = double(s.input_frames) / double(s.info.sample_rate);
    }

    void clips(const std::string& path, FileRows& out) {
        using namespace audio::vggish_input;
        Index done = 0;  // complete clips seen
        Index tail_rows = 0;
        Index pending = 0, first_pending = 0;  // clips in clips_ not yet embedded, the first's index
        auto flush = [&] {
            if (pending == 0) return;
            check_stop();
            const Tensor<std::uint8_t> x = vggish_->embed_uint8(
                TensorView<const float>(clips_.data(), Shape{pending * kClipPatches, kPatchFrames, kMelBands}), ws_);
            out.data.insert(out.data.end(), x.data(), x.data() + x.size());
            for (Index k = first_pending; k < first_pending + pending; ++k) {
                out.start_ms.push_back(std::int64_t(k) * 10000);
                out.start_s.push_back(double(k) * 10.0);
            }
            first_pending += pending;
            pending = 0;
        };
        auto slot = [&](Index k) { return clips_.data() + (k - first_pending) * kClipFrames * kMelBands; };
        const auto s = front_end_.stream_log_mel(path, [&](Index first, const float* rows, Index count) {
            for (Index r = 0; r < count; ++r) {
                const Index f = first + r, k = f / kClipHopFrames, pos = f % kClipHopFrames;
                if (pos >= kClipFrames) continue;
                std::copy(rows + r * kMelBands, rows + (r + 1) * kMelBands, slot(k) + pos * kMelBands);
                tail_rows = pos + 1;
                if (pos + 1 == kClipFrames) {
                    done = k + 1;
                    tail_rows = 0;
                    if (++pending == kClipsPerCall) flush();
                }
            }
        });
        out.seconds = double(s.input_frames) / double(s.info.sample_rate);
        const Index tail_samples = s.samples_16k - done * kClipHopFrames * 160;
        if (tail_rows > 0 && tail_samples >= kMinTailSamples) {
            float* tail = slot(done);
            std::fill(tail + tail_rows * kMelBands, tail + kClipFrames * kMelBands, silence_log_mel());
            ++pending;
            out.padded_last = true;
        }
        flush();
    }

    AudioStage stage_;
    const audio::Vggish* vggish_;
    audio::VggishFrontEnd front_end_;
    audio::VggishWorkspace ws_;
    std::vector<float> clips_;  ///< up to kClipsPerCall clips of log-mel rows awaiting one Vggish call
};

/// Runs worker(thread, item) for items 0..n-1 on `threads` threads and hands the results to
/// consume(item, result) in item order on the calling thread; consume returns false to stop
/// (the workers finish the file in hand and no more start). Returns the items consumed.
/// `work` must not throw (AudioWorker::process reports failures in its result).
template <typename Result, typename Work, typename Consume>
std::size_t run_in_order(std::size_t n, int threads, Work&& work, Consume&& consume) {
    if (threads <= 1) {
        for (std::size_t i = 0; i < n; ++i)
            if (!consume(i, work(0, i))) return i + 1;
        return n;
    }
    const std::size_t window = std::size_t(threads) * 2;
    std::vector<std::optional<Result>> ring(window);
    std::mutex m;
    std::condition_variable cv;
    std::size_t next_take = 0, next_consume = 0;
    bool stop = false;
    auto run = [&](int t) {
        for (;;) {
            std::size_t i;
            {
                std::unique_lock<std::mutex> lock(m);
                cv.wait(lock, [&] { return stop || next_take >= n || next_take < next_consume + window; });
                if (stop || next_take >= n) return;
                i = next_take++;
            }
            Result r = work(t, i);
            {
                std::lock_guard<std::mutex> lock(m);
                ring[i % window] = std::move(r);
            }
            cv.notify_all();
        }
    };
    std::vector<std::thread> pool;
    auto halt = [&] {
        {
            std::lock_guard<std::mutex> lock(m);
            stop = true;
        }
        cv.notify_all();
        for (auto& th : pool) th.join();
    };
    std::size_t consumed = 0;
    try {
        for (int t = 0; t < threads; ++t) pool.emplace_back(run, t);
        for (std::size_t i = 0; i < n; ++i) {
            Result r;
            {
                std::unique_lock<std::mutex> lock(m);
                cv.wait(lock, [&] { return ring[i % window].has_value(); });
                r = std::move(*ring[i % window]);
                ring[i % window].reset();
            }
            ++consumed;
            const bool go_on = consume(i, std::move(r));
            {
                std::lock_guard<std::mutex> lock(m);
                next_consume = i + 1;
                if (!go_on) stop = true;
            }
            cv.notify_all();
            if (!go_on) break;
        }
    } catch (...) {  // consume failed (a full disk): stop the workers before unwinding
        halt();
        throw;
    }
    halt();
    return consumed;
}

/// The argument list, checked before any work: every path valid UTF-8 (npz strings are
/// Unicode), and no two files with the same stem (their sample keys would repeat).
inline void check_audio_arguments(const std::vector<std::string>& files) {
    std::unordered_map<std::string, std::size_t> first;
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (!io::detail::valid_utf8(files[i]))
            throw UsageError("file " + std::to_string(i + 1) + " of the list: the path is not valid UTF-8");
        const std::string stem = std::filesystem::path(files[i]).stem().string();
        if (stem.empty()) throw UsageError(files[i] + ": no file name to make sample keys from");
        const auto [it, fresh] = first.emplace(stem, i);
        if (!fresh)
            throw UsageError(files[it->second] + " and " + files[i] + " have the same stem '" + stem +
                             "', so their sample keys (<stem>_<start ms>) would repeat; rename one or run them separately");
    }
}

inline std::string sample_key(const std::string& path, std::int64_t start_ms) {
    return std::filesystem::path(path).stem().string() + "_" + std::to_string(start_ms);
}

/// One line per file list entry (blank lines skipped), for --files-from.
inline std::vector<std::string> read_file_list(const std::string& list) {
    std::FILE* f = list == "-" ? stdin : std::fopen(list.c_str(), "rb");
    if (!f) throw UsageError("--files-from " + list + ": cannot open");
    std::vector<std::string> out;
    std::string line;
    int c;
    while ((c = std::fgetc(f)) != EOF) {
        if (c == '\n') {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (!line.empty()) out.push_back(line);
            line.clear();
        } else {
            line += char(c);
        }
    }
    if (!line.empty()) out.push_back(line);
    if (f != stdin) std::fclose(f);
    return out;
}

/// Progress of a many-file run on stderr: a bar redrawn in place (at most 10 times a second)
/// when stderr is a terminal, nothing otherwise or when quiet. Messages go around the bar.
class AudioProgress {
public:
    AudioProgress(std::size_t total, bool quiet, const char* rows_noun)
        : total_(total), noun_(rows_noun), bar_(!quiet && ::isatty(::fileno(stderr))),
          start_(std::chrono::steady_clock::now()) {}

    bool active() const { return bar_; }

    void update(std::size_t files_done, Index rows, std::size_t failed, bool force = false) {
        if (!bar_) return;
        const auto now = std::chrono::steady_clock::now();
        if (!force && now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        const double elapsed = std::chrono::duration<double>(now - start_).count();
        const double eta = files_done ? elapsed / double(files_done) * double(total_ - files_done) : 0.0;
        constexpr int kWidth = 30;
        const int filled = total_ ? int(double(kWidth) * double(files_done) / double(total_)) : kWidth;
        char bar[kWidth + 1];
        for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
        bar[kWidth] = '\0';
        std::fprintf(stderr, "\r\033[K[%s] %zu/%zu files  %lld %s", bar, files_done, total_,
                     static_cast<long long>(rows), noun_);
        if (failed) std::fprintf(stderr, "  %zu failed", failed);
        std::fprintf(stderr, "  %.0fs", elapsed);
        if (files_done && files_done < total_) std::fprintf(stderr, "  ETA %.0fs", eta);
        std::fflush(stderr);
        drawn_ = true;
    }

    /// A line on stderr (an error, a warning), kept clear of the bar.
    void line(const std::string& text) {
        if (drawn_) std::fprintf(stderr, "\r\033[K");
        std::fprintf(stderr, "%s\n", text.c_str());
        std::fflush(stderr);
        drawn_ = false;
    }

    /// Ends the bar's line.
    void finish() {
        if (drawn_) std::fprintf(stderr, "\n");
        drawn_ = false;
    }

private:
    std::size_t total_;
    const char* noun_;
    bool bar_, drawn_ = false;
    std::chrono::steady_clock::time_point start_, last_{};
};

}  // namespace polytag::openmic::cli
