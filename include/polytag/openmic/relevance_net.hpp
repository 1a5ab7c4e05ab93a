#pragma once
// RelevanceNet<T>: the trainable network of the OpenMIC relevance model, on normalised input.
//
//   x (B, frames, features)
//   -> input Dropout (config.input_dropout; identity in Eval)
//   -> trunk: per frame, for each width w in config.trunk: Dense -> activation -> Dropout
//   -> pooling over frames: mean | max -> (B, D), or per-task attention -> (B, 20, D)
//   -> MultiHead<T, 20> (per-task input after attention, shared input otherwise) -> (B, 20)
//   -> Sigmoid: relevance in [0, 1]
//
// The architecture is a runtime choice (ModelConfig), so the trunk is a vector of blocks and
// the pooling and activation are std::variants: one std::visit per layer call, no virtual
// call per element. It is a layer itself (nn/layer.hpp): forward / backward / parameters /
// init, templated on T so the whole model can be gradient-checked in double.
// Parameter names (model files use them): "trunk.<i>.weight", "trunk.<i>.bias",
// "pool.weight" (attention only), "head.<MultiHead name>".
#include <cmath>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "polytag/openmic/model_config.hpp"
#include "polytag/openmic/parameter_layout.hpp"
#include "polytag/nn/activation.hpp"
#include "polytag/nn/attention_pool.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/dropout.hpp"
#include "polytag/nn/layer.hpp"
#include "polytag/nn/multi_head.hpp"
#include "polytag/nn/pooling.hpp"

namespace polytag::openmic {

template <typename T>
class RelevanceNet {
public:
    using Scalar = T;
    using Activation = std::variant<Relu<T>, LeakyRelu<T>, Gelu<T>, Tanh<T>>;
    using Pool = std::variant<MeanPool<T>, MaxPool<T>, AttentionPool<T>>;
    using Head = MultiHead<T, kClasses>;

    /// One per-frame layer of the trunk.
    struct Block {
        Dense<T> dense;
        Activation activation;
        Dropout<T> dropout;
    };

    explicit RelevanceNet(const ModelConfig& config)
        : config_(config), input_dropout_(config.input_dropout, 999), head_(make_head(config)) {
        config_.validate();
        Index in = config_.features;
        for (std::size_t i = 0; i < config_.trunk.size(); ++i) {
            const Index out = config_.trunk[i];
            blocks_.push_back(Block{Dense<T>(in, out, config_.activation == ActivationKind::Tanh ? Init::Glorot : Init::He),
                                    make_activation(config_.activation), Dropout<T>(config_.dropout, 1000 + i)});
            in = out;
        }
        switch (config_.pool) {
            case PoolKind::Mean: pool_.template emplace<MeanPool<T>>(); break;
            case PoolKind::Max: pool_.template emplace<MaxPool<T>>(); break;
            case PoolKind::Attention: pool_.template emplace<AttentionPool<T>>(in, kClasses); break;
        }
    }

    const ModelConfig& config() const { return config_; }

    Shape output_shape(const Shape& in) const {
        if (in != Shape{config_.frames, config_.features})
            throw ShapeError("polytag::openmic::RelevanceNet: expects (" + std::to_string(config_.frames) + ", " +
                             std::to_string(config_.features) + ") per clip, input is " + in.str());
        return Shape{kClasses};
    }

    /// Deterministic initialisation: trunk, pooling, head, in that order, from one generator.
    /// Weights are uniform in +-1/sqrt(fan_in) (torch.nn.Linear's default scale): on
    /// OpenMIC-like data this trains clearly faster than He-normal (validation MSE 0.066 vs
    /// 0.076 after 4 epochs); biases are zero; attention starts as mean pooling.
    void init(Rng& rng) {
        input_dropout_.init(rng);
        for (auto& b : blocks_) {
            b.dense.init(rng);
            fill_fan_in_uniform(b.dense.weight(), b.dense.in_features(), rng);
            std::visit([&](auto& a) { a.init(rng); }, b.activation);
            b.dropout.init(rng);
        }
        std::visit([&](auto& p) { p.init(rng); }, pool_);
        head_.init(rng);
        for (std::size_t i = 0; i < config_.head.size(); ++i)
            fill_fan_in_uniform(head_.weight(i), i == 0 ? config_.trunk.back() : config_.head[i - 1], rng);
        fill_fan_in_uniform(head_.weight_out(), config_.head.empty() ? config_.trunk.back() : config_.head.back(), rng);
        sigmoid_.init(rng);
    }

