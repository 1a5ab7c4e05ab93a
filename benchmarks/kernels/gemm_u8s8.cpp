// The 8-bit inference product (gemm_u8s8: uint8 input x int8 weights -> int32, fused
// per-channel scale + bias + ReLU to float) against the float path it replaces (uint8 -> float
// x / 255, then polytag::gemm x W^T, then bias + ReLU), at the OpenMIC model's first layer:
// per-frame Dense(128 -> 256) on 10 frames per clip, batch 1024 (10,240 rows) and 64 (640).
// Counter FLOP/s = 2 m n k per call (int8 multiply-adds count like float ones).
#include <cstdint>
#include <string>
#include <vector>

#include "polytag/nn/dense.hpp"
#include "polytag/nn/quantized_dense.hpp"
#include "polytag/tensor/gemm_u8s8.hpp"
#include "polytag/tensor/kernels.hpp"
#include "support/bench_util.hpp"

namespace {

using polytag::Index;
namespace pb = polytag::bench;

const pb::ThreadSetup thread_setup;

void shapes(benchmark::internal::Benchmark* b) {
    b->ArgNames({"rows", "out", "in"});
    b->Args({10240, 256, 128})->Args({640, 256, 128})->Args({10, 256, 128})->Args({64, 512, 1280});
}

polytag::Tensor<std::uint8_t> bytes(Index rows, Index in) {
    polytag::Tensor<std::uint8_t> x(polytag::Shape{rows, in});
    polytag::Rng rng(1);
    for (Index i = 0; i < x.size(); ++i) x[i] = std::uint8_t(rng.below(256));
    return x;
}

void BM_dense_float_from_u8(benchmark::State& state) {
    const Index rows = state.range(0), out = state.range(1), in = state.range(2);
    polytag::Dense<float> d(in, out);
    polytag::Rng rng(2);
    d.init(rng);
    const auto x8 = bytes(rows, in);
    polytag::Tensor<float> xf(polytag::Shape{rows, in});
    for (auto _ : state) {
        for (Index i = 0; i < x8.size(); ++i) xf[i] = float(x8[i]) * (1.0f / 255.0f);
        auto y = d.forward(xf, polytag::Mode::Eval);
        float* p = const_cast<float*>(y.data());
        for (Index i = 0; i < y.size(); ++i) p[i] = std::max(p[i], 0.0f);
        benchmark::DoNotOptimize(p);
        benchmark::ClobberMemory();
    }
    pb::set_flops(state, 2.0 * double(rows) * double(out) * double(in));
}
BENCHMARK(BM_dense_float_from_u8)->Apply(shapes);

void BM_quantized_dense(benchmark::State& state, polytag::U8S8Kernel kernel) {
    const Index rows = state.range(0), out = state.range(1), in = state.range(2);
    polytag::Dense<float> d(in, out);
    polytag::Rng rng(2);
    d.init(rng);
    auto q = polytag::QuantizedDense::from_dense(d, 1.0f / 255.0f, 0.0f, true);
    const auto x8 = bytes(rows, in);
    for (auto _ : state) {
        auto y = q.forward(x8, kernel);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    pb::set_flops(state, 2.0 * double(rows) * double(out) * double(in));
}

const bool registered = [] {
    for (auto k : {polytag::U8S8Kernel::Xsmm, polytag::U8S8Kernel::Vnni512, polytag::U8S8Kernel::Avx2, polytag::U8S8Kernel::Scalar})
        if (polytag::u8s8_kernel_available(k))
            benchmark::RegisterBenchmark((std::string("BM_quantized_dense/") + polytag::u8s8_kernel_name(k)).c_str(),
                                         BM_quantized_dense, k)
                ->Apply(shapes);
    return true;
}();

}  // namespace
