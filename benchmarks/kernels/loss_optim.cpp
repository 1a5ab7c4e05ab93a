// Masked MSE forward (loss and gradient) and one Adam step over 2^20 parameters, beside the
// memory floor of that step: a loop that moves the same bytes and does almost no arithmetic.
// Counters are memory rates (B/s): bytes the kernel must read and write once.

#include <Eigen/Core>

#include "polytag/loss/masked_mse.hpp"
#include "polytag/optim/adam.hpp"
#include "support/bench_util.hpp"

namespace {

using polytag::Index;
using polytag::Shape;
using polytag::Tensor;
namespace pb = polytag::bench;

const pb::ThreadSetup thread_setup;

void BM_masked_mse(benchmark::State& state) {
    const Index batch = state.range(0), tasks = 20;
    auto p = pb::random_tensor<float>({batch, tasks}, 1, 0, 1);
    auto y = pb::random_tensor<float>({batch, tasks}, 2, 0, 1);
    Tensor<float> m(Shape{batch, tasks});
    polytag::Rng rng(3);
    for (auto& v : m) v = rng.uniform() < 0.1 ? 1.0f : 0.0f;
    polytag::MaskedMse<float> loss;
    for (auto _ : state) {
        benchmark::DoNotOptimize(loss.forward(p, y, m));
        benchmark::DoNotOptimize(loss.backward().data());
    }
    pb::set_bytes(state, 4.0 * double(sizeof(float) * batch * tasks));  // p, y, m in; gradient out
}
BENCHMARK(BM_masked_mse)->ArgName("batch")->Arg(64)->Arg(14915);

constexpr Index kAdamParams = Index(1) << 20;
// Adam reads p, g, m, v and writes p, m, v.
constexpr double kAdamBytesPerParam = 7.0 * sizeof(float);

void BM_adam_step(benchmark::State& state) {
    Tensor<float> p = pb::random_tensor<float>({kAdamParams}, 1), g = pb::random_tensor<float>({kAdamParams}, 2);
    polytag::ParameterList<float> params{{"w", p.view(), g.view()}};
    polytag::Adam<float> adam(params, polytag::AdamOptions<float>{1e-3f, 0.9f, 0.999f, 1e-8f});
    for (auto _ : state) {
        adam.step();
        benchmark::DoNotOptimize(p.data());
        benchmark::ClobberMemory();
    }
    pb::set_bytes(state, kAdamBytesPerParam * double(kAdamParams));
    state.counters["params/s"] = benchmark::Counter(double(kAdamParams), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_adam_step);

/// Adam's memory traffic without its arithmetic: the same 2^20 p, g, m, v, read in the same
/// 1024-element blocks, p, m and v written. What BM_adam_step takes beyond it is its arithmetic
/// (square root, division): docs/speed.md, "Where a training epoch's time goes".
void BM_adam_memory_floor(benchmark::State& state) {
    Tensor<float> p = pb::random_tensor<float>({kAdamParams}, 1), g = pb::random_tensor<float>({kAdamParams}, 2);
    Tensor<float> m(Shape{kAdamParams}, 0.0f), v(Shape{kAdamParams}, 0.0f);
    using Map = Eigen::Map<Eigen::ArrayXf>;
    using ConstMap = Eigen::Map<const Eigen::ArrayXf>;
    constexpr Index kBlock = 1024;
    for (auto _ : state) {
        for (Index b = 0; b < kAdamParams; b += kBlock) {
            Map pm(p.data() + b, kBlock), mm(m.data() + b, kBlock), vm(v.data() + b, kBlock);
            const ConstMap gm(g.data() + b, kBlock);
            mm = 0.5f * mm + gm;  // bounded: no overflow, no subnormals
            vm = 0.5f * vm + gm;
            pm += 1e-3f * (mm - vm);
        }
        benchmark::DoNotOptimize(p.data());
        benchmark::ClobberMemory();
    }
    pb::set_bytes(state, kAdamBytesPerParam * double(kAdamParams));
    state.counters["params/s"] = benchmark::Counter(double(kAdamParams), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_adam_memory_floor);

}  // namespace
