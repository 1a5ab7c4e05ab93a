#pragma once
// An Evaluation (instrument_metrics.hpp) as report.json writes it.
#include <cmath>

#include <nlohmann/json.hpp>

#include "polytag/openmic/instrument_metrics.hpp"

namespace polytag::openmic {

/// The report as report.json wants it: {"macro": {mse, mae, precision, recall, f1, f1_macro2,
/// ap, auc}, "instruments": {name: {the same, n, n_pos, threshold}}, "skipped_ranking": [...],
/// "skipped_empty": [...], "tuned_thresholds": bool}. NaN becomes null.
inline nlohmann::json to_json(const Evaluation& ev) {
    auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
    nlohmann::json j;
    j["macro"] = {{"mse", num(ev.macro.mse)},       {"mae", num(ev.macro.mae)},
                  {"precision", num(ev.macro.precision)}, {"recall", num(ev.macro.recall)},
                  {"f1", num(ev.macro.f1)},         {"f1_macro2", num(ev.macro.f1_macro2)},
                  {"ap", num(ev.macro.ap)},         {"auc", num(ev.macro.auc)}};
    j["instruments"] = nlohmann::json::object();
    for (const auto& m : ev.instruments)
        j["instruments"][m.name] = {{"mse", num(m.mse)},     {"mae", num(m.mae)},         {"precision", num(m.precision)},
                                    {"recall", num(m.recall)}, {"f1", num(m.f1)},           {"f1_macro2", num(m.f1_macro2)},
                                    {"ap", num(m.ap)},       {"auc", num(m.auc)},         {"n", m.n},
                                    {"n_pos", m.n_pos},      {"threshold", num(m.threshold)}};
    j["skipped_ranking"] = ev.skipped_ranking;
    j["skipped_empty"] = ev.skipped_empty;
    j["tuned_thresholds"] = ev.tuned_thresholds;
    return j;
}

}  // namespace polytag::openmic
