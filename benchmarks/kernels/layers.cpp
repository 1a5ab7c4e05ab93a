// Layer forward and backward at the reference network's sizes: Dense (batch 64, 1280 -> 512
// and 512 -> 256), attention pooling (batch 64, 10 frames, 256 features, 20 tasks, as in the
// OpenMIC model), MultiHead<20> (256 -> 32 -> 1 per head), and ReLU at the OpenMIC model's
// per-frame width. FLOP/s counts the products' multiply-adds only (2 per MAC); element-wise
// layers report bytes per second (what they must read and write once).
#include "polytag/nn/activation.hpp"
#include "polytag/nn/attention_pool.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/multi_head.hpp"
#include "support/bench_util.hpp"

namespace {

using polytag::Index;
using polytag::Mode;
using polytag::Shape;
namespace pb = polytag::bench;

const pb::ThreadSetup thread_setup;

void dense_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"batch", "in", "out"})->Args({64, 1280, 512})->Args({64, 512, 256})->Args({1024, 1280, 512});
}

void BM_dense_forward(benchmark::State& state) {
    const Index batch = state.range(0), in = state.range(1), out = state.range(2);
    polytag::Dense<float> layer(in, out);
    polytag::Rng rng(1);
    layer.init(rng);
    auto x = pb::random_tensor<float>({batch, in}, 2);
    for (auto _ : state) benchmark::DoNotOptimize(layer.forward(x, Mode::Train).data());
    pb::set_flops(state, 2.0 * double(batch * in * out));
}
BENCHMARK(BM_dense_forward)->Apply(dense_args);

// Backward with the input gradient: two products (dW = dy^T x, dx = dy W) and the bias sum.
void BM_dense_backward(benchmark::State& state) {
    const Index batch = state.range(0), in = state.range(1), out = state.range(2);
    polytag::Dense<float> layer(in, out);
    polytag::Rng rng(1);
    layer.init(rng);
    auto x = pb::random_tensor<float>({batch, in}, 2);
    auto dy = pb::random_tensor<float>({batch, out}, 3);
    layer.forward(x, Mode::Train);
    for (auto _ : state) benchmark::DoNotOptimize(layer.backward(dy, true).data());
    pb::set_flops(state, 4.0 * double(batch * in * out));
}
BENCHMARK(BM_dense_backward)->Apply(dense_args);

void attention_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"batch", "frames", "features", "tasks"})->Args({64, 10, 256, 20})->Args({64, 10, 256, 1});
}
// scores (B*F, D) x (D, K) and pooling a_b^T x_b per row: 2 * 2 B F D K flops forward.
double attention_flops(Index b, Index f, Index d, Index k) { return 4.0 * double(b * f * d * k); }

void BM_attention_pool_forward(benchmark::State& state) {
    const Index batch = state.range(0), frames = state.range(1), d = state.range(2), k = state.range(3);
    polytag::AttentionPool<float> pool(d, k);
    // Non-zero attention weights, so the softmax is not uniform.
    pool.weight() = pb::random_tensor<float>({k, d}, 4, -0.1, 0.1);
    auto x = pb::random_tensor<float>({batch, frames, d}, 5);
    for (auto _ : state) benchmark::DoNotOptimize(pool.forward(x, Mode::Train).data());
    pb::set_flops(state, attention_flops(batch, frames, d, k));
}
BENCHMARK(BM_attention_pool_forward)->Apply(attention_args);

// Backward: per row dscore = x_b dy_b^T, then dW, dx = dscore W and dx += a_b dy_b: twice the forward.
void BM_attention_pool_backward(benchmark::State& state) {
    const Index batch = state.range(0), frames = state.range(1), d = state.range(2), k = state.range(3);
    polytag::AttentionPool<float> pool(d, k);
    pool.weight() = pb::random_tensor<float>({k, d}, 4, -0.1, 0.1);
    auto x = pb::random_tensor<float>({batch, frames, d}, 5);
    const auto y = pool.forward(x, Mode::Train);
    auto dy = pb::random_tensor<float>(y.shape(), 6);
    for (auto _ : state) benchmark::DoNotOptimize(pool.backward(dy, true).data());
    pb::set_flops(state, 2.0 * attention_flops(batch, frames, d, k));
}
BENCHMARK(BM_attention_pool_backward)->Apply(attention_args);

// MultiHead<20>(256, {32}) on shared input (the reference network) and per-task input (OpenMIC).
void multihead_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"batch", "per_task"})->Args({64, 0})->Args({64, 1});
}
double multihead_flops(Index batch, Index in) { return 2.0 * double(batch * 20 * (in * 32 + 32)); }

void BM_multihead_forward(benchmark::State& state) {
    const Index batch = state.range(0), in = 256;
    const bool per_task = state.range(1) != 0;
    polytag::MultiHead<float, 20> heads(in, {32});
    polytag::Rng rng(1);
    heads.init(rng);
    auto x = per_task ? pb::random_tensor<float>({batch, 20, in}, 2) : pb::random_tensor<float>({batch, in}, 2);
    for (auto _ : state) benchmark::DoNotOptimize(heads.forward(x, Mode::Train).data());
    pb::set_flops(state, multihead_flops(batch, in));
}
BENCHMARK(BM_multihead_forward)->Apply(multihead_args);

void BM_multihead_backward(benchmark::State& state) {
    const Index batch = state.range(0), in = 256;
    const bool per_task = state.range(1) != 0;
    polytag::MultiHead<float, 20> heads(in, {32});
    polytag::Rng rng(1);
    heads.init(rng);
    auto x = per_task ? pb::random_tensor<float>({batch, 20, in}, 2) : pb::random_tensor<float>({batch, in}, 2);
    heads.forward(x, Mode::Train);
    auto dy = pb::random_tensor<float>({batch, 20}, 3);
    for (auto _ : state) benchmark::DoNotOptimize(heads.backward(dy, true).data());
    pb::set_flops(state, 2.0 * multihead_flops(batch, in));
}
BENCHMARK(BM_multihead_backward)->Apply(multihead_args);

// ReLU on (64, 10, 256), the OpenMIC model's per-frame activations at batch 64, half of them zero.
void BM_relu_backward(benchmark::State& state) {
    polytag::Relu<float> relu;
    auto x = pb::random_tensor<float>({64, 10, 256}, 7);
    auto dy = pb::random_tensor<float>({64, 10, 256}, 8);
    relu.forward(x, Mode::Train);
    for (auto _ : state) benchmark::DoNotOptimize(relu.backward(dy, true).data());
    pb::set_bytes(state, 3.0 * sizeof(float) * double(x.size()));  // y and dy in, dx out
}
BENCHMARK(BM_relu_backward);

}  // namespace
