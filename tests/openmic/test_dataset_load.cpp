// Dataset::load on release folders: a valid one, and one broken thing at a time, each error
// naming the file, row and column.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <limits>

#include "openmic/release_fixture.hpp"
#include "polytag/openmic/dataset.hpp"
#include "support/shared_data.hpp"

using namespace polytag;
using polytag::test::ReleaseFixture;
using polytag::test::require_dataset_error;

TEST_CASE("load reads a valid release folder", "[dataset]") {
    ReleaseFixture f;
    const auto d = openmic::Dataset::load(f.write("valid"));
    CHECK(d.size() == 6);
    CHECK(d.frames() == 10);
    CHECK(d.dims() == 128);
    CHECK(d.classes() == 20);
    CHECK(d.keys() == f.keys);
    CHECK(d.class_names()[0] == "accordion");
    CHECK(d.class_names()[19] == "voice");
    CHECK(d.class_index("piano") == 12);
    CHECK_THROWS_WITH(d.class_index("Piano"), Catch::Contains("did you mean 'piano'"));
    CHECK(d.train() == std::vector<Index>{0, 1, 2, 5});
    CHECK(d.test() == std::vector<Index>{3, 4});
    CHECK(d.find("000003_3840") == 4);
    CHECK(d.find("nope") == -1);
    CHECK(d.features().shape() == Shape{6, 10, 128});
    CHECK(std::equal(d.features().begin(), d.features().end(), f.x.begin()));
    for (Index i = 0; i < 6 * 20; ++i) {
        CHECK(d.y_true()[i] == static_cast<float>(f.y[i]));
        CHECK(d.mask()[i] == (f.mask[i] ? 1.0f : 0.0f));
    }
}

TEST_CASE("split files tolerate CRLF, blank lines and a missing final newline", "[dataset]") {
    ReleaseFixture f;
    f.train_csv = "000001_0\r\n000001_3840\r\n\r\n000002_0\r\n000004_0";
    f.test_csv = "\n000003_0\n  000003_3840  \n\n";
    const auto d = openmic::Dataset::load(f.write("crlf"));
    CHECK(d.train() == std::vector<Index>{0, 1, 2, 5});
    CHECK(d.test() == std::vector<Index>{3, 4});
}

TEST_CASE("load: duplicate sample keys", "[dataset]") {
    ReleaseFixture f;
    f.keys[3] = f.keys[1];
    f.test_csv = "000003_3840\n";
    require_dataset_error(f.write("duplicate-key"), "openmic-2018.npz sample_key", 3, -1, "duplicates row 1");
}

TEST_CASE("load: a split key missing from the npz", "[dataset]") {
    ReleaseFixture f;
    f.test_csv = "000003_0\n000099_0\n";
    require_dataset_error(f.write("missing-key"), "split01_test.csv", 2, -1, "'000099_0' is not a sample_key");
}

TEST_CASE("load: a key listed twice in one split", "[dataset]") {
    ReleaseFixture f;
    f.train_csv = "000001_0\n000001_3840\n000001_0\n";
    require_dataset_error(f.write("repeated-key"), "split01_train.csv", 3, -1, "listed twice (first on line 1)");
}

TEST_CASE("load: train and test overlap", "[dataset]") {
    ReleaseFixture f;
    f.test_csv = "000003_0\n000003_3840\n000002_0\n";
    require_dataset_error(f.write("overlap"), "split01_test.csv", 3, -1, "also in");
}

TEST_CASE("load: observed relevance outside [0, 1] or NaN", "[dataset]") {
    ReleaseFixture f;
    f.observe(2, 5, 1.5);
    require_dataset_error(f.write("out-of-range"), "openmic-2018.npz Y_true", 2, 5, "outside [0, 1]");
    ReleaseFixture g;
    g.observe(1, 0, -0.25);
    require_dataset_error(g.write("negative"), "openmic-2018.npz Y_true", 1, 0, "instrument 'accordion'");
    ReleaseFixture h;
    h.observe(4, 19, std::numeric_limits<double>::quiet_NaN());
    require_dataset_error(h.write("nan"), "openmic-2018.npz Y_true", 4, 19, "NaN");
}

TEST_CASE("load: an unobserved entry that is not exactly 0.5", "[dataset]") {
    ReleaseFixture f;
    f.y(4, 7) = 0.0;  // mask stays false
    require_dataset_error(f.write("unobserved"), "openmic-2018.npz Y_true", 4, 7, "expected exactly 0.5");
}

