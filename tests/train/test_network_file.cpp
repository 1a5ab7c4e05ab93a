// save_network / load_network: a two-input network round-trips (architecture, weights,
// predictions); metadata entries are kept and ignored; user layer kinds load through a
// registry; and hostile or broken files fail fast with one line naming the file and field -
// including an architecture that claims Dense(65536, 65536) in a file of a few KB.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "polytag/io/network_file.hpp"
#include "polytag/io/network_json.hpp"
#include "train/train_test_util.hpp"

using namespace polytag;

namespace {

std::string temp_path(const std::string& name) { return std::string(POLYTAG_BINARY_DIR) + "/test_network_file_" + name + ".npz"; }

/// Writes a network file by hand: format, architecture and any arrays.
void write_raw(const std::string& path, const std::string& architecture, const std::vector<io::NpzEntry>& arrays,
               const std::string& format = io::kNetworkFormat) {
    std::vector<io::NpzEntry> e{{"format", format}, {"architecture", architecture}};
    e.insert(e.end(), arrays.begin(), arrays.end());
    io::save_npz(path, e);
}

const char* kSmallDense = R"({"inputs": [{"name": "x", "shape": [8]}],
                             "nodes": [{"name": "fc", "kind": "dense", "in": 8, "out": 6}]})";

/// A user's own layer: y = scale * x, one parameter.
template <typename T>
struct Scale {
    using Scalar = T;
    Tensor<T> w{Shape{1}, T(1)}, dw{Shape{1}, T(0)}, y, dx;
    TensorView<const T> x;
    Shape output_shape(const Shape& in) const { return in; }
    TensorView<const T> forward(TensorView<const T> in, Mode) {
        x = in;
        y.resize(in.shape());
        y.array() = in.array() * w[0];
        return y;
    }
    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        dw[0] = (dy.array() * x.array()).sum();
        if (!need_dx) return {};
        dx.resize(dy.shape());
        dx.array() = dy.array() * w[0];
        return dx;
    }
    void parameters(ParameterList<T>& out, const std::string& prefix) { out.push_back({prefix + "weight", w.view(), dw.view()}); }
    void init(Rng&) { w[0] = T(1); }
};

}  // namespace

template <typename T>
struct polytag::LayerKind<Scale<T>> {
    static constexpr const char* name = "scale";
    static LayerSpec describe(const Scale<T>&) { return LayerSpec(name); }
    static Scale<T> build(const LayerSpec& s) {
        s.check_known({});
        return Scale<T>();
    }
    static std::vector<NamedShape> parameter_shapes(const LayerSpec&) { return {{"weight", Shape{1}}}; }
};

TEST_CASE("network file: a two-input network round-trips", "[network_file]") {
    Network<float> net = test::two_stream_net();
    Rng rng(3);
    net.init(rng);
    for (auto& p : net.parameters())
        for (auto& v : p.value) v = float(rng.uniform(-1, 1));
    const std::string path = temp_path("roundtrip");
    const std::vector<std::string> names{"piano", "voice", "drums"};
    io::save_network(path, net, {{"meta/class_names", names}});

    Network<float> back = io::load_network(path);
    CHECK(back.inputs() == 2);
    CHECK(back.input_name(1) == "b");
    CHECK(io::network_spec_to_string(back.spec()) == io::network_spec_to_string(net.spec()));
    const auto a = net.state_dict(), b = back.state_dict();
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].first == b[i].first);
        CHECK((a[i].second.array() == b[i].second.array()).all());
    }
    auto source = test::two_stream_source(10, 1);
    const std::vector<Index> rows = test::row_range(0, 10);
    Batch<float> batch;
    source.fill(rows.data(), 10, batch);
    const Tensor<float> y1 = Tensor<float>::copy_of(net.forward(batch.inputs, Mode::Eval));
    CHECK((back.forward(batch.inputs, Mode::Eval).array() == y1.array()).all());
    // Metadata stays readable by the caller; the parameter names are what torch reads.
    io::NpzReader r(path);
    CHECK(r.read_strings("meta/class_names") == names);
    CHECK(r.contains("trunk.weight"));
    CHECK(r.contains("head.weight_out"));
    CHECK(io::read_network_spec(path).output == "out");
    CHECK_THROWS_AS(io::save_network(path, net, {{"class_names", names}}), ValueError);
    std::remove(path.c_str());
}

