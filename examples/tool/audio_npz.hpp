#pragma once
// The clip tables polytag-embed writes, in bounded memory whatever their size, and the merge
// of shard outputs.
//
// A table is an .npz in the OpenMIC release's layout plus where each row came from:
//   <data>      the rows: "X" uint8 (N, 10, 128) or "log_mel" float32 (N, 96, 64)
//   sample_key  (N,) '<U' strings, "<file stem>_<start ms>"
//   source      (N,) '<U' strings, the audio file as given on the command line
//   start_s     (N,) float64, start of the row in its file, seconds
//   file_index  (N,) int64, position of the file in the full argument list (the order
//               --shard splits and --merge restores)
// Rows are in file order, then time order. Every array is spooled to an unlinked temporary
// file next to the output while rows arrive (strings as length-prefixed UTF-8; their '<U'
// width is known only at the end), so memory does not grow with the number of rows; at
// commit the arrays are stored (not deflated, as np.savez) into a zip written atomically.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <unistd.h>
#include <zip.h>

#include "polytag/error.hpp"
#include "polytag/io/atomic_file.hpp"
#include "polytag/io/dtype.hpp"
#include "polytag/io/npy_decode.hpp"
#include "polytag/io/npy_header.hpp"
#include "polytag/io/npz.hpp"
#include "polytag/io/text.hpp"
#include "polytag/io/zip_reader.hpp"
#include "tool/cli_support.hpp"

namespace polytag::openmic::cli {

namespace audio_npz_detail {

/// An anonymous temporary file in the folder of `near` (unlinked at once, so nothing is
/// left behind whatever happens to the process), written through a buffered stream.
class SpoolFile {
public:
    explicit SpoolFile(const std::string& near) : near_(near) {
        const std::size_t slash = near.find_last_of('/');
        const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : near.substr(0, slash));
        std::string tmpl = dir + "/.polytag-spool.XXXXXX";
        const int fd = ::mkstemp(&tmpl[0]);
        if (fd < 0) throw IoError(near + ": cannot create a temporary file in " + dir + ": " + std::strerror(errno));
        ::unlink(tmpl.c_str());
        file_ = ::fdopen(fd, "w+b");
        if (!file_) {
            ::close(fd);
            throw IoError(near + ": cannot open a temporary file: " + std::strerror(errno));
        }
        std::setvbuf(file_, nullptr, _IOFBF, 1 << 16);
    }
    SpoolFile(const SpoolFile&) = delete;
    SpoolFile& operator=(const SpoolFile&) = delete;
    ~SpoolFile() {
        if (file_) std::fclose(file_);
    }

    void write(const void* data, std::size_t n) {
        if (n && std::fwrite(data, 1, n, file_) != n)
            throw IoError(near_ + ": writing a temporary file failed: " + std::strerror(errno));
        size_ += n;
    }
    std::uint64_t size() const { return size_; }
    /// Overwrites bytes already written (the .npy header in its reserved room).
    void write_at(std::uint64_t at, const void* data, std::size_t n) {
        flush();
        if (::pwrite(::fileno(file_), data, n, off_t(at)) != ssize_t(n))
            throw IoError(near_ + ": writing a temporary file failed: " + std::strerror(errno));
    }
    void flush() {
        if (std::fflush(file_) != 0) throw IoError(near_ + ": writing a temporary file failed: " + std::strerror(errno));
    }
    /// Sequential reading from the start (after the writing is done).
    void rewind_for_reading() {
        flush();
        if (std::fseek(file_, 0, SEEK_SET) != 0) throw IoError(near_ + ": cannot rewind a temporary file");
    }
    void read(void* data, std::size_t n) {
        if (n && std::fread(data, 1, n, file_) != n) throw IoError(near_ + ": reading a temporary file failed");
    }
    /// A new stream on the same file, for libzip (which closes it).
    std::FILE* reopen() {
        flush();
        const int fd = ::dup(::fileno(file_));
        std::FILE* f = fd >= 0 ? ::fdopen(fd, "rb") : nullptr;
        if (!f) {
            if (fd >= 0) ::close(fd);
            throw IoError(near_ + ": cannot reopen a temporary file");
        }
        return f;
    }

private:
    std::string near_;
    std::FILE* file_ = nullptr;
    std::uint64_t size_ = 0;
};

/// Room left before the data for the .npy header, written when the row count is known.
constexpr std::size_t kHeaderRoom = 4096;

/// One array of the table being written: numeric rows or strings, spooled.
class SpooledArray {
public:
    /// Numeric rows of `descr` and shape `inner` (each row row_bytes bytes).
    SpooledArray(const std::string& near, std::string name, std::string descr, std::vector<Index> inner,
                 std::size_t row_bytes)
        : name_(std::move(name)), descr_(std::move(descr)), inner_(std::move(inner)), row_bytes_(row_bytes),
          data_(std::make_unique<SpoolFile>(near)) {
        reserve_header(*data_);
    }
    /// Strings ('<U', as wide as the longest).
    SpooledArray(const std::string& near, std::string name)
        : name_(std::move(name)), strings_(true), data_(std::make_unique<SpoolFile>(near)) {}

