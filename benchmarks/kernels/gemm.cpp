// GEMM at the reference network's shapes (batch 64: forward x W^T, backward dW = dy^T x and
// dx = dy W), the OpenMIC model's and 2048^3, through polytag::gemm (its dispatch), each of
// polytag's backends by name (BM_gemm_backend/<name>: eigen, openblas, libxsmm, onednn, those
// built in), plain Eigen, cblas_sgemm and a naive loop (naive at the network's shapes only). xtensor-blas is in gemm_xtensor_blas.cpp: its cblas
// declarations clash with OpenBLAS's cblas.h in one translation unit.
// Counter FLOP/s = 2 m n k per call.
#include <string>

#include <Eigen/Core>

#include "polytag/tensor/kernels.hpp"
#include "support/bench_util.hpp"
#include "support/gemm_shapes.hpp"

#if defined(POLYTAG_BENCH_HAVE_CBLAS)
#include <cblas.h>
#endif

namespace {

using polytag::Index;
using polytag::Trans;
namespace pb = polytag::bench;

const pb::ThreadSetup thread_setup;

struct Operands {
    explicit Operands(const pb::GemmCase& g)
        : a(pb::random_tensor<float>({g.a_rows(), g.a_cols()}, 1)),
          b(pb::random_tensor<float>({g.b_rows(), g.b_cols()}, 2)),
          c(pb::random_tensor<float>({g.m, g.n}, 3)) {}
    polytag::Tensor<float> a, b, c;
};

void BM_gemm_polytag(benchmark::State& state) {
    const pb::GemmCase g = pb::gemm_case(state);
    Operands o(g);
    for (auto _ : state) {
        polytag::gemm<float>(g.ta ? Trans::Yes : Trans::No, g.tb ? Trans::Yes : Trans::No, 1.0f, o.a.mref(),
                             o.b.mref(), 0.0f, o.c.mref());
        benchmark::DoNotOptimize(o.c.data());
        benchmark::ClobberMemory();
    }
    pb::set_flops(state, g.flops());
}
BENCHMARK(BM_gemm_polytag)->Apply(pb::every_shape);

void BM_gemm_backend(benchmark::State& state, polytag::GemmBackend backend) {
    const pb::GemmCase g = pb::gemm_case(state);
    Operands o(g);
    for (auto _ : state) {
        polytag::gemm_with<float>(backend, g.ta ? Trans::Yes : Trans::No, g.tb ? Trans::Yes : Trans::No, 1.0f,
                                  o.a.mref(), o.b.mref(), 0.0f, o.c.mref());
        benchmark::DoNotOptimize(o.c.data());
        benchmark::ClobberMemory();
    }
    pb::set_flops(state, g.flops());
}

// One registration per backend this build has.
const bool backends_registered = [] {
    for (auto b : {polytag::GemmBackend::Eigen, polytag::GemmBackend::Blas, polytag::GemmBackend::Xsmm,
                   polytag::GemmBackend::Dnnl})
        if (polytag::gemm_backend_available(b))
            benchmark::RegisterBenchmark((std::string("BM_gemm_backend/") + polytag::gemm_backend_name(b)).c_str(),
                                         BM_gemm_backend, b)
                ->Apply(pb::every_shape);
    return true;
}();

void BM_gemm_eigen(benchmark::State& state) {
    const pb::GemmCase g = pb::gemm_case(state);
    using M = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    M a = M::Random(g.a_rows(), g.a_cols()), b = M::Random(g.b_rows(), g.b_cols()), c(g.m, g.n);
    for (auto _ : state) {
        if (!g.ta && !g.tb) c.noalias() = a * b;
        else if (!g.ta) c.noalias() = a * b.transpose();
        else if (!g.tb) c.noalias() = a.transpose() * b;
        else c.noalias() = a.transpose() * b.transpose();
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    pb::set_flops(state, g.flops());
}
BENCHMARK(BM_gemm_eigen)->Apply(pb::every_shape);

#if defined(POLYTAG_BENCH_HAVE_CBLAS)
void BM_gemm_cblas(benchmark::State& state) {
    const pb::GemmCase g = pb::gemm_case(state);
    Operands o(g);
    for (auto _ : state) {
        cblas_sgemm(CblasRowMajor, g.ta ? CblasTrans : CblasNoTrans, g.tb ? CblasTrans : CblasNoTrans, int(g.m),
                    int(g.n), int(g.k), 1.0f, o.a.data(), int(g.a_cols()), o.b.data(), int(g.b_cols()), 0.0f,
                    o.c.data(), int(g.n));
        benchmark::DoNotOptimize(o.c.data());
        benchmark::ClobberMemory();
    }
    pb::set_flops(state, g.flops());
}
BENCHMARK(BM_gemm_cblas)->Apply(pb::every_shape);
#endif

// The textbook triple loop (i, j, p), for scale: only at the network's shapes.
void BM_gemm_naive(benchmark::State& state) {
    const pb::GemmCase g = pb::gemm_case(state);
    Operands o(g);
    const float* a = o.a.data();
    const float* b = o.b.data();
    float* c = o.c.data();
    const Index lda = g.a_cols(), ldb = g.b_cols();
    for (auto _ : state) {
        for (Index i = 0; i < g.m; ++i)
            for (Index j = 0; j < g.n; ++j) {
                float sum = 0;
                for (Index p = 0; p < g.k; ++p)
                    sum += (g.ta ? a[p * lda + i] : a[i * lda + p]) * (g.tb ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * g.n + j] = sum;
            }
        benchmark::DoNotOptimize(c);
        benchmark::ClobberMemory();
    }
    pb::set_flops(state, g.flops());
}
BENCHMARK(BM_gemm_naive)->Apply(pb::network_shapes);

}  // namespace
