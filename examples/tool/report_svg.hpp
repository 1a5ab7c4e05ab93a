#pragma once
// One self-contained SVG with the training curves (train / validation loss and validation
// macro AP per epoch) above a grid of per-instrument precision-recall curves. Plain SVG 1.1,
// no scripts or external fonts, so any browser or image viewer shows it.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "polytag/openmic/training_history.hpp"

namespace polytag::openmic {

/// One instrument's precision-recall curve (points in order of decreasing threshold).
struct PrPanel {
    std::string name;
    std::vector<double> recall;
    std::vector<double> precision;
    double ap = 0;
};

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
            default: out += c;
        }
    }
    return out;
}

/// A rectangular plot area mapping data coordinates to SVG pixels.
struct Frame {
    double x0, y0, w, h;           // pixels
    double xmin, xmax, ymin, ymax;  // data
    double px(double x) const { return x0 + (xmax > xmin ? (x - xmin) / (xmax - xmin) : 0.5) * w; }
    double py(double y) const { return y0 + h - (ymax > ymin ? (y - ymin) / (ymax - ymin) : 0.5) * h; }
};

inline void axes(std::string& svg, const Frame& f, const std::string& title, const std::string& xlabel, int ticks) {
    svg += "<rect x='" + num(f.x0) + "' y='" + num(f.y0) + "' width='" + num(f.w) + "' height='" + num(f.h) +
           "' fill='white' stroke='#444'/>\n";
    svg += "<text x='" + num(f.x0 + f.w / 2) + "' y='" + num(f.y0 - 6) + "' text-anchor='middle' font-size='12'>" +
           xml_escape(title) + "</text>\n";
    if (!xlabel.empty())
        svg += "<text x='" + num(f.x0 + f.w / 2) + "' y='" + num(f.y0 + f.h + 28) +
               "' text-anchor='middle' font-size='10'>" + xml_escape(xlabel) + "</text>\n";
    for (int i = 0; i <= ticks; ++i) {
        const double xv = f.xmin + (f.xmax - f.xmin) * i / ticks, yv = f.ymin + (f.ymax - f.ymin) * i / ticks;
        svg += "<line x1='" + num(f.px(xv)) + "' y1='" + num(f.y0) + "' x2='" + num(f.px(xv)) + "' y2='" +
               num(f.y0 + f.h) + "' stroke='#eee'/>\n";
        svg += "<line x1='" + num(f.x0) + "' y1='" + num(f.py(yv)) + "' x2='" + num(f.x0 + f.w) + "' y2='" +
               num(f.py(yv)) + "' stroke='#eee'/>\n";
        char xl[32], yl[32];
        std::snprintf(xl, sizeof xl, std::abs(f.xmax - f.xmin) >= 5 ? "%.0f" : "%.1f", xv);
        std::snprintf(yl, sizeof yl, std::abs(f.ymax - f.ymin) >= 5 ? "%.0f" : "%.3g", yv);
        svg += "<text x='" + num(f.px(xv)) + "' y='" + num(f.y0 + f.h + 12) + "' text-anchor='middle' font-size='9'>" +
               xl + "</text>\n";
        svg += "<text x='" + num(f.x0 - 3) + "' y='" + num(f.py(yv) + 3) + "' text-anchor='end' font-size='9'>" + yl +
               "</text>\n";
    }
}

inline void polyline(std::string& svg, const Frame& f, const std::vector<double>& x, const std::vector<double>& y,
                     const char* colour) {
    if (x.empty()) return;
    svg += "<polyline fill='none' stroke='" + std::string(colour) + "' stroke-width='1.5' points='";
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
        svg += num(f.px(x[i])) + "," + num(f.py(y[i])) + " ";
    }
    svg += "'/>\n";
}

inline void legend(std::string& svg, double x, double y, const char* colour, const std::string& text) {
    svg += "<line x1='" + num(x) + "' y1='" + num(y - 3) + "' x2='" + num(x + 14) + "' y2='" + num(y - 3) +
           "' stroke='" + colour + "' stroke-width='2'/>\n";
    svg += "<text x='" + num(x + 18) + "' y='" + num(y) + "' font-size='10'>" + xml_escape(text) + "</text>\n";
}

