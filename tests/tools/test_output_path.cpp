// Output paths are refused before any work (examples/tool/output_path.hpp), so a training run
// never ends in a failed rename with the model lost.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "tool/output_path.hpp"

using namespace polytag::openmic;
namespace fs = std::filesystem;

namespace {
struct TempDir {
    fs::path path = fs::temp_directory_path() / ("polytag_test_output_" + std::to_string(::getpid()));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
    std::size_t entries() const { return std::size_t(std::distance(fs::directory_iterator(path), {})); }
};
}  // namespace

TEST_CASE("check_output_path accepts a new or existing file in a writable folder and leaves nothing", "[tools]") {
    TempDir dir;
    CHECK_NOTHROW(cli::check_output_path((dir.path / "model.npz").string(), "--out"));
    CHECK(dir.entries() == 0);  // the probe's temporary file is gone
    std::ofstream(dir.path / "old.npz") << "old";
    CHECK_NOTHROW(cli::check_output_path((dir.path / "old.npz").string(), "--out"));
    std::ifstream in(dir.path / "old.npz");
    std::string text;
    in >> text;
    CHECK(text == "old");  // untouched
    CHECK(dir.entries() == 1);
}

TEST_CASE("check_output_path refuses folders, missing folders and non-files, naming option and path", "[tools]") {
    TempDir dir;
    const std::string d = dir.path.string();
    CHECK_THROWS_AS(cli::check_output_path(d, "--out"), cli::UsageError);
    CHECK_THROWS_WITH(cli::check_output_path(d, "--out"), Catch::Contains("--out " + d + ": is a folder"));
    CHECK_THROWS_WITH(cli::check_output_path(d + "/missing/model.npz", "--out"),
                      Catch::Contains("folder " + d + "/missing does not exist"));
    std::ofstream(dir.path / "plain") << "x";
    CHECK_THROWS_WITH(cli::check_output_path(d + "/plain/model.npz", "--report"), Catch::Contains("--report"));
    CHECK_THROWS_WITH(cli::check_output_path("/dev/null", "--out"), Catch::Contains("not a regular file"));
    CHECK_THROWS_AS(cli::check_output_path("", "--out"), cli::UsageError);
    if (::geteuid() != 0) {  // root writes anywhere; a read-only folder only stops other users
        fs::create_directories(dir.path / "ro");
        fs::permissions(dir.path / "ro", fs::perms::owner_read | fs::perms::owner_exec);
        CHECK_THROWS_WITH(cli::check_output_path(d + "/ro/model.npz", "--out"),
                          Catch::Contains("cannot create a temporary file"));
        fs::permissions(dir.path / "ro", fs::perms::owner_all);
    }
}

TEST_CASE("check_distinct_outputs refuses two options naming one file", "[tools]") {
    CHECK_NOTHROW(cli::check_distinct_outputs("a.npz", "--out", "b.json", "--report"));
    CHECK_THROWS_WITH(cli::check_distinct_outputs("a.npz", "--out", "./a.npz", "--report"),
                      Catch::Contains("--out and --report both name"));
}
