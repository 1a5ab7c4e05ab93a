// The tool logic that lives in headers: one-line errors, list parsing, clip sources.
#include <catch2/catch.hpp>

#include <filesystem>
#include <unistd.h>

#include "polytag/io/npz.hpp"
#include "tool/cli_support.hpp"
#include "tool/clip_source.hpp"
#include "support/shared_data.hpp"

using namespace polytag;
using namespace polytag::openmic;

TEST_CASE("one_line folds multi-line reasons onto one line", "[tools]") {
    CHECK(cli::one_line("a\nb\n") == "a; b");
    CHECK(cli::one_line("single") == "single");
    CHECK(cli::one_line("x\r\n\ny  \n") == "x; y");
}

TEST_CASE("guarded turns exceptions into exit status 1", "[tools]") {
    CHECK(cli::guarded("t", [] { return 0; }) == 0);
    CHECK(cli::guarded("t", [] { return 7; }) == 7);
    CHECK(cli::guarded("t", []() -> int { throw ValueError("bad\ninput"); }) == 1);
}

TEST_CASE("split_list and parse_widths", "[tools]") {
    CHECK(cli::split_list("a, b,,c ") == std::vector<std::string>{"a", "b", "c"});
    CHECK(cli::split_list("").empty());
    CHECK(cli::parse_widths("256,128", "--trunk") == std::vector<int>{256, 128});
    CHECK_THROWS_WITH(cli::parse_widths("64,x", "--trunk"), Catch::Contains("--trunk: 'x'"));
    CHECK_THROWS_WITH(cli::parse_widths("0", "--trunk"), Catch::Contains("[1, 65536]"));
    CHECK_THROWS_WITH(cli::parse_widths("12abc", "--trunk"), Catch::Contains("'12abc'"));
    CHECK_THROWS_AS(cli::parse_widths(",", "--trunk"), ValueError);
}

TEST_CASE("load_clips reads a bare .npz of clips, with or without keys", "[tools]") {
    const auto dir = std::filesystem::temp_directory_path() / ("polytag_test_tools_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    Tensor<std::uint8_t> x(Shape{3, 10, 128});
    for (Index i = 0; i < x.size(); ++i) x[i] = std::uint8_t(i % 251);
    const std::string plain = (dir / "plain.npz").string(), keyed = (dir / "keyed.npz").string();
    io::save_npz(plain, {io::NpzEntry("X", x)});
    const std::vector<std::string> keys{"000001_0", "000001_1", "000002_0"};
    io::save_npz(keyed, {io::NpzEntry("X", x), io::NpzEntry("sample_key", keys)});
    const ClipSet a = load_clips(plain);
    CHECK(a.size() == 3);
    CHECK(a.keys == std::vector<std::string>{"row0", "row1", "row2"});
    CHECK_FALSE(a.has_labels());
    CHECK(a.features[1300] == x[1300]);
    const ClipSet b = load_clips(keyed);
    CHECK(b.keys == keys);
    CHECK(b.find("000002_0") == 2);
    CHECK(b.find("nope") == -1);
    CHECK_THROWS_WITH(load_clips((dir / "absent.npz").string()), Catch::Contains("absent.npz"));
    io::save_npz(plain, {io::NpzEntry("Y", x)});
    CHECK_THROWS_WITH(load_clips(plain), Catch::Contains("no array 'X'"));
}

TEST_CASE("load_clips reads a release folder with labels and split names", "[tools][shared]") {
    POLYTAG_REQUIRE_SHARED(dir, "openmic-like-small");
    const ClipSet c = load_clips(dir);
    CHECK(c.size() == 200);
    CHECK(c.has_labels());
    CHECK(c.features.shape() == Shape{200, 10, 128});
    int train = 0, test = 0;
    for (const auto& s : c.split) train += s == "train", test += s == "test";
    CHECK(train + test == 200);
    CHECK(train > 0);
    CHECK(test > 0);
}
