// Hostile and broken inputs: every one must end in polytag::IoError, never a crash, a hang
// or a large allocation (the fuzzer in tests/fuzz/ explores the same surface at random).
#include <catch2/catch.hpp>

#include "io/io_test_util.hpp"

using namespace polytag;
using namespace polytag::io;
using polytag::test::decode_npy;
using polytag::test::decode_npy_strings;
using polytag::test::io_fixture;
using polytag::test::make_npy;
using polytag::test::read_bytes;

namespace {

/// Reads every array of an in-memory archive; returns the number of failures.
int read_all(const std::string& bytes) {
    NpzReader npz = NpzReader::from_memory(bytes.data(), bytes.size(), "cut.npz");
    int failures = 0;
    for (const auto& name : npz.names()) {
        try {
            if (is_numeric(npz.info(name).dtype)) npz.read<double>(name);
            else npz.read_strings(name);
        } catch (const IoError&) {
            ++failures;
        }
    }
    return failures;
}

std::string pickle_npy(const std::string& pickle, const std::string& shape = "(1,)") {
    return make_npy("{'descr': '|O', 'fortran_order': False, 'shape': " + shape + ", }", pickle);
}

/// A string literal with embedded NULs, length taken from the array.
template <std::size_t N>
std::string lit(const char (&s)[N]) {
    return std::string(s, N - 1);
}

// numpy's protocol-3 prefix up to the element list: _reconstruct(ndarray, (0,), b'b'), then
// the state tuple (1, (n,), dtype('O8'), False, [ ... ]).
std::string object_pickle(const std::string& elements, int n = 1) {
    std::string p = lit("\x80\x03" "cnumpy.core.multiarray\n_reconstruct\n" "cnumpy\nndarray\n" "K\x00\x85" "C\x01" "b" "\x87R");
    p += lit("(K\x01K") + char(n) + lit("\x85" "cnumpy\ndtype\n" "X\x02\x00\x00\x00O8\x89\x88\x87R");
    p += lit("(K\x03X\x01\x00\x00\x00|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x3ftb");
    p += lit("\x89]q\x07");  // the element list is memo 7
    p += elements;
    p += "tb.";
    return p;
}
std::string binunicode(const std::string& s) {
    std::string out = "X";
    for (int k = 0; k < 4; ++k) out += char((s.size() >> (8 * k)) & 0xff);
    return out + s;
}

}  // namespace

TEST_CASE("the hand-built pickle helper matches numpy's layout", "[io]") {
    CHECK(decode_npy_strings(pickle_npy(object_pickle(binunicode("ok") + "a"))) == std::vector<std::string>{"ok"});
    CHECK(decode_npy_strings(pickle_npy(object_pickle("(" + binunicode("a") + binunicode("b") + "e", 2), "(2,)")) ==
          std::vector<std::string>{"a", "b"});
}

TEST_CASE("archives truncated at every byte offset are refused cleanly", "[io][hostile]") {
    for (const char* f : {"savez.npz", "savez_compressed.npz"}) {
        INFO(f);
        const std::string full = read_bytes(io_fixture(f));
        REQUIRE(full.size() > 1000);
        CHECK(read_all(full) == 0);
        for (std::size_t cut = 0; cut < full.size(); ++cut) {
            const std::string part = full.substr(0, cut);
            bool refused = false;
            try {
                refused = read_all(part) > 0;
            } catch (const IoError&) {
                refused = true;
            }
            if (!refused) FAIL("prefix of " << cut << " bytes was accepted");
        }
    }
}

TEST_CASE(".npy streams truncated at every byte offset are refused cleanly", "[io][hostile]") {
    for (const char* f : {"f8.npy", "O_str.npy", "U.npy", "be_f2.npy", "O_proto2.npy", "O_proto5.npy", "fortran_O.npy"}) {
        INFO(f);
        const std::string full = read_bytes(io_fixture(f));
        for (std::size_t cut = 0; cut < full.size(); ++cut) {
            const std::string part = full.substr(0, cut);
            bool strings_refused = false, numbers_refused = false;
            try {
                decode_npy_strings(part);
            } catch (const IoError&) {
                strings_refused = true;
            }
            try {
                decode_npy<double>(part);
            } catch (const IoError&) {
                numbers_refused = true;
            }
            if (!strings_refused || !numbers_refused) FAIL("prefix of " << cut << " bytes was accepted");
        }
    }
}

TEST_CASE("corrupted bytes fail the CRC check", "[io][hostile]") {
    std::string bytes = read_bytes(io_fixture("savez.npz"));
    const std::size_t at = bytes.find("\x93NUMPY");  // X.npy comes first
    REQUIRE(at != std::string::npos);
    bytes[at + 128 + 10] ^= 0x01;  // inside X's data, past its 128-byte header
    NpzReader npz = NpzReader::from_memory(bytes.data(), bytes.size(), "flipped.npz");
    CHECK_THROWS_WITH(npz.read<std::uint8_t>("X"), Catch::Contains("flipped.npz: X.npy") && Catch::Contains("CRC error"));
    CHECK(npz.read<double>("Y_true")(0, 0) == 0.5);  // the other entries are still fine
}

