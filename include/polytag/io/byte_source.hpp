#pragma once
// ByteSource: the sequential bytes of one .npy stream (a plain file, a zip entry, or a
// buffer in memory) with a known declared size. The .npy decoder reads through it
// straight into its destination buffers, so no stream is ever held twice.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "polytag/error.hpp"

namespace polytag::io::detail {

class ByteSource {
public:
    explicit ByteSource(std::string context) : context_(std::move(context)) {}
    virtual ~ByteSource() = default;
    ByteSource(const ByteSource&) = delete;
    ByteSource& operator=(const ByteSource&) = delete;

    /// Total bytes the stream declares it holds.
    virtual std::uint64_t size() const = 0;
    /// What the stream is, for messages: "file", "entry", "buffer".
    virtual const char* noun() const = 0;
    /// Bytes read so far.
    std::uint64_t position() const { return pos_; }
    std::uint64_t remaining() const { return size() - pos_; }
    /// "data/openmic-2018.npz: X.npy": the prefix of every message about this stream (paths as
    /// the caller gave them, whole: a base name alone leaves the user guessing which file).
    const std::string& context() const { return context_; }

    [[noreturn]] void fail(const std::string& what) const { throw IoError(context_ + ": " + what); }

    /// Reads exactly n bytes or throws naming `what`.
    void read_exact(void* dst, std::uint64_t n, const char* what) {
        if (n > remaining())
            fail(std::string(what) + " needs " + std::to_string(n) + " bytes at offset " + std::to_string(pos_) +
                 ", stream holds " + std::to_string(size()));
        auto* out = static_cast<unsigned char*>(dst);
        std::uint64_t done = 0;
        while (done < n) {
            const std::uint64_t got = read_some(out + done, n - done);
            if (got == 0)
                fail(std::string(what) + " is truncated: got " + std::to_string(pos_ + done) + " of " +
                     std::to_string(size()) + " bytes");
            done += got;
        }
        pos_ += n;
    }
    /// Checks the stream ends exactly here (and its checksum, where it has one).
    virtual void finish() {
        if (remaining() != 0)
            fail(std::to_string(remaining()) + " unexpected bytes after the array data");
    }

protected:
    /// Up to n bytes into dst; 0 only at the end or on error (implementations throw on error).
    virtual std::uint64_t read_some(void* dst, std::uint64_t n) = 0;

private:
    std::string context_;
    std::uint64_t pos_ = 0;
};

/// A buffer in memory (fuzzing, tests).
class MemorySource : public ByteSource {
public:
    MemorySource(const void* data, std::size_t size, std::string context)
        : ByteSource(std::move(context)), data_(static_cast<const unsigned char*>(data)), size_(size) {}
    std::uint64_t size() const override { return size_; }
    const char* noun() const override { return "buffer"; }

protected:
    std::uint64_t read_some(void* dst, std::uint64_t n) override {
        const std::uint64_t k = std::min<std::uint64_t>(n, size_ - off_);
        if (k) std::memcpy(dst, data_ + off_, k);
        off_ += k;
        return k;
    }

private:
    const unsigned char* data_;
    std::uint64_t size_;
    std::uint64_t off_ = 0;
};

/// A plain .npy file, read with POSIX read() into the caller's buffer.
class FileSource : public ByteSource {
public:
    explicit FileSource(const std::string& path) : ByteSource(path) {
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) throw IoError(path + ": cannot open: " + std::strerror(errno));
        struct stat st;
        if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd_);
            throw IoError(path + ": not a regular file");
        }
        size_ = std::uint64_t(st.st_size);
    }
    ~FileSource() override { ::close(fd_); }
    std::uint64_t size() const override { return size_; }
    const char* noun() const override { return "file"; }

protected:
    std::uint64_t read_some(void* dst, std::uint64_t n) override {
        for (;;) {
            const std::size_t chunk = std::size_t(std::min<std::uint64_t>(n, std::uint64_t(1) << 30));
            const ssize_t got = ::read(fd_, dst, chunk);
            if (got >= 0) return std::uint64_t(got);
            if (errno != EINTR) fail(std::string("read failed: ") + std::strerror(errno));
        }
    }

private:
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

}  // namespace polytag::io::detail
