#pragma once
// AtomicFile: write a file so that readers see either the old contents or the complete new
// ones, never a torn mix. Data goes to a temporary file in the same folder (so rename stays
// within one filesystem), which is flushed, fsync'ed and then renamed over the target; the
// folder is fsync'ed too so the rename itself survives a crash. Without commit(), the
// destructor removes the temporary file and leaves the target untouched.
//
// A process killed mid-write cannot clean up, so temporary names carry the writer's pid,
// ".<name>.tmp.<pid>.XXXXXX", and each new AtomicFile for <name> removes those of writers
// that no longer run (and whose file has not changed for a minute: a pid from another pid
// namespace sharing the folder looks dead too). Stale files never pile up beyond one.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "polytag/error.hpp"

namespace polytag::io {

class AtomicFile {
public:
    explicit AtomicFile(std::string path) : path_(std::move(path)) {
        const std::size_t slash = path_.find_last_of('/');
        dir_ = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
        const std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);
        if (base.empty()) throw IoError(path_ + ": not a file name");
        const std::string prefix = (slash == std::string::npos ? std::string() : path_.substr(0, slash + 1));
        remove_stale_temporaries(dir_, prefix, "." + base + ".tmp.");
        tmp_ = prefix + "." + base + ".tmp." + std::to_string(::getpid()) + ".XXXXXX";
        const int fd = ::mkstemp(&tmp_[0]);
        if (fd < 0) throw IoError(path_ + ": cannot create a temporary file in " + dir_ + ": " + std::strerror(errno));
        // mkstemp makes 0600; give the file what the old one had, or the usual 0644.
        struct stat st;
        ::fchmod(fd, ::stat(path_.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644);
        file_ = ::fdopen(fd, "wb");
        if (!file_) {
            const int e = errno;
            ::close(fd);
            ::unlink(tmp_.c_str());
            throw IoError(path_ + ": cannot open the temporary file: " + std::strerror(e));
        }
        std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
    }
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile() { discard(); }

    /// The target path and the temporary one being written.
    const std::string& path() const { return path_; }
    const std::string& temp_path() const { return tmp_; }
    /// The stream to write through; valid until close_stream(), commit() or discard().
    std::FILE* file() const { return file_; }

    void write(const void* data, std::size_t n) {
        if (!file_) throw IoError(path_ + ": AtomicFile stream is closed");
        if (n && std::fwrite(data, 1, n, file_) != n) fail("write failed");
    }
    void write(const std::string& s) { write(s.data(), s.size()); }
    /// For writers that create temp_path() themselves (libzip replaces it by rename): closes
    /// this object's stream; commit() then syncs whatever file is at temp_path().
    void close_stream() {
        if (!file_) return;
        std::FILE* f = file_;
        file_ = nullptr;
        if (std::fclose(f) != 0) fail("close failed");
    }

    /// Flushes, syncs and renames over the target. Throws IoError (and discards) on failure.
    void commit() {
        if (committed_ || tmp_.empty()) throw IoError(path_ + ": AtomicFile already committed or discarded");
        if (file_) {
            if (std::fflush(file_) != 0) fail("flush failed");
            if (::fsync(::fileno(file_)) != 0) fail("fsync failed");
            close_stream();
        } else {
            const int fd = ::open(tmp_.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) fail("cannot reopen the temporary file");
            const int rc = ::fsync(fd);
            ::close(fd);
            if (rc != 0) fail("fsync failed");
        }
        if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail("cannot rename the temporary file over it");
        committed_ = true;
        const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            ::fsync(dfd);  // best effort: some filesystems refuse fsync on folders
            ::close(dfd);
        }
    }

    /// Abandons the write: closes and removes the temporary file (the target is untouched). Idempotent.
    void discard() noexcept {
        if (file_) {
            std::fclose(file_);
            file_ = nullptr;
        }
        if (!committed_ && !tmp_.empty()) {
            ::unlink(tmp_.c_str());
            tmp_.clear();
        }
    }

    /// Removes "<prefix><stem><pid>.XXXXXX" files of writers that are gone (see the top of the
    /// file), and "<stem>XXXXXX" ones of older polytag versions (no pid) unchanged for an hour.
    /// Best effort: a file that cannot be inspected or removed is left alone.
    static void remove_stale_temporaries(const std::string& dir, const std::string& prefix, const std::string& stem) {
        DIR* d = ::opendir(dir.c_str());
        if (!d) return;
        const std::time_t now = std::time(nullptr);
        while (const dirent* e = ::readdir(d)) {
            const std::string name = e->d_name;
            if (name.size() <= stem.size() || name.compare(0, stem.size(), stem) != 0) continue;
            const std::string rest = name.substr(stem.size());
            const std::size_t dot = rest.find('.');
            bool gone = false;
            long age_limit = 60;
            if (dot == std::string::npos) {
                gone = rest.size() == 6;  // mkstemp's six characters: the old, pid-less name
                age_limit = 3600;
            } else if (dot > 0 && dot <= 10 && rest.size() == dot + 7 &&
                       rest.find_first_not_of("0123456789") == dot) {
                const long pid = std::strtol(rest.c_str(), nullptr, 10);
                gone = pid > 0 && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH;
            }
            if (!gone) continue;
            const std::string path = prefix + name;
            struct stat st;
            if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime >= age_limit)
                ::unlink(path.c_str());
        }
        ::closedir(d);
    }

private:
    [[noreturn]] void fail(const char* what) const {
        throw IoError(path_ + ": " + what + " (" + std::strerror(errno) + ")");
    }

    std::string path_, dir_, tmp_;
    std::FILE* file_ = nullptr;
    bool committed_ = false;
};

/// Runs fill(AtomicFile&) and commits; if fill throws, the target is left as it was.
template <typename Fill>
void write_atomically(const std::string& path, Fill&& fill) {
    AtomicFile file(path);
    fill(file);
    file.commit();
}

}  // namespace polytag::io