inline void range_of(const std::vector<double>& v, double& lo, double& hi) {
    for (double d : v)
        if (std::isfinite(d)) lo = std::min(lo, d), hi = std::max(hi, d);
}

}  // namespace detail

/// The whole report figure as SVG text. `title` goes on top (e.g. the data folder).
inline std::string training_report_svg(const TrainingHistory& history, const std::vector<PrPanel>& panels,
                                       const std::string& title = "polytag OpenMIC relevance model") {
    using detail::Frame;
    using detail::num;
    constexpr int kCols = 5;
    const int rows = int((panels.size() + kCols - 1) / kCols);
    const double width = 1000, top = 300, cell = 190;
    const double height = top + rows * cell + 20;
    std::string svg = "<?xml version='1.0' encoding='UTF-8'?>\n<svg xmlns='http://www.w3.org/2000/svg' width='" +
                      num(width) + "' height='" + num(height) + "' viewBox='0 0 " + num(width) + " " + num(height) +
                      "' font-family='sans-serif'>\n<rect width='100%' height='100%' fill='#fafafa'/>\n";
    svg += "<text x='" + num(width / 2) + "' y='22' text-anchor='middle' font-size='15'>" + detail::xml_escape(title) +
           "</text>\n";

    std::vector<double> ep, tl, vl, ap;
    for (const auto& e : history.epochs) {
        ep.push_back(e.epoch);
        tl.push_back(e.train_loss);
        vl.push_back(e.val_loss);
        ap.push_back(e.val_ap);
    }
    const double emax = std::max(1.0, ep.empty() ? 1.0 : ep.back());
    double lo = 1e300, hi = -1e300;
    detail::range_of(tl, lo, hi);
    detail::range_of(vl, lo, hi);
    if (lo > hi) lo = 0, hi = 1;
    const double pad = 0.05 * std::max(hi - lo, 1e-6);
    Frame loss{60, 60, 400, 190, 1, emax, std::max(0.0, lo - pad), hi + pad};
    detail::axes(svg, loss, "loss per epoch", "epoch", 5);
    detail::polyline(svg, loss, ep, tl, "#1f77b4");
    detail::polyline(svg, loss, ep, vl, "#d62728");
    detail::legend(svg, loss.x0 + 250, loss.y0 + 16, "#1f77b4", "train loss");
    detail::legend(svg, loss.x0 + 250, loss.y0 + 30, "#d62728", "validation MSE");
    if (history.best_epoch > 0) {
        const double bx = loss.px(history.best_epoch);
        svg += "<line x1='" + num(bx) + "' y1='" + num(loss.y0) + "' x2='" + num(bx) + "' y2='" +
               num(loss.y0 + loss.h) + "' stroke='#888' stroke-dasharray='4,3'/>\n";
        detail::legend(svg, loss.x0 + 250, loss.y0 + 44, "#888", "best epoch " + std::to_string(history.best_epoch));
    }
    double alo = 1e300, ahi = -1e300;
    detail::range_of(ap, alo, ahi);
    if (alo > ahi) alo = 0, ahi = 1;
    const double apad = 0.05 * std::max(ahi - alo, 1e-3);
    Frame apf{560, 60, 400, 190, 1, emax, std::max(0.0, alo - apad), std::min(1.0, ahi + apad)};
    detail::axes(svg, apf, "validation macro AP per epoch", "epoch", 5);
    detail::polyline(svg, apf, ep, ap, "#2ca02c");

    for (std::size_t i = 0; i < panels.size(); ++i) {
        const double cx = 50 + double(i % kCols) * cell, cy = top + double(i / kCols) * cell;
        Frame f{cx, cy + 20, cell - 55, cell - 65, 0, 1, 0, 1};
        char t[96];
        std::snprintf(t, sizeof t, "%s  AP %.3f", panels[i].name.c_str(), panels[i].ap);
        detail::axes(svg, f, t, i / kCols + 1 == std::size_t(rows) ? "recall" : "", 2);
        detail::polyline(svg, f, panels[i].recall, panels[i].precision, "#9467bd");
    }
    svg += "</svg>\n";
    return svg;
}

}  // namespace polytag::openmic
