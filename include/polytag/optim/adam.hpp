#pragma once
// Adam<T>: torch.optim.Adam (amsgrad off), update for step t = 1, 2, ...:
//
//   g   = grad + weight_decay * p                 (L2 folded into the gradient, as torch)
//   m   = beta1 m + (1 - beta1) g
//   v   = beta2 v + (1 - beta2) g^2
//   p  -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//
// eps is added after the square root of the bias-corrected v, exactly as torch does (the
// division by sqrt(1 - beta2^t) is a multiplication by its inverse: equal up to rounding).
// t is ONE counter for the whole optimizer, advanced once per step() (not once per parameter
// block, the MiniDNN / tiny-dnn bug that wears the bias correction off K times too fast).
// State (m, v per parameter) is allocated at construction and keyed by parameter name for
// save/restore; step() allocates nothing. The parameter list holds views into the layers:
// the network must not move or be resized after the optimizer was built.
// Unlike torch, step() flushes subnormal moments to zero (flush_denormals.hpp).
// AdamW (decoupled decay) is in adamw.hpp and shares this implementation; the element update,
// with its run-time AVX kernel for builds without -march, is in adam_update.hpp.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "polytag/optim/adam_update.hpp"
#include "polytag/optim/flush_denormals.hpp"
#include "polytag/optim/optimizer_state.hpp"

namespace polytag {

template <typename T>
struct AdamOptions {
    T lr = T(1e-3);
    T beta1 = T(0.9);
    T beta2 = T(0.999);
    T eps = T(1e-8);
    T weight_decay = T(0);  ///< L2 penalty added to the gradient (torch.optim.Adam semantics)
};

namespace detail {

/// Adam and AdamW differ only in where the weight decay enters; `Decoupled` picks AdamW's.
template <typename T, bool Decoupled>
class AdamImpl {
public:
    using Scalar = T;

    template <typename Options>
    AdamImpl(ParameterList<T> params, const Options& o)
        : params_(std::move(params)), lr_(o.lr), beta1_(o.beta1), beta2_(o.beta2), eps_(o.eps),
          weight_decay_(o.weight_decay) {
        check_parameters(name(), params_);
        check_hyper(name(), "lr", lr_, T(0), std::numeric_limits<T>::max());
        check_hyper(name(), "beta1", beta1_, T(0), T(1), true);
        check_hyper(name(), "beta2", beta2_, T(0), T(1), true);
        check_hyper(name(), "eps", eps_, T(0), std::numeric_limits<T>::max());
        check_hyper(name(), "weight_decay", weight_decay_, T(0), std::numeric_limits<T>::max());
        m_.reserve(params_.size());
        v_.reserve(params_.size());
        for (const auto& p : params_) {
            m_.emplace_back(p.value.shape(), T(0));
            v_.emplace_back(p.value.shape(), T(0));
        }
    }

    /// One update of every parameter from its current gradient. Subnormal moments are flushed to
    /// zero (flush_denormals.hpp says why and what it changes).
    void step() {
        const FlushDenormals flush;
        ++step_;
        const AdamConstants<T> k = adam_constants(lr_, beta1_, beta2_, eps_, weight_decay_, step_);
        for (std::size_t i = 0; i < params_.size(); ++i) {
            T* p = params_[i].value.data();
            const T* g = params_[i].grad.data();
            T* m = m_[i].data();
            T* v = v_[i].data();
            const Index n = params_[i].value.size();
            adam_update<T, Decoupled>(k, p, g, m, v, n);
        }
    }

    void set_lr(T lr) {
        check_hyper(name(), "lr", lr, T(0), std::numeric_limits<T>::max());
        lr_ = lr;
    }
    T lr() const { return lr_; }
    /// Number of step() calls so far (restored by load_state).
    std::int64_t steps() const { return step_; }
    const ParameterList<T>& parameters() const { return params_; }

    /// First and second moments of parameter `i` (in parameter-list order).
    const Tensor<T>& first_moment(std::size_t i) const { return m_.at(i); }
    const Tensor<T>& second_moment(std::size_t i) const { return v_.at(i); }

    /// "<kind>.m.<param>", "<kind>.v.<param>" per parameter, then "<kind>.step" and "<kind>.lr",
    /// with <kind> "adam" or "adamw".
    OptimizerState<T> state() const {
        OptimizerState<T> s;
        for (std::size_t i = 0; i < params_.size(); ++i) {
            s.emplace_back(key("m", params_[i].name), m_[i]);
            s.emplace_back(key("v", params_[i].name), v_[i]);
        }
        s.emplace_back(key("step"), state_scalar(T(step_)));
        s.emplace_back(key("lr"), state_scalar(lr_));
        return s;
    }

    /// Restores a state() of an optimizer over parameters with the same names and shapes.
    /// Throws (naming the entry) on a missing, extra or mis-shaped entry; then nothing changes.
    void load_state(const OptimizerState<T>& s) {
        StateLookup<T> look(name(), s);
        std::vector<const Tensor<T>*> ms, vs;
        for (const auto& p : params_) {
            ms.push_back(&look.tensor(key("m", p.name), p.value.shape(), p.name));
            vs.push_back(&look.tensor(key("v", p.name), p.value.shape(), p.name));
        }
        const std::int64_t step = look.step_count(key("step"));
        const T lr = look.scalar(key("lr"));
        check_hyper(name(), "lr", lr, T(0), std::numeric_limits<T>::max());
        look.check_all_used();
        for (std::size_t i = 0; i < params_.size(); ++i) {
            m_[i].array() = ms[i]->array();
            v_[i].array() = vs[i]->array();
        }
        step_ = step;
        lr_ = lr;
    }

private:
    static const char* name() { return Decoupled ? "AdamW" : "Adam"; }
    static std::string key(const char* what, const std::string& param) {
        return std::string(Decoupled ? "adamw." : "adam.") + what + "." + param;
    }
    static std::string key(const char* what) { return std::string(Decoupled ? "adamw." : "adam.") + what; }

    ParameterList<T> params_;
    T lr_, beta1_, beta2_, eps_, weight_decay_;
    std::vector<Tensor<T>> m_, v_;
    std::int64_t step_ = 0;
};

}  // namespace detail

template <typename T>
class Adam : public detail::AdamImpl<T, false> {
public:
    explicit Adam(ParameterList<T> params, const AdamOptions<T>& options = {})
        : detail::AdamImpl<T, false>(std::move(params), options) {}
    Adam(ParameterList<T> params, T lr) : Adam(std::move(params), AdamOptions<T>{lr}) {}
};

}  // namespace polytag
