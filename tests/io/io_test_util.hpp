#pragma once
// Helpers for the io tests: file bytes, temp folders and in-memory decoding.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

#include "polytag/io/npy.hpp"
#include "polytag/io/npz.hpp"
#include "support/shared_data.hpp"

namespace polytag::test {

inline std::string io_fixture(const std::string& name) { return fixture("io/" + name); }

inline std::string read_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}
inline void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), std::streamsize(bytes.size()));
}

/// A fresh folder under the build tree, removed on destruction.
struct TempDir {
    std::string path;
    TempDir() {
        std::string tmpl = std::string(POLYTAG_BINARY_DIR) + "/io-test-XXXXXX";
        path = ::mkdtemp(&tmpl[0]) ? tmpl : std::string();
    }
    ~TempDir() {
        if (!path.empty()) std::system(("rm -rf '" + path + "'").c_str());
    }
    std::string file(const std::string& name) const { return path + "/" + name; }
};

/// Decodes .npy bytes held in memory as numbers.
template <typename T>
Tensor<T> decode_npy(const std::string& bytes, const std::string& name = "mem.npy") {
    io::detail::MemorySource src(bytes.data(), bytes.size(), name);
    const io::ArrayInfo info = io::detail::read_npy_header(src);
    return io::detail::read_npy_tensor<T>(src, info);
}
inline std::vector<std::string> decode_npy_strings(const std::string& bytes, const std::string& name = "mem.npy") {
    io::detail::MemorySource src(bytes.data(), bytes.size(), name);
    const io::ArrayInfo info = io::detail::read_npy_header(src);
    return io::detail::read_npy_strings(src, info);
}

/// An .npy stream with a hand-written header dict (numpy's framing) and payload.
inline std::string make_npy(const std::string& dict, const std::string& payload, int version = 1) {
    std::string h = dict;
    const std::size_t prefix = version == 1 ? 10 : 12;
    while ((prefix + h.size() + 1) % 64) h += ' ';
    h += '\n';
    std::string out("\x93NUMPY", 6);
    out += char(version);
    out += char(0);
    out += char(h.size() & 0xff);
    out += char((h.size() >> 8) & 0xff);
    if (version != 1) out += std::string(2, '\0');
    return out + h + payload;
}

}  // namespace polytag::test
