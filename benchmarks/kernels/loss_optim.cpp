// Masked MSE forward (loss and gradient) and one Adam step over 2^20 parameters.
// Counters are memory rates (B/s): bytes the kernel must read and write once.
// BM_adam_blocked is a reference: the same update as polytag::Adam (the same formula, the
// same Eigen expressions) in cache-sized blocks, to show what one pass over memory allows.
#include <algorithm>
#include <cmath>

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

// The same three Eigen statements as polytag::Adam, applied block by block (2048 parameters,
// 8 KiB per array) so that m, v and p are still in L1 when the next statement reads them: one
// pass over memory instead of three. Arg 1 also replaces the division by sqrt(1 - beta2^t)
// with a multiplication by its inverse (one division per parameter instead of two; results
// differ from torch's by rounding only).
void BM_adam_blocked(benchmark::State& state) {
    const bool reciprocal = state.range(0) != 0;
    Tensor<float> p = pb::random_tensor<float>({kAdamParams}, 1), g = pb::random_tensor<float>({kAdamParams}, 2);
    Tensor<float> m(Shape{kAdamParams}, 0.0f), v(Shape{kAdamParams}, 0.0f);
    const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, c1 = 1 - b1, c2 = 1 - b2;
    constexpr Index kBlock = 2048;
    using A = Eigen::Map<Eigen::ArrayXf>;
    long step = 0;
    for (auto _ : state) {
        ++step;
        const float step_size = float(double(lr) / (1.0 - std::pow(double(b1), double(step))));
        const float bias2_sqrt = float(std::sqrt(1.0 - std::pow(double(b2), double(step))));
        const float inv_bias2_sqrt = 1.0f / bias2_sqrt;
        for (Index i = 0; i < kAdamParams; i += kBlock) {
            const Index n = std::min(kBlock, kAdamParams - i);
            A pb_(p.data() + i, n), gb(g.data() + i, n), mb(m.data() + i, n), vb(v.data() + i, n);
            mb = b1 * mb + c1 * gb;
            vb = b2 * vb + c2 * gb.square();
            if (reciprocal) pb_ -= step_size * mb / (vb.sqrt() * inv_bias2_sqrt + eps);
            else pb_ -= step_size * mb / (vb.sqrt() / bias2_sqrt + eps);
        }
        benchmark::DoNotOptimize(p.data());
        benchmark::ClobberMemory();
    }
    pb::set_bytes(state, kAdamBytesPerParam * double(kAdamParams));
    state.counters["params/s"] = benchmark::Counter(double(kAdamParams), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_adam_blocked)->ArgName("reciprocal")->Arg(0)->Arg(1);

}  // namespace
