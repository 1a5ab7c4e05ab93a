#pragma once
// AnyOptimizer<T>: Adam, AdamW or Sgd chosen at run time (a config, a command line), with the
// interface they share: step(), set_lr(), lr(), steps(), parameters(), state(), load_state().
// A std::variant: one switch per call, no allocation; step() allocates nothing, as each
// optimizer's does.
//
//   OptimizerConfig c;  c.kind = optimizer_kind_from_string("adamw");  c.lr = 1e-3;
//   AnyOptimizer<float> opt(net.parameters(), c);
//
// OptimizerConfig holds what any of the three reads; each ignores the rest (Adam/AdamW: lr,
// beta1, beta2, eps, weight_decay; Sgd: lr, momentum, dampening, weight_decay, nesterov).
#include <string>
#include <utility>
#include <variant>

#include "polytag/optim/adam.hpp"
#include "polytag/optim/adamw.hpp"
#include "polytag/optim/sgd.hpp"

namespace polytag {

enum class OptimizerKind { Adam, AdamW, Sgd };

inline const char* to_string(OptimizerKind k) {
    switch (k) {
        case OptimizerKind::Adam: return "adam";
        case OptimizerKind::AdamW: return "adamw";
        case OptimizerKind::Sgd: return "sgd";
    }
    return "?";
}
/// "adam", "adamw" or "sgd"; anything else is a ValueError listing them.
inline OptimizerKind optimizer_kind_from_string(const std::string& s) {
    for (OptimizerKind k : {OptimizerKind::Adam, OptimizerKind::AdamW, OptimizerKind::Sgd})
        if (s == to_string(k)) return k;
    throw ValueError("polytag: unknown optimizer '" + s + "' (adam, adamw, sgd)");
}

struct OptimizerConfig {
    OptimizerKind kind = OptimizerKind::Adam;
    double lr = 1e-3;
    double weight_decay = 0;  ///< Adam: L2 in the gradient; AdamW: decoupled; Sgd: L2
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    double momentum = 0, dampening = 0;
    bool nesterov = false;
};

template <typename T>
class AnyOptimizer {
public:
    using Scalar = T;
    using Variant = std::variant<Adam<T>, AdamW<T>, Sgd<T>>;

    AnyOptimizer(ParameterList<T> params, const OptimizerConfig& c) : opt_(make(std::move(params), c)) {}
    explicit AnyOptimizer(Adam<T> o) : opt_(std::move(o)) {}
    explicit AnyOptimizer(AdamW<T> o) : opt_(std::move(o)) {}
    explicit AnyOptimizer(Sgd<T> o) : opt_(std::move(o)) {}

    OptimizerKind kind() const { return static_cast<OptimizerKind>(opt_.index()); }
    void step() {
        std::visit([](auto& o) { o.step(); }, opt_);
    }
    void set_lr(T lr) {
        std::visit([lr](auto& o) { o.set_lr(lr); }, opt_);
    }
    T lr() const { return std::visit([](const auto& o) { return o.lr(); }, opt_); }
    std::int64_t steps() const { return std::visit([](const auto& o) { return o.steps(); }, opt_); }
    const ParameterList<T>& parameters() const {
        return std::visit([](const auto& o) -> const ParameterList<T>& { return o.parameters(); }, opt_);
    }
    OptimizerState<T> state() const { return std::visit([](const auto& o) { return o.state(); }, opt_); }
    void load_state(const OptimizerState<T>& s) {
        std::visit([&](auto& o) { o.load_state(s); }, opt_);
    }
    Variant& variant() { return opt_; }
    const Variant& variant() const { return opt_; }

private:
    static Variant make(ParameterList<T> params, const OptimizerConfig& c) {
        switch (c.kind) {
            case OptimizerKind::Adam:
                return Adam<T>(std::move(params), AdamOptions<T>{T(c.lr), T(c.beta1), T(c.beta2), T(c.eps), T(c.weight_decay)});
            case OptimizerKind::AdamW:
                return AdamW<T>(std::move(params), AdamWOptions<T>{T(c.lr), T(c.beta1), T(c.beta2), T(c.eps), T(c.weight_decay)});
            case OptimizerKind::Sgd:
                return Sgd<T>(std::move(params), SgdOptions<T>{T(c.lr), T(c.momentum), T(c.dampening), T(c.weight_decay), c.nesterov});
        }
        throw ValueError("polytag::AnyOptimizer: unknown optimizer kind");
    }
    Variant opt_;
};

}  // namespace polytag
