#pragma once
// One self-contained SVG of a training run: a header line with the evaluated split's macro
// AP / F1 / MSE, the training curves (train loss and validation MSE, validation macro AP per
// epoch, the kept epoch marked), and a grid of per-instrument precision-recall curves, each with
// its operating point (the decision threshold of the evaluation, 0.5 unless tuned), the
// prevalence baseline (the precision of a random ranking) and its number of observed labels.
// Axes have 1-2-5 ticks. Plain SVG 1.1, no scripts or external fonts, so any browser or image
// viewer shows it.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "polytag/metrics/ranking.hpp"
#include "polytag/openmic/instrument_metrics.hpp"
#include "polytag/openmic/training_history.hpp"

namespace polytag::openmic {

namespace detail {

inline std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

inline std::string xml_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += c;
        }
    }
    return out;
}

/// Axis ticks at a 1-2-5 step: the smallest such step that puts at most `max_ticks` + 1 ticks
/// on [lo, hi]. `decimals` is what the labels need to tell neighbouring ticks apart.
struct Ticks {
    double step = 1, first = 0, last = 0;
    int decimals = 0;
};

inline Ticks nice_ticks(double lo, double hi, int max_ticks) {
    Ticks t;
    const double span = hi > lo ? hi - lo : std::max(1e-12, std::abs(lo));
    const double raw = span / std::max(1, max_ticks);
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * p >= raw * (1 - 1e-9)) {
            t.step = m * p;
            break;
        }
    t.first = std::ceil(lo / t.step - 1e-9) * t.step;
    t.last = std::floor(hi / t.step + 1e-9) * t.step;
    t.decimals = std::max(0, -int(std::floor(std::log10(t.step) + 1e-9)));
    return t;
}

/// [lo, hi] widened to whole ticks, so that the curve fills the frame and both ends are labelled.
inline Ticks widen_to_ticks(double& lo, double& hi, int max_ticks) {
    Ticks t = nice_ticks(lo, hi, max_ticks);
    lo = std::floor(lo / t.step + 1e-9) * t.step;
    hi = std::ceil(hi / t.step - 1e-9) * t.step;
    if (hi <= lo) hi = lo + t.step;
    t.first = lo, t.last = hi;
    return t;
}

/// A rectangular plot area mapping data coordinates to SVG pixels.
struct Frame {
    double x0, y0, w, h;            // pixels
    double xmin, xmax, ymin, ymax;  // data
    double px(double x) const { return x0 + (xmax > xmin ? (x - xmin) / (xmax - xmin) : 0.5) * w; }
    double py(double y) const { return y0 + h - (ymax > ymin ? (y - ymin) / (ymax - ymin) : 0.5) * h; }
};

inline std::string text(double x, double y, const std::string& s, int size, const char* anchor = "middle",
                        const char* extra = "") {
    return "<text x='" + num(x) + "' y='" + num(y) + "' text-anchor='" + anchor + "' font-size='" +
           std::to_string(size) + "'" + extra + ">" + xml_escape(s) + "</text>\n";
}

inline std::string tick_label(double v, int decimals) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, std::abs(v) < 1e-12 ? 0.0 : v);
    return buf;
}

