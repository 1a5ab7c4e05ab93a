// polytag::audio::Vggish against torch: tests/data/audio/make_vggish_fixtures.py builds
// torchvggish's network with random weights, converts it with examples/convert_vggish.py and
// records torch's embeddings and the numpy post-processor's bytes. The full-width check is a
// hidden case run by CTest after the generator wrote its files (tests/audio/extra.cmake).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "io/io_test_util.hpp"
#include "polytag/audio/vggish.hpp"
#include "polytag/tensor/random.hpp"
#include "polytag/nn/activation.hpp"
#include "polytag/nn/conv2d.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/flatten.hpp"
#include "polytag/nn/max_pool2d.hpp"
#include "polytag/nn/sequential.hpp"
#include "support/gradcheck.hpp"
#include "support/shared_data.hpp"

using namespace polytag;
using polytag::audio::Vggish;
using polytag::audio::VggishPostprocessor;
using polytag::audio::VggishWorkspace;

namespace {

std::string small_model() { return test::fixture("audio/vggish_small.npz"); }
std::string small_reference() { return test::fixture("audio/vggish_small_reference.npz"); }

/// Every array of a VGGish file, to write altered copies.
struct Arrays {
    std::map<std::string, Tensor<float>> floats;
    std::map<std::string, std::string> strings;
};
Arrays read_arrays(const std::string& path) {
    io::NpzReader r(path);
    Arrays a;
    for (const auto& n : r.names()) {
        if (n == "format" || n == "final_activation")
            a.strings[n] = r.read_strings(n).at(0);
        else
            a.floats[n] = r.read<float>(n);
    }
    return a;
}
void write_arrays(const std::string& path, const Arrays& a, bool compressed = false) {
    std::vector<io::NpzEntry> e;
    for (const auto& [n, s] : a.strings) e.emplace_back(n, s);
    for (const auto& [n, t] : a.floats) e.emplace_back(n, t.view());
    io::save_npz(path, e, compressed);
}

/// Largest |a - b| / max|b| over each row, the worst row.
double max_row_relative(TensorView<const float> a, TensorView<const float> b) {
    double worst = 0.0;
    const Index rows = b.dim(0), cols = b.dim(1);
    for (Index r = 0; r < rows; ++r) {
        double scale = 0.0, diff = 0.0;
        for (Index c = 0; c < cols; ++c) {
            scale = std::max(scale, std::abs(double(b(r, c))));
            diff = std::max(diff, std::abs(double(a(r, c)) - double(b(r, c))));
        }
        worst = std::max(worst, scale > 0 ? diff / scale : diff);
    }
    return worst;
}

/// Checks bytes against the reference: equal, or one apart where the reference value before
/// truncation lies within `slack` of an integer. slack = 1e-5 plus the most that this
/// embedding's own deviation from the reference embedding can move the value:
/// 255/4 * sum_j |P_ij| |e_j - e_ref_j| (clipping only shrinks differences).
struct ByteCheck {
    Index off_by_one = 0;
    Index wrong = 0;
    double max_slack = 0.0;
};
ByteCheck check_bytes(const Vggish& v, TensorView<const float> emb, TensorView<const float> emb_ref,
                      TensorView<const std::uint8_t> got, TensorView<const std::uint8_t> want,
                      TensorView<const double> quantized_ref) {
    ByteCheck c;
    const Tensor<float>& p = v.postprocessor().eigen_vectors();
    const Index rows = want.dim(0), e = want.dim(1);
    for (Index r = 0; r < rows; ++r)
        for (Index i = 0; i < e; ++i) {
            double moved = 0.0;
            for (Index j = 0; j < e; ++j)
                moved += std::abs(double(p(i, j))) * std::abs(double(emb(r, j)) - double(emb_ref(r, j)));
            const double slack = 1e-5 + 255.0 / 4.0 * moved;
            c.max_slack = std::max(c.max_slack, slack);
            const int g = got(r, i), w = want(r, i);
            if (g == w) continue;
            const double q = quantized_ref(r, i);
            if (std::abs(g - w) == 1 && std::abs(q - std::round(q)) <= slack)
                ++c.off_by_one;
            else
                ++c.wrong;
        }
    return c;
}

struct Reference {
    Tensor<float> patches, embedding, embedding_linear;
    Tensor<double> embedding_f64, quantized;
    Tensor<std::uint8_t> bytes;
};
Reference read_reference(const std::string& path) {
    io::NpzReader r(path);
    return {r.read<float>("patches"),       r.read<float>("embedding"), r.read<float>("embedding_linear"),
            r.read<double>("embedding_f64"), r.read<double>("quantized"), r.read<std::uint8_t>("uint8")};
}

/// The whole comparison of a model file with its reference; prints the measured figures.
void compare_with_torch(const std::string& model, const std::string& reference, const std::string& label) {
    const Vggish v = Vggish::load(model);
    const Reference ref = read_reference(reference);
    REQUIRE(ref.patches.dim(0) >= 1);
    const Tensor<float> emb = v.embed(ref.patches.view());
    REQUIRE(emb.shape() == ref.embedding.shape());
    const double rel = max_row_relative(emb.view(), ref.embedding.view());
    Tensor<float> f64(ref.embedding_f64.shape());
    for (Index i = 0; i < f64.size(); ++i) f64[i] = float(ref.embedding_f64[i]);
    const double rel64 = max_row_relative(emb.view(), f64.view());
    const double torch_rel64 = max_row_relative(ref.embedding.view(), f64.view());
    CHECK(rel <= 1e-4);

    const Tensor<std::uint8_t> bytes = v.quantize(emb.view());
    const ByteCheck c = check_bytes(v, emb.view(), ref.embedding.view(), bytes.view(), ref.bytes.view(),
                                    ref.quantized.view());
    CHECK(c.wrong == 0);
    // The reference embedding itself through polytag's post-processor: exactly numpy's bytes
    // (both compute the same float64 expression).
    const Tensor<std::uint8_t> from_ref = v.quantize(ref.embedding.view());
    Index exact_mismatch = 0;
    for (Index i = 0; i < from_ref.size(); ++i) exact_mismatch += from_ref[i] != ref.bytes[i];
    CHECK(exact_mismatch == 0);
    std::cerr << "vggish " << label << ": embedding max row-relative error vs torch f32 " << rel << ", vs torch f64 "
              << rel64 << " (torch f32 vs f64 " << torch_rel64 << "); bytes: " << c.off_by_one << " of "
              << bytes.size() << " one apart (allowed slack up to " << c.max_slack << "), " << c.wrong << " wrong\n";
}

std::string error_of(const std::string& path) {
    try {
        Vggish::load(path);
    } catch (const IoError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("Vggish: the narrow random-weight model matches torch and numpy", "[vggish]") {
    compare_with_torch(small_model(), small_reference(), "small");
}

TEST_CASE("Vggish: widths come from the file", "[vggish]") {
    const Vggish v = Vggish::load(small_model());
    const audio::VggishArchitecture& a = v.architecture();
    CHECK(a.conv == std::array<Index, 6>{8, 16, 16, 32, 32, 32});
    CHECK(a.fc == std::array<Index, 3>{32, 64, 128});
    CHECK(a.final_relu);
    CHECK(v.embedding_size() == 128);
    CHECK(a.flat_size() == 6 * 4 * 32);
    CHECK(v.conv_weight(1).shape() == Shape{3, 3, 8, 16});
    CHECK(v.fc_weight(0).shape() == Shape{32, 768});
    // fc_weight gives back the file's (out, in) from the forward's panel layout.
    const Tensor<float> w = io::NpzReader(small_model()).read<float>("fc1_1.weight");
    const Tensor<float> back = v.fc_weight(0);
    CHECK(std::equal(back.begin(), back.end(), w.begin(), w.end()));
}

namespace {
/// The file `a` with the entries of `raw` (name -> a whole .npy stream) added as they are.
void write_with_raw(const std::string& path, const Arrays& a, const std::map<std::string, std::string>& raw) {
    std::vector<io::NpzEntry> e;
    for (const auto& [n, s] : a.strings) e.emplace_back(n, s);
    for (const auto& [n, t] : a.floats)
        if (!raw.count(n)) e.emplace_back(n, t.view());
    std::vector<io::detail::ZipInput> inputs;
    for (const auto& x : e) {
        const auto& enc = x.encoded();
        inputs.push_back({x.name() + ".npy", {{enc.header().data(), enc.header().size()}, {enc.data(), enc.data_size()}}});
    }
    for (const auto& [n, bytes] : raw) inputs.push_back({n + ".npy", {{bytes.data(), bytes.size()}}});
    io::detail::write_zip(path, path, inputs, false);
}
/// A 2-d float32 array as an .npy stream: C or Fortran order, little- or big-endian.
std::string npy_2d(const Tensor<float>& t, bool fortran, bool big_endian) {
    const Index rows = t.dim(0), cols = t.dim(1);
    std::string data;
    for (Index a = 0; a < (fortran ? cols : rows); ++a)
        for (Index b = 0; b < (fortran ? rows : cols); ++b) {
            const float x = fortran ? t(b, a) : t(a, b);
            char c[4];
            std::memcpy(c, &x, 4);
            if (big_endian) std::swap(c[0], c[3]), std::swap(c[1], c[2]);
            data.append(c, 4);
        }
    return test::make_npy(std::string("{'descr': '") + (big_endian ? ">f4" : "<f4") + "', 'fortran_order': " +
                              (fortran ? "True" : "False") + ", 'shape': (" + std::to_string(rows) + ", " +
                              std::to_string(cols) + "), }",
                          data);
}
}  // namespace

TEST_CASE("Vggish: FC weights stored in Fortran order or big-endian load as the same network", "[vggish]") {
    // The FC weights are read block by block into their transposed layout; every storage numpy
    // can write must give the same weights.
    test::TempDir dir;
    const Arrays good = read_arrays(small_model());
    const Vggish v = Vggish::load(small_model());
    const Reference ref = read_reference(small_reference());
    const Tensor<float> want = v.embed(ref.patches.view());
    const std::string path = dir.file("orders.npz");
    write_with_raw(path, good,
                   {{"fc1_1.weight", npy_2d(good.floats.at("fc1_1.weight"), false, true)},
                    {"fc1_2.weight", npy_2d(good.floats.at("fc1_2.weight"), true, false)},
                    {"fc2.weight", npy_2d(good.floats.at("fc2.weight"), true, true)}});
    const Vggish w = Vggish::load(path);
    for (int k = 0; k < 3; ++k) {
        const Tensor<float> a = v.fc_weight(k), b = w.fc_weight(k);
        CHECK(std::equal(a.begin(), a.end(), b.begin(), b.end()));
    }
    const Tensor<float> got = w.embed(ref.patches.view());
    CHECK(std::equal(got.begin(), got.end(), want.begin(), want.end()));

    // A non-finite element is numbered in the file's (out, in) row-major order in either storage.
    Arrays bad = good;
    bad.floats.at("fc1_2.weight")(5, 9) = std::nanf("");  // (64, 32): element 5 * 32 + 9 = 169
    const std::string c_path = dir.file("nan_c.npz"), f_path = dir.file("nan_f.npz");
    write_arrays(c_path, bad);
    write_with_raw(f_path, good, {{"fc1_2.weight", npy_2d(bad.floats.at("fc1_2.weight"), true, false)}});
    for (const std::string& p : {c_path, f_path})
        CHECK(error_of(p) == "vggish file " + p + ": 'fc1_2.weight': element 169 is not finite");
}

TEST_CASE("Vggish: final_activation none gives torch's pre-activation embedding", "[vggish]") {
    test::TempDir dir;
    Arrays a = read_arrays(small_model());
    a.strings["final_activation"] = "none";
    write_arrays(dir.file("none.npz"), a);
    const Vggish v = Vggish::load(dir.file("none.npz"));
    CHECK_FALSE(v.architecture().final_relu);
    const Reference ref = read_reference(small_reference());
    const Tensor<float> emb = v.embed(ref.patches.view());
    CHECK(max_row_relative(emb.view(), ref.embedding_linear.view()) <= 1e-4);
    Index negative = 0;
    for (float x : emb) negative += x < 0;
    CHECK(negative > 0);  // the ReLU really is gone
}

namespace {
/// Vggish's embedding of `patches` against the same network built from polytag's layers
/// (Conv2d, MaxPool2d, Flatten, Dense from the model's own parameters): worst row's relative error.
double layers_vs_vggish(const Vggish& v, TensorView<const float> patches) {
    const auto& a = v.architecture();
    auto conv = [&](int k) {
        Conv2d<float> c(k == 0 ? 1 : a.conv[std::size_t(k) - 1], a.conv[std::size_t(k)], {3, 3}, {1, 1}, Padding::Same);
        c.weight() = v.conv_weight(k);
        c.bias() = v.conv_bias(k);
        return c;
    };
    auto fc = [&](int k, Index in) {
        Dense<float> d(in, a.fc[std::size_t(k)]);
        d.weight() = v.fc_weight(k);
        d.bias() = v.fc_bias(k);
        return d;
    };
    auto pool = [] { return MaxPool2d<float>({2, 2}, {2, 2}, Padding::Same); };
    Sequential net(Shape{96, 64, 1}, conv(0), Relu<float>(), pool(), conv(1), Relu<float>(), pool(), conv(2),
                   Relu<float>(), conv(3), Relu<float>(), pool(), conv(4), Relu<float>(), conv(5), Relu<float>(),
                   pool(), Flatten<float>(), fc(0, a.flat_size()), Relu<float>(), fc(1, a.fc[0]), Relu<float>(),
                   fc(2, a.fc[1]), Relu<float>());
    const Index n = patches.dim(0);
    const TensorView<const float> y = net.forward(patches.reshape(Shape{n, 96, 64, 1}), Mode::Eval);
    const Tensor<float> emb = v.embed(patches);
    REQUIRE(y.shape() == emb.shape());
    return max_row_relative(emb.view(), y);
}
}  // namespace

TEST_CASE("Vggish: the forward equals the same network built from polytag's layers", "[vggish]") {
    const Reference ref = read_reference(small_reference());
    SECTION("the committed small model") { CHECK(layers_vs_vggish(Vggish::load(small_model()), ref.patches.view()) <= 1e-5); }
    SECTION("FC layers wider than one weight panel (a narrower last panel)") {
        // fc1_1 and fc1_2 span three panels of kVggishFcPanel columns each, the last narrower.
        const Index w0 = audio::kVggishFcPanel + 44, w1 = 2 * audio::kVggishFcPanel + 4;
        test::TempDir dir;
        Arrays a = read_arrays(small_model());
        Rng rng(7);
        auto random = [&](Shape s, double scale) {
            Tensor<float> t(s);
            test::fill_uniform(t, rng, -scale, scale);
            return t;
        };
        const Index flat = a.floats.at("fc1_1.weight").dim(1);
        a.floats["fc1_1.weight"] = random(Shape{w0, flat}, std::sqrt(6.0 / double(flat)));
        a.floats["fc1_1.bias"] = random(Shape{w0}, 0.05);
        a.floats["fc1_2.weight"] = random(Shape{w1, w0}, std::sqrt(6.0 / double(w0)));
        a.floats["fc1_2.bias"] = random(Shape{w1}, 0.05);
        a.floats["fc2.weight"] = random(Shape{128, w1}, std::sqrt(6.0 / double(w1)));
        write_arrays(dir.file("wide.npz"), a);
        const Vggish v = Vggish::load(dir.file("wide.npz"));
        REQUIRE(v.architecture().fc == std::array<Index, 3>{w0, w1, 128});
        const Tensor<float> back = v.fc_weight(1);
        const Tensor<float>& want = a.floats.at("fc1_2.weight");
        CHECK(std::equal(back.begin(), back.end(), want.begin(), want.end()));
        CHECK(layers_vs_vggish(v, ref.patches.view()) <= 1e-5);
    }
}

TEST_CASE("Vggish: chunking, empty input and several threads on one model", "[vggish]") {
    const Vggish v = Vggish::load(small_model());
    const Reference ref = read_reference(small_reference());
    const Tensor<float> whole = v.embed(ref.patches.view());
    VggishWorkspace two(2);
    const Tensor<float> chunked = v.embed(ref.patches.view(), two);
    CHECK(max_row_relative(chunked.view(), whole.view()) <= 1e-6);
    // The workspace is reused: a second call on it gives the same.
    const Tensor<float> again = v.embed(ref.patches.view(), two);
    CHECK(max_row_relative(again.view(), chunked.view()) == 0.0);

    const Tensor<float> none = v.embed(ref.patches.rows(0, 0));
    CHECK(none.shape() == Shape{0, 128});
    CHECK(v.embed_uint8(ref.patches.rows(0, 0)).shape() == Shape{0, 128});

    std::vector<Tensor<std::uint8_t>> results(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < results.size(); ++t)
        threads.emplace_back([&, t] {
            VggishWorkspace ws(1 + Index(t));
            for (int rep = 0; rep < 3; ++rep) results[t] = v.embed_uint8(ref.patches.view(), ws);
        });
    for (auto& th : threads) th.join();
    const Tensor<std::uint8_t> single = v.embed_uint8(ref.patches.view());
    for (const auto& r : results) {
        REQUIRE(r.shape() == single.shape());
        Index differ = 0;
        for (Index i = 0; i < r.size(); ++i) differ += std::abs(int(r[i]) - int(single[i])) > 1;
        CHECK(differ == 0);
    }
}

TEST_CASE("Vggish: bad input shapes and values are refused", "[vggish]") {
    const Vggish v = Vggish::load(small_model());
    CHECK_THROWS_AS(v.embed(Tensor<float>(Shape{2, 96, 63}, 0.0f).view()), ShapeError);
    CHECK_THROWS_AS(v.embed(Tensor<float>(Shape{96, 64}, 0.0f).view()), ShapeError);
    Tensor<float> x(Shape{3, 96, 64}, 0.0f);
    x(2, 5, 7) = std::nanf("");
    try {
        v.embed(x.view());
        FAIL("no error");
    } catch (const ValueError& e) {
        CHECK(std::string(e.what()) == "polytag::audio::Vggish::embed: patch 2 (frame 5, band 7) is not finite");
    }
    Tensor<float> out(Shape{3, 127});
    VggishWorkspace ws;
    x(2, 5, 7) = 0.0f;
    CHECK_THROWS_AS(v.embed(x.view(), out.view(), ws), ShapeError);
    CHECK_THROWS_AS(v.quantize(Tensor<float>(Shape{2, 64}, 0.0f).view()), ShapeError);
    CHECK_THROWS_AS(VggishWorkspace(0), ValueError);
}

TEST_CASE("VggishPostprocessor: PCA, clipping to plus or minus 2, scaling to 0..255 and truncation", "[vggish]") {
    // E = 2, P = [[1, 0], [0.5, -1]], m = [0.25, 0]
    Tensor<float> p(Shape{2, 2});
    p(0, 0) = 1.0f, p(0, 1) = 0.0f, p(1, 0) = 0.5f, p(1, 1) = -1.0f;
    Tensor<float> m(Shape{2});
    m[0] = 0.25f, m[1] = 0.0f;
    const VggishPostprocessor post(p, m);
    Tensor<float> e(Shape{4, 2});
    // row 0: p = (0, 0) -> 127.5 -> 127 (truncation, not rounding)
    e(0, 0) = 0.25f, e(0, 1) = 0.0f;
    // row 1: centred (10, 0): p = (10, 5), both clipped to 2 -> 255
    e(1, 0) = 10.25f, e(1, 1) = 0.0f;
    // row 2: centred (-3, 1): p = (-3, -2.5), both clipped to -2 -> 0
    e(2, 0) = -2.75f, e(2, 1) = 1.0f;
    // row 3: p0 = 1.25 - 0.25 = 1 -> 3 * 63.75 = 191.25 -> 191; p1 = 0.5 * 1 - 0.25 = 0.25 -> 143.4375 -> 143
    e(3, 0) = 1.25f, e(3, 1) = 0.25f;
    const Tensor<std::uint8_t> b = post.quantize(e.view());
    CHECK(int(b(0, 0)) == 127);
    CHECK(int(b(0, 1)) == 127);
    CHECK(int(b(1, 0)) == 255);
    CHECK(int(b(1, 1)) == 255);
    CHECK(int(b(2, 0)) == 0);
    CHECK(int(b(2, 1)) == 0);
    CHECK(int(b(3, 0)) == 191);
    CHECK(int(b(3, 1)) == 143);
    e(3, 1) = std::numeric_limits<float>::infinity();
    CHECK_THROWS_AS(post.quantize(e.view()), ValueError);
    CHECK(VggishPostprocessor::quantized_value(-2.0) == 0.0);
    CHECK(VggishPostprocessor::quantized_value(2.0) == 255.0);
}

TEST_CASE("Vggish: hostile and damaged files give one-line errors naming file and entry", "[vggish]") {
    test::TempDir dir;
    const Arrays good = read_arrays(small_model());
    auto altered = [&](const std::string& name, auto&& change, bool compressed = false) {
        Arrays a = good;
        change(a);
        const std::string path = dir.file(name);
        write_arrays(path, a, compressed);
        const std::string msg = error_of(path);
        CHECK(msg.find("vggish file " + path + ": ") == 0);
        CHECK(msg.find('\n') == std::string::npos);
        return msg;
    };
    using Catch::Matchers::Contains;

    SECTION("truncated") {
        const std::string bytes = test::read_bytes(small_model());
        const std::string path = dir.file("truncated.npz");
        test::write_bytes(path, bytes.substr(0, bytes.size() / 2));
        const std::string msg = error_of(path);
        CHECK_THAT(msg, Contains("vggish file " + path + ": cannot be read as .npz"));
        CHECK(msg.find('\n') == std::string::npos);
    }
    SECTION("not a file") { CHECK_THAT(error_of(dir.file("absent.npz")), Contains("cannot be read as .npz")); }
    SECTION("wrong shape") {
        const std::string msg = altered("shape.npz", [](Arrays& a) { a.floats["conv2.weight"] = Tensor<float>(Shape{3, 3, 7, 16}, 0.1f); });
        CHECK_THAT(msg, Contains("'conv2.weight': has shape (3, 3, 7, 16), expected (3, 3, 8, C)"));
    }
    SECTION("fc input inconsistent with conv4_2") {
        const std::string msg = altered("fc.npz", [](Arrays& a) { a.floats["fc1_1.weight"] = Tensor<float>(Shape{32, 700}, 0.1f); });
        CHECK_THAT(msg, Contains("'fc1_1.weight': has shape (32, 700), expected (F, 768)"));
    }
    SECTION("bias of the wrong length") {
        const std::string msg = altered("bias.npz", [](Arrays& a) { a.floats["conv3_2.bias"] = Tensor<float>(Shape{31}, 0.1f); });
        CHECK_THAT(msg, Contains("'conv3_2.bias': has shape (31,), expected (32,)"));
    }
    SECTION("wrong rank") {
        const std::string msg = altered("rank.npz", [](Arrays& a) { a.floats["fc2.weight"] = Tensor<float>(Shape{128 * 64}, 0.1f); });
        CHECK_THAT(msg, Contains("'fc2.weight': has shape (8192,), expected (F, 64)"));
    }
    SECTION("NaN weight") {
        const std::string msg = altered("nan.npz", [](Arrays& a) { a.floats["conv4_1.weight"][17] = std::nanf(""); });
        CHECK_THAT(msg, Contains("'conv4_1.weight': element 17 is not finite"));
    }
    SECTION("infinite PCA mean") {
        const std::string msg = altered("inf.npz", [](Arrays& a) { a.floats["pca_means"][3] = -INFINITY; });
        CHECK_THAT(msg, Contains("'pca_means': element 3 is not finite"));
    }
    SECTION("missing PCA") {
        const std::string msg = altered("nopca.npz", [](Arrays& a) { a.floats.erase("pca_eigen_vectors"); });
        CHECK_THAT(msg, Contains("'pca_eigen_vectors': missing"));
    }
    SECTION("PCA of another size") {
        const std::string msg = altered("pca64.npz", [](Arrays& a) { a.floats["pca_eigen_vectors"] = Tensor<float>(Shape{64, 64}, 0.0f); });
        CHECK_THAT(msg, Contains("'pca_eigen_vectors': has shape (64, 64), expected (128, 128)"));
    }
    SECTION("wrong format string") {
        CHECK_THAT(altered("fmt.npz", [](Arrays& a) { a.strings["format"] = "polytag.openmic.relevance/1"; }),
                   Contains("'format': is 'polytag.openmic.relevance/1', expected 'polytag.audio.vggish/1'"));
        CHECK_THAT(altered("fmt2.npz", [](Arrays& a) { a.strings["format"] = "polytag.audio.vggish/2"; }),
                   Contains("a version this polytag cannot read"));
        CHECK_THAT(altered("fmt3.npz", [](Arrays& a) { a.strings.erase("format"); }), Contains("'format': missing"));
        CHECK_THAT(altered("fmt4.npz", [](Arrays& a) { a.strings["format"] = "two\nlines"; }),
                   Contains("'format': is 'two?lines', expected"));
    }
    SECTION("bad final_activation") {
        CHECK_THAT(altered("act.npz", [](Arrays& a) { a.strings["final_activation"] = "tanh"; }),
                   Contains("'final_activation': is 'tanh', expected 'relu' or 'none'"));
    }
    SECTION("unexpected entry") {
        CHECK_THAT(altered("extra.npz", [](Arrays& a) { a.floats["conv5.weight"] = Tensor<float>(Shape{1}, 0.0f); }),
                   Contains("'conv5.weight': unexpected entry"));
    }
    SECTION("float64 weights") {
        std::vector<io::NpzEntry> e;
        for (const auto& [n, s] : good.strings) e.emplace_back(n, s);
        Tensor<double> d(good.floats.at("fc2.bias").shape(), 0.0);
        for (const auto& [n, t] : good.floats)
            if (n == "fc2.bias")
                e.emplace_back(n, d.view());
            else
                e.emplace_back(n, t.view());
        const std::string path = dir.file("f8.npz");
        io::save_npz(path, e);
        CHECK_THAT(error_of(path), Contains("'fc2.bias': is float64, expected float32"));
    }
    SECTION("width over the limit") {
        const std::string msg = altered("wide.npz", [](Arrays& a) {
            a.floats["conv1.weight"] = Tensor<float>(Shape{3, 3, 1, 5000}, 0.1f);
            a.floats["conv1.bias"] = Tensor<float>(Shape{5000}, 0.1f);
        });
        CHECK_THAT(msg, Contains("'conv1.weight': width 5000 is outside [1, 1024]"));
    }
    SECTION("FC weight data cut short") {
        // A header that claims the right shape over too few bytes: refused with the headers,
        // before the block-by-block read of the FC weights starts.
        std::string cut = npy_2d(good.floats.at("fc1_1.weight"), false, false);
        cut.resize(cut.size() - 100);
        const std::string path = dir.file("cut.npz");
        write_with_raw(path, good, {{"fc1_1.weight", cut}});
        const std::string msg = error_of(path);
        CHECK_THAT(msg, Contains("vggish file " + path + ": 'fc1_1.weight': unreadable .npy header"));
        CHECK(msg.find('\n') == std::string::npos);
    }
    SECTION("huge declared shape in a small entry") {
        // A hand-made conv1.weight header that claims (3, 3, 1, 100000000) over 288 bytes of data.
        Arrays a = good;
        a.floats.erase("conv1.weight");
        const std::string path = dir.file("huge.npz");
        write_arrays(path, a);
        // Rebuild with the forged entry added through the zip writer.
        std::vector<io::NpzEntry> e;
        for (const auto& [n, s] : a.strings) e.emplace_back(n, s);
        for (const auto& [n, t] : a.floats) e.emplace_back(n, t.view());
        std::vector<io::detail::ZipInput> inputs;
        for (const auto& x : e) {
            const auto& enc = x.encoded();
            inputs.push_back({x.name() + ".npy", {{enc.header().data(), enc.header().size()}, {enc.data(), enc.data_size()}}});
        }
        const std::string forged = test::make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3, 1, 100000000), }",
                                                  std::string(288, '\0'));
        inputs.push_back({"conv1.weight.npy", {{forged.data(), forged.size()}}});
        io::detail::write_zip(path, path, inputs, false);
        const std::string msg = error_of(path);
        CHECK_THAT(msg, Contains("vggish file " + path + ": 'conv1.weight': unreadable .npy header"));
        CHECK(msg.find('\n') == std::string::npos);
    }
    SECTION("deflated arrays that inflate far beyond the file") {
        // Consistent shapes, legal widths, zero weights: 16384 x 768 fc1_1 deflates ~1000x.
        const std::string msg = altered(
            "bomb.npz",
            [](Arrays& a) {
                a.floats["fc1_1.weight"] = Tensor<float>(Shape{16384, 768}, 0.0f);
                a.floats["fc1_1.bias"] = Tensor<float>(Shape{16384}, 0.0f);
                a.floats["fc1_2.weight"] = Tensor<float>(Shape{64, 16384}, 0.0f);
            },
            true);
        CHECK_THAT(msg, Contains("bytes of arrays in a file of"));
        CHECK_THAT(msg, Contains("refused"));
    }
}

TEST_CASE("Vggish: the full-width random-weight model matches torch", "[.vggish-full]") {
    const char* dir = std::getenv("POLYTAG_VGGISH_FULL_DIR");
    REQUIRE(dir != nullptr);
    const std::string model = std::string(dir) + "/vggish_full.npz";
    const Vggish v = Vggish::load(model);
    CHECK(v.architecture().conv == std::array<Index, 6>{64, 128, 256, 256, 512, 512});
    CHECK(v.architecture().fc == std::array<Index, 3>{4096, 4096, 128});
    compare_with_torch(model, std::string(dir) + "/vggish_full_reference.npz", "full");
}
