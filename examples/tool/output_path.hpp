#pragma once
// Output paths are checked before any work is done, so that a long training run never ends
// in "cannot rename" with the trained model lost.
#include <filesystem>
#include <string>
#include <system_error>
#include <unistd.h>

#include "polytag/io/atomic_file.hpp"
#include "tool/cli_support.hpp"

namespace polytag::openmic::cli {

/// Refuses (UsageError naming `option` and the path) an output path that could not be written
/// atomically: empty, an existing folder or non-regular file, a missing parent folder, or a
/// folder where no file can be created (probed by creating and removing the temporary file
/// that the real write would use).
inline void check_output_path(const std::string& path, const std::string& option) {
    namespace fs = std::filesystem;
    if (path.empty()) throw UsageError(option + ": empty path");
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (fs::is_directory(st))
        throw UsageError(option + " " + path + ": is a folder; give a file name (e.g. " +
                         (fs::path(path) / "model.npz").string() + ")");
    if (fs::exists(st) && !fs::is_regular_file(st))
        throw UsageError(option + " " + path + ": exists and is not a regular file");
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec))
        throw UsageError(option + " " + path + ": folder " + parent.string() + " does not exist");
    try {
        io::AtomicFile probe(path);  // removed again by its destructor
    } catch (const IoError& e) {
        throw UsageError(option + " " + std::string(e.what()));
    }
}

/// Refuses two outputs that name the same file (one would overwrite the other).
inline void check_distinct_outputs(const std::string& a, const std::string& a_option, const std::string& b,
                                   const std::string& b_option) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path pa = fs::weakly_canonical(fs::absolute(a), ec), pb = fs::weakly_canonical(fs::absolute(b), ec);
    if (pa == pb) throw UsageError(a_option + " and " + b_option + " both name " + a);
}

/// Where a trained model goes when its own path failed at the last moment (the folder was
/// removed or filled up during training): the temporary folder, named after the process.
inline std::string rescue_path(const std::string& path) {
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
    if (ec) dir = "/tmp";
    return (dir / ("polytag-rescued-" + std::to_string(::getpid()) + "-" +
                   std::filesystem::path(path).filename().string()))
        .string();
}

}  // namespace polytag::openmic::cli
