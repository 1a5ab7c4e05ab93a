// Metric kernels against scikit-learn 1.2.1. The numbers below were printed by
// tests/metrics/sklearn_reference.py (run by hand with python3-sklearn); the tests do not
// need Python. Scores are float32 with many ties, as a model's outputs can be.
#include <catch2/catch.hpp>

#include <vector>

#include "polytag/metrics/binary.hpp"
#include "polytag/metrics/ranking.hpp"

using namespace polytag;

namespace {

struct ReferenceCase {
    std::vector<float> scores;
    std::vector<int> labels;
    double ap, auc, precision, recall, f1, f1_macro2;  // sklearn, threshold 0.5 (score >= 0.5)
};

const std::vector<ReferenceCase>& reference_cases() {
    static const std::vector<ReferenceCase> cases = {
        {
         {0.8f, 0.3f, 0.8f, 1.0f, 0.1f, 0.8f, 0.8f, 0.7f, 1.0f, 0.9f, 0.3f, 0.2f},
         {1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0},
         0.9285714285714286, 0.9583333333333334, 0.75, 1.0, 0.8571428571428571, 0.8285714285714285},
        {
         {1.0f, 0.34f, 0.14f, 0.73f, 1.0f, 0.54f, 0.55f, 0.49f, 0.58f, 0.92f, 0.54f, 0.33f, 0.29f, 0.02f, 0.61f, 0.53f, 0.4f, 0.92f, 0.29f, 0.53f, 0.45f, 0.47f, 0.47f, 0.63f, 0.39f, 0.61f, 0.52f, 0.56f, 0.34f, 0.97f, 0.52f, 0.79f, 0.1f, 0.11f, 0.72f, 0.01f, 0.52f, 0.83f, 0.51f, 0.07f},
         {1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0},
         0.7510573274143966, 0.7933333333333333, 0.4782608695652174, 0.7333333333333333, 0.5789473684210527, 0.5989974937343359},
        {
         {0.7f, 0.7f, 0.3f, 0.7f, 0.3f, 1.0f, 0.5f, 0.3f, 0.6f, 0.5f, 0.7f, 0.4f, 0.1f, 0.5f, 0.7f, 0.5f, 0.1f, 0.3f, 0.8f, 0.7f, 1.0f, 0.1f, 1.0f, 0.2f, 0.8f, 0.8f, 0.4f, 0.4f, 0.7f, 0.2f, 0.4f, 0.8f, 1.0f, 0.5f, 0.7f, 0.9f, 0.7f, 0.1f, 0.0f, 0.8f, 0.4f, 0.5f, 0.7f, 0.4f, 0.6f, 0.8f, 0.8f, 0.6f, 0.9f, 1.0f, 1.0f, 0.9f, 0.4f, 0.3f, 0.7f, 0.4f, 0.8f},
         {1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1},
         0.8676838217486937, 0.840625, 0.6756756756756757, 0.78125, 0.7246376811594203, 0.6512077294685991},
        {
         {0.935f, 0.375f, 0.043f, 0.018f, 0.002f, 0.501f, 0.599f, 0.56f, 0.105f, 0.191f, 0.636f, 0.686f, 0.644f, 0.24f, 0.54f, 0.217f, 0.623f, 0.076f, 0.708f, 1.0f, 0.285f, 0.165f, 0.718f, 0.184f, 0.786f, 0.477f, 0.484f, 0.078f, 0.725f, 0.289f, 0.744f, 0.592f, 0.281f, 0.407f, 0.784f, 1.0f, 0.522f, 0.632f, 0.17f, 0.683f, 0.702f, 0.669f, 0.784f, 0.293f, 0.496f, 0.637f, 0.186f, 0.954f, 0.083f, 0.275f, 0.079f, 0.603f, 0.158f, 0.596f, 0.785f, 0.521f, 0.8f, 0.873f, 0.779f, 0.318f, 0.311f, 0.417f, 0.684f, 0.731f, 0.269f, 0.112f, 0.675f, 0.743f, 0.391f, 0.531f, 0.794f, 0.413f, 0.18f, 0.791f, 0.515f, 0.311f, 0.113f, 0.086f, 0.021f, 0.74f, 0.071f, 0.408f, 0.319f, 0.838f, 0.146f, 0.77f, 0.146f, 0.523f, 0.496f, 0.472f, 0.409f, 0.532f, 0.281f, 0.688f, 0.054f, 0.216f, 0.105f, 0.104f, 0.262f, 0.221f, 0.107f, 1.0f, 0.26f, 0.724f, 0.331f, 0.403f, 1.0f, 1.0f, 0.243f, 0.388f, 1.0f, 0.103f, 0.412f, 0.682f, 0.658f, 0.575f, 0.246f, 0.656f, 0.67f, 0.367f},
         {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
         0.8461611524879277, 0.9297544260422616, 0.2807017543859649, 0.9411764705882353, 0.4324324324324324, 0.5897101921198307},
        {
         {1.0f, 0.5f, 0.5f, 1.0f, 0.0f, 0.5f, 0.5f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f, 0.5f, 0.5f, 0.25f, 0.75f, 0.5f, 0.75f, 0.5f, 0.5f, 0.0f, 0.5f, 0.75f, 0.75f, 0.75f, 0.5f, 0.75f, 0.75f, 1.0f, 0.25f, 0.0f, 1.0f, 0.5f},
         {1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1},
         0.8280467720685112, 0.8658088235294117, 0.6521739130434783, 0.9375, 0.7692307692307693, 0.7179487179487181},
    };
    return cases;
}

}  // namespace

TEST_CASE("average_precision and roc_auc match scikit-learn, ties included", "[metrics]") {
    for (const auto& c : reference_cases()) {
        INFO("case with " << c.scores.size() << " samples");
        CHECK(metrics::average_precision(c.scores, c.labels) == Approx(c.ap).epsilon(1e-12));
        CHECK(metrics::roc_auc(c.scores, c.labels) == Approx(c.auc).epsilon(1e-12));
    }
}

TEST_CASE("thresholded precision, recall, F1 and two-class macro F1 match scikit-learn", "[metrics]") {
    for (const auto& c : reference_cases()) {
        INFO("case with " << c.scores.size() << " samples");
        const auto counts = metrics::count_at_threshold(c.scores, c.labels, 0.5);
        CHECK(counts.n() == c.scores.size());
        CHECK(metrics::precision(counts) == Approx(c.precision).epsilon(1e-12));
        CHECK(metrics::recall(counts) == Approx(c.recall).epsilon(1e-12));
        CHECK(metrics::f1(counts) == Approx(c.f1).epsilon(1e-12));
        CHECK(metrics::f1_two_class(counts) == Approx(c.f1_macro2).epsilon(1e-12));
    }
}
