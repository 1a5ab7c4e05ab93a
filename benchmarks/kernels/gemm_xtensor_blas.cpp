// GEMM through xtensor-blas xt::linalg::dot at the same shapes as gemm.cpp: what an xtensor
// user writes (transposes as xt::transpose views, a fresh result per call). A file of its own:
// xtensor-blas's cblas declarations clash with OpenBLAS's cblas.h, which polytag includes.
#include "support/bench_util.hpp"
#include "support/gemm_shapes.hpp"

#if defined(POLYTAG_BENCH_HAVE_XTENSOR_BLAS)
#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xtensor.hpp>

namespace {

using polytag::Index;
namespace pb = polytag::bench;

const pb::ThreadSetup thread_setup;

void BM_gemm_xtensor_blas(benchmark::State& state) {
    const pb::GemmCase g = pb::gemm_case(state);
    using X = xt::xtensor<float, 2>;
    X a = X::from_shape({std::size_t(g.a_rows()), std::size_t(g.a_cols())});
    X b = X::from_shape({std::size_t(g.b_rows()), std::size_t(g.b_cols())});
    pb::fill_uniform(a.data(), Index(a.size()), 1);
    pb::fill_uniform(b.data(), Index(b.size()), 2);
    X c;
    for (auto _ : state) {
        if (!g.ta && !g.tb) c = xt::linalg::dot(a, b);
        else if (!g.ta) c = xt::linalg::dot(a, xt::transpose(b));
        else if (!g.tb) c = xt::linalg::dot(xt::transpose(a), b);
        else c = xt::linalg::dot(xt::transpose(a), xt::transpose(b));
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    pb::set_flops(state, g.flops());
}
BENCHMARK(BM_gemm_xtensor_blas)->Apply(pb::all_shapes);

}  // namespace
#endif
