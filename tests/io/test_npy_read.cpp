#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "io/io_test_util.hpp"

using namespace polytag;
using namespace polytag::io;
using polytag::test::io_fixture;

TEST_CASE("every integer dtype reads as its own type and converts", "[io]") {
    for (const char* code : {"i1", "i2", "i4", "i8"}) {
        INFO(code);
        const auto p = io_fixture(std::string(code) + ".npy");
        auto t = load_npy<double>(p);
        CHECK(t.shape() == Shape{2, 3});
        for (Index i = 0; i < 6; ++i) CHECK(t[i] == double(i - 3));
        auto i64 = load_npy<std::int64_t>(p);
        CHECK(i64(1, 2) == 2);
        CHECK_THROWS_AS(load_npy<std::uint8_t>(p), IoError);  // -3 does not fit
    }
    for (const char* code : {"u1", "u2", "u4", "u8"}) {
        INFO(code);
        const auto p = io_fixture(std::string(code) + ".npy");
        auto t = load_npy<float>(p);
        for (Index i = 0; i < 6; ++i) CHECK(t[i] == float(i));
        auto u8 = load_npy<std::uint8_t>(p);
        CHECK(u8(1, 1) == 4);
    }
    CHECK(load_npy_info(io_fixture("i2.npy")).numpy_name() == "int16");
    CHECK(load_npy_info(io_fixture("u1.npy")).descr == "|u1");
}

TEST_CASE("int64 and uint64 extremes survive, and refuse narrowing", "[io]") {
    auto e = load_npy<std::int64_t>(io_fixture("i8_extremes.npy"));
    CHECK(e[0] == std::numeric_limits<std::int64_t>::min());
    CHECK(e[1] == std::numeric_limits<std::int64_t>::max());
    CHECK_THROWS_AS(load_npy<std::int32_t>(io_fixture("i8_extremes.npy")), IoError);
    auto u = load_npy<std::uint64_t>(io_fixture("u8_max.npy"));
    CHECK(u[0] == std::numeric_limits<std::uint64_t>::max());
    CHECK_THROWS_AS(load_npy<std::int64_t>(io_fixture("u8_max.npy")), IoError);
}

TEST_CASE("float16, float32, float64 and bool", "[io]") {
    auto h = load_npy<float>(io_fixture("f2.npy"));
    CHECK(h[0] == 0.5f);
    CHECK(h[1] == -2.0f);
    CHECK(h[2] == 65504.0f);
    CHECK(h[3] == std::ldexp(1.0f, -24));
    CHECK(std::isinf(h[4]));
    CHECK(std::signbit(h[5]));
    auto f = load_npy<float>(io_fixture("f4.npy"));
    CHECK(f[1] == -1.25f);
    CHECK(f[3] == 0.1f);
    auto d = load_npy<double>(io_fixture("f8.npy"));
    CHECK(d[1] == 0.81665);
    CHECK(d[2] == -1e300);
    CHECK(d[4] == 123456789.125);
    auto df = load_npy<float>(io_fixture("f8.npy"));  // explicit narrowing: -1e300 -> -inf, as numpy
    CHECK(df[0] == 0.5f);
    CHECK(std::isinf(df[2]));
    CHECK_THROWS_AS(load_npy<std::uint8_t>(io_fixture("f4.npy")), IoError);
    auto nan = load_npy<double>(io_fixture("f8_nan.npy"));
    CHECK(std::isnan(nan[0]));
    CHECK_THROWS_WITH(load_npy<int>(io_fixture("f8_nan.npy")), Catch::Contains("element 0 does not fit"));
    auto b = load_npy<bool>(io_fixture("b1.npy"));
    CHECK(b(0, 0));
    CHECK_FALSE(b(0, 1));
    CHECK(b(1, 0));
    auto bf = load_npy<float>(io_fixture("b1.npy"));
    CHECK(bf[2] == 1.0f);
    CHECK(bf[1] == 0.0f);
    auto fb = load_npy<bool>(io_fixture("f8.npy"));
    CHECK(fb[0]);
}

TEST_CASE("big-endian arrays are byte-swapped", "[io]") {
    auto d = load_npy<double>(io_fixture("be_f8.npy"));
    for (Index i = 0; i < 6; ++i) CHECK(d[i] == double(i) / 4);
    auto i = load_npy<int>(io_fixture("be_i4.npy"));
    CHECK(i[0] == -3);
    CHECK(i[5] == 2);
    auto l = load_npy<std::int64_t>(io_fixture("be_i4.npy"));
    CHECK(l[0] == -3);
    auto h = load_npy<double>(io_fixture("be_f2.npy"));
    CHECK(h[0] == 0.5);
    CHECK(h[1] == -2.0);
    CHECK(load_npy_strings(io_fixture("be_U.npy")) == std::vector<std::string>{"ab", "é", "🎵x"});
}