TEST_CASE("load: arrays of the wrong shape or dtype", "[dataset]") {
    {
        ReleaseFixture f;
        f.x = Tensor<std::uint8_t>(Shape{6, 10, 64}, 1);
        require_dataset_error(f.write("x-shape"), "openmic-2018.npz", -1, -1, "'X' has shape (6, 10, 64), expected (6, 10, 128)");
    }
    {
        ReleaseFixture f;
        f.keys.pop_back();  // 5 keys for 6 clips
        require_dataset_error(f.write("key-count"), "openmic-2018.npz", -1, -1, "'X' has shape (6, 10, 128), expected (5, 10, 128)");
    }
    {
        ReleaseFixture f;
        f.y = Tensor<double>(Shape{6, 19}, 0.5);
        require_dataset_error(f.write("y-shape"), "openmic-2018.npz", -1, -1, "'Y_true' has shape (6, 19)");
    }
    {
        ReleaseFixture f;
        f.mask = Tensor<bool>(Shape{20, 6}, false);
        require_dataset_error(f.write("mask-shape"), "openmic-2018.npz", -1, -1, "'Y_mask' has shape (20, 6)");
    }
    {
        // Features that are not uint8 are refused, not silently converted.
        struct FloatX : ReleaseFixture {
            Tensor<float> xf{Shape{6, 10, 128}, 1.0f};
        } f;
        f.write_x = false;
        const std::string dir = f.write("x-dtype");
        io::save_npz(dir + "/openmic-2018.npz", {{"X", f.xf}, {"Y_true", f.y}, {"Y_mask", f.mask}, {"sample_key", f.keys}});
        require_dataset_error(dir, "openmic-2018.npz", -1, -1, "'X' has dtype float32, expected uint8");
    }
    {
        ReleaseFixture f;
        f.write_mask = false;
        require_dataset_error(f.write("no-mask"), "openmic-2018.npz", -1, -1, "no array 'Y_mask'");
    }
}

TEST_CASE("load: class-map.json must map the 20 instruments onto columns 0..19", "[dataset]") {
    {
        ReleaseFixture f;
        const auto at = f.class_map.find("\"voice\"");
        f.class_map.replace(at, 7, "\"kazoo\"");
        require_dataset_error(f.write("unknown-class"), "class-map.json", -1, -1, "unknown instrument 'kazoo'");
    }
    {
        ReleaseFixture f;
        f.class_map = "{\"accordion\": 0}";
        require_dataset_error(f.write("missing-class"), "class-map.json", -1, 1, "no instrument maps to column 1 (missing: banjo");
    }
    {
        ReleaseFixture f;
        const auto at = f.class_map.find("\"voice\": 19");
        f.class_map.replace(at, 11, "\"voice\": 18");
        require_dataset_error(f.write("shared-column"), "class-map.json", -1, 18, "'violin' and 'voice' both map to column 18");
    }
    {
        ReleaseFixture f;
        f.class_map = "{\"accordion\": \"0\"}";
        require_dataset_error(f.write("string-column"), "class-map.json", -1, -1, "not an integer");
    }
    {
        ReleaseFixture f;
        f.class_map = "{\"accordion\": 20}";
        require_dataset_error(f.write("column-range"), "class-map.json", -1, -1, "outside [0, 20)");
    }
    {
        ReleaseFixture f;
        f.class_map = "{\"accordion\": 0,";
        require_dataset_error(f.write("bad-json"), "class-map.json", -1, -1, "not valid JSON");
    }
}

TEST_CASE("load: a missing file is named", "[dataset]") {
    namespace fs = std::filesystem;
    ReleaseFixture f;
    const std::string dir = f.write("missing-file");
    fs::remove(fs::path(dir) / "partitions" / "split01_test.csv");
    require_dataset_error(dir, "partitions/split01_test.csv", -1, -1, "missing file");
    fs::remove(fs::path(dir) / "class-map.json");
    require_dataset_error(dir, "class-map.json", -1, -1, "missing file");
    require_dataset_error(dir + "/nowhere", "nowhere", -1, -1, "not a directory");
    // A file that is not a zip archive at all: the npz reader's IoError names it.
    ReleaseFixture g;
    const std::string dir2 = g.write("not-a-zip");
    std::ofstream(fs::path(dir2) / "openmic-2018.npz", std::ios::binary) << "not a zip";
    try {
        openmic::Dataset::load(dir2);
        FAIL("expected an IoError");
    } catch (const IoError& e) {
        CHECK(std::string(e.what()).find("openmic-2018.npz") != std::string::npos);
    }
}

TEST_CASE("load reads a numpy-written release (pickled object keys)", "[dataset]") {
    const auto d = openmic::Dataset::load(polytag::test::fixture("openmic/numpy-release"));
    CHECK(d.size() == 4);
    CHECK(d.keys() == std::vector<std::string>{"000046_3840", "000046_7680", "000135_0", "014521_96000"});
    CHECK(d.train() == std::vector<Index>{0, 1, 3});
    CHECK(d.test() == std::vector<Index>{2});
    CHECK(d.features()(3, 9, 127) == 255);
    CHECK(d.features()(0, 0, 0) == 0);
    CHECK(d.y_true()(0, 12) == Approx(0.75));
    CHECK(d.mask()(0, 12) == 1.0f);
    CHECK(d.y_true()(0, 0) == 0.5f);
    CHECK(d.mask()(0, 0) == 0.0f);
}

TEST_CASE("load reads ../shared/data/openmic-like-small", "[dataset]") {
    POLYTAG_REQUIRE_SHARED(npz, "openmic-like-small/openmic-2018.npz");
    const auto d = openmic::Dataset::load(polytag::test::shared_data("openmic-like-small"));
    CHECK(d.size() == 200);
    CHECK(d.train().size() == 147);
    CHECK(d.test().size() == 53);
    CHECK(d.keys()[0] == "000766_48000");
    CHECK(d.keys()[1] == "002256_21120");
    CHECK(d.find("003945_157440") == d.train()[0]);
    CHECK(d.keys()[static_cast<std::size_t>(d.test()[0])] == "000766_48000");
    CHECK(d.class_names()[12] == "piano");
    double observed = 0;
    for (float m : d.mask()) observed += m;
    CHECK(observed / 200 == Approx(2.06).margin(0.01));
}
