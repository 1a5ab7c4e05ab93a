// ModelConfig / TrainConfig JSON, report.json and table, the SVG figure, the progress printer.
#include <catch2/catch.hpp>

#include <cstdio>

#include "polytag/openmic/config.hpp"
#include "tool/progress.hpp"
#include "polytag/openmic/report.hpp"
#include "tool/report_svg.hpp"

using namespace polytag;
using namespace polytag::openmic;

TEST_CASE("ModelConfig and TrainConfig survive a JSON round trip", "[model][config]") {
    ModelConfig m;
    m.trunk = {64, 32};
    m.head = {16};
    m.pool = PoolKind::Max;
    m.activation = ActivationKind::Gelu;
    m.dropout = 0.25;
    const ModelConfig back = model_config_from_string(to_json(m).dump());
    CHECK(back == m);
    CHECK(model_config_from_json(nlohmann::json::object()) == ModelConfig{});  // defaults

    TrainConfig t;
    t.optimizer = OptimizerKind::Adam;
    t.loss = LossKind::MaskedBce;
    t.lr = 0.01;
    t.seed = 1234567890123ULL;
    const TrainConfig tb = train_config_from_json(to_json(t));
    CHECK(to_json(tb) == to_json(t));
}

TEST_CASE("Config errors name the field", "[model][config]") {
    using Catch::Contains;
    CHECK_THROWS_WITH(model_config_from_string("{\"trunk\": [8, 0]}"), Contains("config.trunk[1]"));
    CHECK_THROWS_WITH(model_config_from_string("{\"trunk\": []}"), Contains("config.trunk"));
    CHECK_THROWS_WITH(model_config_from_string("{\"pool\": \"median\"}"), Contains("config.pool") && Contains("mean|max|attention"));
    CHECK_THROWS_WITH(model_config_from_string("{\"dropout\": 1.5}"), Contains("config.dropout"));
    CHECK_THROWS_WITH(model_config_from_string("{\"dropout\": \"high\"}"), Contains("config.dropout") && Contains("number"));
    CHECK_THROWS_WITH(model_config_from_string("{\"classes\": 19}"), Contains("config.classes"));
    CHECK_THROWS_WITH(model_config_from_string("{\"size\": 3}"), Contains("config.size") && Contains("unknown key"));
    CHECK_THROWS_WITH(model_config_from_string("[1, 2]"), Contains("JSON object"));
    CHECK_THROWS_WITH(model_config_from_string("{nope"), Contains("not valid JSON"));
    CHECK_THROWS_WITH(train_config_from_json({{"batch", 0}}), Contains("train.batch"));
    CHECK_THROWS_WITH(train_config_from_json({{"epochs", 2.5}}), Contains("train.epochs") && Contains("integer"));
    CHECK(parse_enum<PoolKind>("attention", "--pool") == PoolKind::Attention);
    CHECK(to_string(OptimizerKind::AdamW) == "adamw");
}

namespace {
Evaluation sample_evaluation() {
    Tensor<float> pred(Shape{6, 20}), y(Shape{6, 20}), mask(Shape{6, 20}, 1.0f);
    for (Index i = 0; i < 6; ++i)
        for (Index k = 0; k < 20; ++k) {
            y(i, k) = float((i + k) % 2);
            pred(i, k) = 0.2f + 0.6f * y(i, k) + 0.01f * float(i);
        }
    std::vector<std::string> names;
    for (int k = 0; k < 20; ++k) names.push_back("inst" + std::to_string(k));
    return evaluate(pred, y, mask, names);
}
}  // namespace

TEST_CASE("report_json has the keys the issue specifies", "[model][report]") {
    const Evaluation ev = sample_evaluation();
    ReportContext ctx;
    ctx.history.epochs.push_back(EpochStats{1, 0.1, 0.09, 0.8, 1e-3, 0.5, 0.5, false});
    ctx.history.best_epoch = 1;
    ctx.history.seconds = 0.75;
    ctx.data = "synthetic";
    const nlohmann::json j = report_json(ev, ctx);
    for (const char* k : {"mse", "mae", "f1", "f1_macro2", "ap", "auc"}) {
        CHECK(j["macro"].contains(k));
        CHECK(j["instruments"]["inst3"].contains(k));
    }
    CHECK(j["instruments"]["inst3"]["n"] == 6);
    CHECK(j["instruments"]["inst3"]["n_pos"] == 3);
    CHECK(j["train_seconds"] == 0.75);
    CHECK(j["epochs"] == 1);
    CHECK(j["config"]["model"]["pool"] == "attention");
    CHECK(j["config"]["train"]["optimizer"] == "adamw");
    CHECK(j["macro"]["ap"] == Approx(1.0));
    const std::string table = report_table(ev);
    CHECK(table.find("inst19") != std::string::npos);
    CHECK(table.find("macro") != std::string::npos);
    CHECK(std::count(table.begin(), table.end(), '\n') == 24);
}

TEST_CASE("The SVG figure holds both curve panels and every instrument", "[model][report]") {
    TrainingHistory h;
    for (int e = 1; e <= 5; ++e) h.epochs.push_back(EpochStats{e, 0.2 / e, 0.1 + 0.01 / e, 0.7 + 0.01 * e, 1e-3, 1, double(e), false});
    h.best_epoch = 4;
    std::vector<PrPanel> panels;
    for (int k = 0; k < 20; ++k) panels.push_back({"inst<" + std::to_string(k) + ">", {0.0, 0.5, 1.0}, {1.0, 0.8, 0.5}, 0.8});
    const std::string svg = training_report_svg(h, panels, "a & b");
    CHECK(svg.rfind("<?xml", 0) == 0);
    CHECK(svg.find("</svg>") != std::string::npos);
    CHECK(svg.find("a &amp; b") != std::string::npos);
    CHECK(svg.find("inst&lt;19&gt;") != std::string::npos);
    CHECK(svg.find("best epoch 4") != std::string::npos);
    std::size_t polylines = 0;
    for (std::size_t p = svg.find("<polyline"); p != std::string::npos; p = svg.find("<polyline", p + 1)) ++polylines;
    CHECK(polylines == 3 + 20);
    // Empty inputs still give a valid document.
    CHECK(training_report_svg(TrainingHistory{}, {}).find("</svg>") != std::string::npos);
}

TEST_CASE("ProgressPrinter prints plain lines when not a terminal, nothing when quiet", "[model][progress]") {
    std::FILE* f = std::tmpfile();
    REQUIRE(f);
    ProgressPrinter lines(f, ProgressPrinter::Style::Auto);  // a file is not a terminal
    CHECK(lines.style() == ProgressPrinter::Style::Lines);
    lines.batch(1, 3, 5, 10, 0.5);  // no bar in line mode
    lines.epoch(EpochStats{1, 0.25, 0.125, 0.75, 1e-3, 2.0, 2.0, false}, 3, true);
    ProgressPrinter quiet(f, ProgressPrinter::Style::Quiet);
    quiet.epoch(EpochStats{2, 0.25, 0.125, 0.75, 1e-3, 2.0, 4.0, false}, 3, true);
    quiet.note("hidden");
    std::rewind(f);
    char buf[512] = {};
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    const std::string out(buf, n);
    CHECK(out.find("epoch   1/3") != std::string::npos);
    CHECK(out.find("val mse 0.1250") != std::string::npos);
    CHECK(out.find("ETA   4.0s") != std::string::npos);
    CHECK(out.find('\r') == std::string::npos);
    CHECK(out.find("hidden") == std::string::npos);
    CHECK(std::count(out.begin(), out.end(), '\n') == 1);
}