    const std::string& name() const { return name_; }
    Index rows() const { return rows_; }

    void append(const void* rows, Index count) {
        data_->write(rows, row_bytes_ * std::size_t(count));
        rows_ += count;
    }
    void append(const std::string& s) {
        std::size_t i = 0, units = 0;
        std::uint32_t cp;
        while (i < s.size()) {
            if (!io::detail::next_utf8(s, i, cp)) throw ValueError("'" + s + "' is not valid UTF-8");
            ++units;
        }
        width_ = std::max(width_, units);
        const std::uint32_t len = std::uint32_t(s.size());
        data_->write(&len, sizeof len);
        data_->write(s.data(), s.size());
        ++rows_;
    }

    /// Where the finished .npy stream lies: file, offset, length (the file is the caller's).
    struct Range {
        std::FILE* file;
        std::uint64_t start, length;
    };
    Range finish(const std::string& near) {
        if (strings_) {
            // Length-prefixed UTF-8 -> fixed-width UTF-32, into a second spool file.
            auto out = std::make_unique<SpoolFile>(near);
            reserve_header(*out);
            data_->rewind_for_reading();
            const std::size_t width = std::max<std::size_t>(1, width_);
            std::vector<unsigned char> rec(width * 4);
            std::string s;
            for (Index r = 0; r < rows_; ++r) {
                std::uint32_t len = 0;
                data_->read(&len, sizeof len);
                s.resize(len);
                data_->read(&s[0], len);
                std::fill(rec.begin(), rec.end(), 0);
                std::size_t i = 0, k = 0;
                std::uint32_t c;
                while (i < s.size() && io::detail::next_utf8(s, i, c)) {
                    unsigned char* p = rec.data() + 4 * k++;
                    p[0] = (unsigned char)(c & 0xff), p[1] = (unsigned char)((c >> 8) & 0xff);
                    p[2] = (unsigned char)((c >> 16) & 0xff), p[3] = (unsigned char)(c >> 24);
                }
                out->write(rec.data(), rec.size());
            }
            data_ = std::move(out);
            descr_ = "<U" + std::to_string(width);
            inner_.clear();
        }
        io::ArrayInfo info;
        info.descr = descr_;
        info.shape.push_back(rows_);
        info.shape.insert(info.shape.end(), inner_.begin(), inner_.end());
        const std::string header = io::detail::format_npy_header(info);
        if (header.size() > kHeaderRoom) throw ValueError(name_ + ": .npy header too long");
        const std::uint64_t start = kHeaderRoom - header.size();
        data_->write_at(start, header.data(), header.size());
        return {data_->reopen(), start, data_->size() - start};
    }

private:
    static void reserve_header(SpoolFile& f) {
        static const std::vector<char> zeros(kHeaderRoom, 0);
        f.write(zeros.data(), zeros.size());
    }

