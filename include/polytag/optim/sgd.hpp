#pragma once
// Sgd<T>: torch.optim.SGD. With d = grad + weight_decay * p:
//
//   momentum == 0 :  p -= lr * d
//   otherwise     :  buf = d on the first step, else buf = momentum buf + (1 - dampening) d
//                    p -= lr * (nesterov ? d + momentum buf : buf)
//
// Nesterov needs momentum > 0 and dampening == 0 (as torch). Momentum buffers are allocated at
// construction (none without momentum) and keyed by parameter name in state(); step() does not
// allocate. Like every optimizer here it counts its steps once per step().
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "polytag/optim/flush_denormals.hpp"
#include "polytag/optim/optimizer_state.hpp"

namespace polytag {

template <typename T>
struct SgdOptions {
    T lr = T(1e-3);
    T momentum = T(0);
    T dampening = T(0);
    T weight_decay = T(0);
    bool nesterov = false;
};

template <typename T>
class Sgd {
public:
    using Scalar = T;

    explicit Sgd(ParameterList<T> params, const SgdOptions<T>& o = {})
        : params_(std::move(params)), lr_(o.lr), momentum_(o.momentum), dampening_(o.dampening),
          weight_decay_(o.weight_decay), nesterov_(o.nesterov) {
        detail::check_parameters("Sgd", params_);
        constexpr T big = std::numeric_limits<T>::max();
        detail::check_hyper("Sgd", "lr", lr_, T(0), big);
        detail::check_hyper("Sgd", "momentum", momentum_, T(0), big);
        detail::check_hyper("Sgd", "dampening", dampening_, -big, big);
        detail::check_hyper("Sgd", "weight_decay", weight_decay_, T(0), big);
        if (nesterov_ && (momentum_ <= T(0) || dampening_ != T(0)))
            throw ValueError("polytag::Sgd: Nesterov momentum requires momentum > 0 and dampening == 0");
        if (momentum_ != T(0))
            for (const auto& p : params_) buf_.emplace_back(p.value.shape(), T(0));
    }
    Sgd(ParameterList<T> params, T lr, T momentum = T(0), bool nesterov = false)
        : Sgd(std::move(params), SgdOptions<T>{lr, momentum, T(0), T(0), nesterov}) {}

    /// One update from the current gradients; a subnormal momentum is flushed to zero
    /// (flush_denormals.hpp).
    void step() {
        const FlushDenormals flush;
        const bool first = step_ == 0;
        ++step_;
        const T lr = lr_, mu = momentum_, keep = T(1) - dampening_, wd = weight_decay_;
        for (std::size_t i = 0; i < params_.size(); ++i) {
            auto p = params_[i].value.array();
            auto g = params_[i].grad.array();
            if (momentum_ == T(0)) {
                if (wd != T(0)) p -= lr * (g + wd * p);
                else p -= lr * g;
                continue;
            }
            auto b = buf_[i].array();
            if (first) {
                if (wd != T(0)) b = g + wd * p;
                else b = g;
            } else if (wd != T(0)) {
                b = mu * b + keep * (g + wd * p);
            } else {
                b = mu * b + keep * g;
            }
            if (!nesterov_) p -= lr * b;
            else if (wd != T(0)) p -= lr * ((g + wd * p) + mu * b);
            else p -= lr * (g + mu * b);
        }
    }

    void set_lr(T lr) {
        detail::check_hyper("Sgd", "lr", lr, T(0), std::numeric_limits<T>::max());
        lr_ = lr;
    }
    T lr() const { return lr_; }
    std::int64_t steps() const { return step_; }
    const ParameterList<T>& parameters() const { return params_; }
    /// Momentum buffer of parameter `i` (only with momentum).
    const Tensor<T>& momentum_buffer(std::size_t i) const { return buf_.at(i); }

    /// "sgd.momentum.<param>" per parameter (only with momentum), "sgd.step", "sgd.lr".
    OptimizerState<T> state() const {
        OptimizerState<T> s;
        for (std::size_t i = 0; i < buf_.size(); ++i) s.emplace_back("sgd.momentum." + params_[i].name, buf_[i]);
        s.emplace_back("sgd.step", detail::state_scalar(T(step_)));
        s.emplace_back("sgd.lr", detail::state_scalar(lr_));
        return s;
    }

    /// Restores a state(); throws naming the missing, extra or mis-shaped entry, changing nothing.
    void load_state(const OptimizerState<T>& s) {
        detail::StateLookup<T> look("Sgd", s);
        std::vector<const Tensor<T>*> bufs;
        for (std::size_t i = 0; i < buf_.size(); ++i)
            bufs.push_back(&look.tensor("sgd.momentum." + params_[i].name, params_[i].value.shape(), params_[i].name));
        const std::int64_t step = look.step_count("sgd.step");
        const T lr = look.scalar("sgd.lr");
        detail::check_hyper("Sgd", "lr", lr, T(0), std::numeric_limits<T>::max());
        look.check_all_used();
        for (std::size_t i = 0; i < buf_.size(); ++i) buf_[i].array() = bufs[i]->array();
        step_ = step;
        lr_ = lr;
    }

private:
    ParameterList<T> params_;
    T lr_, momentum_, dampening_, weight_decay_;
    bool nesterov_;
    std::vector<Tensor<T>> buf_;
    std::int64_t step_ = 0;
};

}  // namespace polytag