    /// x: (B, frames, features) normalised clips -> (B, 20) relevances (the net's own buffer).
    TensorView<const T> forward(TensorView<const T> x, Mode mode) {
        polytag::detail::check_batch("openmic::RelevanceNet", x.shape(), Shape{config_.frames, config_.features});
        x = input_dropout_.forward(x, mode);  // p = 0 or Eval: x itself, no copy
        for (auto& b : blocks_) {
            x = b.dense.forward(x, mode);
            x = std::visit([&](auto& a) { return a.forward(x, mode); }, b.activation);
            x = b.dropout.forward(x, mode);
        }
        x = std::visit([&](auto& p) { return p.forward(x, mode); }, pool_);
        x = head_.forward(x, mode);
        return sigmoid_.forward(x, mode);
    }

    /// dy: dLoss / d relevance (B, 20). Fills every parameter gradient; returns dLoss / d input
    /// (the normalised clips) unless need_dx is false (training passes false: it saves a GEMM).
    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        dy = sigmoid_.backward(dy, true);
        dy = head_.backward(dy, true);
        dy = std::visit([&](auto& p) { return p.backward(dy, true); }, pool_);
        for (std::size_t i = blocks_.size(); i-- > 0;) {
            Block& b = blocks_[i];
            dy = b.dropout.backward(dy, true);
            dy = std::visit([&](auto& a) { return a.backward(dy, true); }, b.activation);
            dy = b.dense.backward(dy, i > 0 || need_dx);
        }
        if (!need_dx) return {};
        return input_dropout_.backward(dy, true);
    }

    void parameters(ParameterList<T>& out, const std::string& prefix = "") {
        for (std::size_t i = 0; i < blocks_.size(); ++i)
            blocks_[i].dense.parameters(out, prefix + "trunk." + std::to_string(i) + ".");
        std::visit([&](auto& p) { p.parameters(out, prefix + "pool."); }, pool_);
        head_.parameters(out, prefix + "head.");
    }
    ParameterList<T> parameters() {
        ParameterList<T> out;
        parameters(out, "");
        return out;
    }

    const std::vector<Block>& blocks() const { return blocks_; }
    const Pool& pool() const { return pool_; }
    const Head& head() const { return head_; }

private:
    static void fill_fan_in_uniform(Tensor<T>& w, Index fan_in, Rng& rng) {
        const double a = 1.0 / std::sqrt(double(fan_in));
        for (auto& v : w) v = T(rng.uniform(-a, a));
    }
    static Activation make_activation(ActivationKind kind) {
        switch (kind) {
            case ActivationKind::Relu: return Relu<T>();
            case ActivationKind::LeakyRelu: return LeakyRelu<T>();
            case ActivationKind::Gelu: return Gelu<T>();
            case ActivationKind::Tanh: return Tanh<T>();
        }
        return Relu<T>();
    }
    static Head make_head(const ModelConfig& c) {
        c.validate();
        std::vector<Index> hidden(c.head.begin(), c.head.end());
        // The Init kind is what MultiHead::init would draw; init() below overwrites every
        // weight with torch's fan-in uniform scale (see there).
        return Head(c.trunk.back(), std::move(hidden), c.head.empty() ? Init::Glorot : Init::He);
    }

    ModelConfig config_;
    Dropout<T> input_dropout_;
    std::vector<Block> blocks_;
    Pool pool_;
    Head head_;
    Sigmoid<T> sigmoid_;
};

}  // namespace polytag::openmic
