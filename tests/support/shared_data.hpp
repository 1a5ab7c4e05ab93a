#pragma once
// Locating ../shared/data. A user's clone has no ../shared: tests that need it warn and
// return (Catch2 v2 has no skip), they never fail for its absence.
#include <string>
#include <sys/stat.h>

namespace polytag::test {

/// Path of a file under ../shared/data, or "" when it is absent.
inline std::string shared_data(const std::string& relative) {
    std::string p = std::string(POLYTAG_SHARED_DATA_DIR) + "/" + relative;
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
        WARN("skipped: ../shared/data/" << relative << " is not present (it exists only on dev machines)"); \
        return;                                                                                       \
    }
