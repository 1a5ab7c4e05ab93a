#include <catch2/catch.hpp>

#include "io/io_test_util.hpp"
#include "polytag/io/npz_print.hpp"

using namespace polytag;
using namespace polytag::io;
using polytag::test::io_fixture;

TEST_CASE("numbers print in Python's shortest round-trip form", "[io]") {
    CHECK(repr_number(0.5) == "0.5");
    CHECK(repr_number(0.81665) == "0.81665");
    CHECK(repr_number(1.0) == "1.0");
    CHECK(repr_number(-0.0) == "-0.0");
    CHECK(repr_number(0.0) == "0.0");
    CHECK(repr_number(100.0) == "100.0");
    CHECK(repr_number(0.1) == "0.1");
    CHECK(repr_number(1e-4) == "0.0001");
    CHECK(repr_number(1.5e-5) == "1.5e-05");
    CHECK(repr_number(1e16) == "1e+16");
    CHECK(repr_number(1e15) == "1000000000000000.0");
    CHECK(repr_number(123456789.125) == "123456789.125");
    CHECK(repr_number(-1e300) == "-1e+300");
    CHECK(repr_number(5e-324) == "5e-324");
    CHECK(repr_number(0.1 + 0.2) == "0.30000000000000004");
    CHECK(repr_number(std::nan("")) == "nan");
    CHECK(repr_number(-HUGE_VAL) == "-inf");
    CHECK(repr_number(0.1f) == "0.1");  // float32: shortest among floats
    CHECK(repr_number(3.0e10f) == "30000000000.0");
    CHECK(repr_number(1e-30f) == "1e-30");
    CHECK(repr_half(0x3800) == "0.5");
    CHECK(repr_half(0x2E66) == "0.1");  // np.float16(0.1)
    CHECK(repr_half(0x7BFF) == "65500.0");
    CHECK(repr_half(0x0001) == "6e-08");
    CHECK(repr_half(0x8000) == "-0.0");
    CHECK(repr_half(0xC000) == "-2.0");
    CHECK(repr_half(0x7C00) == "inf");
    // Every finite positive half prints as text whose nearest half is itself, and the
    // float -> half bits helper inverts half -> float.
    for (std::uint32_t h = 1; h < 0x7C00; ++h) {
        const auto half = [](std::uint32_t b) { return double(io::detail::half_to_float(std::uint16_t(b))); };
        const std::string s = repr_half(std::uint16_t(h));
        const double d = std::strtod(s.c_str(), nullptr);
        const double v = half(h), lo = half(h - 1), hi = h + 1 < 0x7C00 ? half(h + 1) : HUGE_VAL;
        if (std::fabs(d - v) > std::fabs(d - lo) || std::fabs(d - v) > std::fabs(d - hi))
            FAIL("half " << h << " printed as " << s);
        if (io::detail::half_bits_of(float(v)) != h) FAIL("half_bits_of(" << v << ") != " << h);
    }
}

TEST_CASE("polytag-npz listing and --head", "[io]") {
    NpzReader npz(io_fixture("savez.npz"));
    CHECK(npz_listing(npz) == std::vector<std::string>{"X\tuint8\t2,10,4", "Y_true\tfloat64\t2,2", "Y_mask\tbool\t2,2",
                                                        "sample_key\tobject\t2"});
    CHECK(npz_head(npz, "X", 3) == std::vector<std::string>{"0", "1", "2"});
    CHECK(npz_head(npz, "Y_true", 10) == std::vector<std::string>{"0.5", "1.0", "0.0", "0.25"});
    CHECK(npz_head(npz, "Y_mask", 2) == std::vector<std::string>{"True", "False"});
    CHECK(npz_head(npz, "sample_key", 1) == std::vector<std::string>{"000046_3840"});
    CHECK(npz_head(npz, "X", 0).empty());
    NpzReader pos(io_fixture("positional.npz"));
    CHECK(npz_listing(pos) == std::vector<std::string>{"arr_0\tint32\t3", "arr_1\t<U1\t"});
    CHECK_THROWS_WITH(npz_head(npz, "nope", 1), Catch::Contains("no array named 'nope'"));
    CHECK(shape_csv({20000, 10, 128}) == "20000,10,128");
    CHECK(shape_csv({}).empty());
}

TEST_CASE("polytag-npz prints every dtype of a numpy archive", "[io]") {
    polytag::test::TempDir dir;
    // Build an archive of the .npy fixtures (numpy's own bytes) to print them through npz_head.
    std::vector<std::string> bytes;
    std::vector<io::detail::ZipInput> inputs;
    const char* files[] = {"f2.npy", "f4.npy", "f8.npy", "i1.npy", "u8.npy", "be_f8.npy", "U.npy", "S.npy", "scalar_f8.npy", "b1.npy"};
    for (const char* f : files) bytes.push_back(polytag::test::read_bytes(io_fixture(f)));
    for (std::size_t i = 0; i < bytes.size(); ++i) inputs.push_back({files[i], {{bytes[i].data(), bytes[i].size()}}});
    io::detail::write_zip(dir.file("all.npz"), "all.npz", inputs, false);
    NpzReader npz(dir.file("all.npz"));
    CHECK(npz_head(npz, "f2", 6) == std::vector<std::string>{"0.5", "-2.0", "65500.0", "6e-08", "inf", "-0.0"});
    CHECK(npz_head(npz, "f4", 6) == std::vector<std::string>{"0.5", "-1.25", "30000000000.0", "0.1", "1e-30", "7.0"});
    CHECK(npz_head(npz, "f8", 6) ==
          std::vector<std::string>{"0.5", "0.81665", "-1e+300", "1e-300", "123456789.125", "0.1"});
    CHECK(npz_head(npz, "i1", 2) == std::vector<std::string>{"-3", "-2"});
    CHECK(npz_head(npz, "u8", 2) == std::vector<std::string>{"0", "1"});
    CHECK(npz_head(npz, "be_f8", 3) == std::vector<std::string>{"0.0", "0.25", "0.5"});
    CHECK(npz_head(npz, "U", 2) == std::vector<std::string>{"a", "héllo"});
    CHECK(npz_head(npz, "scalar_f8", 5) == std::vector<std::string>{"3.5"});
    CHECK(npz_listing(npz)[8] == "scalar_f8\tfloat64\t");
    CHECK(npz_listing(npz)[6] == "U\t<U5\t4");
    CHECK(npz_listing(npz)[7] == "S\t|S2\t3");
    CHECK(npz_listing(npz)[0] == "f2\tfloat16\t2,3");
}
