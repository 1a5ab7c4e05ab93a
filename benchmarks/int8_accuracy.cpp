// What the 8-bit serving path costs in accuracy: a model's test-split metrics through
// RelevanceModel::predict (float) and QuantizedRelevanceModel::predict (8-bit first layer),
// observed labels only, threshold 0.5, and the largest change of any relevance.
//
//   ./build/benchmarks/int8_accuracy --data openmic-2018 --model model.npz
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "polytag/openmic/batch.hpp"
#include "polytag/openmic/dataset.hpp"
#include "polytag/openmic/dataset_evaluation.hpp"
#include "polytag/openmic/quantized_model.hpp"
#include "polytag/openmic/relevance_model.hpp"

namespace po = polytag::openmic;

int main(int argc, char** argv) {
    CLI::App app{"Test-split AP / F1 / MSE of a model, float against the 8-bit path", "int8_accuracy"};
    std::string data_dir, model_path;
    app.add_option("--data", data_dir, "OpenMIC-2018 release folder")->required();
    app.add_option("--model", model_path, "model file written by polytag-train")->required();
    CLI11_PARSE(app, argc, argv);
    try {
        const po::Dataset data = po::Dataset::load(data_dir);
        const po::RelevanceModel model = po::RelevanceModel::load(model_path);
        const polytag::Tensor<std::uint8_t> x = po::gather_clips(data, data.test());
        const polytag::Tensor<float> pf = model.predict(x);
        po::QuantizedRelevanceModel q(model);
        const polytag::Tensor<float> pq = q.predict(x);
        const po::Evaluation ef = po::evaluate(pf, data, data.test()), eq = po::evaluate(pq, data, data.test());
        double worst = 0, sum = 0;
        for (polytag::Index i = 0; i < pf.size(); ++i) {
            const double d = std::abs(double(pf[i]) - double(pq[i]));
            worst = std::max(worst, d);
            sum += d;
        }
        std::printf("test split: %lld clips, kernel %s\n", static_cast<long long>(x.dim(0)),
                    polytag::u8s8_kernel_name(polytag::u8s8_best_kernel()));
        std::printf("%-6s  macro AP %.4f  macro F1 %.4f  macro MSE %.5f\n", "float", ef.macro.ap, ef.macro.f1, ef.macro.mse);
        std::printf("%-6s  macro AP %.4f  macro F1 %.4f  macro MSE %.5f\n", "int8", eq.macro.ap, eq.macro.f1, eq.macro.mse);
        std::printf("change  AP %+.4f  F1 %+.4f  MSE %+.5f; relevance |diff| mean %.2e, max %.2e\n",
                    eq.macro.ap - ef.macro.ap, eq.macro.f1 - ef.macro.f1, eq.macro.mse - ef.macro.mse,
                    sum / double(pf.size()), worst);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "int8_accuracy: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