TEST_CASE("network file: user layer kinds load through a registry", "[network_file]") {
    Network<float> net;
    net.input("x", Shape{3});
    net.add("scale", Scale<float>());
    net.add("fc", Dense<float>(3, 2));
    Rng rng(1);
    net.init(rng);
    net.layer<Scale<float>>("scale").w[0] = 2.5f;
    const std::string path = temp_path("custom");
    io::save_network(path, net);
    CHECK_THROWS_WITH(io::load_network(path), Catch::Contains("unknown layer kind 'scale'"));
    auto registry = LayerRegistry<float>::builtin();
    registry.add<Scale<float>>();
    Network<float> back = io::load_network(path, registry);
    CHECK(back.layer<Scale<float>>("scale").w[0] == 2.5f);
    std::remove(path.c_str());
}

TEST_CASE("network file: a JSON config builds a network", "[network_file]") {
    const std::string config = R"({
        "inputs": [{"name": "frames", "shape": [10, 128]}, {"name": "extra", "shape": [10, 16]}],
        "nodes": [{"name": "fuse", "kind": "concat", "inputs": ["frames", "extra"]},
                  {"name": "trunk", "kind": "dense", "in": 144, "out": 64},
                  {"name": "act", "kind": "relu"},
                  {"name": "drop", "kind": "dropout", "p": 0.25},
                  {"name": "pool", "kind": "attention_pool", "features": 64, "tasks": 20},
                  {"name": "head", "kind": "multi_head", "heads": 20, "in": 64, "hidden": [32], "init": "glorot"},
                  {"name": "out", "kind": "sigmoid"}]})";
    Network<float> net = io::network_from_json<float>(config);
    CHECK(net.output_shape() == Shape{20});
    CHECK(net.layer<Dropout<float>>("drop").p() == 0.25);
    CHECK(net.layer<MultiHead<float>>("head").init_kind() == Init::Glorot);
    CHECK_THROWS_WITH(io::network_from_json<float>(R"({"inputs": [{"name": "x", "shape": [4]}], "nodes": [{"name": "a", "kind": "dense", "in": 4}]})"),
                      Catch::Contains("node 'a' (dense): 'out': missing"));
    CHECK_THROWS_WITH(io::network_from_json<float>(R"({"inputs": [{"name": "x", "shape": [4]}], "nodes": [], "extra": 1})"),
                      Catch::Contains("'extra': unknown key"));
    CHECK_THROWS_WITH(io::network_from_json<float>("{not json"), Catch::Contains("not valid JSON"));
    CHECK_THROWS_WITH(io::network_from_json<float>(R"({"inputs": [{"name": "x", "shape": [4]}], "nodes": [{"name": "a", "kind": "relu", "inputs": ["y"]}]})"),
                      Catch::Contains("reads 'y'"));
}

