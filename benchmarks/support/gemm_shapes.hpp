#pragma once
// The GEMM shapes of the reference network at batch 64, shared by the GEMM benchmarks.
// Benchmark arguments: m, n, k, transpose A (0/1), transpose B (0/1); C (m x n) = op(A) op(B).
#include <benchmark/benchmark.h>

#include "polytag/tensor/shape.hpp"

namespace polytag::bench {

struct GemmCase {
    Index m, n, k;
    bool ta, tb;
    Index a_rows() const { return ta ? k : m; }
    Index a_cols() const { return ta ? m : k; }
    Index b_rows() const { return tb ? n : k; }
    Index b_cols() const { return tb ? k : n; }
    double flops() const { return 2.0 * double(m) * double(n) * double(k); }
};

inline GemmCase gemm_case(const benchmark::State& s) {
    return {Index(s.range(0)), Index(s.range(1)), Index(s.range(2)), s.range(3) != 0, s.range(4) != 0};
}

/// The 8 products of one training step of Dense(1280,512), Dense(512,256), 20 heads (256 -> 32),
/// the first layer's input gradient excluded (never computed).
inline void network_shapes(benchmark::internal::Benchmark* b) {
    b->ArgNames({"m", "n", "k", "ta", "tb"});
    // forward: x (64, in) times W^T, W (out, in)
    b->Args({64, 512, 1280, 0, 1})->Args({64, 256, 512, 0, 1})->Args({64, 640, 256, 0, 1});
    // backward, weight gradients: dy^T (out, 64) times x (64, in)
    b->Args({512, 1280, 64, 1, 0})->Args({256, 512, 64, 1, 0})->Args({640, 256, 64, 1, 0});
    // backward, input gradients: dy (64, out) times W (out, in)
    b->Args({64, 256, 640, 0, 0})->Args({64, 512, 256, 0, 0});
}

/// The products of one training step of the default OpenMIC model at batch 64 (640 frame rows):
/// per-frame Dense(128 -> 256) forward and weight gradient, the attention scores Dense(256 -> 20)
/// forward, weight gradient and input gradient; and the per-frame Dense at batch-1024 inference.
inline void openmic_shapes(benchmark::internal::Benchmark* b) {
    b->ArgNames({"m", "n", "k", "ta", "tb"});
    b->Args({640, 256, 128, 0, 1})->Args({256, 128, 640, 1, 0});
    b->Args({640, 20, 256, 0, 1})->Args({20, 256, 640, 1, 0})->Args({640, 256, 20, 0, 0});
    b->Args({10240, 256, 128, 0, 1});
}

/// The network's shapes and a large square product.
inline void all_shapes(benchmark::internal::Benchmark* b) {
    network_shapes(b);
    b->Args({2048, 2048, 2048, 0, 0});
}

/// Both networks' shapes and the large square product.
inline void every_shape(benchmark::internal::Benchmark* b) {
    network_shapes(b);
    openmic_shapes(b);
    b->Args({2048, 2048, 2048, 0, 0});
}

}  // namespace polytag::bench
