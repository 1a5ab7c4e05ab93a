// Parity with PyTorch for a two-input Network: tests/data/parity/two_input_parity.npz was
// recorded by make_two_input_parity_fixtures.py (torch, float32) from the same network - per-
// frame concat, a trunk, attention pooling, one input feeding two consumers, late fusion, three
// heads. Forward, the masked-MSE loss, every parameter gradient, both input gradients (b's
// accumulated over its two consumers) and the weights after 3 full-batch Adam steps through
// fit() match within 1e-5. No torch is needed to run it.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "polytag/io/npz.hpp"
#include "polytag/loss/masked_mse.hpp"
#include "polytag/nn/layer_kinds.hpp"
#include "polytag/nn/network.hpp"
#include "polytag/optim/any_optimizer.hpp"
#include "polytag/train/fit.hpp"
#include "support/parity.hpp"
#include "support/shared_data.hpp"

using namespace polytag;

namespace {

const io::NpzReader& fixture() {
    static const io::NpzReader reader(test::fixture("parity/two_input_parity.npz"));
    return reader;
}

using test::parity_deviation;

#define CHECK_MATCHES(actual, name)                                  \
    do {                                                             \
        const Tensor<float> expected_ = fixture().read<float>(name); \
        const double dev_ = parity_deviation((actual), expected_);          \
        INFO(name << ": max deviation " << dev_);                    \
        CHECK(dev_ <= 1e-5);                                         \
    } while (0)

Network<float> parity_net() {
    Network<float> net;
    auto a = net.input("a", Shape{4, 6});
    auto b = net.input("b", Shape{4, 3});
    auto x = net.add("fuse", Concat<float>(), {a, b});
    x = net.add("trunk", Dense<float>(9, 8), x);
    x = net.add("act", Relu<float>(), x);
    auto p = net.add("pool", AttentionPool<float>(8), x);
    auto q = net.add("pool_b", MeanPool<float>(), b);
    auto z = net.add("late", Concat<float>(), {p, q});
    net.add("head", MultiHead<float>(3, 11, {4}), z);
    net.add("out", Sigmoid<float>());
    for (auto& param : net.parameters()) {
        const Tensor<float> w = fixture().read<float>("init/" + param.name);
        INFO(param.name);
        REQUIRE(w.shape() == param.value.shape());
        param.value.array() = w.array();
    }
    return net;
}

}  // namespace

TEST_CASE("two-input parity: forward, loss and every gradient match torch", "[parity]") {
    Network<float> net = parity_net();
    const Tensor<float> a = fixture().read<float>("a"), b = fixture().read<float>("b");
    const Tensor<float> target = fixture().read<float>("target"), mask = fixture().read<float>("mask");
    MaskedMse<float> loss;
    const TensorView<const float> probs = net.forward({a.view(), b.view()}, Mode::Train);
    CHECK_MATCHES(probs, "probs");
    const float l = loss.forward(probs, target, mask);
    CHECK(std::abs(l - fixture().read<float>("loss")[0]) <= 1e-5f);
    net.backward(loss.backward(), std::vector<bool>{true, true});
    for (auto& p : net.parameters()) CHECK_MATCHES(p.grad, "grad/" + p.name);
    CHECK_MATCHES(net.input_grad(0), "grad/a");
    CHECK_MATCHES(net.input_grad(1), "grad/b");
}

TEST_CASE("two-input parity: 3 full-batch Adam steps through fit match torch", "[parity]") {
    Network<float> net = parity_net();
    TensorSource<float> source({fixture().read<float>("a"), fixture().read<float>("b")}, fixture().read<float>("target"),
                               fixture().read<float>("mask"));
    MaskedMse<float> loss;
    AnyOptimizer<float> opt(net.parameters(), OptimizerConfig{OptimizerKind::Adam, 0.01});
    FitOptions<float> o;
    o.epochs = 3;
    o.batch = 5;  // the whole batch: the shuffled order changes only the summation order
    const FitHistory h = fit(net, loss, opt, source, {0, 1, 2, 3, 4}, {}, o);
    const Tensor<float> losses = fixture().read<float>("adam/losses");
    REQUIRE(h.epochs.size() == 3);
    for (int e = 0; e < 3; ++e) CHECK(std::abs(h.epochs[std::size_t(e)].train_loss - losses[e]) <= 1e-5);
    for (auto& p : net.parameters()) CHECK_MATCHES(p.value, "adam/" + p.name);
}
