// What polytag-npz shows: .npy files as well as .npz archives, every entry listed even when
// one cannot be read, and a head that reads only the elements it prints.
#include <catch2/catch.hpp>

#include "io_test_util.hpp"
#include "polytag/io/npz_print.hpp"
#include "polytag/io/zip_writer.hpp"

using namespace polytag;
using namespace polytag::io;
using polytag::test::io_fixture;
using polytag::test::make_npy;
using polytag::test::read_bytes;
using polytag::test::write_bytes;

TEST_CASE("ArrayFile opens a .npy file as one array named after the file", "[io][npz_print]") {
    const ArrayFile f(io_fixture("f8.npy"));
    CHECK(f.is_npy());
    CHECK(f.names() == std::vector<std::string>{"f8"});
    std::size_t unsupported = 7;
    const auto lines = array_listing(f, &unsupported);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("f8\tfloat64\t", 0) == 0);
    CHECK(unsupported == 0);
    const Tensor<double> want = load_npy<double>(io_fixture("f8.npy"));
    const auto head = npz_head(f, "f8", 2);
    REQUIRE(head.size() == 2);
    CHECK(head[0] == repr_number(want[0]));
    CHECK(head[1] == repr_number(want[1]));
    CHECK(npz_head(f, "f8.npy", 1) == std::vector<std::string>{head[0]});
    CHECK_THROWS_WITH(npz_head(f, "X", 1), Catch::Contains("a .npy file holds one array, 'f8'"));
    // Recognised by content, not by name: an .npz renamed .npy is still an archive.
    polytag::test::TempDir dir;
    write_bytes(dir.file("really_a_zip.npy"), read_bytes(io_fixture("savez.npz")));
    CHECK_FALSE(ArrayFile(dir.file("really_a_zip.npy")).is_npy());
    CHECK_THROWS_WITH(ArrayFile(dir.file("absent.npz")), Catch::Contains(dir.file("absent.npz")));
}

TEST_CASE("A listing shows every entry, an unsupported one marked with its dtype and a reason", "[io][npz_print]") {
    polytag::test::TempDir dir;
    const std::string path = dir.file("mixed.npz");
    const std::string good = make_npy("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", std::string(12, '\0'));
    const std::string complex = make_npy("{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }", std::string(32, '\0'));
    const std::string date = make_npy("{'descr': '<M8[D]', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0'));
    const std::string also_good = make_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", std::string(4, '\1'));
    io::detail::write_zip(path, path,
                          {{"a.npy", {{good.data(), good.size()}}},
                           {"z.npy", {{complex.data(), complex.size()}}},
                           {"d.npy", {{date.data(), date.size()}}},
                           {"b.npy", {{also_good.data(), also_good.size()}}}},
                          false);
    std::size_t unsupported = 0;
    const auto lines = array_listing(ArrayFile(path), &unsupported);
    CHECK(lines == std::vector<std::string>{"a\tint32\t3", "z\t<c16\tunsupported: complex128: complex numbers are not supported",
                                            "d\t<M8[D]\tunsupported: datetime64: dates are not supported", "b\tuint8\t2,2"});
    CHECK(unsupported == 2);
    CHECK(npz_listing(NpzReader(path)) == lines);
    CHECK(npz_head(NpzReader(path), "b", 9) == std::vector<std::string>{"1", "1", "1", "1"});
}

TEST_CASE("head reads only the elements it prints", "[io][npz_print]") {
    // One million int64 with a broken CRC: a full read is refused, the head does not get there.
    Tensor<std::int64_t> big(Shape{1000000});
    for (Index i = 0; i < big.size(); ++i) big[i] = i * 3 - 7;
    polytag::test::TempDir dir;
    const std::string path = dir.file("big.npz");
    save_npz(path, {{"v", big}});
    std::string bytes = read_bytes(path);
    const std::size_t at = bytes.find("\x93NUMPY");
    bytes[at + 128 + 8 * 999990] ^= 0x40;  // near the end of the data
    write_bytes(path, bytes);
    const NpzReader npz(path);
    CHECK_THROWS_WITH(npz.read<std::int64_t>("v"), Catch::Contains("CRC error"));
    CHECK(npz_head(npz, "v", 3) == std::vector<std::string>{"-7", "-4", "-1"});

    // Deflated: the head inflates the start of the entry only.
    Tensor<float> zeros(Shape{1 << 20}, 0.0f);
    save_npz(path, {{"z", zeros}}, /*compressed=*/true);
    const NpzReader zipped(path);
    CHECK(npz_head(zipped, "z", 5) == std::vector<std::string>(5, "0.0"));
}

TEST_CASE("head of a Fortran-order array is row-major and streams past the rest", "[io][npz_print]") {
    const ArrayFile f(io_fixture("fortran_f8.npy"));
    const Tensor<double> t = load_npy<double>(io_fixture("fortran_f8.npy"));
    const auto head = npz_head(f, "fortran_f8", std::size_t(t.size()));
    REQUIRE(head.size() == std::size_t(t.size()));
    for (Index i = 0; i < t.size(); ++i) CHECK(head[std::size_t(i)] == repr_number(t[i]));
    const ArrayFile u(io_fixture("fortran_U.npy"));
    CHECK(npz_head(u, "fortran_U", 100) == load_npy_strings(io_fixture("fortran_U.npy")));
}
