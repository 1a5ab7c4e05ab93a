// predict(): chunked Eval-mode inference equals one forward over the whole batch, for a
// Sequential of per-frame and pooling layers and for a two-input Network, at chunk sizes that
// do and do not divide the batch; an empty batch keeps the output's per-row shape; the layers'
// buffers stop growing at one chunk; bad arguments are one-line errors.
#include <atomic>

#include <catch2/catch.hpp>

#include "nn/nn_test_util.hpp"
#include "polytag/nn/activation.hpp"
#include "polytag/nn/attention_pool.hpp"
#include "polytag/nn/concat.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/dropout.hpp"
#include "polytag/nn/multi_head.hpp"
#include "polytag/nn/network.hpp"
#include "polytag/nn/pooling.hpp"
#include "polytag/nn/predict.hpp"
#include "polytag/nn/sequential.hpp"

using namespace polytag;

// tests/nn/test_no_allocation.cpp includes support/counting_allocator.hpp, which replaces
// operator new for the whole nn test program and defines this counter (one TU only).
namespace polytag::test::detail {
extern std::atomic<long> g_new_calls;
}

namespace {

long new_calls() { return test::detail::g_new_calls.load(); }

/// An OpenMIC-shaped model in miniature: (B, 6 frames, 8) -> per-frame Dense + ReLU, Dropout
/// (identity in Eval), attention pooling per task, 3 heads, Sigmoid -> (B, 3).
template <typename T>
auto clip_model() {
    return Sequential(Shape{6, 8}, Dense<T>(8, 12), Relu<T>(), Dropout<T>(0.5, 3), AttentionPool<T>(12, 3),
                      MultiHead<T, 3>(12, {5}), Sigmoid<T>());
}

template <typename T>
Tensor<T> random_batch(Shape shape, std::uint64_t seed) {
    Rng rng(seed);
    Tensor<T> x(shape);
    test::fill_uniform(x, rng);
    return x;
}

}  // namespace

TEMPLATE_TEST_CASE("predict equals one forward over the whole batch", "[nn][predict]", float, double) {
    using T = TestType;
    auto net = clip_model<T>();
    Rng rng(5);
    net.init(rng);
    const Tensor<T> x = random_batch<T>(Shape{50, 6, 8}, 9);
    const Tensor<T> whole = Tensor<T>::copy_of(net.forward(x, Mode::Eval));
    REQUIRE(whole.shape() == Shape{50, 3});
    const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-13;
    for (Index chunk : {1, 7, 16, 50, 64, 1000}) {
        INFO("chunk " << chunk);
        Tensor<T> out;
        predict(net, x, out, chunk);
        REQUIRE(out.shape() == whole.shape());
        for (Index i = 0; i < out.size(); ++i) REQUIRE(double(out[i]) == Approx(double(whole[i])).margin(tol));
    }
    // The default chunk, and a second call into the same output (reused, same values).
    Tensor<T> out;
    predict(net, x, out);
    predict(net, x, out);
    for (Index i = 0; i < out.size(); ++i) CHECK(double(out[i]) == Approx(double(whole[i])).margin(tol));
}

TEST_CASE("predict runs a two-input Network chunk by chunk", "[nn][predict]") {
    Network<double> net;
    auto a = net.input("frames", Shape{4, 3});
    auto b = net.input("side", Shape{4, 2});
    auto h = net.add("fuse", Concat<double>(), {a, b});
    h = net.add("trunk", Dense<double>(5, 6), h);
    h = net.add("relu", Relu<double>(), h);
    h = net.add("pool", MeanPool<double>(), h);
    net.add("head", Dense<double>(6, 2));
    Rng rng(3);
    net.init(rng);
    const Tensor<double> xa = random_batch<double>(Shape{11, 4, 3}, 1), xb = random_batch<double>(Shape{11, 4, 2}, 2);
    const Tensor<double> whole = Tensor<double>::copy_of(net.forward({xa.view(), xb.view()}, Mode::Eval));
    Tensor<double> out;
    predict(net, {xa.view(), xb.view()}, out, 4);
    REQUIRE(out.shape() == Shape{11, 2});
    for (Index i = 0; i < out.size(); ++i) CHECK(out[i] == Approx(whole[i]).margin(1e-13));
    Tensor<double> again;
    predict(net, {xa, xb}, again, 5);  // the tensors themselves, as views
    for (Index i = 0; i < out.size(); ++i) CHECK(again[i] == Approx(whole[i]).margin(1e-13));

    // Inputs of different row counts, and a wrong count of inputs, name what is wrong.
    CHECK_THROWS_WITH(predict(net, {xa.view(), xb.rows(0, 10)}, out),
                      Catch::Contains("input 1") && Catch::Contains("10 rows, input 0 has 11"));
    CHECK_THROWS_AS(predict(net, {xa.view()}, out), ShapeError);
}

TEST_CASE("predict of an empty batch gives (0, outputs)", "[nn][predict]") {
    auto net = clip_model<float>();
    Rng rng(5);
    net.init(rng);
    Tensor<float> x(Shape{0, 6, 8}), out(Shape{4, 4});
    predict(net, x, out);
    CHECK(out.shape() == Shape{0, 3});
}

TEST_CASE("predict grows the layers' buffers to one chunk only, then allocates nothing", "[nn][predict][allocation]") {
    auto net = clip_model<float>();
    Rng rng(5);
    net.init(rng);
    const Tensor<float> x = random_batch<float>(Shape{300, 6, 8}, 4);
    Tensor<float> out;
    predict(net, x, out, 32);
    // The buffers hold one chunk of 32 clips, not 300: a forward of 32 fits, one of 33 grows them.
    long before = new_calls();
    net.forward(x.rows(0, 32), Mode::Eval);
    CHECK(new_calls() - before == 0);
    before = new_calls();
    net.forward(x.rows(0, 33), Mode::Eval);
    CHECK(new_calls() - before > 0);
    // Once an output of this size exists, predicting again allocates nothing.
    predict(net, x, out, 32);
    before = new_calls();
    predict(net, x, out, 32);
    predict(net, x.rows(0, 40), out, 32);
    predict(net, x, out, 32);
    CHECK(new_calls() - before == 0);
}

TEST_CASE("predict rejects bad arguments with one-line errors", "[nn][predict]") {
    auto net = clip_model<float>();
    Rng rng(5);
    net.init(rng);
    Tensor<float> x = random_batch<float>(Shape{10, 6, 8}, 4), out;
    CHECK_THROWS_AS(predict(net, x, out, 0), ValueError);
    CHECK_THROWS_WITH(predict(net, x, out, -3), Catch::Contains("chunk -3"));
    // A per-clip shape the model does not take: the model's own error.
    Tensor<float> wrong(Shape{10, 6, 7});
    CHECK_THROWS_AS(predict(net, wrong, out), ShapeError);
    // A single-input model given two inputs.
    CHECK_THROWS_WITH(predict(net, {x.view(), x.view()}, out), Catch::Contains("the network takes one"));
    // Writing into the storage of the input would overwrite rows not yet scored.
    Tensor<float> scratch(Shape{10, 6, 8});
    CHECK_THROWS_WITH(predict(net, scratch.view(), scratch), Catch::Contains("shares storage with input 0"));
}
