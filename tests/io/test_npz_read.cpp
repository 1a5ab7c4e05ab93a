#include <catch2/catch.hpp>

#include "io/io_test_util.hpp"

using namespace polytag;
using namespace polytag::io;
using polytag::test::io_fixture;

TEST_CASE("np.savez and np.savez_compressed archives read the same", "[io]") {
    for (const char* f : {"savez.npz", "savez_compressed.npz"}) {
        INFO(f);
        NpzReader npz(io_fixture(f));
        CHECK(npz.names() == std::vector<std::string>{"X", "Y_true", "Y_mask", "sample_key"});
        CHECK(npz.contains("X"));
        CHECK(npz.contains("X.npy"));
        CHECK_FALSE(npz.contains("Z"));
        const ArrayInfo xi = npz.info("X");
        CHECK(xi.dtype == DType::UInt8);
        CHECK(xi.numpy_name() == "uint8");
        CHECK(xi.shape == std::vector<Index>{2, 10, 4});
        CHECK(npz.dtype("Y_mask") == DType::Bool);
        CHECK(npz.shape("Y_true") == std::vector<Index>{2, 2});
        auto x = npz.read<std::uint8_t>("X");
        REQUIRE(x.shape() == Shape{2, 10, 4});
        for (Index i = 0; i < x.size(); ++i) CHECK(x[i] == i);
        auto xf = npz.read<float>("X");
        CHECK(xf(1, 9, 3) == 79.0f);
        auto y = npz.read<double>("Y_true");
        CHECK(y(0, 0) == 0.5);
        CHECK(y(1, 1) == 0.25);
        auto m = npz.read<bool>("Y_mask");
        CHECK(m(0, 0));
        CHECK_FALSE(m(0, 1));
        CHECK(npz.read_strings("sample_key") == std::vector<std::string>{"000046_3840", "000135_483840"});
        CHECK(npz.info("sample_key").numpy_name() == "object");
        CHECK_THROWS_WITH(npz.read<float>("Z"), Catch::Contains("no array named 'Z'"));
        CHECK_THROWS_AS(npz.read<float>("sample_key"), IoError);
        CHECK(npz.path() == io_fixture(f));
    }
    NpzReader pos(io_fixture("positional.npz"));
    CHECK(pos.names() == std::vector<std::string>{"arr_0", "arr_1"});
    CHECK(pos.read<int>("arr_0")[2] == 2);
    CHECK(pos.read_strings("arr_1") == std::vector<std::string>{"x"});
}

TEST_CASE("a deflate bomb stops at the declared size", "[io]") {
    NpzReader npz(io_fixture("bomb.npz"));
    CHECK(npz.info("a").shape == std::vector<Index>{0});  // its header is valid
    CHECK_THROWS_WITH(npz.read<float>("a"), Catch::Contains("inflates to more than its declared 128 bytes"));
    CHECK_THROWS_AS(npz.read_strings("a"), IoError);
}

TEST_CASE("shared openmic-like-small archive reads completely", "[io][shared]") {
    POLYTAG_REQUIRE_SHARED(path, "openmic-like-small/openmic-2018.npz");
    NpzReader npz(path);
    CHECK(npz.names() == std::vector<std::string>{"X", "Y_true", "Y_mask", "sample_key"});
    auto x = npz.read<std::uint8_t>("X");
    CHECK(x.shape() == Shape{200, 10, 128});
    auto xf = npz.read<float>("X");
    for (Index i = 0; i < x.size(); ++i)
        if (xf[i] != float(x[i])) FAIL("X element " << i);
    auto y = npz.read<double>("Y_true");
    CHECK(y.shape() == Shape{200, 20});
    auto m = npz.read<bool>("Y_mask");
    CHECK(m.shape() == Shape{200, 20});
    Index observed = 0;
    for (Index i = 0; i < m.size(); ++i) {
        observed += m[i];
        if (!m[i] && y[i] != 0.5) FAIL("unobserved label is not 0.5 at " << i);
        if (y[i] < 0 || y[i] > 1) FAIL("label out of range at " << i);
    }
    CHECK(observed > 0);
    auto keys = npz.read_strings("sample_key");
    REQUIRE(keys.size() == 200);
    CHECK(keys[0] == "000766_48000");
    for (const auto& k : keys) CHECK(k.find('_') != std::string::npos);
}

TEST_CASE("shared 20,000-clip archive reads completely", "[io][shared]") {
    POLYTAG_REQUIRE_SHARED(path, "openmic-like/openmic-2018.npz");
    NpzReader npz(path);
    auto x = npz.read<std::uint8_t>("X");
    CHECK(x.shape() == Shape{20000, 10, 128});
    CHECK(npz.info("X").shape_str() == "(20000, 10, 128)");
    auto keys = npz.read_strings("sample_key");
    CHECK(keys.size() == 20000);
    CHECK(npz.read<float>("Y_true").shape() == Shape{20000, 20});
    CHECK(npz.read<bool>("Y_mask").shape() == Shape{20000, 20});
}

TEST_CASE("zip64 records and data descriptors", "[io]") {
    for (const char* f : {"zip64.npz", "descriptor.npz"}) {
        INFO(f);
        NpzReader npz(io_fixture(f));
        auto a = npz.read<double>("a");
        REQUIRE(a.shape() == Shape{2, 3});
        for (Index i = 0; i < 6; ++i) CHECK(a[i] == double(i) / 8);
    }
    CHECK(NpzReader(io_fixture("descriptor.npz")).read_strings("keys") == std::vector<std::string>{"x", "yz"});
}