TEST_CASE("Fortran-order arrays come back row-major", "[io]") {
    auto info = load_npy_info(io_fixture("fortran_f8.npy"));
    CHECK(info.fortran_order);
    for (const char* f : {"fortran_f8.npy", "fortran_i2.npy"}) {
        auto t = load_npy<double>(io_fixture(f));
        REQUIRE(t.shape() == Shape{2, 3, 4});
        for (Index i = 0; i < 2; ++i)
            for (Index j = 0; j < 3; ++j)
                for (Index k = 0; k < 4; ++k) CHECK(t(i, j, k) == double(100 * i + 10 * j + k));
    }
    auto b = load_npy<bool>(io_fixture("fortran_b1.npy"));
    CHECK(b(0, 0));
    CHECK_FALSE(b(0, 1));
    CHECK(b(1, 2));
    const std::vector<std::string> abc{"a", "b", "c", "d", "e", "f"};
    CHECK(load_npy_strings(io_fixture("fortran_U.npy")) == abc);
    CHECK(load_npy_strings(io_fixture("fortran_O.npy")) == abc);
}

TEST_CASE("0-d and empty arrays", "[io]") {
    auto s = load_npy<double>(io_fixture("scalar_f8.npy"));
    CHECK(s.rank() == 0);
    CHECK(s.size() == 1);
    CHECK(s[0] == 3.5);
    CHECK(load_npy_info(io_fixture("scalar_f8.npy")).shape.empty());
    CHECK(load_npy_strings(io_fixture("scalar_U.npy")) == std::vector<std::string>{"hé"});
    auto e = load_npy<float>(io_fixture("empty_f4.npy"));
    CHECK(e.shape() == Shape{0, 3});
    CHECK(e.size() == 0);
    CHECK(load_npy_strings(io_fixture("empty_U.npy")).empty());
    CHECK(load_npy_strings(io_fixture("empty_O.npy")).empty());
}

TEST_CASE("string arrays: <U, |S and pickled objects", "[io]") {
    CHECK(load_npy_strings(io_fixture("U.npy")) == std::vector<std::string>{"a", "héllo", "🎵", ""});
    CHECK(load_npy_info(io_fixture("U.npy")).numpy_name() == "<U5");
    CHECK(load_npy_strings(io_fixture("S.npy")) == std::vector<std::string>{"ab", std::string("\0x", 2), ""});
    CHECK(load_npy_info(io_fixture("S.npy")).numpy_name() == "|S2");
    CHECK(load_npy_strings(io_fixture("O_str.npy")) ==
          std::vector<std::string>{"000046_3840", "000135_483840", "a", "", "ünï"});
    CHECK(load_npy_info(io_fixture("O_str.npy")).numpy_name() == "object");
    CHECK(load_npy_strings(io_fixture("O_bytes.npy")) == std::vector<std::string>{"ab", "", std::string("\xff\0", 2)});
    CHECK(load_npy_strings(io_fixture("O_memo.npy")) == std::vector<std::string>{"shared", "shared", "x", "shared"});
    CHECK(load_npy_strings(io_fixture("O_2d.npy")) == std::vector<std::string>{"a", "b", "c", "d", "e", "f"});
    for (int proto : {2, 4, 5}) {
        INFO("protocol " << proto);
        CHECK(load_npy_strings(io_fixture("O_proto" + std::to_string(proto) + ".npy")) ==
              std::vector<std::string>{"s", "b", ""});
    }
    CHECK_THROWS_WITH(load_npy_strings(io_fixture("O_int.npy")), Catch::Contains("element 1 is not a str or bytes"));
    CHECK_THROWS_WITH(load_npy<float>(io_fixture("U.npy")), Catch::Contains("read_strings"));
    CHECK_THROWS_WITH(load_npy_strings(io_fixture("f4.npy")), Catch::Contains("not strings"));
}

TEST_CASE("load_npy reports missing files with their path", "[io]") {
    CHECK_THROWS_WITH(load_npy<float>("/nonexistent/x.npy"), Catch::Contains("/nonexistent/x.npy"));
}
