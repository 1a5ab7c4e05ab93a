#pragma once
// LrSchedule<T>: the learning rate as a function of the number of optimizer steps already
// taken, t = opt.steps() (0 before the first step). Use: `schedule.apply(opt); opt.step();`.
//
//   constant(lr)                              lr(t) = lr
//   step(lr, every, gamma)                    lr(t) = lr * gamma^floor(t / every)
//                                             (torch StepLR stepped once per optimizer step)
//   warmup_cosine(lr, warmup, total, min_lr)  t < warmup:         lr * (t + 1) / warmup
//                                             warmup <= t < total: min_lr + (lr - min_lr) *
//                                                 (1 + cos(pi * (t - warmup) / (total - warmup))) / 2
//                                             t >= total:         min_lr
//
// The warm-up ramps linearly and reaches lr at its last step (the first step is lr / warmup,
// never 0, so no step is wasted). With warmup = 0 the cosine part equals torch's
// CosineAnnealingLR(T_max = total, eta_min = min_lr) for 0 <= t <= total; past total, torch's
// curve rises again (it is periodic), this one stays at min_lr. Trivially copyable, no
// allocation; computed in double.
#include <cmath>
#include <cstdint>
#include <string>

#include "polytag/error.hpp"

namespace polytag {

template <typename T>
class LrSchedule {
public:
    enum class Kind { Constant, Step, WarmupCosine };

    static LrSchedule constant(T lr) {
        check_lr(lr, "constant");
        return LrSchedule(Kind::Constant, lr);
    }
    static LrSchedule step(T lr, std::int64_t every, T gamma) {
        check_lr(lr, "step");
        if (every < 1) throw ValueError("polytag::LrSchedule::step: every must be >= 1, got " + std::to_string(every));
        if (!(gamma > T(0)) || !std::isfinite(gamma))
            throw ValueError("polytag::LrSchedule::step: gamma must be > 0, got " + std::to_string(gamma));
        LrSchedule s(Kind::Step, lr);
        s.every_ = every;
        s.gamma_ = gamma;
        return s;
    }
    static LrSchedule warmup_cosine(T lr, std::int64_t warmup, std::int64_t total, T min_lr = T(0)) {
        check_lr(lr, "warmup_cosine");
        if (warmup < 0 || total <= warmup)
            throw ValueError("polytag::LrSchedule::warmup_cosine: need 0 <= warmup < total, got warmup=" +
                             std::to_string(warmup) + " total=" + std::to_string(total));
        if (!(min_lr >= T(0) && min_lr <= lr))
            throw ValueError("polytag::LrSchedule::warmup_cosine: min_lr must be in [0, lr], got " +
                             std::to_string(min_lr));
        LrSchedule s(Kind::WarmupCosine, lr);
        s.warmup_ = warmup;
        s.total_ = total;
        s.min_lr_ = min_lr;
        return s;
    }

    /// Learning rate for the step that follows `t` completed steps.
    T at(std::int64_t t) const {
        if (t < 0) t = 0;
        switch (kind_) {
        case Kind::Constant: return lr_;
        case Kind::Step: return T(double(lr_) * std::pow(double(gamma_), double(t / every_)));
        case Kind::WarmupCosine:
            if (t < warmup_) return T(double(lr_) * double(t + 1) / double(warmup_));
            if (t >= total_) return min_lr_;
            {
                const double pi = 3.14159265358979323846;
                const double progress = double(t - warmup_) / double(total_ - warmup_);
                return T(double(min_lr_) + (double(lr_) - double(min_lr_)) * 0.5 * (1.0 + std::cos(pi * progress)));
            }
        }
        return lr_;
    }
    T operator()(std::int64_t t) const { return at(t); }

    /// Sets the optimizer's learning rate for its next step: opt.set_lr(at(opt.steps())).
    template <typename Optimizer>
    void apply(Optimizer& opt) const {
        opt.set_lr(at(opt.steps()));
    }

    Kind kind() const { return kind_; }
    T base_lr() const { return lr_; }

private:
    LrSchedule(Kind k, T lr) : kind_(k), lr_(lr) {}
    static void check_lr(T lr, const char* who) {
        if (!(lr >= T(0)) || !std::isfinite(lr))
            throw ValueError(std::string("polytag::LrSchedule::") + who + ": lr must be finite and >= 0, got " +
                             std::to_string(lr));
    }
    Kind kind_;
    T lr_;
    std::int64_t every_ = 1;
    T gamma_ = T(1);
    std::int64_t warmup_ = 0, total_ = 1;
    T min_lr_ = T(0);
};

}  // namespace polytag
