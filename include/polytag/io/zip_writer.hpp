#pragma once
// Writing .npz archives through libzip: each entry is given as borrowed pieces (the .npy
// header, then the tensor's own buffer) so nothing is copied; libzip streams them, stored
// or deflated (level 6, as Python's zipfile), computes the CRC-32 and switches to zip64
// fields only where sizes need them. The archive is written at a path that libzip replaces
// by rename: AtomicFile's temporary file, which the caller then syncs and renames.
#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include <zip.h>

#include "polytag/error.hpp"

namespace polytag::io::detail {

struct ZipPiece {
    const void* data;
    std::uint64_t size;
};
struct ZipInput {
    std::string name;
    std::vector<ZipPiece> pieces;  ///< concatenated in order; must stay alive during the call
};

/// Writes `inputs` as a new zip archive at `path` (replacing what is there). `display`
/// names the target in messages.
inline void write_zip(const std::string& path, const std::string& display, const std::vector<ZipInput>& inputs,
                      bool deflate) {
    int err = 0;
    zip_t* za = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!za) {
        zip_error_t e;
        zip_error_init_with_code(&e, err);
        const std::string why = zip_error_strerror(&e);
        zip_error_fini(&e);
        throw IoError(display + ": cannot create the zip archive: " + why);
    }
    auto fail = [&](const std::string& what) {
        const std::string why = zip_strerror(za);
        zip_discard(za);
        throw IoError(display + ": " + what + ": " + why);
    };
    for (const ZipInput& in : inputs) {
        std::vector<zip_buffer_fragment_t> frags;
        for (const ZipPiece& p : in.pieces)
            if (p.size) frags.push_back({static_cast<zip_uint8_t*>(const_cast<void*>(p.data)), p.size});
        static const zip_uint8_t kNothing = 0;
        if (frags.empty()) frags.push_back({const_cast<zip_uint8_t*>(&kNothing), 0});
        zip_source_t* src = zip_source_buffer_fragment(za, frags.data(), frags.size(), 0);
        if (!src) fail("cannot add '" + in.name + "'");
        const zip_int64_t idx = zip_file_add(za, in.name.c_str(), src, ZIP_FL_ENC_UTF_8);
        if (idx < 0) {
            zip_source_free(src);
            fail("cannot add '" + in.name + "'");
        }
        if (zip_set_file_compression(za, zip_uint64_t(idx), deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, deflate ? 6 : 0) != 0)
            fail("cannot set compression of '" + in.name + "'");
        // A fixed timestamp (1980-01-02) keeps the bytes reproducible.
        if (zip_file_set_mtime(za, zip_uint64_t(idx), std::time_t(315619200), 0) != 0)
            fail("cannot set the time of '" + in.name + "'");
    }
    if (zip_close(za) != 0) fail("writing the zip archive failed");
}

}  // namespace polytag::io::detail
