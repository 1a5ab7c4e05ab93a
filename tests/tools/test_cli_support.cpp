// The tool logic that lives in headers: one-line errors, list parsing, clip sources.
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <new>
#include <unistd.h>

#include "polytag/io/npz.hpp"
#include "polytag/openmic/instruments.hpp"
#include "tool/cli_support.hpp"
#include "tool/tool_cli.hpp"
#include "tool/clip_source.hpp"
#include "support/shared_data.hpp"

using namespace polytag;
using namespace polytag::openmic;

TEST_CASE("one_line folds multi-line reasons onto one line", "[tools]") {
    CHECK(cli::one_line("a\nb\n") == "a; b");
    CHECK(cli::one_line("single") == "single");
    CHECK(cli::one_line("x\r\n\ny  \n") == "x; y");
}

TEST_CASE("guarded maps exceptions to the tools' exit codes: usage 2, anything else 1", "[tools]") {
    CHECK(cli::guarded("t", [] { return 0; }) == 0);
    CHECK(cli::guarded("t", [] { return 7; }) == 7);
    CHECK(cli::guarded("t", []() -> int { throw ValueError("bad\ninput"); }) == cli::kExitBadInput);
    CHECK(cli::guarded("t", []() -> int { throw IoError("x.npz: CRC error"); }) == 1);
    CHECK(cli::guarded("t", []() -> int { throw cli::UsageError("--top: 0"); }) == cli::kExitUsage);
    CHECK(cli::guarded("t", []() -> int { throw std::bad_alloc(); }) == 1);
    // A ValueError from library code checking a command-line value is a usage error.
    CHECK(cli::guarded("t", [] { return cli::as_usage([]() -> int { throw ValueError("lr"); }); }) == 2);
    CHECK(cli::guarded("t", [] { return cli::as_usage([]() -> int { throw IoError("f"); }); }) == 1);
    CHECK(cli::kExitInterrupted == 130);
}

namespace {
int parse_args(CLI::App& app, std::vector<std::string> args) {
    std::vector<char*> argv{const_cast<char*>("t")};
    for (auto& a : args) argv.push_back(&a[0]);
    return cli::parse(app, int(argv.size()), argv.data());
}
}  // namespace

TEST_CASE("cli::parse: CLI11's own errors are 2, --help and --version 0", "[tools]") {
    auto make = [] {
        auto app = std::make_unique<CLI::App>("test app", "t");
        static int n = 0;
        app->add_option("--n", n)->check(CLI::Range(1, 5));
        app->add_option("--req", n);
        return app;
    };
    CHECK(parse_args(*make(), {}) == -1);
    CHECK(parse_args(*make(), {"--n", "3"}) == -1);
    CHECK(parse_args(*make(), {"--n", "9"}) == cli::kExitUsage);        // ValidationError
    CHECK(parse_args(*make(), {"--n", "x"}) == cli::kExitUsage);        // ConversionError
    CHECK(parse_args(*make(), {"--nope"}) == cli::kExitUsage);          // ExtrasError
    CHECK(parse_args(*make(), {"--n"}) == cli::kExitUsage);             // ArgumentMismatch
    CHECK(parse_args(*make(), {"--help"}) == cli::kExitOk);
    CHECK(parse_args(*make(), {"--version"}) == cli::kExitOk);
}

TEST_CASE("Unknown instrument names are usage errors that suggest the closest name", "[tools]") {
    const auto& names = release_instrument_names();
    CHECK(class_index(names, "piano") == 12);
    CHECK_THROWS_WITH(class_index(names, "Piano"), Catch::Contains("did you mean 'piano'?"));
    CHECK(cli::guarded("t", [&] { return int(cli::as_usage([&] { return class_index(names, "Piano"); })); }) == 2);
}

TEST_CASE("split_list and parse_widths", "[tools]") {
    CHECK(cli::split_list("a, b,,c ") == std::vector<std::string>{"a", "b", "c"});
    CHECK(cli::split_list("").empty());
    CHECK(cli::parse_widths("256,128", "--trunk") == std::vector<int>{256, 128});
    CHECK_THROWS_WITH(cli::parse_widths("64,x", "--trunk"), Catch::Contains("--trunk: 'x'"));
    CHECK_THROWS_WITH(cli::parse_widths("0", "--trunk"), Catch::Contains("[1, 65536]"));
    CHECK_THROWS_WITH(cli::parse_widths("12abc", "--trunk"), Catch::Contains("'12abc'"));
    CHECK_THROWS_AS(cli::parse_widths(",", "--trunk"), cli::UsageError);
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
