#pragma once
// A catalogue .npz's clips a chunk at a time, so that polytag-predict tags a catalogue of any
// size in bounded memory: X (N, frames, features) uint8 in C order is read from its zip entry
// as a stream (deflated or stored, the CRC checked at its end); only the keys (a few tens of
// bytes per clip) are held whole. Validated as load_clips validates: the header against the
// model's clip shape before any data is read, unique non-empty keys, one key per clip.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/io/npy_decode.hpp"
#include "polytag/io/npz.hpp"
#include "polytag/tensor/tensor.hpp"
#include "tool/clip_source.hpp"

namespace polytag::openmic {

class ClipStream {
public:
    ClipStream(const std::string& path, Index frames, Index features)
        : reader_(path), path_(path), frames_(frames), features_(features) {
        if (!reader_.contains("X")) throw IoError(path + ": no array 'X' (expected (N, 10, 128) uint8 clips)");
        x_ = reader_.open_stream("X");
        const io::ArrayInfo info = io::detail::read_npy_header(*x_);
        if (info.dtype != io::DType::UInt8)
            throw IoError(path + ": 'X' holds " + info.numpy_name() + ", expected uint8 VGGish bytes (numpy: X.astype(np.uint8))");
        if (info.shape.size() != 3)
            throw IoError(path + ": 'X' has shape " + info.shape_str() + ", expected (N, frames, features)");
        if (info.shape[1] != frames || info.shape[2] != features)
            throw ShapeError(path + ": clips are " + std::to_string(info.shape[1]) + "x" + std::to_string(info.shape[2]) +
                             " (X is " + info.shape_str() + "), the model reads " + std::to_string(frames) + "x" +
                             std::to_string(features));
        if (info.fortran_order)
            throw IoError(path + ": 'X' is stored in Fortran order; a catalogue is read in C order (numpy: np.ascontiguousarray(X))");
        n_ = info.shape[0];
        if (reader_.contains("sample_key")) {
            keys_ = reader_.read_strings("sample_key");
            if (Index(keys_.size()) != n_)
                throw IoError(path + ": 'sample_key' holds " + std::to_string(keys_.size()) + " keys for " +
                              std::to_string(n_) + " clips");
            std::unordered_map<std::string, Index> seen;  // only for the check: freed at once
            detail::index_keys(keys_, path, seen);
        } else {
            for (Index i = 0; i < n_; ++i) keys_.push_back("row" + std::to_string(i));
        }
    }

    Index size() const { return n_; }
    const std::vector<std::string>& keys() const { return keys_; }
    const std::string& path() const { return path_; }

    /// The next up to `max` clips into `out` (resized to (n, frames, features)); n, 0 at the end.
    Index next(Index max, Tensor<std::uint8_t>& out) {
        const Index n = std::min(max, n_ - done_);
        if (n <= 0) {
            if (!finished_) x_->finish(), finished_ = true;  // the CRC, and no bytes after the data
            return 0;
        }
        out.resize(Shape{n, frames_, features_});
        x_->read_exact(out.data(), std::uint64_t(out.size()), "array data");
        done_ += n;
        return n;
    }

private:
    io::NpzReader reader_;
    std::string path_;
    Index frames_, features_, n_ = 0, done_ = 0;
    bool finished_ = false;
    std::unique_ptr<io::detail::ByteSource> x_;
    std::vector<std::string> keys_;
};

}  // namespace polytag::openmic
