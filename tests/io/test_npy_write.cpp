#include <catch2/catch.hpp>

#include <dirent.h>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io_test_util.hpp"

using namespace polytag;
using namespace polytag::io;
using polytag::test::io_fixture;
using polytag::test::read_bytes;
using polytag::test::TempDir;

namespace {
std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d))
            if (e->d_name[0] != '.' || (std::string(e->d_name) != "." && std::string(e->d_name) != "..")) out.push_back(e->d_name);
        ::closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
}
template <typename T>
Tensor<T> iota(Shape s, T start = T(0)) {
    Tensor<T> t(s);
    for (Index i = 0; i < t.size(); ++i) t[i] = T(start + T(i));
    return t;
}
}  // namespace

TEST_CASE("save_npy writes the bytes np.save writes", "[io]") {
    TempDir dir;
    auto same = [&](const std::string& fixture, auto&& save) {
        INFO(fixture);
        const std::string p = dir.file(fixture);
        save(p);
        CHECK(read_bytes(p) == read_bytes(io_fixture(fixture)));
    };
    same("i4.npy", [](const std::string& p) { save_npy(p, iota<std::int32_t>(Shape{2, 3}, -3)); });
    same("i8.npy", [](const std::string& p) { save_npy(p, iota<std::int64_t>(Shape{2, 3}, -3)); });
    same("u1.npy", [](const std::string& p) { save_npy(p, iota<std::uint8_t>(Shape{2, 3})); });
    same("u2.npy", [](const std::string& p) { save_npy(p, iota<std::uint16_t>(Shape{2, 3})); });
    same("f8.npy", [](const std::string& p) {
        Tensor<double> t(Shape{2, 3});
        const double v[] = {0.5, 0.81665, -1e300, 1e-300, 123456789.125, 0.1};
        std::copy(v, v + 6, t.data());
        save_npy(p, t);
    });
    same("b1.npy", [](const std::string& p) {
        Tensor<bool> t(Shape{2, 3});
        const bool v[] = {true, false, true, true, false, false};
        std::copy(v, v + 6, t.data());
        save_npy(p, t);
    });
    same("scalar_f8.npy", [](const std::string& p) { save_npy(p, Tensor<double>(Shape{}, 3.5)); });
    same("empty_f4.npy", [](const std::string& p) { save_npy(p, Tensor<float>(Shape{0, 3})); });
    same("U.npy", [](const std::string& p) { save_npy(p, std::vector<std::string>{"a", "héllo", "🎵", ""}); });
}

TEMPLATE_TEST_CASE("save_npz round-trips every numeric type, stored and deflated", "[io]", float, double, bool,
                   std::int8_t, std::int16_t, std::int32_t, std::int64_t, std::uint8_t, std::uint16_t, std::uint32_t,
                   std::uint64_t) {
    using T = TestType;
    TempDir dir;
    Tensor<T> a(Shape{3, 4, 5}), b(Shape{7}), s(Shape{}), e(Shape{0, 2});
    for (Index i = 0; i < a.size(); ++i) a[i] = T(i % 3 == 0 ? 1 : (i % 7));
    for (Index i = 0; i < b.size(); ++i) b[i] = T(i % 2);
    s[0] = T(1);
    for (bool compressed : {false, true}) {
        const std::string p = dir.file(compressed ? "c.npz" : "s.npz");
        save_npz(p, {{"a", a}, {"b", b.view()}, {"s", TensorView<const T>(s)}, {"e", e}}, compressed);
        NpzReader npz(p);
        CHECK(npz.names() == std::vector<std::string>{"a", "b", "s", "e"});
        CHECK(npz.info("a").descr == io::detail::descr_of<T>());
        auto a2 = npz.read<T>("a");
        REQUIRE(a2.shape() == a.shape());
        CHECK(std::equal(a.begin(), a.end(), a2.begin()));
        auto b2 = npz.read<T>("b");
        CHECK(std::equal(b.begin(), b.end(), b2.begin()));
        auto s2 = npz.read<T>("s");
        CHECK(s2.rank() == 0);
        CHECK(s2[0] == T(1));
        CHECK(npz.read<T>("e").shape() == Shape{0, 2});
    }
}