    std::string name_, descr_;
    std::vector<Index> inner_;
    std::size_t row_bytes_ = 0;
    bool strings_ = false;
    std::size_t width_ = 0;
    Index rows_ = 0;
    std::unique_ptr<SpoolFile> data_;
};

/// Stores the arrays' .npy streams into a new zip at `zip_path` (AtomicFile's temporary).
inline void write_zip_ranges(const std::string& zip_path, const std::string& display, std::vector<SpooledArray>& arrays) {
    int err = 0;
    zip_t* za = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!za) throw IoError(display + ": cannot create the zip archive (libzip error " + std::to_string(err) + ")");
    auto fail = [&](const std::string& what) {
        const std::string why = zip_strerror(za);
        zip_discard(za);
        throw IoError(display + ": " + what + ": " + why);
    };
    for (SpooledArray& a : arrays) {
        const SpooledArray::Range r = a.finish(display);
        zip_error_t ze;
        zip_error_init(&ze);
        zip_source_t* src = zip_source_filep_create(r.file, r.start, zip_int64_t(r.length), &ze);
        zip_error_fini(&ze);
        if (!src) {
            std::fclose(r.file);
            fail("cannot add '" + a.name() + "'");
        }
        const std::string entry = a.name() + ".npy";
        const zip_int64_t idx = zip_file_add(za, entry.c_str(), src, ZIP_FL_ENC_UTF_8);
        if (idx < 0) {
            zip_source_free(src);
            fail("cannot add '" + entry + "'");
        }
        if (zip_set_file_compression(za, zip_uint64_t(idx), ZIP_CM_STORE, 0) != 0)
            fail("cannot set compression of '" + entry + "'");
        // The fixed timestamp polytag's save_npz uses (1980-01-02): reproducible bytes.
        if (zip_file_set_mtime(za, zip_uint64_t(idx), std::time_t(315619200), 0) != 0)
            fail("cannot set the time of '" + entry + "'");
    }
    if (zip_close(za) != 0) fail("writing the zip archive failed");
}

}  // namespace audio_npz_detail

/// What a table holds per row: the data array's name, dtype and row shape.
struct TableLayout {
    std::string data_name;   ///< "X" or "log_mel"
    std::string descr;       ///< "|u1" or "<f4"
    std::vector<Index> row;  ///< {10, 128} or {96, 64}
    std::size_t item = 1;    ///< bytes per element
    std::size_t row_bytes() const {
        std::size_t n = item;
        for (Index d : row) n *= std::size_t(d);
        return n;
    }
};

inline TableLayout clip_layout(Index frames = 10, Index features = 128) { return {"X", "|u1", {frames, features}, 1}; }
inline TableLayout log_mel_layout() { return {"log_mel", "<f4", {96, 64}, 4}; }

/// Writes a table row by row; nothing appears at `path` until commit().
class TableWriter {
public:
    TableWriter(std::string path, TableLayout layout) : path_(std::move(path)), layout_(std::move(layout)) {
        using audio_npz_detail::SpooledArray;
        arrays_.emplace_back(path_, layout_.data_name, layout_.descr, layout_.row, layout_.row_bytes());
        arrays_.emplace_back(path_, "sample_key");
        arrays_.emplace_back(path_, "source");
        arrays_.emplace_back(path_, "start_s", io::detail::descr_of<double>(), std::vector<Index>{}, sizeof(double));
        arrays_.emplace_back(path_, "file_index", io::detail::descr_of<std::int64_t>(), std::vector<Index>{},
                             sizeof(std::int64_t));
    }
    const TableLayout& layout() const { return layout_; }
    Index rows() const { return arrays_[0].rows(); }

