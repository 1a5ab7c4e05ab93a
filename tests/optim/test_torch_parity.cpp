// Parity with PyTorch: tests/data/parity/parity.npz was recorded by make_parity_fixtures.py
// (torch, float32, CPU) from the same small networks built here from polytag's layers. This
// test reproduces every recorded value - forward outputs, the masked-MSE loss, all gradients
// and the weights after 5 steps of Adam, Adam + L2, AdamW, Adam with clipping, and Nesterov
// SGD - within 1e-5 (absolute, relative above 1). No torch is needed to run it.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "polytag/io/npz.hpp"
#include "polytag/loss/masked_mse.hpp"
#include "polytag/nn/activation.hpp"
#include "polytag/nn/attention_pool.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/multi_head.hpp"
#include "polytag/nn/sequential.hpp"
#include "polytag/optim/adam.hpp"
#include "polytag/optim/adamw.hpp"
#include "polytag/optim/clip.hpp"
#include "polytag/optim/schedule.hpp"
#include "polytag/optim/sgd.hpp"
#include "support/shared_data.hpp"

using namespace polytag;

namespace {
constexpr Index kD = 8, kH = 6, kK = 3, kHeadHidden = 4;
constexpr double kTolerance = 1e-5;

const io::NpzReader& fixture() {
    static const io::NpzReader reader(test::fixture("parity/parity.npz"));
    return reader;
}

/// Largest |a - b| / max(1, |b|) over all elements, and where it is.
struct Deviation {
    double worst = 0;
    Index at = -1;
};
Deviation deviation(TensorView<const float> actual, TensorView<const float> expected) {
    REQUIRE(actual.shape() == expected.shape());
    Deviation d;
    for (Index i = 0; i < actual.size(); ++i) {
        const double e = std::abs(double(actual[i]) - double(expected[i])) / std::max(1.0, std::abs(double(expected[i])));
        if (!(e <= d.worst)) {  // also catches NaN
            d.worst = std::isnan(e) ? 1e9 : e;
            d.at = i;
        }
    }
    return d;
}

#define CHECK_MATCHES(actual, name)                                                      \
    do {                                                                                 \
        const Tensor<float> expected_ = fixture().read<float>(name);                     \
        const Deviation dev_ = deviation((actual), expected_);                           \
        INFO(name << ": max deviation " << dev_.worst << " at flat index " << dev_.at);  \
        CHECK(dev_.worst <= kTolerance);                                                 \
    } while (0)

template <typename Net>
void load_weights(Net& net, const std::string& prefix) {
    for (auto& p : net.parameters()) {
        const Tensor<float> w = fixture().read<float>(prefix + p.name);
        INFO(prefix + p.name);
        REQUIRE(w.shape() == p.value.shape());
        p.value.array() = w.array();
    }
}

template <typename Net>
auto check_network(Net& net, const std::string& tag) {
    const Tensor<float> x = fixture().read<float>(tag + "/x");
    const Tensor<float> target = fixture().read<float>(tag + "/target");
    const Tensor<float> mask = fixture().read<float>(tag + "/mask");
    load_weights(net, tag + "/init/");
    MaskedMse<float> loss;

    SECTION("forward, loss and every gradient") {
        // Layer by layer through the network's own layers, to compare the intermediate values.
        auto h = net.template get<1>().forward(net.template get<0>().forward(x, Mode::Train), Mode::Train);
        auto pooled = net.template get<2>().forward(h, Mode::Train);
        CHECK_MATCHES(pooled, tag + "/pooled");
        auto logits = net.template get<3>().forward(pooled, Mode::Train);
        CHECK_MATCHES(logits, tag + "/logits");

        auto probs = net.forward(x, Mode::Train);
        CHECK_MATCHES(probs, tag + "/probs");
        const float l = loss.forward(probs, target, mask);
        CHECK(std::abs(l - fixture().read<float>(tag + "/loss")[0]) <= kTolerance);
        auto dx = net.backward(loss.backward(), true);
        CHECK_MATCHES(dx, tag + "/grad/x");
        for (auto& p : net.parameters()) CHECK_MATCHES(p.grad, tag + "/grad/" + p.name);
    }

    auto run = [&](const std::string& name, auto& opt, float clip) {
        const Tensor<float> losses = fixture().read<float>(tag + "/" + name + "/losses");
        auto params = net.parameters();
        for (Index s = 0; s < losses.size(); ++s) {
            const float l = loss.forward(net.forward(x, Mode::Train), target, mask);
            INFO(name << " step " << s);
            CHECK(std::abs(l - losses[s]) <= kTolerance);
            net.backward(loss.backward(), false);
            if (clip > 0) clip_grad_norm(params, clip);
            opt.step();
        }
        CHECK(opt.steps() == losses.size());
        for (auto& p : params) CHECK_MATCHES(p.value, tag + "/" + name + "/" + p.name);
    };
    SECTION("5 steps of Adam") {
        Adam<float> opt(net.parameters(), 0.01f);
        run("adam", opt, 0.0f);
    }
    SECTION("5 steps of Adam with L2 weight decay") {
        AdamOptions<float> o;
        o.lr = 0.01f;
        o.weight_decay = 0.1f;
        Adam<float> opt(net.parameters(), o);
        run("adam_l2", opt, 0.0f);
    }
    SECTION("5 steps of AdamW") {
        AdamW<float> opt(net.parameters(), 0.01f, 0.1f);
        run("adamw", opt, 0.0f);
    }
    SECTION("5 steps of Adam after clip_grad_norm") {
        Adam<float> opt(net.parameters(), 0.01f);
        run("adam_clip", opt, 0.05f);
    }
    SECTION("5 steps of Nesterov SGD") {
        Sgd<float> opt(net.parameters(), 0.1f, 0.9f, true);
        run("sgd_nesterov", opt, 0.0f);
    }
}
}  // namespace

TEST_CASE("PyTorch parity: Dense, ReLU, per-task attention, MultiHead, Sigmoid", "[optim][parity]") {
    Sequential net(Shape{5, kD}, Dense<float>(kD, kH), Relu<float>(), AttentionPool<float>(kH, kK),
                   MultiHead<float, kK>(kH, {kHeadHidden}), Sigmoid<float>());
    check_network(net, "per_task");
}

TEST_CASE("PyTorch parity: Dense, ReLU, shared attention, MultiHead, Sigmoid", "[optim][parity]") {
    Sequential net(Shape{5, kD}, Dense<float>(kD, kH), Relu<float>(), AttentionPool<float>(kH, 1),
                   MultiHead<float, kK>(kH, {kHeadHidden}), Sigmoid<float>());
    check_network(net, "shared");
}

TEST_CASE("PyTorch parity: CosineAnnealingLR and StepLR", "[optim][parity]") {
    const Tensor<double> cosine = fixture().read<double>("schedule/cosine");
    const auto c = LrSchedule<double>::warmup_cosine(0.1, 0, 10, 0.001);
    REQUIRE(cosine.size() == 11);
    for (Index t = 0; t < cosine.size(); ++t) CHECK(c.at(t) == Approx(cosine[t]).epsilon(1e-9));
    const Tensor<double> step = fixture().read<double>("schedule/step");
    const auto s = LrSchedule<double>::step(0.1, 3, 0.5);
    for (Index t = 0; t < step.size(); ++t) CHECK(s.at(t) == Approx(step[t]).epsilon(1e-12));
}