TEST_CASE("a header that promises more than the entry holds is named precisely", "[io][hostile]") {
    polytag::test::TempDir dir;
    const std::string path = dir.file("openmic-2018.npz");
    const std::string npy = make_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (20000, 10, 128), }", std::string(1024, '\x07'));
    io::detail::write_zip(path, path, {{"X.npy", {{npy.data(), npy.size()}}}}, false);
    NpzReader npz(path);
    const std::string message = path + ": X.npy: header says (20000, 10, 128) uint8 = 25600000 bytes, entry holds 1024";
    CHECK_THROWS_WITH(npz.read<std::uint8_t>("X"), message);
    CHECK_THROWS_WITH(npz.info("X"), message);  // info() validates sizes too, so callers may trust it
}

TEST_CASE("broken .npy headers", "[io][hostile]") {
    auto refuses = [](const std::string& bytes, const std::string& what) {
        INFO(what);
        CHECK_THROWS_WITH(decode_npy<float>(bytes), Catch::Contains(what));
    };
    const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    CHECK(decode_npy<float>(make_npy(ok, std::string(8, '\0'))).size() == 2);
    CHECK(decode_npy<float>(make_npy(ok, std::string(8, '\0'), 2)).size() == 2);
    CHECK(decode_npy<float>(make_npy(ok, std::string(8, '\0'), 3)).size() == 2);
    // Any key order, double quotes, Python 2 longs, no trailing comma are all valid headers.
    CHECK(decode_npy<float>(make_npy("{\"shape\": (2L,), \"fortran_order\": False, \"descr\": \"<f4\"}", std::string(8, '\0'))).size() == 2);
    std::string wrong_magic = make_npy(ok, std::string(8, '\0'));
    wrong_magic[1] = 'n';
    refuses(wrong_magic, "wrong magic");
    std::string v4 = make_npy(ok, std::string(8, '\0'));
    v4[6] = 4;
    refuses(v4, "version 4.0");
    refuses("PK\x03\x04", "too short");
    refuses(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", std::string(7, '\0')),
            "header says (2,) float32 = 8 bytes, buffer holds 7");
    refuses(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", std::string(9, '\0')), "buffer holds 9");
    refuses(make_npy("garbage", ""), "not a dict");
    refuses(make_npy("{'descr': '<f4', 'fortran_order': False}", ""), "lacks 'shape'");
    refuses(make_npy("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}", ""), "not True or False");
    refuses(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", std::string(8, '\0')), "not a tuple");
    refuses(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", ""), "unknown key 'x'");
    refuses(make_npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}", ""), "repeats 'descr'");
    refuses(make_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': ()}", ""), "structured dtypes");
    refuses(make_npy("{'descr': '<c16', 'fortran_order': False, 'shape': ()}", ""), "unsupported dtype '<c16'");
    refuses(make_npy("{'descr': '<M8[s]', 'fortran_order': False, 'shape': ()}", ""), "unsupported dtype");
    refuses(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", ""), "negative extent");
    refuses(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-256, 128), }", ""), "'shape' has a negative extent");
    refuses(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': ('a',), }", ""), "non-integer");
    refuses(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", ""), "overflows");
    refuses(make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", ""), "overflows");
    refuses(make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3037000499, 3037000499), }", ""), "overflows");
    refuses(make_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1152921504606846976,), }", ""), "overflows");
    refuses(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1), }", std::string(4, '\0')), "rank 5");
    std::string huge_len = make_npy(ok, std::string(8, '\0'), 2);
    huge_len[10] = huge_len[11] = '\x7f';
    refuses(huge_len, "header claims");
    // A header that claims a huge <U or |S element width but no elements allocates nothing.
    CHECK(decode_npy_strings(make_npy("{'descr': '<U268435456', 'fortran_order': False, 'shape': (0,), }", "")).empty());
    CHECK_THROWS_AS(decode_npy_strings(make_npy("{'descr': '|S999999999', 'fortran_order': False, 'shape': (1,), }", "ab")), IoError);
}

TEST_CASE("invalid UTF-32 and UTF-8 are refused", "[io][hostile]") {
    const std::string dict = "{'descr': '<U1', 'fortran_order': False, 'shape': (1,), }";
    CHECK(decode_npy_strings(make_npy(dict, std::string("A\0\0\0", 4))) == std::vector<std::string>{"A"});
    CHECK_THROWS_WITH(decode_npy_strings(make_npy(dict, std::string("\0\0\x11\0", 4))), Catch::Contains("not valid UTF-32"));
    CHECK_THROWS_WITH(decode_npy_strings(make_npy(dict, std::string("\0\xd8\0\0", 4))), Catch::Contains("not valid UTF-32"));
    for (const std::string& bad : {std::string("\xff"), std::string("\xc0\xaf"), std::string("\xed\xa0\x80"), std::string("\xe2\x82")}) {
        CHECK_THROWS_WITH(decode_npy_strings(pickle_npy(object_pickle(binunicode(bad) + "a"))), Catch::Contains("not valid UTF-8"));
    }
}

TEST_CASE("pickles naming other globals are refused by name, nothing runs", "[io][hostile]") {
    // What pickle.dumps of an object whose __reduce__ returns (os.system, ('echo hi',)) looks like.
    const std::string evil = lit("\x80\x02" "cos\nsystem\n" "X\x07\x00\x00\x00" "echo hi" "\x85R.");
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy(evil)), Catch::Contains("global 'os.system' is not allowed"));
    const std::string stack_global = lit("\x80\x04\x8c\x05" "posix" "\x94\x8c\x06" "system" "\x94\x93\x94.");
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy(stack_global)), Catch::Contains("global 'posix.system'"));
    const std::string builtins_eval = lit("\x80\x03" "cbuiltins\neval\n" ")R.");
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy(builtins_eval)), Catch::Contains("global 'builtins.eval'"));
    // Opcodes numpy never emits for object arrays (INST, OBJ, PERSID, EXT1...) are refused by value.
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy(lit("\x80\x02i os\nsystem\n."))), Catch::Contains("opcode 0x69"));
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy(lit("\x80\x02\x82\x01."))), Catch::Contains("opcode 0x82"));
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy(lit("\x80\x06."))), Catch::Contains("protocol 6"));
    // An element that is an arbitrary object, not str/bytes.
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy(object_pickle(lit("K\x05" "a")))), Catch::Contains("element 0 is not a str or bytes"));
}