    /// One row: layout().row_bytes() bytes of data.
    void add(const void* data, const std::string& key, const std::string& source, double start_s,
             std::int64_t file_index) {
        arrays_[0].append(data, 1);
        arrays_[1].append(key);
        arrays_[2].append(source);
        arrays_[3].append(&start_s, 1);
        arrays_[4].append(&file_index, 1);
    }

    /// Writes the .npz atomically (readers see the old file or the whole new one).
    void commit() {
        io::write_atomically(path_, [&](io::AtomicFile& f) {
            f.close_stream();
            audio_npz_detail::write_zip_ranges(f.temp_path(), path_, arrays_);
        });
    }

private:
    std::string path_;
    TableLayout layout_;
    std::vector<audio_npz_detail::SpooledArray> arrays_;
};

/// Reads a table row by row (a shard output, for the merge): the small per-row arrays whole,
/// the data and strings streamed.
class TableReader {
public:
    explicit TableReader(const std::string& path)
        : path_(path), npz_(path), zip_(io::detail::ZipArchive::open_file(path)) {
        for (const char* need : {"sample_key", "source", "start_s", "file_index"})
            if (!npz_.contains(need))
                throw IoError(path + ": no array '" + need + "' (not written by polytag-embed?)");
        if (npz_.contains("X")) layout_ = clip_layout();
        else if (npz_.contains("log_mel")) layout_ = log_mel_layout();
        else throw IoError(path + ": neither 'X' nor 'log_mel' (not written by polytag-embed?)");
        data_ = open_stream(layout_.data_name);
        const io::ArrayInfo info = io::detail::read_npy_header(*data_);
        if (info.shape.size() != 3 || info.fortran_order || info.descr != layout_.descr)
            throw IoError(path + ": '" + layout_.data_name + "' is " + info.numpy_name() + " " + info.shape_str() +
                          ", expected " + layout_.descr + " (N, ...) in C order");
        layout_.row = {info.shape[1], info.shape[2]};
        rows_ = info.shape[0];
        start_s_ = npz_.read<double>("start_s");
        file_index_ = npz_.read<std::int64_t>("file_index");
        if (start_s_.rank() != 1 || file_index_.rank() != 1 || start_s_.dim(0) != rows_ || file_index_.dim(0) != rows_)
            throw IoError(path + ": 'start_s' and 'file_index' must hold one value per row of '" + layout_.data_name + "'");
        for (Index r = 1; r < rows_; ++r)
            if (file_index_[r] < file_index_[r - 1])
                throw IoError(path + ": rows are not in file order (row " + std::to_string(r) + ")");
        keys_ = open_strings("sample_key", key_width_);
        sources_ = open_strings("source", source_width_);
        row_.resize(layout_.row_bytes());
    }

    const std::string& path() const { return path_; }
    const TableLayout& layout() const { return layout_; }
    Index rows() const { return rows_; }
    Index next() const { return next_; }
    bool done() const { return next_ >= rows_; }
    std::int64_t file_index(Index r) const { return file_index_[r]; }

    /// Reads the next row into row(), key(), source(), start_s().
    void read_next() {
        data_->read_exact(row_.data(), row_.size(), "row data");
        read_string(*keys_, key_width_, key_);
        read_string(*sources_, source_width_, source_);
        start_ = start_s_[next_];
        ++next_;
    }
    const void* row() const { return row_.data(); }
    const std::string& key() const { return key_; }
    const std::string& source() const { return source_; }
    double start_s() const { return start_; }

private:
    // The .npy stream of one entry, read sequentially (a second handle on the archive).
    std::unique_ptr<io::detail::ByteSource> open_stream(const std::string& name) const {
        const io::detail::ZipEntry* e = zip_.find(name + ".npy");
        if (!e) e = zip_.find(name);
        if (!e) throw IoError(path_ + ": no array named '" + name + "'");
        return zip_.open(*e);
    }
    std::unique_ptr<io::detail::ByteSource> open_strings(const char* name, std::size_t& width) {
        auto s = open_stream(name);
        const io::ArrayInfo info = io::detail::read_npy_header(*s);
        if (info.dtype != io::DType::Unicode || info.shape.size() != 1 || info.shape[0] != rows_)
            throw IoError(path_ + ": '" + name + "' is " + info.numpy_name() + " " + info.shape_str() + ", expected (" +
                          std::to_string(rows_) + ",) strings");
        width = info.item_size;
        big_endian_ = info.big_endian;
        return s;
    }
    void read_string(io::detail::ByteSource& src, std::size_t width, std::string& out) {
        buf_.resize(width);
        src.read_exact(buf_.data(), width, "string data");
        if (!io::detail::utf32_to_utf8(buf_.data(), width / 4, big_endian_, out))
            src.fail("row " + std::to_string(next_) + " is not valid UTF-32");
    }