/// Frame, grid lines, tick labels and axis titles (empty titles are left out).
inline void axes(std::string& svg, const Frame& f, const Ticks& xt, const Ticks& yt, const std::string& xtitle,
                 const std::string& ytitle, int font = 9) {
    svg += "<rect x='" + num(f.x0) + "' y='" + num(f.y0) + "' width='" + num(f.w) + "' height='" + num(f.h) +
           "' fill='white' stroke='#444'/>\n";
    for (double v = xt.first; v <= xt.last + xt.step * 1e-6; v += xt.step) {
        svg += "<line x1='" + num(f.px(v)) + "' y1='" + num(f.y0) + "' x2='" + num(f.px(v)) + "' y2='" +
               num(f.y0 + f.h) + "' stroke='#eee'/>\n";
        svg += text(f.px(v), f.y0 + f.h + font + 3, tick_label(v, xt.decimals), font);
    }
    for (double v = yt.first; v <= yt.last + yt.step * 1e-6; v += yt.step) {
        svg += "<line x1='" + num(f.x0) + "' y1='" + num(f.py(v)) + "' x2='" + num(f.x0 + f.w) + "' y2='" +
               num(f.py(v)) + "' stroke='#eee'/>\n";
        svg += text(f.x0 - 3, f.py(v) + 3, tick_label(v, yt.decimals), font, "end");
    }
    if (!xtitle.empty()) svg += text(f.x0 + f.w / 2, f.y0 + f.h + 2 * font + 8, xtitle, font + 1);
    if (!ytitle.empty()) {
        const double x = f.x0 - 4.2 * font, y = f.y0 + f.h / 2;
        svg += text(x, y, ytitle, font + 1, "middle",
                    (" transform='rotate(-90 " + num(x) + " " + num(y) + ")'").c_str());
    }
}

inline void polyline(std::string& svg, const Frame& f, const std::vector<double>& x, const std::vector<double>& y,
                     const char* colour, const char* extra = "") {
    std::string points;
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
        if (std::isfinite(x[i]) && std::isfinite(y[i])) points += num(f.px(x[i])) + "," + num(f.py(y[i])) + " ";
    if (points.empty()) return;
    svg += "<polyline fill='none' stroke='" + std::string(colour) + "' stroke-width='1.5'" + extra + " points='" +
           points + "'/>\n";
}

inline void dot(std::string& svg, const Frame& f, double x, double y, const char* colour, double r = 3) {
    if (!std::isfinite(x) || !std::isfinite(y)) return;
    svg += "<circle cx='" + num(f.px(x)) + "' cy='" + num(f.py(y)) + "' r='" + num(r) + "' fill='" + colour +
           "' stroke='black' stroke-width='0.6'/>\n";
}

inline void legend_line(std::string& svg, double x, double y, const char* colour, const std::string& label,
                        const char* dash = "") {
    svg += "<line x1='" + num(x) + "' y1='" + num(y - 3) + "' x2='" + num(x + 16) + "' y2='" + num(y - 3) +
           "' stroke='" + colour + "' stroke-width='2'" + dash + "/>\n";
    svg += text(x + 20, y, label, 10, "start");
}

inline void range_of(const std::vector<double>& v, double& lo, double& hi) {
    for (double d : v)
        if (std::isfinite(d)) lo = std::min(lo, d), hi = std::max(hi, d);
}

/// Epoch axis: ticks on whole epochs, and a margin past the last one so that a marker on the
/// last epoch is not hidden by the frame's border.
inline Ticks epoch_axis(double last_epoch, double& xmin, double& xmax) {
    Ticks t = nice_ticks(1, std::max(2.0, last_epoch), 6);
    t.step = std::max(1.0, t.step);
    t.decimals = 0;
    t.first = t.step > 1 ? t.step : 1;
    t.last = std::floor(last_epoch / t.step) * t.step;
    if (t.last < t.first) t.last = t.first;
    xmin = 0;
    xmax = std::max(2.0, last_epoch) + std::max(0.5, 0.04 * last_epoch);
    return t;
}

/// The steps of a precision-recall curve as average precision sums them: precision p_k held
/// from recall r_{k-1} to r_k (sklearn's PrecisionRecallDisplay, drawstyle steps-post).
inline void pr_steps(const metrics::PrecisionRecallCurve& c, std::vector<double>& x, std::vector<double>& y) {
    x.clear();
    y.clear();
    double r_prev = 0;
    for (std::size_t k = 0; k < c.recall.size() && k < c.precision.size(); ++k) {
        x.push_back(r_prev), y.push_back(c.precision[k]);
        x.push_back(c.recall[k]), y.push_back(c.precision[k]);
        r_prev = c.recall[k];
    }
}

}  // namespace detail

