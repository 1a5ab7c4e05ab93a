#pragma once
// OptimizerState<T>: an optimizer's state as named tensors, e.g. "adam.m.0.weight",
// "adam.v.0.weight", "adam.step", "adam.lr", ready to be written to an .npz by the caller.
// Keys embed the parameter NAME (never an address), so a state saved from one process
// restores into a freshly built network with the same parameter names.
// Scalars ("step", "lr") are (1,) tensors; step counts are stored in T, which for float is
// exact up to 2^24 = 16.7M steps.
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/nn/layer.hpp"

namespace polytag {

template <typename T>
using OptimizerState = std::vector<std::pair<std::string, Tensor<T>>>;

namespace detail {

/// Checks a parameter list before an optimizer takes it: unique names, grad shaped as value.
template <typename T>
void check_parameters(const char* who, const ParameterList<T>& params) {
    std::set<std::string> seen;
    for (const auto& p : params) {
        if (!seen.insert(p.name).second)
            throw ValueError(std::string("polytag::") + who + ": parameter name '" + p.name + "' appears twice");
        if (p.value.shape() != p.grad.shape())
            throw ShapeError(std::string("polytag::") + who + ": parameter '" + p.name + "' has value " +
                             p.value.shape().str() + " but gradient " + p.grad.shape().str());
        if (p.value.size() > 0 && (p.value.data() == nullptr || p.grad.data() == nullptr))
            throw ValueError(std::string("polytag::") + who + ": parameter '" + p.name + "' has no storage");
    }
}

template <typename T>
void check_hyper(const char* who, const char* what, T v, T lo, T hi, bool hi_open = false) {
    if (!(v >= lo && (hi_open ? v < hi : v <= hi)))
        throw ValueError(std::string("polytag::") + who + ": " + what + " = " + std::to_string(v) + " is out of range [" +
                         std::to_string(lo) + ", " + std::to_string(hi) + (hi_open ? ")" : "]"));
}

template <typename T>
Tensor<T> state_scalar(T v) {
    return Tensor<T>(Shape{1}, v);
}

/// Looks entries of a saved state up by key; every lookup is checked before anything is
/// copied, so a failed load_state leaves the optimizer untouched.
template <typename T>
class StateLookup {
public:
    StateLookup(const char* who, const OptimizerState<T>& state) : who_(who), state_(state) {
        std::set<std::string> seen;
        for (const auto& e : state_)
            if (!seen.insert(e.first).second)
                throw ValueError(prefix() + "state entry '" + e.first + "' appears twice");
    }

    /// The tensor stored under `key`; ValueError when absent, ShapeError when not shaped `shape`.
    const Tensor<T>& tensor(const std::string& key, const Shape& shape, const std::string& param) {
        const Tensor<T>& t = find(key, param);
        if (t.shape() != shape)
            throw ShapeError(prefix() + "state '" + key + "' is " + t.shape().str() + " but parameter '" + param +
                             "' is " + shape.str());
        return t;
    }
    T scalar(const std::string& key) {
        const Tensor<T>& t = find(key, "");
        if (t.size() != 1) throw ShapeError(prefix() + "state '" + key + "' must hold one value, is " + t.shape().str());
        return t[0];
    }
    std::int64_t step_count(const std::string& key) {
        const T v = scalar(key);
        if (!(v >= T(0)) || std::floor(v) != v)
            throw ValueError(prefix() + "state '" + key + "' = " + std::to_string(v) + " is not a step count");
        return static_cast<std::int64_t>(v);
    }
    /// Throws when the state holds entries nobody asked for (another optimizer's or network's).
    void check_all_used() const {
        for (const auto& e : state_)
            if (!used_.count(e.first))
                throw ValueError(prefix() + "unexpected state entry '" + e.first +
                                 "' (no such parameter or a different optimizer)");
    }

private:
    std::string prefix() const { return std::string("polytag::") + who_ + "::load_state: "; }
    const Tensor<T>& find(const std::string& key, const std::string& param) {
        for (const auto& e : state_)
            if (e.first == key) {
                used_.insert(key);
                return e.second;
            }
        throw ValueError(prefix() + "missing state '" + key + "'" +
                         (param.empty() ? std::string() : " for parameter '" + param + "'"));
    }
    const char* who_;
    const OptimizerState<T>& state_;
    std::set<std::string> used_;
};

}  // namespace detail
}  // namespace polytag
