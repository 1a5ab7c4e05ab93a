#pragma once
// A streaming zip writer for .npz files: each entry is written once, stored or deflated
// (zlib raw deflate, level 6 as Python's zipfile), with its CRC-32 computed on the way and
// its local header patched afterwards. zip64 fields are used only when a size or offset
// needs them, so small archives are plain zip 2.0 that any reader accepts.
#include <cstdint>
#include <string>
#include <vector>

#include <zlib.h>

#include "polytag/io/atomic_file.hpp"

namespace polytag::io::detail {

class ZipWriter {
public:
    explicit ZipWriter(AtomicFile& out) : out_(out) {}

    /// A piece of an entry's contents (the .npy header, then the data).
    struct Piece {
        const unsigned char* data;
        std::uint64_t size;
    };

    void add(const std::string& name, const std::vector<Piece>& pieces, bool deflate) {
        if (name.empty() || name.size() > 0xFFFF) throw IoError(out_.path() + ": bad zip entry name '" + name + "'");
        Record r;
        r.name = name;
        r.method = deflate ? 8 : 0;
        for (const Piece& p : pieces) r.size += p.size;
        r.zip64 = r.size >= 0xFFFF0000ull;  // deflate output can exceed its input by a little
        r.offset = out_.tell();
        write_local_header(r);
        const std::uint64_t data_start = out_.tell();
        if (deflate) write_deflated(r, pieces);
        else
            for (const Piece& p : pieces) {
                r.crc = crc(r.crc, p.data, p.size);
                out_.write(p.data, std::size_t(p.size));
            }
        r.compressed = out_.tell() - data_start;
        const std::uint64_t end = out_.tell();
        out_.seek(r.offset);
        write_local_header(r);
        out_.seek(end);
        records_.push_back(std::move(r));
    }

    /// Writes the central directory and end records.
    void finish() {
        const std::uint64_t cd_start = out_.tell();
        for (const Record& r : records_) {
            const bool big = r.zip64 || r.offset >= 0xFFFFFFFFull || r.compressed >= 0xFFFFFFFFull;
            std::string h;
            u32(h, 0x02014b50);
            u16(h, (3 << 8) | (big ? 45 : 20));  // made by Unix
            u16(h, big ? 45 : 20);
            u16(h, flags(r));
            u16(h, r.method);
            u16(h, 0);       // time 00:00
            u16(h, 0x21);    // date 1980-01-01: reproducible bytes
            u32(h, r.crc);
            u32(h, big ? 0xFFFFFFFFu : std::uint32_t(r.compressed));
            u32(h, big ? 0xFFFFFFFFu : std::uint32_t(r.size));
            u16(h, std::uint32_t(r.name.size()));
            u16(h, big ? 28 : 0);
            u16(h, 0);  // comment
            u16(h, 0);  // disk
            u16(h, 0);  // internal attributes
            u32(h, 0100644u << 16);  // regular file, rw-r--r--
            u32(h, big ? 0xFFFFFFFFu : std::uint32_t(r.offset));
            h += r.name;
            if (big) {
                u16(h, 1);
                u16(h, 24);
                u64(h, r.size);
                u64(h, r.compressed);
                u64(h, r.offset);
            }
            out_.write(h);
        }
        const std::uint64_t cd_end = out_.tell();
        const std::uint64_t cd_size = cd_end - cd_start, n = records_.size();
        const bool big = n >= 0xFFFF || cd_size >= 0xFFFFFFFFull || cd_start >= 0xFFFFFFFFull;
        std::string e;
        if (big) {
            u32(e, 0x06064b50);  // zip64 end of central directory record
            u64(e, 44);
            u16(e, 45);
            u16(e, 45);
            u32(e, 0);
            u32(e, 0);
            u64(e, n);
            u64(e, n);
            u64(e, cd_size);
            u64(e, cd_start);
            u32(e, 0x07064b50);  // its locator
            u32(e, 0);
            u64(e, cd_end);
            u32(e, 1);
        }
        u32(e, 0x06054b50);
        u16(e, 0);
        u16(e, 0);
        u16(e, big ? 0xFFFF : std::uint32_t(n));
        u16(e, big ? 0xFFFF : std::uint32_t(n));
        u32(e, big ? 0xFFFFFFFFu : std::uint32_t(cd_size));
        u32(e, big ? 0xFFFFFFFFu : std::uint32_t(cd_start));
        u16(e, 0);
        out_.write(e);
    }

private:
    struct Record {
        std::string name;
        std::uint32_t method = 0;
        std::uint32_t crc = 0;
        std::uint64_t size = 0, compressed = 0, offset = 0;
        bool zip64 = false;
    };

    static void u16(std::string& s, std::uint32_t v) {
        s += char(v & 0xff);
        s += char((v >> 8) & 0xff);
    }
    static void u32(std::string& s, std::uint32_t v) {
        u16(s, v & 0xffff);
        u16(s, v >> 16);
    }
    static void u64(std::string& s, std::uint64_t v) {
        u32(s, std::uint32_t(v));
        u32(s, std::uint32_t(v >> 32));
    }
    static std::uint32_t flags(const Record& r) {
        for (unsigned char c : r.name)
            if (c >= 0x80) return 1u << 11;  // name is UTF-8
        return 0;
    }
    static std::uint32_t crc(std::uint32_t c, const unsigned char* p, std::uint64_t n) {
        return std::uint32_t(crc32_z(c, p, std::size_t(n)));
    }

    void write_local_header(const Record& r) {
        std::string h;
        u32(h, 0x04034b50);
        u16(h, r.zip64 ? 45 : 20);
        u16(h, flags(r));
        u16(h, r.method);
        u16(h, 0);
        u16(h, 0x21);
        u32(h, r.crc);
        u32(h, r.zip64 ? 0xFFFFFFFFu : std::uint32_t(r.compressed));
        u32(h, r.zip64 ? 0xFFFFFFFFu : std::uint32_t(r.size));
        u16(h, std::uint32_t(r.name.size()));
        u16(h, r.zip64 ? 20 : 0);
        h += r.name;
        if (r.zip64) {
            u16(h, 1);
            u16(h, 16);
            u64(h, r.size);
            u64(h, r.compressed);
        }
        out_.write(h);
    }

    void write_deflated(Record& r, const std::vector<Piece>& pieces) {
        z_stream z{};
        if (deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw IoError(out_.path() + ": zlib deflateInit2 failed");
        std::vector<unsigned char> buf(1 << 18);
        auto drain = [&](int flush) {
            int rc;
            do {
                z.next_out = buf.data();
                z.avail_out = uInt(buf.size());
                rc = deflate(&z, flush);
                if (rc == Z_STREAM_ERROR) {
                    deflateEnd(&z);
                    throw IoError(out_.path() + ": zlib deflate failed");
                }
                out_.write(buf.data(), buf.size() - z.avail_out);
            } while (z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
        };
        try {
            for (const Piece& p : pieces) {
                r.crc = crc(r.crc, p.data, p.size);
                std::uint64_t done = 0;
                while (done < p.size) {
                    const std::uint64_t k = std::min<std::uint64_t>(p.size - done, 1u << 30);
                    z.next_in = const_cast<Bytef*>(p.data + done);
                    z.avail_in = uInt(k);
                    drain(Z_NO_FLUSH);
                    done += k;
                }
            }
            drain(Z_FINISH);
        } catch (...) {
            deflateEnd(&z);
            throw;
        }
        deflateEnd(&z);
    }

    AtomicFile& out_;
    std::vector<Record> records_;
};

}  // namespace polytag::io::detail
