// Parity with PyTorch for the 2-d layers: tests/data/parity/conv_parity.npz was recorded by
// make_conv_parity_fixtures.py (torch, float32, CPU; TF SAME padding emulated with F.pad, NHWC
// by permutes). This test rebuilds the same nets from Conv2d, MaxPool2d, Flatten and Dense and
// reproduces every layer's output, the loss and all gradients within 1e-5 (absolute, relative
// above 1). No torch is needed to run it.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <utility>

#include "polytag/io/npz.hpp"
#include "polytag/nn/activation.hpp"
#include "polytag/nn/conv2d.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/flatten.hpp"
#include "polytag/nn/max_pool2d.hpp"
#include "polytag/nn/sequential.hpp"
#include "support/parity.hpp"
#include "support/shared_data.hpp"

using namespace polytag;

namespace {
constexpr double kTolerance = 1e-5;

const io::NpzReader& fixture() {
    static const io::NpzReader reader(test::fixture("parity/conv_parity.npz"));
    return reader;
}

using test::parity_deviation;

void check_matches(TensorView<const float> actual, const std::string& name) {
    const Tensor<float> expected = fixture().read<float>(name);
    INFO(name << ": shape " << actual.shape().str() << " vs " << expected.shape().str());
    const double dev = parity_deviation(actual, expected);
    INFO(name << ": max deviation " << dev);
    CHECK(dev <= kTolerance);
}

/// Runs layer by layer, comparing each output with <tag>/out/<i>.
template <typename Net, std::size_t... I>
void check_layer_outputs(Net& net, TensorView<const float> x, const std::string& tag, std::index_sequence<I...>) {
    auto step = [&](auto& layer, std::size_t i) {
        x = layer.forward(x, Mode::Train);
        check_matches(x, tag + "/out/" + std::to_string(i));
    };
    (step(net.template get<I>(), I), ...);
}

template <typename Net>
void check_network(Net& net, const std::string& tag) {
    const Tensor<float> x = fixture().read<float>(tag + "/x");
    const Tensor<float> target = fixture().read<float>(tag + "/target");
    for (auto& p : net.parameters()) {
        const Tensor<float> w = fixture().read<float>(tag + "/init/" + p.name);
        INFO(tag + "/init/" + p.name);
        REQUIRE(w.shape() == p.value.shape());
        p.value.array() = w.array();
    }
    check_layer_outputs(net, x, tag, std::make_index_sequence<Net::size>());

    // L = mean((y - target)^2), dL/dy = 2 (y - target) / N.
    auto y = net.forward(x, Mode::Train);
    REQUIRE(y.shape() == target.shape());
    double loss = 0;
    Tensor<float> dy(y.shape());
    for (Index i = 0; i < y.size(); ++i) {
        const double d = double(y[i]) - double(target[i]);
        loss += d * d;
        dy[i] = float(2.0 * d / double(y.size()));
    }
    loss /= double(y.size());
    CHECK(std::abs(loss - fixture().read<float>(tag + "/loss")[0]) <= kTolerance);
    check_matches(net.backward(dy, true), tag + "/grad/x");
    for (auto& p : net.parameters()) check_matches(p.grad, tag + "/grad/" + p.name);
}
}  // namespace

TEST_CASE("PyTorch parity: conv 3x3 SAME, ReLU, pool 2x2, strided conv SAME, SAME pool on odd size, flatten, dense",
          "[nn][conv][parity]") {
    Sequential net(Shape{12, 10, 2}, Conv2d<float>(2, 4, {3, 3}), Relu<float>(), MaxPool2d<float>({2, 2}, {2, 2}),
                   Conv2d<float>(4, 6, {3, 3}, {2, 2}, Padding::Same), Relu<float>(),
                   MaxPool2d<float>({2, 2}, {2, 2}, Padding::Same), Flatten<float>(), Dense<float>(24, 5));
    check_network(net, "vgg");
}

TEST_CASE("PyTorch parity: conv 1x1, conv 2x3 stride (2, 1) VALID without bias, flatten, dense",
          "[nn][conv][parity]") {
    Sequential net(Shape{7, 6, 3}, Conv2d<float>(3, 4, {1, 1}),
                   Conv2d<float>(4, 5, {2, 3}, {2, 1}, Padding::Valid, false), Flatten<float>(), Dense<float>(60, 3));
    check_network(net, "mixed");
}
