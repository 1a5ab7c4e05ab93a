// Model files written by polytag 0.1 (tests/data/openmic/make_model_v0_1.cpp, before the
// network was rebuilt from the generic parts and before ensembles) still load and predict the
// relevances polytag 0.1 computed. The reference was computed by one build (g++ -O2, Eigen's
// own GEMM); other GEMM backends and flags round differently, so the check allows 2e-6
// (relevances are in [0, 1]). Bitwise identity for one build is checked by running the old and
// the new commit built alike on the same file (see the report of that change).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "polytag/io/npz.hpp"
#include "polytag/openmic/relevance_model.hpp"

using namespace polytag;
using namespace polytag::openmic;

TEST_CASE("Model files of polytag 0.1 load and predict bitwise as they did", "[model][file][compat]") {
    const std::string dir = std::string(POLYTAG_TEST_DATA_DIR) + "/openmic/";
    io::NpzReader ref(dir + "model-v0.1-reference.npz");
    const Tensor<std::uint8_t> x = ref.read<std::uint8_t>("X");
    for (const char* name : {"attention", "mean", "max"}) {
        INFO(name);
        const Tensor<float> expected = ref.read<float>(std::string("pred_") + name);
        const RelevanceModel m = RelevanceModel::load(dir + "model-v0.1-" + name + ".npz");
        const Tensor<float> got = m.predict(x);
        REQUIRE(got.shape() == expected.shape());
        float worst = 0;
        for (Index i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - expected[i]));
        INFO("largest difference " << worst);
        CHECK(worst <= 2e-6f);
    }
}
