// Batch tagging: the default OpenMIC model's clips/s through RelevanceModel::predict (float)
// and QuantizedRelevanceModel::predict (8-bit first layer, per u8 x s8 kernel), at batch 1 and
// batch 1024 (items_per_second = clips/s; the thread count is POLYTAG_BENCH_THREADS, default 1).
// A model file can be given in $POLYTAG_BENCH_MODEL (say, one trained by polytag-train);
// otherwise the default config's freshly initialised weights are used (the speed does not
// depend on the values). benchmarks/int8_accuracy.cpp measures what the 8-bit path costs in
// test-split AP and F1.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "polytag/openmic/quantized_model.hpp"
#include "polytag/openmic/relevance_model.hpp"
#include "support/bench_util.hpp"

namespace {

using polytag::Index;
namespace po = polytag::openmic;
namespace pb = polytag::bench;

const pb::ThreadSetup thread_setup;

const po::RelevanceModel& model() {
    static const po::RelevanceModel m = [] {
        const char* path = std::getenv("POLYTAG_BENCH_MODEL");
        return path && *path ? po::RelevanceModel::load(path) : po::RelevanceModel(po::ModelConfig{}, 1);
    }();
    return m;
}

polytag::Tensor<std::uint8_t> clips(Index n) {
    polytag::Tensor<std::uint8_t> x(polytag::Shape{n, model().frames(), model().features()});
    polytag::Rng rng(3);
    for (auto& v : x) v = std::uint8_t(rng.below(256));
    return x;
}

void BM_openmic_predict_float(benchmark::State& state) {
    const Index batch = state.range(0);
    const auto x = clips(batch);
    polytag::Tensor<float> out(polytag::Shape{batch, po::kClasses});
    for (auto _ : state) {
        model().predict(x, out);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_openmic_predict_float)->ArgName("batch")->Arg(1)->Arg(1024);

void BM_openmic_predict_int8(benchmark::State& state, polytag::U8S8Kernel kernel) {
    const Index batch = state.range(0);
    const auto x = clips(batch);
    po::QuantizedRelevanceModel q(model(), kernel);
    polytag::Tensor<float> out(polytag::Shape{batch, po::kClasses});
    for (auto _ : state) {
        q.predict(x, out);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * batch);
}

const bool registered = [] {
    for (auto k : {polytag::U8S8Kernel::Xsmm, polytag::U8S8Kernel::Vnni512, polytag::U8S8Kernel::Avx2, polytag::U8S8Kernel::Scalar})
        if (polytag::u8s8_kernel_available(k))
            benchmark::RegisterBenchmark((std::string("BM_openmic_predict_int8/") + polytag::u8s8_kernel_name(k)).c_str(),
                                         BM_openmic_predict_int8, k)
                ->ArgName("batch")
                ->Arg(1)
                ->Arg(1024);
    return true;
}();

}  // namespace