TEST_CASE("deeply nested, recursive and exploding pickles are refused", "[io][hostile]") {
    // 100,000 nested MARKs.
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy("\x80\x03" + std::string(100000, '(') + ".")), Catch::Contains("MARKs deep"));
    // 100,000 nested 1-tuples need no recursion to build, and are no ndarray.
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy("\x80\x03N" + std::string(100000, '\x85') + ".")),
                      Catch::Contains("does not hold an ndarray"));
    // A list that contains itself.
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy(object_pickle(lit("h\x07") + "a"))), Catch::Contains("not a str"));
    const std::string self_list = lit("]q\x09h\x09") + "a";  // [L] with L appended to itself
    CHECK_THROWS_AS(decode_npy_strings(pickle_npy(self_list + ".")), IoError);
    // Billion laughs: one 1 MB string referenced 40 times via the memo exceeds the output cap.
    std::string shared = "(" + binunicode(std::string(1 << 20, 'x')) + lit("q\x01");
    for (int k = 0; k < 39; ++k) shared += lit("h\x01");
    shared += "e";
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy(object_pickle(shared, 40), "(40,)")), Catch::Contains("decode to more than"));
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy(object_pickle(binunicode("a") + "a", 2), "(2,)")),
                      Catch::Contains("shape says 2 elements, list holds 1"));
    // Header promising more elements than the pickle has bytes.
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy(object_pickle(""), "(1000000,)")), Catch::Contains("pickle holds only"));
    // Shape disagreeing with the header.
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy(object_pickle(binunicode("a") + "a"), "(1, 1)")), Catch::Contains("different from the header"));
    // Trailing bytes after STOP, and no STOP at all.
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy(object_pickle(binunicode("a") + "a") + "xx")), Catch::Contains("after STOP"));
    CHECK_THROWS_WITH(decode_npy_strings(pickle_npy("\x80\x03]")), Catch::Contains("truncated"));
}

TEST_CASE("non-zip and hostile archives", "[io][hostile]") {
    const std::string npy = read_bytes(io_fixture("f8.npy"));
    CHECK_THROWS_WITH(NpzReader::from_memory(npy.data(), npy.size(), "f8.npz"), Catch::Contains("f8.npz: not a readable zip archive"));
    // Messages name the file by the whole path it was given, not its base name.
    CHECK_THROWS_WITH(NpzReader(io_fixture("f8.npy")), Catch::StartsWith(io_fixture("f8.npy") + ": not a readable zip archive"));
    polytag::test::TempDir dir;
    polytag::test::write_bytes(dir.file("openmic-2018.npz"), "");
    CHECK_THROWS_WITH(NpzReader(dir.file("openmic-2018.npz")),
                      dir.file("openmic-2018.npz") + ": not a readable zip archive: 0 bytes is too short");
    polytag::test::write_bytes(dir.file("bad.npy"), "\x93NUMPY\x01\x00");
    CHECK_THROWS_WITH(io::load_npy<float>(dir.file("bad.npy")), Catch::StartsWith(dir.file("bad.npy") + ": "));
    CHECK_THROWS_WITH(NpzReader("/nonexistent/a.npz"), Catch::Contains("/nonexistent/a.npz: cannot open"));
    CHECK_THROWS_AS(NpzReader(POLYTAG_TEST_DATA_DIR), IoError);  // a folder
    // A central directory that claims a stored entry is larger than the whole archive.
    std::string bytes = read_bytes(io_fixture("positional.npz"));
    const std::size_t cd = bytes.find("PK\x01\x02");
    REQUIRE(cd != std::string::npos);
    for (int k = 20; k < 28; ++k) bytes[cd + std::size_t(k)] = '\x7f';  // compressed + uncompressed sizes
    CHECK_THROWS_AS(read_all(bytes), IoError);
}
