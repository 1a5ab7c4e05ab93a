#pragma once
// Locating ../shared/data. A user's clone has no ../shared: tests that need it print
// "skipped: ..." (a Catch2 v2 WARN, which its console reporter prints for passing tests too)
// and return; CTest's SKIP_REGULAR_EXPRESSION "skipped: " (tests/CMakeLists.txt) then
// reports them as skipped, not passed.
#include <cstdlib>
#include <string>
#include <sys/stat.h>

namespace polytag::test {

/// The ../shared/data folder: $POLYTAG_SHARED_DATA_DIR when set (point it at a missing folder
/// to see what a user's clone reports), else the one configured at build time.
inline std::string shared_data_dir() {
    const char* env = std::getenv("POLYTAG_SHARED_DATA_DIR");
    return env && *env ? std::string(env) : std::string(POLYTAG_SHARED_DATA_DIR);
}

/// Path of a file under ../shared/data, or "" when it is absent.
inline std::string shared_data(const std::string& relative) {
    std::string p = shared_data_dir() + "/" + relative;
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 ? p : std::string();
}

/// Path of a committed fixture under tests/data.
inline std::string fixture(const std::string& relative) { return std::string(POLYTAG_TEST_DATA_DIR) + "/" + relative; }

}  // namespace polytag::test

/// Use at the top of a TEST_CASE: `POLYTAG_REQUIRE_SHARED(path, "openmic-like-small/openmic-2018.npz");`
#define POLYTAG_REQUIRE_SHARED(var, relative)                                                         \
    const std::string var = ::polytag::test::shared_data(relative);                                   \
    if (var.empty()) {                                                                                \
        WARN("skipped: " << ::polytag::test::shared_data_dir() << "/" << relative                   \
                         << " is not present (../shared/data exists only on dev machines)");          \
        return;                                                                                       \
    }
