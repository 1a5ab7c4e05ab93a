// ModelConfig / TrainConfig JSON, report.json and table, the SVG figure, the progress printer.
#include <catch2/catch.hpp>

#include <cstdio>

#include "polytag/openmic/config.hpp"
#include "tool/progress.hpp"
#include "polytag/openmic/report.hpp"
#include "tool/report_svg.hpp"
#include "polytag/tensor/random.hpp"

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

TEST_CASE("SVG axes get 1-2-5 ticks that cover the data", "[model][report]") {
    using openmic::detail::nice_ticks;
    const openmic::detail::Ticks t = nice_ticks(0.0463, 0.0912, 5);
    CHECK(t.step == Approx(0.01));
    CHECK(t.first == Approx(0.05));
    CHECK(t.last == Approx(0.09));
    CHECK(t.decimals == 2);
    CHECK(nice_ticks(0, 1, 5).step == Approx(0.2));
    CHECK(nice_ticks(0, 30, 6).step == Approx(5));
    CHECK(nice_ticks(0.71, 0.74, 5).step == Approx(0.01));
    CHECK(nice_ticks(0.7, 0.7004, 4).step == Approx(0.0001));
    CHECK(nice_ticks(0.7, 0.7004, 4).decimals == 4);
    double lo = 0.0463, hi = 0.0912;
    const openmic::detail::Ticks w = openmic::detail::widen_to_ticks(lo, hi, 5);
    CHECK(lo == Approx(0.04));
    CHECK(hi == Approx(0.10));
    CHECK(w.first == Approx(0.04));
    CHECK(w.last == Approx(0.10));
}

TEST_CASE("The SVG figure: test-split summary, training curves with the kept epoch, PR panels with operating point, prevalence and n", "[model][report]") {
    TrainingHistory h;
    for (int e = 1; e <= 5; ++e)
        h.epochs.push_back(EpochStats{e, 0.2 / e, 0.0463 + 0.01 / e, 0.7 + 0.01 * e, 1e-3, 1, double(e), false});
    h.best_epoch = 5;  // the last epoch: its marker must not sit on the frame's border
    // Three instruments on 40 clips; the third has no positive label, clip 0 is unobserved everywhere.
    const Index n = 40;
    Tensor<float> pred(Shape{n, 3}), y(Shape{n, 3}), mask(Shape{n, 3}, 1.0f);
    Rng rng(3);
    for (Index i = 0; i < n; ++i) {
        y(i, 0) = i % 4 == 0 ? 1.0f : 0.0f;
        y(i, 1) = i % 2 == 0 ? 0.9f : 0.1f;
        y(i, 2) = 0.0f;
        for (Index c = 0; c < 3; ++c) pred(i, c) = float(0.6 * y(i, c) + 0.4 * rng.uniform(0, 1));
    }
    for (Index c = 0; c < 3; ++c) mask(0, c) = 0.0f;
    const std::vector<std::string> names{"guitar", "piano & <voice>", "ukulele"};
    const Evaluation ev = evaluate(pred, y, mask, names);
    const auto curves = precision_recall_curves(pred, y, mask);
    const std::string svg = training_report_svg(h, ev, curves, "polytag-train: data/x");
    CHECK(svg.rfind("<?xml", 0) == 0);
    CHECK(svg.find("</svg>") != std::string::npos);
    CHECK(svg.find("polytag-train: data/x") != std::string::npos);
    CHECK(svg.find("(test split)") == std::string::npos);  // the title no longer claims the curves are of the test split
    char summary[160];
    std::snprintf(summary, sizeof summary, "test split, threshold 0.5: macro AP %.3f, macro F1 %.3f, macro MSE %.4f",
                  ev.macro.ap, ev.macro.f1, ev.macro.mse);
    CHECK(svg.find(summary) != std::string::npos);
    CHECK(svg.find("piano &amp; &lt;voice&gt;") != std::string::npos);
    // n per instrument: 39 observed clips each (clip 0 is not), 9 / 19 / 0 positive.
    CHECK(svg.find("n 39, 9 positive") != std::string::npos);
    CHECK(svg.find("n 39, 19 positive") != std::string::npos);
    CHECK(svg.find("n 39, 0 positive") != std::string::npos);
    CHECK(svg.find("no positive label") != std::string::npos);
    CHECK(svg.find("ukulele  AP n/a") != std::string::npos);  // one class only: AP is NaN, not printed as "nan"
    CHECK(svg.find("nan") == std::string::npos);
    // Axis titles, 1-2-5 tick labels (the loss runs 0.04 .. 0.2 -> ticks every 0.05).
    for (const char* s : {">epoch<", ">loss<", ">macro AP<", ">recall<", ">precision<", ">0.05<", ">0.10<", ">0.15<"})
        CHECK(svg.find(s) != std::string::npos);
    CHECK(svg.find(">0.0463<") == std::string::npos);
    CHECK(svg.find("best epoch 5 (kept)") != std::string::npos);
    // The kept-epoch markers lie inside the 380-px frames that start at x = 80 and x = 580.
    std::size_t dashed = 0;
    for (std::size_t p = svg.find("stroke='#666' stroke-dasharray='4,3'"); p != std::string::npos;
         p = svg.find("stroke='#666' stroke-dasharray='4,3'", p + 1)) {
        const std::size_t x1 = svg.rfind("x1='", p);
        const double x = std::stod(svg.substr(x1 + 4));
        CHECK(((x > 80 && x < 80 + 380 - 5) || (x > 580 && x < 580 + 380 - 5)));
        ++dashed;
    }
    CHECK(dashed == 2);  // one per frame
    // Polylines: 3 training curves, 3 prevalence baselines, 2 PR curves (none for the instrument without positives).
    std::size_t polylines = 0, dots = 0;
    for (std::size_t p = svg.find("<polyline"); p != std::string::npos; p = svg.find("<polyline", p + 1)) ++polylines;
    for (std::size_t p = svg.find("fill='#ff7f0e'"); p != std::string::npos; p = svg.find("fill='#ff7f0e'", p + 1)) ++dots;
    CHECK(polylines == 3 + 3 + 2);
    CHECK(dots == 1 + 2);  // the legend's and one operating point per instrument with positives
    // Cross-validation: whose curves they are, and that the evaluation is the ensemble's.
    const std::string cv = training_report_svg(h, ev, curves, "t", "test split, the ensemble", "fold 1 of 5");
    CHECK(cv.find("training: loss per epoch (fold 1 of 5)") != std::string::npos);
    CHECK(cv.find("test split, the ensemble, threshold 0.5: macro AP") != std::string::npos);
    // Empty inputs still give a valid document.
    CHECK(training_report_svg(TrainingHistory{}, Evaluation{}, {}).find("</svg>") != std::string::npos);
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
