#pragma once
// Decoding audio files with libsndfile (WAV, FLAC, Ogg/Vorbis, MP3 and the rest libsndfile
// 1.2 reads) into mono float, one chunk at a time, so a file of any length is read in
// bounded memory.
//
//   polytag::audio::AudioFile file("song.ogg");          // throws IoError, names the path
//   std::vector<float> mono(8192);
//   while (Index n = file.read_mono(mono.data(), 8192)) { ... }
//   float peak = polytag::audio::mono_peak("song.ogg");  // one decoding pass
//
// Mono is the mean over channels (the OpenMIC release: soundfile.read(...).mean(axis=-1)).
// Integer PCM is scaled as libsndfile and soundfile do (int16 / 32768). Decoding errors
// (corrupt or truncated streams) throw IoError with the path and what libsndfile said.
#include <sndfile.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/tensor/shape.hpp"

namespace polytag::audio {

/// What the file header says.
struct AudioInfo {
    std::string path;
    int sample_rate = 0;
    int channels = 0;
    Index frames = 0;    ///< frames (samples per channel) the header promises
    std::string format;  ///< libsndfile's names, e.g. "OGG (OGG Container format) / Vorbis"
};

namespace detail {
/// libsndfile messages sometimes end in '\n' or span lines; keep messages on one line.
inline std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    while (!s.empty() && (s.back() == ' ' || s.back() == '.')) s.pop_back();
    return s;
}
}  // namespace detail

/// An open audio file, decoded to mono float on demand. Move-only; closes on destruction.
class AudioFile {
public:
    /// Default chunk for read_mono callers that do not care (frames).
    static constexpr Index kDefaultChunkFrames = 8192;

    /// Opens `path`; throws IoError when it is missing, not a regular file, not a format
    /// libsndfile recognises, or has no channels / sample rate.
    explicit AudioFile(const std::string& path) {
        info_.path = path;
        struct stat st;
        if (::stat(path.c_str(), &st) != 0) throw IoError(path + ": cannot open: " + std::strerror(errno));
        if (!S_ISREG(st.st_mode)) throw IoError(path + ": cannot open: not a regular file");
        SF_INFO sf_info;
        std::memset(&sf_info, 0, sizeof sf_info);
        file_ = sf_open(path.c_str(), SFM_READ, &sf_info);
        if (!file_) throw IoError(path + ": not a readable audio file: " + detail::one_line(sf_strerror(nullptr)));
        if (sf_info.channels <= 0 || sf_info.samplerate <= 0) {
            sf_close(file_);
            throw IoError(path + ": invalid audio header: " + std::to_string(sf_info.channels) + " channels at " +
                          std::to_string(sf_info.samplerate) + " Hz");
        }
        info_.sample_rate = sf_info.samplerate;
        info_.channels = sf_info.channels;
        info_.frames = static_cast<Index>(sf_info.frames);
        info_.format = format_name(sf_info.format);
    }
    AudioFile(AudioFile&& o) noexcept
        : file_(std::exchange(o.file_, nullptr)), info_(std::move(o.info_)),
          interleaved_(std::move(o.interleaved_)), frames_read_(o.frames_read_) {}
    AudioFile& operator=(AudioFile&& o) noexcept {
        if (this != &o) {
            close();
            file_ = std::exchange(o.file_, nullptr);
            info_ = std::move(o.info_);
            interleaved_ = std::move(o.interleaved_);
            frames_read_ = o.frames_read_;
        }
        return *this;
    }
    AudioFile(const AudioFile&) = delete;
    AudioFile& operator=(const AudioFile&) = delete;
    ~AudioFile() { close(); }

    const AudioInfo& info() const { return info_; }
    const std::string& path() const { return info_.path; }
    int sample_rate() const { return info_.sample_rate; }
    int channels() const { return info_.channels; }
    /// Frames decoded since opening or the last rewind().
    Index frames_read() const { return frames_read_; }

