#pragma once
// Training progress on a stream: a live bar redrawn in place when the stream is a terminal,
// one plain line per epoch otherwise (logs, CI, pipes), nothing when quiet.
#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>

#include "polytag/openmic/trainer.hpp"

namespace polytag::openmic {

class ProgressPrinter final : public TrainObserver {
public:
    enum class Style { Auto, Bar, Lines, Quiet };

    explicit ProgressPrinter(std::FILE* out = stderr, Style style = Style::Auto) : out_(out) {
        if (style == Style::Auto) style = ::isatty(::fileno(out)) ? Style::Bar : Style::Lines;
        style_ = style;
    }

    Style style() const { return style_; }

    /// Called after every batch; redraws the bar at most ~10 times a second.
    void batch(int epoch, int epochs, int batch, int batches, double running_loss) override {
        if (style_ != Style::Bar) return;
        const auto now = std::chrono::steady_clock::now();
        if (batch != batches && now - last_draw_ < std::chrono::milliseconds(100)) return;
        last_draw_ = now;
        constexpr int kWidth = 30;
        const int filled = batches > 0 ? int(double(kWidth) * batch / batches) : kWidth;
        char bar[kWidth + 1];  // on the stack: the batch loop must not allocate
        for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
        bar[kWidth] = '\0';
        std::fprintf(out_, "\r\033[Kepoch %d/%d [%s] %d/%d loss %.4f", epoch, epochs, bar, batch, batches,
                     running_loss);
        std::fflush(out_);
    }

    /// Called at the end of every epoch with its statistics and the planned epoch count.
    void epoch(const EpochStats& e, int epochs, bool improved) override {
        if (style_ == Style::Quiet) return;
        const double eta = e.epoch > 0 ? e.elapsed / e.epoch * (epochs - e.epoch) : 0.0;
        if (style_ == Style::Bar) std::fprintf(out_, "\r\033[K");
        std::fprintf(out_, "epoch %3d/%d  train %.4f  val mse %.4f  val AP %.4f  %5.2fs  ETA %5.1fs%s%s\n", e.epoch,
                     epochs, e.train_loss, e.val_loss, e.val_ap, e.seconds, eta, improved ? "  *" : "",
                     e.partial ? "  (interrupted)" : "");
        std::fflush(out_);
    }

    /// A free-form line (kept clear of the bar).
    void note(const std::string& text) override {
        if (style_ == Style::Quiet) return;
        if (style_ == Style::Bar) std::fprintf(out_, "\r\033[K");
        std::fprintf(out_, "%s\n", text.c_str());
        std::fflush(out_);
    }

private:
    std::FILE* out_;
    Style style_ = Style::Lines;
    std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace polytag::openmic