TEST_CASE("save_npz writes strings as <U and scalars as 0-d", "[io]") {
    TempDir dir;
    const std::string p = dir.file("strings.npz");
    const std::vector<std::string> keys{"000046_3840", "é", "🎵", ""};
    save_npz(p, {{"keys", keys}, {"label", std::string("hello")}, {"lit", "x"}, {"none", std::vector<std::string>{}}});
    NpzReader npz(p);
    CHECK(npz.info("keys").numpy_name() == "<U11");
    CHECK(npz.read_strings("keys") == keys);
    CHECK(npz.info("label").shape.empty());
    CHECK(npz.read_strings("label") == std::vector<std::string>{"hello"});
    CHECK(npz.read_strings("lit") == std::vector<std::string>{"x"});
    CHECK(npz.info("none").numpy_name() == "<U1");
    CHECK(npz.read_strings("none").empty());
    CHECK_THROWS_AS(save_npz(dir.file("bad.npz"), {{"k", std::vector<std::string>{"\xff"}}}), ValueError);
    CHECK_THROWS_AS(save_npz(dir.file("dup.npz"), {{"k", "a"}, {"k", "b"}}), ValueError);
}

TEST_CASE("writes are atomic: a failed write leaves the old file and no temporary", "[io]") {
    TempDir dir;
    const std::string p = dir.file("model.npz");
    Tensor<float> w(Shape{4}, 1.5f);
    save_npz(p, {{"w", w}});
    const std::string before = read_bytes(p);
    CHECK(list_dir(dir.path) == std::vector<std::string>{"model.npz"});
    CHECK_THROWS_AS(write_atomically(p,
                                     [](AtomicFile& f) {
                                         f.write("partial");
                                         throw IoError("simulated crash mid-write");
                                     }),
                    IoError);
    CHECK(read_bytes(p) == before);
    CHECK(list_dir(dir.path) == std::vector<std::string>{"model.npz"});
    // An unsaveable entry (bad UTF-8) throws before anything touches the file.
    CHECK_THROWS_AS(save_npz(p, {{"w", w}, {"k", std::vector<std::string>{"\xc0"}}}), ValueError);
    CHECK(read_bytes(p) == before);
    // Overwriting works and replaces the contents.
    Tensor<float> w2(Shape{2}, -1.0f);
    save_npz(p, {{"w", w2}}, true);
    CHECK(NpzReader(p).read<float>("w").shape() == Shape{2});
    CHECK(list_dir(dir.path) == std::vector<std::string>{"model.npz"});
    save_npy(dir.file("w.npy"), w2);
    CHECK(load_npy<float>(dir.file("w.npy"))[1] == -1.0f);
    CHECK(list_dir(dir.path) == std::vector<std::string>{"model.npz", "w.npy"});
    CHECK_THROWS_WITH(save_npz(dir.file("missing/x.npz"), {{"w", w}}), Catch::Contains("missing/x.npz"));
    CHECK_THROWS_AS(save_npy(dir.file("missing/x.npy"), w), IoError);
}