    /// Decodes up to `max_frames` frames into `out` as the mean over channels; returns the
    /// frames written, 0 at the end of the stream. The interleaved scratch buffer grows to
    /// max_frames * channels once; later calls with the same size do not allocate.
    /// Throws IoError when libsndfile reports a decoding error.
    Index read_mono(float* out, Index max_frames) {
        if (max_frames <= 0) return 0;
        const int ch = info_.channels;
        Index got;
        if (ch == 1) {
            got = static_cast<Index>(sf_readf_float(file_, out, max_frames));
        } else {
            const auto need = static_cast<std::size_t>(max_frames) * static_cast<std::size_t>(ch);
            if (interleaved_.size() < need) interleaved_.resize(need);
            got = static_cast<Index>(sf_readf_float(file_, interleaved_.data(), max_frames));
            const float* in = interleaved_.data();
            if (ch == 2) {
                for (Index i = 0; i < got; ++i) out[i] = 0.5f * (in[2 * i] + in[2 * i + 1]);
            } else {
                const float inv = 1.0f / static_cast<float>(ch);
                for (Index i = 0; i < got; ++i) {
                    float s = 0.0f;
                    for (int c = 0; c < ch; ++c) s += in[i * ch + c];
                    out[i] = s * inv;
                }
            }
        }
        if (got < max_frames && sf_error(file_) != SF_ERR_NO_ERROR)
            throw IoError(info_.path + ": decoding failed after " + std::to_string(frames_read_ + got) +
                          " frames: " + detail::one_line(sf_strerror(file_)));
        frames_read_ += got;
        return got;
    }

    /// Back to the first frame (for a second decoding pass).
    void rewind() {
        if (sf_seek(file_, 0, SEEK_SET) != 0)
            throw IoError(info_.path + ": cannot seek to the start: " + detail::one_line(sf_strerror(file_)));
        frames_read_ = 0;
    }

private:
    void close() {
        if (file_) sf_close(file_);
        file_ = nullptr;
    }

    static std::string format_name(int format) {
        std::string out;
        SF_FORMAT_INFO major{format & SF_FORMAT_TYPEMASK, nullptr, nullptr};
        if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &major, sizeof major) == 0 && major.name) out = major.name;
        SF_FORMAT_INFO sub{format & SF_FORMAT_SUBMASK, nullptr, nullptr};
        if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &sub, sizeof sub) == 0 && sub.name) out += std::string(" / ") + sub.name;
        return out;
    }

    SNDFILE* file_ = nullptr;
    AudioInfo info_;
    std::vector<float> interleaved_;
    Index frames_read_ = 0;
};

/// Peak |mono| over the whole file and the frames decoded: the first pass of the front end.
struct MonoPeak {
    float peak = 0.0f;
    Index frames = 0;
};

/// Decodes `file` from the start to the end, returns the peak of |mean over channels| and
/// the frame count, and rewinds it. Uses `scratch` (resized to chunk_frames once).
inline MonoPeak scan_mono_peak(AudioFile& file, std::vector<float>& scratch,
                               Index chunk_frames = AudioFile::kDefaultChunkFrames) {
    if (static_cast<Index>(scratch.size()) < chunk_frames) scratch.resize(static_cast<std::size_t>(chunk_frames));
    file.rewind();
    MonoPeak result;
    while (const Index n = file.read_mono(scratch.data(), chunk_frames)) {
        float m = result.peak;
        for (Index i = 0; i < n; ++i) m = std::max(m, std::abs(scratch[static_cast<std::size_t>(i)]));
        result.peak = m;
        result.frames += n;
    }
    file.rewind();
    return result;
}

/// The peak of |mono| of the file at `path` (one full decoding pass).
inline float mono_peak(const std::string& path) {
    AudioFile file(path);
    std::vector<float> scratch;
    return scan_mono_peak(file, scratch).peak;
}

/// The whole file as mono float (convenience for short files and tests; the front end
/// streams instead). Throws IoError as AudioFile does.
inline std::vector<float> read_mono_file(const std::string& path, int* sample_rate = nullptr) {
    AudioFile file(path);
    if (sample_rate) *sample_rate = file.sample_rate();
    std::vector<float> out;
    std::vector<float> chunk(static_cast<std::size_t>(AudioFile::kDefaultChunkFrames));
    while (const Index n = file.read_mono(chunk.data(), AudioFile::kDefaultChunkFrames))
        out.insert(out.end(), chunk.begin(), chunk.begin() + n);
    return out;
}

}  // namespace polytag::audio