TEST_CASE("network file: a convolutional network (conv2d, max_pool2d, flatten) builds from JSON and round-trips", "[network_file][conv]") {
    const std::string config = R"({
        "inputs": [{"name": "patch", "shape": [12, 8, 1]}],
        "nodes": [{"name": "conv1", "kind": "conv2d", "in": 1, "out": 4, "kernel": [3, 3]},
                  {"name": "relu1", "kind": "relu"},
                  {"name": "pool1", "kind": "max_pool2d", "kernel": [2, 2]},
                  {"name": "conv2", "kind": "conv2d", "in": 4, "out": 3, "kernel": [3, 2], "stride": [2, 1],
                   "padding": "valid", "bias": 0, "init": "glorot"},
                  {"name": "flat", "kind": "flatten"},
                  {"name": "fc", "kind": "dense", "in": 18, "out": 5}]})";
    Network<float> net = io::network_from_json<float>(config);
    // (12, 8, 1) -SAME 3x3-> (12, 8, 4) -pool 2x2-> (6, 4, 4) -VALID 3x2 stride 2x1-> (2, 3, 3) -> 18 -> 5
    CHECK(net.output_shape() == Shape{5});
    CHECK(net.layer<Conv2d<float>>("conv1").padding() == Padding::Same);
    CHECK(net.layer<Conv2d<float>>("conv2").padding() == Padding::Valid);
    CHECK(!net.layer<Conv2d<float>>("conv2").has_bias());
    CHECK(net.layer<Conv2d<float>>("conv2").stride().h == 2);
    CHECK(net.layer<MaxPool2d<float>>("pool1").stride().w == 2);  // stride defaults to the kernel
    Rng rng(5);
    net.init(rng);
    for (auto& p : net.parameters())
        for (auto& v : p.value) v = float(rng.uniform(-1, 1));
    const std::string path = temp_path("conv");
    io::save_network(path, net);
    Network<float> back = io::load_network(path);
    CHECK(io::network_spec_to_string(back.spec()) == io::network_spec_to_string(net.spec()));
    io::NpzReader r(path);
    CHECK(r.shape("conv1.weight") == std::vector<Index>{3, 3, 1, 4});
    CHECK(r.contains("conv1.bias"));
    CHECK(!r.contains("conv2.bias"));
    Tensor<float> x(Shape{3, 12, 8, 1});
    for (auto& v : x) v = float(rng.uniform(-1, 1));
    const Tensor<float> y = Tensor<float>::copy_of(net.forward(x, Mode::Eval));
    CHECK((back.forward(x, Mode::Eval).array() == y.array()).all());
    std::remove(path.c_str());

    auto error_of = [](const std::string& nodes) {
        try {
            io::network_from_json<float>(R"({"inputs": [{"name": "p", "shape": [8, 8, 1]}], "nodes": [)" + nodes + "]}");
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    CHECK_THAT(error_of(R"({"name": "c", "kind": "conv2d", "in": 1, "out": 2, "kernel": [3]})"),
               Catch::Contains("node 'c' (conv2d): 'kernel': must be [h, w]"));
    CHECK_THAT(error_of(R"({"name": "c", "kind": "conv2d", "in": 1, "out": 2})"), Catch::Contains("'kernel': missing"));
    CHECK_THAT(error_of(R"({"name": "c", "kind": "conv2d", "in": 1, "out": 2, "kernel": [3, 3], "padding": "full"})"),
               Catch::Contains("'padding': must be \"same\" or \"valid\""));
    CHECK_THAT(error_of(R"({"name": "c", "kind": "conv2d", "in": 1, "out": 2, "kernel": [0, 3]})"), Catch::Contains("'kernel'"));
    CHECK_THAT(error_of(R"({"name": "c", "kind": "conv2d", "in": 2, "out": 2, "kernel": [3, 3]})"), Catch::Contains("node 'c'"));
    CHECK_THAT(error_of(R"({"name": "m", "kind": "max_pool2d", "kernel": [2, 2], "size": 2})"), Catch::Contains("'size'"));
}

TEST_CASE("network file: hostile and broken files fail fast, naming the file and the field", "[network_file]") {
    const std::string path = temp_path("hostile");
    Tensor<float> w(Shape{6, 8}, 0.5f), bias(Shape{6}, 0.f);
    auto load_error = [&]() -> std::string {
        try {
            io::load_network(path);
        } catch (const IoError& e) {
            return e.what();
        }
        return "no error";
    };
    SECTION("a huge architecture in a small file") {
        const auto t0 = std::chrono::steady_clock::now();
        write_raw(path, R"({"inputs": [{"name": "x", "shape": [65536]}],
                           "nodes": [{"name": "fc", "kind": "dense", "in": 65536, "out": 65536}]})",
                  {{"fc.weight", w}, {"fc.bias", bias}});
        const std::string e = load_error();
        CHECK_THAT(e, Catch::StartsWith("network file " + path + ": 'fc.weight': has shape (6, 8), the architecture needs (65536, 65536)"));
        CHECK(e.find('\n') == std::string::npos);
        CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
        // Without the arrays the same architecture is refused before anything is built.
        write_raw(path, R"({"inputs": [{"name": "x", "shape": [65536]}],
                           "nodes": [{"name": "fc", "kind": "dense", "in": 65536, "out": 65536}]})", {});
        CHECK_THAT(load_error(), Catch::Contains("'fc.weight': missing"));
    }
    SECTION("extents beyond any layer are refused in the architecture") {
        write_raw(path, R"({"inputs": [{"name": "x", "shape": [8]}],
                           "nodes": [{"name": "fc", "kind": "dense", "in": 8, "out": 1099511627777}]})", {});
        CHECK_THAT(load_error(), Catch::Contains("'architecture': node 'fc' (dense): 'out': must be in [1, "));
    }
    SECTION("float64 weights") {
        Tensor<double> wd(Shape{6, 8}, 0.5);
        write_raw(path, kSmallDense, {{"fc.weight", wd}, {"fc.bias", bias}});
        CHECK_THAT(load_error(), Catch::Contains("'fc.weight': is float64, must be float32"));
    }
    SECTION("a NaN weight") {
        w[13] = std::nanf("");
        write_raw(path, kSmallDense, {{"fc.weight", w}, {"fc.bias", bias}});
        CHECK_THAT(load_error(), Catch::Contains("'fc.weight': element 13 is not finite"));
    }
    SECTION("missing, extra and mis-shaped arrays") {
        write_raw(path, kSmallDense, {{"fc.weight", w}});
        CHECK_THAT(load_error(), Catch::Contains("'fc.bias': missing"));
        write_raw(path, kSmallDense, {{"fc.weight", w}, {"fc.bias", bias}, {"fc.extra", bias}});
        CHECK_THAT(load_error(), Catch::Contains("'fc.extra': unexpected array"));
        write_raw(path, kSmallDense, {{"fc.weight", w}, {"fc.bias", w}});
        CHECK_THAT(load_error(), Catch::Contains("'fc.bias': has shape (6, 8), the architecture needs (6,)"));
        write_raw(path, kSmallDense, {{"fc.weight", w}, {"fc.bias", bias}, {"meta/anything", w}});
        CHECK(load_error() == "no error");
    }
    SECTION("format, architecture and the archive itself") {
        write_raw(path, kSmallDense, {{"fc.weight", w}, {"fc.bias", bias}}, "polytag.openmic.relevance/1");
        CHECK_THAT(load_error(), Catch::Contains("'format': is 'polytag.openmic.relevance/1'"));
        write_raw(path, "[1, 2", {});
        CHECK_THAT(load_error(), Catch::Contains("'architecture': not valid JSON"));
        write_raw(path, R"({"inputs": [{"name": "x", "shape": [8]}], "nodes": [{"name": "fc", "kind": "conv9d"}]})", {});
        CHECK_THAT(load_error(), Catch::Contains("'architecture': node 'fc' (conv9d): unknown layer kind"));
        io::save_npz(path, {{"architecture", kSmallDense}});
        CHECK_THAT(load_error(), Catch::Contains("'format': missing"));
        {
            std::FILE* f = std::fopen(path.c_str(), "wb");
            std::fputs("not a zip archive at all, just text", f);
            std::fclose(f);
        }
        CHECK_THAT(load_error(), Catch::Contains("cannot be read as .npz"));
        CHECK_THROWS_AS(io::load_network(temp_path("does_not_exist")), IoError);
    }
    std::remove(path.c_str());
}
