#pragma once
// Read-only access to the entries of a zip archive through libzip: the central directory
// is parsed once (zip64 and data descriptors included, local headers cross-checked with
// ZIP_CHECKCONS), and one entry is opened by name without touching the others. Entries
// are read sequentially with the CRC-32 verified at their end. Sizes are checked before
// anything is allocated: a stored entry must be as large as its data, a deflated one can
// not claim more than DEFLATE's maximum ratio, and no entry is inflated past its
// declared size (deflate bombs stop there).
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <zip.h>

#include "polytag/io/byte_source.hpp"

namespace polytag::io::detail {

/// DEFLATE cannot expand a stream by more than 1032:1 (258-byte matches coded in 2 bits).
constexpr std::uint64_t kMaxDeflateRatio = 1032;

struct ZipEntry {
    std::string name;
    zip_uint64_t index = 0;
    std::uint64_t size = 0;             ///< uncompressed bytes
    std::uint64_t compressed_size = 0;  ///< bytes in the archive
    std::uint16_t method = 0;           ///< ZIP_CM_STORE or ZIP_CM_DEFLATE
};

/// One entry opened for reading, as a ByteSource.
class ZipEntrySource : public ByteSource {
public:
    ZipEntrySource(zip_file_t* file, std::uint64_t size, std::string context)
        : ByteSource(std::move(context)), file_(file), size_(size) {}
    ~ZipEntrySource() override { zip_fclose(file_); }
    std::uint64_t size() const override { return size_; }
    const char* noun() const override { return "entry"; }

    void finish() override {
        ByteSource::finish();
        // One more read reaches libzip's end of stream, where it compares the CRC-32 and
        // the inflated size with the directory; a stream that goes on is refused.
        unsigned char extra;
        const zip_int64_t got = zip_fread(file_, &extra, 1);
        if (got < 0) fail(std::string("zip entry is corrupt: ") + zip_file_strerror(file_));
        if (got > 0) fail("zip entry inflates to more than its declared " + std::to_string(size_) + " bytes");
    }

protected:
    std::uint64_t read_some(void* dst, std::uint64_t n) override {
        const zip_int64_t got = zip_fread(file_, dst, n);
        if (got < 0) fail(std::string("zip entry is corrupt: ") + zip_file_strerror(file_));
        return std::uint64_t(got);
    }

private:
    zip_file_t* file_;
    std::uint64_t size_;
};

class ZipArchive {
public:
    /// Opens a zip file; throws IoError naming it when it is not a readable zip archive.
    static ZipArchive open_file(const std::string& path) {
        struct stat st;
        if (::stat(path.c_str(), &st) != 0) throw IoError(path + ": cannot open: " + std::strerror(errno));
        if (!S_ISREG(st.st_mode)) throw IoError(path + ": not a regular file");
        check_min_size(path, std::uint64_t(st.st_size));
        int err = 0;
        zip_t* za = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
        if (!za) throw IoError(path + ": not a readable zip archive: " + zip_error_text(err));
        return ZipArchive(za, path, std::uint64_t(st.st_size));
    }
    /// Opens an archive held in memory; `data` must outlive the archive.
    static ZipArchive open_memory(const void* data, std::size_t size, const std::string& name) {
        check_min_size(name, size);
        zip_error_t error;
        zip_error_init(&error);
        zip_source_t* src = zip_source_buffer_create(data, size, 0, &error);
        if (!src) {
            zip_error_fini(&error);
            throw IoError(name + ": cannot create a zip source");
        }
        zip_t* za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &error);
        if (!za) {
            const std::string why = zip_error_strerror(&error);
            zip_source_free(src);
            zip_error_fini(&error);
            throw IoError(name + ": not a readable zip archive: " + why);
        }
        zip_error_fini(&error);
        return ZipArchive(za, name, size);
    }

    const std::string& name() const { return name_; }
    const std::vector<ZipEntry>& entries() const { return entries_; }
    const ZipEntry* find(const std::string& entry_name) const {
        for (const ZipEntry& e : entries_)
            if (e.name == entry_name) return &e;
        return nullptr;
    }

    /// Opens one entry for sequential reading.
    std::unique_ptr<ZipEntrySource> open(const ZipEntry& e) const {
        const std::string context = name_ + ": " + e.name;
        zip_file_t* f = zip_fopen_index(zip_.get(), e.index, 0);
        if (!f) throw IoError(context + ": cannot open zip entry: " + zip_strerror(zip_.get()));
        return std::make_unique<ZipEntrySource>(f, e.size, context);
    }

private:
    struct Closer {
        void operator()(zip_t* za) const { zip_discard(za); }
    };

    // libzip opens an empty file as an empty archive; numpy (and we) call that no archive.
    static void check_min_size(const std::string& name, std::uint64_t size) {
        if (size < 22) throw IoError(name + ": not a readable zip archive: " + std::to_string(size) + " bytes is too short");
    }

    static std::string zip_error_text(int code) {
        zip_error_t error;
        zip_error_init_with_code(&error, code);
        std::string s = zip_error_strerror(&error);
        zip_error_fini(&error);
        return s;
    }

    ZipArchive(zip_t* za, std::string name, std::uint64_t archive_size) : zip_(za, Closer()), name_(std::move(name)) {
        const zip_int64_t n = zip_get_num_entries(za, 0);
        if (n < 0) throw IoError(name_ + ": cannot list the zip archive");
        entries_.reserve(std::size_t(std::min<zip_int64_t>(n, 1 << 16)));
        for (zip_int64_t i = 0; i < n; ++i) {
            zip_stat_t st;
            zip_stat_init(&st);
            if (zip_stat_index(za, zip_uint64_t(i), 0, &st) != 0)
                throw IoError(name_ + ": zip entry " + std::to_string(i) + " is unreadable: " + zip_strerror(za));
            const zip_uint64_t need = ZIP_STAT_NAME | ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
            if ((st.valid & need) != need || !st.name)
                throw IoError(name_ + ": zip entry " + std::to_string(i) + " lacks its name or sizes");
            ZipEntry e;
            e.name = st.name;
            e.index = zip_uint64_t(i);
            e.size = st.size;
            e.compressed_size = st.comp_size;
            e.method = st.comp_method;
            const std::string context = name_ + ": " + e.name;
            if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
                throw IoError(context + ": encrypted zip entries are not supported");
            if (e.compressed_size > archive_size)
                throw IoError(context + ": zip entry claims " + std::to_string(e.compressed_size) +
                              " compressed bytes, the archive holds " + std::to_string(archive_size));
            if (e.method == ZIP_CM_STORE) {
                if (e.size != e.compressed_size)
                    throw IoError(context + ": stored zip entry claims " + std::to_string(e.size) + " bytes but holds " +
                                  std::to_string(e.compressed_size));
            } else if (e.method == ZIP_CM_DEFLATE) {
                if (e.size > e.compressed_size * kMaxDeflateRatio + 64)
                    throw IoError(context + ": deflated zip entry claims " + std::to_string(e.size) + " bytes from " +
                                  std::to_string(e.compressed_size) + ", beyond what DEFLATE can expand to");
            } else {
                throw IoError(context + ": zip compression method " + std::to_string(e.method) +
                              " is not supported (only stored and deflate)");
            }
            entries_.push_back(std::move(e));
        }
    }

    std::shared_ptr<zip_t> zip_;  // shared: copies of a reader use one open archive
    std::string name_;
    std::vector<ZipEntry> entries_;
};

}  // namespace polytag::io::detail