TEST_CASE("temporary files of killed writers do not pile up: the next save removes them", "[io]") {
    TempDir dir;
    const std::string p = dir.file("model.npz");
    Tensor<float> w(Shape{4}, 1.5f);
    // What a save killed mid-write leaves: ".model.npz.tmp.<pid>.XXXXXX" of a pid that no longer
    // runs (pid_max is at most 2^22), old enough; and one of an older, pid-less polytag.
    const std::string dead = ".model.npz.tmp.999999999.a1b2c3", legacy = ".model.npz.tmp.Zx81Qa";
    // Kept: a live writer's (this process), a fresh file of a dead pid, other targets' files.
    const std::string live = ".model.npz.tmp." + std::to_string(::getpid()) + ".q9w8e7";
    const std::string fresh = ".model.npz.tmp.999999998.zzzzzz", other = ".report.json.tmp.999999999.a1b2c3";
    for (const auto& name : {dead, legacy, live, fresh, other}) polytag::test::write_bytes(dir.file(name), "partial");
    const std::time_t hours_ago = std::time(nullptr) - 7200;
    for (const auto& name : {dead, legacy, other}) {
        const struct timespec times[2] = {{hours_ago, 0}, {hours_ago, 0}};
        REQUIRE(::utimensat(AT_FDCWD, dir.file(name).c_str(), times, 0) == 0);
    }
    save_npz(p, {{"w", w}});
    std::vector<std::string> kept{fresh, live, other, "model.npz"};
    std::sort(kept.begin(), kept.end());
    CHECK(list_dir(dir.path) == kept);
}

// Writes the files tests/io/check_numpy_roundtrip.py loads with numpy (see tests/io/extra.cmake).
TEST_CASE("write files for the numpy round-trip check", "[.numpy-roundtrip]") {
    const char* out = std::getenv("POLYTAG_IO_OUT");
    REQUIRE(out != nullptr);
    const std::string dir = out;
    REQUIRE(std::system(("mkdir -p '" + dir + "'").c_str()) == 0);
    auto f32 = iota<float>(Shape{2, 3, 4});
    for (auto& v : f32) v *= 0.25f;
    auto f64 = iota<double>(Shape{5});
    for (auto& v : f64) v = v * 0.1 - 0.2;
    auto u8 = iota<std::uint8_t>(Shape{4, 4});
    for (auto& v : u8) v = std::uint8_t(v * 17);
    Tensor<bool> flags(Shape{7});
    for (Index i = 0; i < 7; ++i) flags[i] = i % 3 == 0;
    auto i32 = iota<std::int32_t>(Shape{3, 3}, -5);
    Tensor<std::int64_t> i64(Shape{2});
    i64[0] = std::numeric_limits<std::int64_t>::min();
    i64[1] = std::numeric_limits<std::int64_t>::max();
    Tensor<std::uint64_t> u64(Shape{1}, std::numeric_limits<std::uint64_t>::max());
    auto i8 = iota<std::int8_t>(Shape{2, 2}, -2);
    auto i16 = iota<std::int16_t>(Shape{1, 1, 1, 3}, -300);
    auto u16 = iota<std::uint16_t>(Shape{3}, 65533);
    auto u32 = iota<std::uint32_t>(Shape{2}, 4294967294u);
    Tensor<double> scalar(Shape{}, 2.5);
    Tensor<float> empty(Shape{0, 3});
    const std::vector<std::string> keys{"000046_3840", "héllo", "🎵", ""};

    save_npy(dir + "/f32.npy", f32);
    save_npy(dir + "/f64.npy", f64);
    save_npy(dir + "/u8.npy", u8);
    save_npy(dir + "/bool.npy", flags);
    save_npy(dir + "/i32.npy", i32);
    save_npy(dir + "/i64.npy", i64);
    save_npy(dir + "/u64.npy", u64);
    save_npy(dir + "/scalar.npy", scalar);
    save_npy(dir + "/empty.npy", empty);
    save_npy(dir + "/keys.npy", keys);
    for (bool compressed : {false, true}) {
        save_npz(dir + (compressed ? "/all_compressed.npz" : "/all.npz"),
                 {{"f32", f32}, {"f64", f64}, {"u8", u8}, {"bool", flags}, {"i32", i32}, {"i64", i64}, {"u64", u64},
                  {"i8", i8}, {"i16", i16}, {"u16", u16}, {"u32", u32}, {"scalar", scalar}, {"empty", empty},
                  {"keys", keys}, {"label", std::string("relevance")}},
                 compressed);
    }
}
