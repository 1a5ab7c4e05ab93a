#pragma once
// The cross-validation part of report.json and its text table: every metric per fold and its
// mean and standard deviation over the folds, macro and per instrument.
//
//   "cross_validation": {
//     "folds": K, "split_seed": s, "early_stopping": bool, "grouped_by": "track", "seconds": s,
//     "interrupted": bool,
//     "per_fold": [{"fold": 1, "held_out_clips", "train_clips", "validation_clips", "best_epoch",
//                   "epochs", "train_seconds", "macro": {...}, "instruments": {...}}, ...],
//     "mean": {"macro": {metric: v}, "instruments": {name: {metric: v}}},
//     "std":  {the same}}
// Metrics: mse, mae, precision, recall, f1, f1_macro2, ap, auc (instrument_metrics.hpp). The
// std is the population standard deviation over the folds (numpy's np.std, ddof = 0); a fold
// where a metric is undefined (NaN, e.g. AP without a positive) is left out of that metric's
// mean and std; a metric undefined in every fold is null.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "polytag/openmic/cross_validation.hpp"
#include "polytag/openmic/evaluation_json.hpp"

namespace polytag::openmic {

namespace detail {

struct MeanStd {
    double mean = metrics::detail::kNaN, std = metrics::detail::kNaN;
};

inline MeanStd mean_std(const std::vector<double>& v) {
    double s = 0;
    int n = 0;
    for (double x : v)
        if (std::isfinite(x)) s += x, ++n;
    MeanStd out;
    if (n == 0) return out;
    out.mean = s / n;
    double ss = 0;
    for (double x : v)
        if (std::isfinite(x)) ss += (x - out.mean) * (x - out.mean);
    out.std = std::sqrt(ss / n);
    return out;
}

inline const char* const kMetricNames[] = {"mse", "mae", "precision", "recall", "f1", "f1_macro2", "ap", "auc"};

inline std::vector<double> metric_values(const InstrumentMetrics& m) {
    return {m.mse, m.mae, m.precision, m.recall, m.f1, m.f1_macro2, m.ap, m.auc};
}
inline std::vector<double> metric_values(const MacroMetrics& m) {
    return {m.mse, m.mae, m.precision, m.recall, m.f1, m.f1_macro2, m.ap, m.auc};
}
inline nlohmann::json json_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace detail

/// Mean and std over the folds of one metric of the macro row (instrument empty) or of one
/// instrument; `metric` is one of mse, mae, precision, recall, f1, f1_macro2, ap, auc.
inline detail::MeanStd fold_summary(const CrossValidation& cv, const std::string& metric,
                                    const std::string& instrument = "") {
    std::size_t index = 0;
    while (index < 8 && metric != detail::kMetricNames[index]) ++index;
    if (index == 8) throw ValueError("polytag::openmic::fold_summary: no metric '" + metric + "'");
    std::vector<double> v;
    for (const auto& f : cv.folds)
        v.push_back(instrument.empty() ? detail::metric_values(f.held_out.macro)[index]
                                       : detail::metric_values(f.held_out.at(instrument))[index]);
    return detail::mean_std(v);
}

inline nlohmann::json cross_validation_json(const CrossValidation& cv, const CrossValidationConfig& config) {
    nlohmann::json j;
    j["folds"] = config.folds;
    j["split_seed"] = config.split_seed;
    j["early_stopping"] = config.early_stopping;
    j["grouped_by"] = "track";
    j["seconds"] = cv.seconds;
    j["interrupted"] = cv.interrupted;
    nlohmann::json per_fold = nlohmann::json::array();
    for (const auto& f : cv.folds) {
        nlohmann::json e = to_json(f.held_out);
        e["fold"] = f.fold + 1;
        e["held_out_clips"] = f.held_out_clips;
        e["train_clips"] = f.history.train_clips;
        e["validation_clips"] = f.history.validation_clips;
        e["best_epoch"] = f.history.best_epoch;
        e["epochs"] = static_cast<int>(f.history.epochs.size());
        e["train_seconds"] = f.history.seconds;
        per_fold.push_back(std::move(e));
    }
    j["per_fold"] = std::move(per_fold);
    nlohmann::json mean, sd;
    for (const char* metric : detail::kMetricNames) {
        const auto s = fold_summary(cv, metric);
        mean["macro"][metric] = detail::json_number(s.mean);
        sd["macro"][metric] = detail::json_number(s.std);
    }
    mean["instruments"] = nlohmann::json::object();
    sd["instruments"] = nlohmann::json::object();
    if (!cv.folds.empty())
        for (const auto& inst : cv.folds[0].held_out.instruments)
            for (const char* metric : detail::kMetricNames) {
                const auto s = fold_summary(cv, metric, inst.name);
                mean["instruments"][inst.name][metric] = detail::json_number(s.mean);
                sd["instruments"][inst.name][metric] = detail::json_number(s.std);
            }
    j["mean"] = std::move(mean);
    j["std"] = std::move(sd);
    return j;
}

/// Two tables: the macro metrics per fold with a "mean ± std" row, and per instrument the
/// mean ± std over the folds of AP, F1 and MSE.
inline std::string cross_validation_table(const CrossValidation& cv) {
    auto cell = [](double v) {
        char b[16];
        if (std::isfinite(v)) std::snprintf(b, sizeof b, "%7.3f", v);
        else std::snprintf(b, sizeof b, "%7s", "-");
        return std::string(b);
    };
    std::string out;
    char line[256];
    std::snprintf(line, sizeof line, "%-18s %7s %7s %7s %7s %7s %7s %7s %7s %7s\n", "fold (held out)", "clips", "mse",
                  "mae", "prec", "recall", "f1", "f1_m2", "ap", "auc");
    out += line;
    const std::string rule = std::string(18 + 9 * 8, '-') + "\n";
    out += rule;
    for (const auto& f : cv.folds) {
        std::snprintf(line, sizeof line, "%-18d %7lld", f.fold + 1, f.held_out_clips);
        out += line;
        for (double v : detail::metric_values(f.held_out.macro)) out += " " + cell(v);
        out += "\n";
    }
    out += rule;
    std::snprintf(line, sizeof line, "%-18s %7s", "mean", "");
    out += line;
    for (const char* m : detail::kMetricNames) out += " " + cell(fold_summary(cv, m).mean);
    out += "\n";
    std::snprintf(line, sizeof line, "%-18s %7s", "std", "");
    out += line;
    for (const char* m : detail::kMetricNames) out += " " + cell(fold_summary(cv, m).std);
    out += "\n\n";
    std::snprintf(line, sizeof line, "%-18s %17s %17s %17s\n", "instrument", "ap (mean ± std)", "f1 (mean ± std)",
                  "mse (mean ± std)");
    out += line;
    out += std::string(18 + 3 * 18, '-') + "\n";
    if (!cv.folds.empty())
        for (const auto& inst : cv.folds[0].held_out.instruments) {
            std::snprintf(line, sizeof line, "%-18s", inst.name.c_str());
            out += line;
            for (const char* m : {"ap", "f1", "mse"}) {
                const auto s = fold_summary(cv, m, inst.name);
                char b[32];
                if (std::isfinite(s.mean)) std::snprintf(b, sizeof b, " %7.3f ± %6.3f", s.mean, s.std);
                else std::snprintf(b, sizeof b, " %16s", "-");
                out += b;
            }
            out += "\n";
        }
    return out;
}

}  // namespace polytag::openmic
