#pragma once
// The evaluation report of a trained model: report.json and the per-instrument text table.
//
// report.json:
//   {"macro": {"mse", "mae", "precision", "recall", "f1", "f1_macro2", "ap", "auc"},
//    "instruments": {"<name>": {the same keys, "n", "n_pos", "threshold"}, ...},
//    "train_seconds": s, "epochs": epochs run, "best_epoch": e,
//    "config": {"model": ModelConfig, "train": TrainConfig},
//    "history": TrainingHistory, "data": "<source>", "split": "test"}
// Metrics are computed on observed labels only by metrics/evaluation.hpp.
#include <cmath>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "polytag/openmic/evaluation.hpp"
#include "polytag/openmic/config.hpp"
#include "polytag/openmic/training_history.hpp"

namespace polytag::openmic {

/// Everything report.json holds besides the metrics themselves.
struct ReportContext {
    ModelConfig model;
    TrainConfig train;
    TrainingHistory history;
    std::string data;             ///< the data folder, or "synthetic"
    std::string split = "test";   ///< which rows were evaluated
};

inline nlohmann::json report_json(const Evaluation& ev, const ReportContext& ctx) {
    nlohmann::json j = to_json(ev);
    j["train_seconds"] = ctx.history.seconds;
    j["epochs"] = static_cast<int>(ctx.history.epochs.size());
    j["best_epoch"] = ctx.history.best_epoch;
    j["config"] = {{"model", to_json(ctx.model)}, {"train", to_json(ctx.train)}};
    j["history"] = to_json(ctx.history);
    j["data"] = ctx.data;
    j["split"] = ctx.split;
    return j;
}

/// A fixed-width table: one row per instrument and a macro row.
inline std::string report_table(const Evaluation& ev) {
    auto cell = [](double v) {
        char b[16];
        if (std::isfinite(v)) std::snprintf(b, sizeof b, "%7.3f", v);
        else std::snprintf(b, sizeof b, "%7s", "-");
        return std::string(b);
    };
    std::string out;
    char line[256];
    std::snprintf(line, sizeof line, "%-18s %6s %6s %7s %7s %7s %7s %7s %7s %7s %7s\n", "instrument", "n", "n_pos",
                  "mse", "mae", "prec", "recall", "f1", "f1_m2", "ap", "auc");
    out += line;
    out += std::string(18 + 2 * 7 + 8 * 8, '-') + "\n";
    for (const auto& m : ev.instruments) {
        std::snprintf(line, sizeof line, "%-18s %6td %6td", m.name.c_str(), m.n, m.n_pos);
        out += line;
        for (double v : {m.mse, m.mae, m.precision, m.recall, m.f1, m.f1_macro2, m.ap, m.auc}) out += " " + cell(v);
        out += "\n";
    }
    out += std::string(18 + 2 * 7 + 8 * 8, '-') + "\n";
    std::snprintf(line, sizeof line, "%-18s %6s %6s", "macro", "", "");
    out += line;
    const auto& a = ev.macro;
    for (double v : {a.mse, a.mae, a.precision, a.recall, a.f1, a.f1_macro2, a.ap, a.auc}) out += " " + cell(v);
    out += "\n";
    return out;
}

}  // namespace polytag::openmic