    std::string path_;
    io::NpzReader npz_;
    io::detail::ZipArchive zip_;
    TableLayout layout_;
    Index rows_ = 0, next_ = 0;
    std::unique_ptr<io::detail::ByteSource> data_, keys_, sources_;
    std::size_t key_width_ = 0, source_width_ = 0;
    bool big_endian_ = false;
    Tensor<double> start_s_;
    Tensor<std::int64_t> file_index_;
    std::vector<unsigned char> row_, buf_;
    std::string key_, source_;
    double start_ = 0;
};

/// Merges shard tables into one, rows in file_index order: the table one process would
/// have written for the whole argument list. Every input must have the same layout; a file
/// index or a sample key found in two inputs is an IoError naming both (the same shard given
/// twice, or tables of different runs). Returns the number of rows.
inline Index merge_tables(const std::vector<std::string>& inputs, const std::string& out_path) {
    if (inputs.empty()) throw UsageError("--merge: no input tables");
    std::vector<std::unique_ptr<TableReader>> in;
    for (const auto& p : inputs) in.push_back(std::make_unique<TableReader>(p));
    const TableLayout& layout = in[0]->layout();
    for (const auto& r : in)
        if (r->layout().data_name != layout.data_name || r->layout().row != layout.row)
            throw IoError(r->path() + ": holds '" + r->layout().data_name + "' rows of " +
                          std::to_string(r->layout().row[0]) + "x" + std::to_string(r->layout().row[1]) + ", " +
                          in[0]->path() + " '" + layout.data_name + "' rows of " + std::to_string(layout.row[0]) +
                          "x" + std::to_string(layout.row[1]));
    // Which input holds each file: a file must come from one input only.
    std::unordered_map<std::int64_t, std::size_t> owner;
    for (std::size_t i = 0; i < in.size(); ++i)
        for (Index r = 0; r < in[i]->rows(); ++r) {
            const auto [it, fresh] = owner.emplace(in[i]->file_index(r), i);
            if (!fresh && it->second != i)
                throw IoError(in[it->second]->path() + " and " + in[i]->path() + " both hold rows of file index " +
                              std::to_string(it->first) + " (the same shard twice, or tables of different runs?)");
        }
    TableWriter out(out_path, layout);
    std::unordered_map<std::string, std::size_t> key_owner;
    for (;;) {
        std::size_t best = in.size();
        for (std::size_t i = 0; i < in.size(); ++i)
            if (!in[i]->done() &&
                (best == in.size() || in[i]->file_index(in[i]->next()) < in[best]->file_index(in[best]->next())))
                best = i;
        if (best == in.size()) break;
        TableReader& r = *in[best];
        const std::int64_t file = r.file_index(r.next());
        while (!r.done() && r.file_index(r.next()) == file) {
            r.read_next();
            const auto [it, fresh] = key_owner.emplace(r.key(), best);
            if (!fresh)
                throw IoError((it->second == best ? r.path() : in[it->second]->path() + " and " + r.path()) +
                              ": sample_key '" + r.key() + "' appears twice");
            out.add(r.row(), r.key(), r.source(), r.start_s(), file);
        }
    }
    out.commit();
    return out.rows();
}

}  // namespace polytag::openmic::cli
