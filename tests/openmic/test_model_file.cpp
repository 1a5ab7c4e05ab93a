// Model files: round trip, numpy-readable layout, and clear errors for corrupt or mismatched files.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
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
        const bool text = r.dtype(n) == io::DType::Unicode;
        if (text && r.shape(n).empty())
            entries.emplace_back(n, r.read_strings(n).at(0));
        else if (text) {
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
    SECTION("a flipped byte inside a stored weight is a CRC error, not a dtype complaint") {
        std::string bytes;
        {
            std::ifstream in(good, std::ios::binary);
            bytes.assign(std::istreambuf_iterator<char>(in), {});
        }
        const std::size_t name = bytes.find("trunk.1.weight.npy");
        REQUIRE(name != std::string::npos);
        const std::size_t magic = bytes.find("\x93NUMPY", name);
        REQUIRE(magic != std::string::npos);
        bytes[magic + 128 + 5] ^= 0x40;  // inside the (16, 24) float32 data, past the 128-byte header
        std::ofstream(bad, std::ios::binary) << bytes;
        const std::string e = load_error(bad);
        CHECK_THAT(e, Catch::Contains("bad.npz") && Catch::Contains("trunk.1.weight") && Catch::Contains("CRC error"));
        CHECK_THAT(e, !Catch::Contains("float array") && !Catch::Contains("dtype"));
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

TEST_CASE("parameter_shapes(config) lists exactly the network's parameters", "[model][file]") {
    for (PoolKind pool : {PoolKind::Attention, PoolKind::Mean, PoolKind::Max})
        for (std::vector<int> head : {std::vector<int>{}, std::vector<int>{8}, std::vector<int>{6, 3}}) {
            ModelConfig c;
            c.trunk = {12, 7};
            c.head = head;
            c.pool = pool;
            RelevanceNet<float> net(c);
            const auto params = net.parameters();
            const auto shapes = parameter_shapes(c);
            REQUIRE(params.size() == shapes.size());
            std::uint64_t count = 0;
            for (std::size_t i = 0; i < params.size(); ++i) {
                CHECK(params[i].name == shapes[i].name);
                CHECK(params[i].value.shape() == shapes[i].shape);
                count += std::uint64_t(params[i].value.size());
            }
            CHECK(parameter_count(c) == count);
        }
}

TEST_CASE("Hostile model files: float64 weights, a compression bomb, a frames count out of range", "[model][file][hostile]") {
    const std::string good = temp_path("good2.npz"), bad = temp_path("bad2.npz");
    trained_looking_model().save(good);
    SECTION("a float64 weight is refused, naming the dtype") {
        Tensor<double> w(Shape{20}, 0.0);
        io::NpzEntry e("head.bias_out", w);
        rewrite(good, bad, "head.bias_out", &e);
        CHECK_THAT(load_error(bad), Catch::Contains("bad2.npz") && Catch::Contains("head.bias_out") &&
                                        Catch::Contains("float64") && Catch::Contains("float32"));
    }
    SECTION("a float64 normaliser is refused") {
        Tensor<double> s(Shape{128}, 1.0);
        io::NpzEntry e("normalizer.std", s);
        rewrite(good, bad, "normalizer.std", &e);
        CHECK_THAT(load_error(bad), Catch::Contains("normalizer.std") && Catch::Contains("float64"));
    }
    SECTION("frames beyond the bound blame the config") {
        io::NpzEntry e("config", std::string(R"({"trunk": [24, 16], "head": [4], "frames": 5000})"));
        rewrite(good, bad, "config", &e);
        CHECK_THAT(load_error(bad), Catch::Contains("config.frames") && Catch::Contains("4096"));
    }
    SECTION("arrays declaring far more than the file holds (deflated zeros)") {
        ModelConfig c;
        c.trunk = {8192};
        std::vector<io::NpzEntry> entries;
        entries.emplace_back("format", std::string(kModelFormat));
        entries.emplace_back("config", to_json(c).dump());
        std::vector<std::string> names(release_instrument_names().begin(), release_instrument_names().end());
        entries.emplace_back("class_names", names);
        std::vector<Tensor<float>> keep;
        keep.reserve(16);
        keep.emplace_back(Shape{128}, 0.0f);
        entries.emplace_back("normalizer.mean", keep.back());
        keep.emplace_back(Shape{128}, 1.0f);
        entries.emplace_back("normalizer.std", keep.back());
        for (const auto& p : parameter_shapes(c)) {
            keep.emplace_back(p.shape, 0.0f);
            entries.emplace_back(p.name, keep.back());
        }
        io::save_npz(bad, entries, /*compressed=*/true);
        CHECK_THAT(load_error(bad), Catch::Contains("bad2.npz") && Catch::Contains("declare"));
    }
}

TEST_CASE("An ensemble file loads like a single model and predicts the members' mean", "[model][file][ensemble]") {
    std::vector<RelevanceModel> members;
    members.push_back(trained_looking_model(PoolKind::Attention));
    members.push_back(trained_looking_model(PoolKind::Mean));
    members.push_back(trained_looking_model(PoolKind::Max));
    const Tensor<std::uint8_t> x = clips(11);
    std::vector<Tensor<float>> each;
    for (const auto& m : members) each.push_back(m.predict(x));
    const RelevanceModel e = RelevanceModel::ensemble(std::move(members));
    CHECK(e.members() == 3);
    CHECK(e.is_ensemble());
    CHECK_THROWS_AS(e.net(), ValueError);
    const Tensor<float> mean = e.predict(x);
    for (Index i = 0; i < mean.size(); ++i)
        CHECK(mean[i] == Approx((each[0][i] + each[1][i] + each[2][i]) / 3.0f).margin(1e-6));
    const auto one = e.predict(x.data());
    for (Index k = 0; k < 20; ++k) CHECK(one[std::size_t(k)] == Approx(mean(0, k)).margin(1e-6));

    const std::string path = temp_path("ensemble.npz");
    e.save(path, R"({"folds": 3})");
    io::NpzReader r(path);
    CHECK(r.read_strings("format").at(0) == kEnsembleFormat);
    CHECK(r.read_strings("members").at(0) == "3");
    CHECK(r.contains("member.2.head.bias_out"));
    const RelevanceModel back = RelevanceModel::load(path);
    CHECK(back.members() == 3);
    CHECK(back.config(1).pool == PoolKind::Mean);
    const Tensor<float> again = back.predict(x);
    CHECK(std::memcmp(again.data(), mean.data(), sizeof(float) * std::size_t(mean.size())) == 0);

    const std::string bad = temp_path("bad-ensemble.npz");
    SECTION("a missing member weight names the member") {
        rewrite(path, bad, "member.1.trunk.0.weight", nullptr);
        CHECK_THAT(load_error(bad), Catch::Contains("member.1.trunk.0.weight") && Catch::Contains("missing"));
    }
    SECTION("a member count that does not match") {
        io::NpzEntry n("members", std::string("4"));
        rewrite(path, bad, "members", &n);
        CHECK_THAT(load_error(bad), Catch::Contains("member.3.config") && Catch::Contains("missing"));
        io::NpzEntry z("members", std::string("0"));
        rewrite(path, bad, "members", &z);
        CHECK_THAT(load_error(bad), Catch::Contains("'members'"));
    }
    SECTION("a member for other clips") {
        io::NpzEntry c("member.2.config", std::string(R"({"trunk": [24, 16], "head": [4], "pool": "max", "frames": 9})"));
        rewrite(path, bad, "member.2.config", &c);
        CHECK_THAT(load_error(bad), Catch::Contains("member.2.config"));
    }
}
