// Model files: round trip, numpy-readable layout, and clear errors for corrupt or mismatched files.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "polytag/io/npz.hpp"
#include "polytag/openmic/relevance_model.hpp"

using namespace polytag;
using namespace polytag::openmic;

namespace {
std::string temp_path(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / ("polytag_test_model_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}
RelevanceModel trained_looking_model(PoolKind pool = PoolKind::Attention) {
    ModelConfig c;
    c.trunk = {24, 16};
    c.head = {4};
    c.pool = pool;
    RelevanceModel m(c, 77);
    Rng rng(5);
    for (auto& p : m.net().parameters())
        for (auto& v : p.value) v += float(rng.uniform(-0.1, 0.1));
    Normalizer n = Normalizer::identity(128);
    for (std::size_t j = 0; j < 128; ++j) n.mean[j] = 120.0f + float(j % 7), n.std[j] = 50.0f + float(j % 5);
    m.set_normalizer(n);
    return m;
}
Tensor<std::uint8_t> clips(Index n) {
    Rng rng(8);
    Tensor<std::uint8_t> x(Shape{n, 10, 128});
    for (auto& v : x) v = std::uint8_t(rng.below(256));
    return x;
}
/// Rewrites a saved model file with one entry replaced (or dropped when `replacement` is null).
void rewrite(const std::string& from, const std::string& to, const std::string& name,
             const io::NpzEntry* replacement) {
    io::NpzReader r(from);
    std::vector<Tensor<float>> keep_f;
    std::vector<std::vector<std::string>> keep_s;
    std::vector<io::NpzEntry> entries;
    keep_f.reserve(64);
    keep_s.reserve(64);
    for (const auto& n : r.names()) {
        if (n == name) {
            if (replacement) entries.push_back(*replacement);
            continue;
        }
        if (n == "format" || n == "config" || n == "training")
            entries.emplace_back(n, r.read_strings(n).at(0));
        else if (n == "class_names") {
            keep_s.push_back(r.read_strings(n));
            entries.emplace_back(n, keep_s.back());
        } else {
            keep_f.push_back(r.read<float>(n));
            entries.emplace_back(n, keep_f.back());
        }
    }
    if (replacement && name.empty()) entries.push_back(*replacement);
    io::save_npz(to, entries);
}
std::string load_error(const std::string& path) {
    try {
        RelevanceModel::load(path);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("save/load round trip gives identical predictions, config, names and normaliser", "[model][file]") {
    for (PoolKind pool : {PoolKind::Attention, PoolKind::Mean, PoolKind::Max}) {
        RelevanceModel m = trained_looking_model(pool);
        const std::string path = temp_path("roundtrip.npz");
        m.save(path, R"({"note": "test"})");
        const RelevanceModel back = RelevanceModel::load(path);
        CHECK(back.config() == m.config());
        CHECK(back.class_names() == m.class_names());
        CHECK(back.normalizer().mean == m.normalizer().mean);
        CHECK(back.normalizer().std == m.normalizer().std);
        const Tensor<std::uint8_t> x = clips(9);
        const Tensor<float> a = m.predict(x), b = back.predict(x);
        REQUIRE(a.shape() == b.shape());
        CHECK(std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0);
        io::NpzReader r(path);
        CHECK(r.read_strings("format").at(0) == kModelFormat);
        CHECK(r.read_strings("class_names").size() == 20);
        CHECK(r.read_strings("training").at(0) == R"({"note": "test"})");
    }
}

TEST_CASE("save writes atomically and leaves no temporary file", "[model][file]") {
    const std::string path = temp_path("atomic.npz");
    trained_looking_model().save(path);
    trained_looking_model().save(path);  // overwrite
    int files = 0;
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
        files += e.path().filename().string().find("atomic.npz") != std::string::npos;
    CHECK(files == 1);
}

TEST_CASE("Corrupt and mismatched model files are refused with errors naming file and field", "[model][file]") {
    const std::string good = temp_path("good.npz"), bad = temp_path("bad.npz");
    RelevanceModel m = trained_looking_model();
    m.save(good);
    REQUIRE(load_error(good).empty());

    SECTION("not a file / not an npz") {
        CHECK_THAT(load_error(temp_path("missing.npz")), Catch::Contains("missing.npz"));
        std::ofstream(bad) << "this is not a zip archive";
        CHECK_THAT(load_error(bad), Catch::Contains("bad.npz"));
    }
    SECTION("truncated file") {
        const auto size = std::filesystem::file_size(good);
        std::filesystem::copy_file(good, bad, std::filesystem::copy_options::overwrite_existing);
        std::filesystem::resize_file(bad, size / 2);
        CHECK_THAT(load_error(bad), Catch::Contains("bad.npz"));
    }
    SECTION("missing weight") {
        rewrite(good, bad, "trunk.1.weight", nullptr);
        const std::string e = load_error(bad);
        CHECK_THAT(e, Catch::Contains("bad.npz") && Catch::Contains("trunk.1.weight") && Catch::Contains("missing"));
    }
    SECTION("wrong weight shape") {
        Tensor<float> w(Shape{16, 23}, 0.0f);
        io::NpzEntry e("trunk.1.weight", w);
        rewrite(good, bad, "trunk.1.weight", &e);
        CHECK_THAT(load_error(bad), Catch::Contains("trunk.1.weight") && Catch::Contains("(16, 23)"));
    }
    SECTION("non-finite weight") {
        Tensor<float> w(Shape{20}, 0.0f);
        w[3] = std::numeric_limits<float>::quiet_NaN();
        io::NpzEntry e("head.bias_out", w);
        rewrite(good, bad, "head.bias_out", &e);
        CHECK_THAT(load_error(bad), Catch::Contains("head.bias_out") && Catch::Contains("finite"));
    }
    SECTION("bad config JSON") {
        io::NpzEntry e("config", std::string("{\"trunk\": [24, 16"));
        rewrite(good, bad, "config", &e);
        CHECK_THAT(load_error(bad), Catch::Contains("'config'") && Catch::Contains("JSON"));
    }
    SECTION("config with a bad value") {
        io::NpzEntry e("config", std::string(R"({"trunk": [24, 0], "head": [4]})"));
        rewrite(good, bad, "config", &e);
        CHECK_THAT(load_error(bad), Catch::Contains("config.trunk[1]"));
    }
    SECTION("config with an unknown key") {
        io::NpzEntry e("config", std::string(R"({"trunk": [24, 16], "head": [4], "colour": "red"})"));
        rewrite(good, bad, "config", &e);
        CHECK_THAT(load_error(bad), Catch::Contains("config.colour"));
    }
    SECTION("config that does not match the weights") {
        io::NpzEntry e("config", std::string(R"({"trunk": [24, 16], "head": [5]})"));
        rewrite(good, bad, "config", &e);
        CHECK_THAT(load_error(bad), Catch::Contains("head.") && Catch::Contains("shape"));
    }
    SECTION("wrong class count") {
        std::vector<std::string> names(19, "x");
        for (std::size_t i = 0; i < names.size(); ++i) names[i] += std::to_string(i);
        io::NpzEntry e("class_names", names);
        rewrite(good, bad, "class_names", &e);
        CHECK_THAT(load_error(bad), Catch::Contains("class_names") && Catch::Contains("19"));
    }
    SECTION("missing normaliser and bad std") {
        rewrite(good, bad, "normalizer.std", nullptr);
        CHECK_THAT(load_error(bad), Catch::Contains("normalizer.std") && Catch::Contains("missing"));
        Tensor<float> s(Shape{128}, 1.0f);
        s[5] = 0.0f;
        io::NpzEntry e("normalizer.std", s);
        rewrite(good, bad, "normalizer.std", &e);
        CHECK_THAT(load_error(bad), Catch::Contains("normalizer.std") && Catch::Contains("element 5"));
    }
    SECTION("wrong format tag and unexpected arrays") {
        io::NpzEntry e("format", std::string("something.else/3"));
        rewrite(good, bad, "format", &e);
        CHECK_THAT(load_error(bad), Catch::Contains("'format'"));
        Tensor<float> extra(Shape{3}, 1.0f);
        io::NpzEntry x("trunk.9.weight", extra);
        rewrite(good, bad, "", &x);
        CHECK_THAT(load_error(bad), Catch::Contains("trunk.9.weight") && Catch::Contains("unexpected"));
    }
}
