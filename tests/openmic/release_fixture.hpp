#pragma once
// A small release folder (openmic-2018.npz, class-map.json, partitions/*.csv) written into the
// build tree, so each validation test can break exactly one thing.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "polytag/openmic/dataset.hpp"
#include "polytag/io/npz.hpp"

namespace polytag::test {

struct ReleaseFixture {
    // Six clips of four tracks; the official split keeps track 000003 on the test side.
    std::vector<std::string> keys{"000001_0", "000001_3840", "000002_0", "000003_0", "000003_3840", "000004_0"};
    Tensor<std::uint8_t> x{Shape{6, 10, 128}};
    Tensor<double> y{Shape{6, 20}, 0.5};
    Tensor<bool> mask{Shape{6, 20}, false};
    std::string class_map;
    std::string train_csv = "000001_0\n000001_3840\n000002_0\n000004_0\n";
    std::string test_csv = "000003_0\n000003_3840\n";
    bool write_x = true, write_y = true, write_mask = true, write_keys = true;
    std::vector<io::NpzEntry> extra;  ///< further arrays (e.g. a second input stream); must outlive write()

    ReleaseFixture() {
        for (Index i = 0; i < x.size(); ++i) x[i] = static_cast<std::uint8_t>((i * 7) % 251);
        for (Index r = 0; r < 6; ++r) {  // two observed labels per clip
            observe(r, r % 20, r % 2 ? 1.0 : 0.0);
            observe(r, (r * 3 + 5) % 20, 0.25 * double(r % 5));
        }
        class_map = "{";
        const auto& names = openmic::release_instrument_names();
        for (std::size_t c = 0; c < names.size(); ++c)
            class_map += (c ? ", \"" : "\"") + names[c] + "\": " + std::to_string(c);
        class_map += "}";
    }
    void observe(Index row, Index col, double value) {
        y(row, col) = value;
        mask(row, col) = true;
    }

    /// Writes the folder under the build tree and returns its path.
    std::string write(const std::string& name) const {
        namespace fs = std::filesystem;
        const fs::path dir = fs::path(POLYTAG_BINARY_DIR) / "test-tmp" / "dataset" / name;
        fs::remove_all(dir);
        fs::create_directories(dir / "partitions");
        std::vector<io::NpzEntry> entries;
        if (write_x) entries.emplace_back("X", x);
        if (write_y) entries.emplace_back("Y_true", y);
        if (write_mask) entries.emplace_back("Y_mask", mask);
        if (write_keys) entries.emplace_back("sample_key", keys);
        entries.insert(entries.end(), extra.begin(), extra.end());
        io::save_npz((dir / "openmic-2018.npz").string(), entries);
        std::ofstream(dir / "class-map.json", std::ios::binary) << class_map;
        std::ofstream(dir / "partitions" / "split01_train.csv", std::ios::binary) << train_csv;
        std::ofstream(dir / "partitions" / "split01_test.csv", std::ios::binary) << test_csv;
        return dir.string();
    }
};

/// Runs `load` on `dir` and checks the DatasetError names `file_suffix`, `row` and `column`
/// and says `what`.
inline void require_dataset_error(const std::string& dir, const std::string& file_suffix, Index row, Index column,
                                  const std::string& what) {
    try {
        openmic::Dataset::load(dir);
        FAIL("expected a DatasetError about " << what);
    } catch (const openmic::DatasetError& e) {
        INFO(e.what());
        const std::string file = e.file();
        CHECK(file.size() >= file_suffix.size());
        CHECK(file.find(file_suffix) != std::string::npos);
        CHECK(e.row() == row);
        CHECK(e.column() == column);
        CHECK(std::string(e.what()).find(what) != std::string::npos);
        CHECK(std::string(e.what()).find(file_suffix) != std::string::npos);
    }
}

}  // namespace polytag::test
