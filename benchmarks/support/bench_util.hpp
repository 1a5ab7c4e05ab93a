#pragma once
// Shared helpers of the kernel benchmarks: one BLAS thread unless POLYTAG_BENCH_THREADS says
// otherwise, deterministic random fills, and the rate counters every benchmark reports.
#include <cstdlib>
#include <string>

#include <benchmark/benchmark.h>

#include "polytag/tensor/random.hpp"
#include "polytag/tensor/tensor.hpp"
#include "polytag/tensor/threads.hpp"

namespace polytag::bench {

/// Threads for BLAS (polytag::set_num_threads): POLYTAG_BENCH_THREADS, default 1.
inline int bench_threads() {
    const char* s = std::getenv("POLYTAG_BENCH_THREADS");
    const int n = s ? std::atoi(s) : 1;
    return n > 0 ? n : 1;
}

/// Sets the thread count once, before any benchmark runs (a static initializer in each program).
struct ThreadSetup {
    ThreadSetup() { polytag::set_num_threads(bench_threads()); }
};

template <typename T>
void fill_uniform(T* p, Index n, std::uint64_t seed, double lo = -1.0, double hi = 1.0) {
    Rng rng(seed);
    for (Index i = 0; i < n; ++i) p[i] = T(rng.uniform(lo, hi));
}

template <typename T>
Tensor<T> random_tensor(Shape s, std::uint64_t seed, double lo = -1.0, double hi = 1.0) {
    Tensor<T> t(s);
    fill_uniform(t.data(), t.size(), seed, lo, hi);
    return t;
}

/// "FLOP/s" counter: `flops` per iteration, shown as a rate (G/s means GFLOP/s).
inline void set_flops(benchmark::State& state, double flops) {
    state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

/// "B/s" counter: `bytes` moved per iteration, as a rate (G/s means GB/s).
inline void set_bytes(benchmark::State& state, double bytes) {
    state.counters["B/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace polytag::bench