/// The whole report figure as SVG text. `evaluation` and `curves` are of the same split (one
/// curve per instrument, in the evaluation's order; `split` names it in the header line).
/// `history_of`, when given, says whose training curves these are (e.g. "fold 1 of 5").
inline std::string training_report_svg(const TrainingHistory& history, const Evaluation& evaluation,
                                       const std::vector<metrics::PrecisionRecallCurve>& curves,
                                       const std::string& title = "polytag OpenMIC relevance model",
                                       const std::string& split = "test split", const std::string& history_of = "") {
    using detail::Frame;
    using detail::num;
    using detail::text;
    constexpr int kCols = 5;
    const std::size_t panels = evaluation.instruments.size();
    const int rows = int((panels + kCols - 1) / kCols);
    const double width = 1000, top = 340, cell_w = 192, cell_h = 200;
    const double height = top + rows * cell_h + 10;
    std::string svg = "<?xml version='1.0' encoding='UTF-8'?>\n<svg xmlns='http://www.w3.org/2000/svg' width='" +
                      num(width) + "' height='" + num(height) + "' viewBox='0 0 " + num(width) + " " + num(height) +
                      "' font-family='sans-serif'>\n<rect width='100%' height='100%' fill='#fafafa'/>\n";
    svg += text(width / 2, 24, title, 16);
    char line[256];
    const MacroMetrics& m = evaluation.macro;
    std::snprintf(line, sizeof line, "%s, threshold %s: macro AP %.3f, macro F1 %.3f, macro MSE %.4f (%lld instruments)",
                  split.c_str(), evaluation.tuned_thresholds ? "tuned per instrument" : "0.5", m.ap, m.f1, m.mse,
                  static_cast<long long>(m.instruments));
    svg += text(width / 2, 44, line, 12);

    // Training curves.
    std::vector<double> ep, tl, vl, ap;
    for (const auto& e : history.epochs) {
        ep.push_back(e.epoch);
        tl.push_back(e.train_loss);
        vl.push_back(e.val_loss);
        ap.push_back(e.val_ap);
    }
    const double last_epoch = ep.empty() ? 1.0 : ep.back();
    double xmin, xmax;
    const detail::Ticks et = detail::epoch_axis(last_epoch, xmin, xmax);
    double lo = 1e300, hi = -1e300;
    detail::range_of(tl, lo, hi);
    detail::range_of(vl, lo, hi);
    if (lo > hi) lo = 0, hi = 1;
    const detail::Ticks lt = detail::widen_to_ticks(lo, hi, 5);
    Frame loss{80, 90, 380, 180, xmin, xmax, lo, hi};
    const std::string of = history_of.empty() ? "" : " (" + history_of + ")";
    svg += text(loss.x0 + loss.w / 2, loss.y0 - 8, "training: loss per epoch" + of, 12);
    detail::axes(svg, loss, et, lt, "epoch", "loss", 9);
    detail::polyline(svg, loss, ep, tl, "#1f77b4");
    detail::polyline(svg, loss, ep, vl, "#d62728");
    detail::legend_line(svg, loss.x0 + loss.w - 150, loss.y0 + 16, "#1f77b4", "train loss");
    detail::legend_line(svg, loss.x0 + loss.w - 150, loss.y0 + 30, "#d62728", "validation MSE");

    double alo = 1e300, ahi = -1e300;
    detail::range_of(ap, alo, ahi);
    if (alo > ahi) alo = 0, ahi = 1;
    const detail::Ticks at = detail::widen_to_ticks(alo, ahi, 5);
    Frame apf{580, 90, 380, 180, xmin, xmax, std::max(0.0, alo), std::min(1.0, ahi)};
    svg += text(apf.x0 + apf.w / 2, apf.y0 - 8, "validation: macro AP per epoch" + of, 12);
    detail::axes(svg, apf, et, at, "epoch", "macro AP", 9);
    detail::polyline(svg, apf, ep, ap, "#2ca02c");

    if (history.best_epoch > 0 && std::size_t(history.best_epoch) <= history.epochs.size()) {
        const auto& best = history.epochs[std::size_t(history.best_epoch) - 1];
        for (const Frame* f : {&loss, &apf}) {
            const double bx = f->px(history.best_epoch);
            svg += "<line x1='" + num(bx) + "' y1='" + num(f->y0) + "' x2='" + num(bx) + "' y2='" + num(f->y0 + f->h) +
                   "' stroke='#666' stroke-dasharray='4,3'/>\n";
        }
        detail::dot(svg, loss, best.epoch, best.val_loss, "#d62728");
        detail::dot(svg, apf, best.epoch, best.val_ap, "#2ca02c");
        detail::legend_line(svg, loss.x0 + loss.w - 150, loss.y0 + 44, "#666",
                            "best epoch " + std::to_string(history.best_epoch) + " (kept)", " stroke-dasharray='4,3'");
    }

    // Precision-recall grid.
    svg += text(width / 2, top - 28, "precision-recall on the " + split + " (observed labels only)", 13);
    const double lx = 300, ly = top - 10;
    detail::legend_line(svg, lx, ly, "#9467bd", "curve");
    svg += "<circle cx='" + num(lx + 78) + "' cy='" + num(ly - 3) + "' r='3' fill='#ff7f0e' stroke='black' stroke-width='0.6'/>\n";
    svg += text(lx + 86, ly, evaluation.tuned_thresholds ? "tuned threshold" : "threshold 0.5", 10, "start");
    detail::legend_line(svg, lx + 190, ly, "#888", "prevalence (random ranking)", " stroke-dasharray='3,3'");
    const detail::Ticks pt{0.5, 0.0, 1.0, 1};
    std::vector<double> sx, sy;
    for (std::size_t i = 0; i < panels; ++i) {
        const InstrumentMetrics& im = evaluation.instruments[i];
        const double cx = 40 + double(i % kCols) * cell_w, cy = top + double(i / kCols) * cell_h;
        Frame f{cx + 20, cy + 34, cell_w - 50, cell_h - 80, 0, 1, 0, 1.02};
        char t1[96], t2[96];
        if (std::isfinite(im.ap)) std::snprintf(t1, sizeof t1, "%s  AP %.3f", im.name.c_str(), im.ap);
        else std::snprintf(t1, sizeof t1, "%s  AP n/a", im.name.c_str());  // one class only: no ranking to score
        std::snprintf(t2, sizeof t2, "n %lld, %lld positive", static_cast<long long>(im.n), static_cast<long long>(im.n_pos));
        svg += text(f.x0 + f.w / 2, cy + 10, t1, 11);
        svg += text(f.x0 + f.w / 2, cy + 24, t2, 9);
        const bool last_row = int(i / kCols) + 1 == rows, first_col = i % kCols == 0;
        detail::axes(svg, f, pt, pt, last_row ? "recall" : "", first_col ? "precision" : "", 8);
        if (im.n > 0) {
            const double prevalence = double(im.n_pos) / double(im.n);
            detail::polyline(svg, f, {0.0, 1.0}, {prevalence, prevalence}, "#888", " stroke-dasharray='3,3'");
        }
        if (i < curves.size() && im.n_pos > 0) {
            detail::pr_steps(curves[i], sx, sy);
            detail::polyline(svg, f, sx, sy, "#9467bd");
            detail::dot(svg, f, im.recall, im.precision, "#ff7f0e");
        } else {
            svg += text(f.x0 + f.w / 2, f.y0 + f.h / 2, im.n ? "no positive label" : "no observed label", 9);
        }
    }
    svg += "</svg>\n";
    return svg;
}

}  // namespace polytag::openmic
