#pragma once
// RelevanceNet<T>: the trainable network of the OpenMIC relevance model, on normalised input,
// assembled from the generic parts: a runtime Network<T> (nn/network.hpp) of
//
//   clips (B, frames, features)
//   -> input_dropout     Dropout(config.input_dropout; identity in Eval or at p = 0)
//   -> trunk.<i>         per frame, for each width w in config.trunk: Dense -> trunk.<i>.act
//                        (the activation) -> trunk.<i>.dropout (config.dropout)
//   -> pool              over frames: mean | max -> (B, D), or per-task attention -> (B, 20, D)
//   -> head              MultiHead<T>(20 heads; per-task input after attention, shared otherwise)
//   -> sigmoid           relevance in [0, 1]
//
// It is a layer itself (nn/layer.hpp): forward / backward / parameters / init, templated on T
// so the whole model can be gradient-checked in double. Parameter names are the nodes' names
// and the layers' ("trunk.<i>.weight", "trunk.<i>.bias", "pool.weight" with attention only,
// "head.weight<j>", "head.bias<j>", "head.weight_out", "head.bias_out"): the model file's,
// exactly as parameter_layout.hpp computes them from the config.
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "polytag/nn/activation.hpp"
#include "polytag/nn/attention_pool.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/dropout.hpp"
#include "polytag/nn/layer.hpp"
#include "polytag/nn/multi_head.hpp"
#include "polytag/nn/network.hpp"
#include "polytag/nn/pooling.hpp"
#include "polytag/openmic/model_config.hpp"
#include "polytag/openmic/parameter_layout.hpp"

namespace polytag::openmic {

template <typename T>
class RelevanceNet {
public:
    using Scalar = T;
    using Head = MultiHead<T>;

    explicit RelevanceNet(const ModelConfig& config) : config_(config) {
        config_.validate();
        net_.input("clips", Shape{config_.frames, config_.features});
        net_.add("input_dropout", Dropout<T>(config_.input_dropout, 999));
        Index in = config_.features;
        for (std::size_t i = 0; i < config_.trunk.size(); ++i) {
            const Index out = config_.trunk[i];
            const std::string name = "trunk." + std::to_string(i);
            dense_.push_back(net_.add(name, Dense<T>(in, out, config_.activation == ActivationKind::Tanh ? Init::Glorot : Init::He)));
            add_activation(name + ".act");
            net_.add(name + ".dropout", Dropout<T>(config_.dropout, 1000 + i));
            in = out;
        }
        switch (config_.pool) {
            case PoolKind::Mean: net_.add("pool", MeanPool<T>()); break;
            case PoolKind::Max: net_.add("pool", MaxPool<T>()); break;
            case PoolKind::Attention: net_.add("pool", AttentionPool<T>(in, kClasses)); break;
        }
        std::vector<Index> hidden(config_.head.begin(), config_.head.end());
        // The Init kind is what MultiHead::init draws; init() then overwrites every head weight
        // with torch's fan-in uniform scale (see there).
        head_ = net_.add("head", Head(kClasses, in, std::move(hidden), config_.head.empty() ? Init::Glorot : Init::He));
        net_.add("sigmoid", Sigmoid<T>());
    }

    const ModelConfig& config() const { return config_; }
    /// The generic network this model is made of.
    Network<T>& network() { return net_; }
    const Network<T>& network() const { return net_; }

    Shape output_shape(const Shape& in) const {
        if (in != Shape{config_.frames, config_.features})
            throw ShapeError("polytag::openmic::RelevanceNet: expects (" + std::to_string(config_.frames) + ", " +
                             std::to_string(config_.features) + ") per clip, input is " + in.str());
        return Shape{kClasses};
    }

    /// Deterministic initialisation: every node in order from one generator (each layer's own
    /// init), then, right after its layer's init, every Dense and head weight redrawn uniform in
    /// +-1/sqrt(fan_in) (torch.nn.Linear's default scale): on OpenMIC-like data this trains
    /// clearly faster than He-normal (validation MSE 0.066 vs 0.076 after 4 epochs); biases
    /// are zero; attention starts as mean pooling. The draws are those of polytag 0.1.
    void init(Rng& rng) {
        std::size_t next_dense = 0;
        for (std::size_t i = 1; i < net_.size(); ++i) {
            const NodeId id{static_cast<int>(i)};
            net_.layer(id).init(rng);
            if (next_dense < dense_.size() && dense_[next_dense].index == id.index) {
                Dense<T>& d = net_.layer(id).template get<Dense<T>>();
                fill_fan_in_uniform(d.weight(), d.in_features(), rng);
                ++next_dense;
            } else if (id.index == head_.index) {
                Head& h = head();
                for (std::size_t j = 0; j < config_.head.size(); ++j)
                    fill_fan_in_uniform(h.weight(j), j == 0 ? config_.trunk.back() : config_.head[j - 1], rng);
                fill_fan_in_uniform(h.weight_out(), config_.head.empty() ? config_.trunk.back() : config_.head.back(), rng);
            }
        }
    }

    /// x: (B, frames, features) normalised clips -> (B, 20) relevances (the net's own buffer).
    TensorView<const T> forward(TensorView<const T> x, Mode mode) {
        polytag::detail::check_batch("openmic::RelevanceNet", x.shape(), Shape{config_.frames, config_.features});
        return net_.forward(x, mode);
    }

    /// dy: dLoss / d relevance (B, 20). Fills every parameter gradient; returns dLoss / d input
    /// (the normalised clips) unless need_dx is false (training passes false: it saves a GEMM).
    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) { return net_.backward(dy, need_dx); }

    void parameters(ParameterList<T>& out, const std::string& prefix = "") { net_.parameters(out, prefix); }
    ParameterList<T> parameters() { return net_.parameters(); }

    Head& head() { return net_.layer(head_).template get<Head>(); }

private:
    static void fill_fan_in_uniform(Tensor<T>& w, Index fan_in, Rng& rng) {
        const double a = 1.0 / std::sqrt(double(fan_in));
        for (auto& v : w) v = T(rng.uniform(-a, a));
    }
    void add_activation(const std::string& name) {
        switch (config_.activation) {
            case ActivationKind::Relu: net_.add(name, Relu<T>()); return;
            case ActivationKind::LeakyRelu: net_.add(name, LeakyRelu<T>()); return;
            case ActivationKind::Gelu: net_.add(name, Gelu<T>()); return;
            case ActivationKind::Tanh: net_.add(name, Tanh<T>()); return;
        }
    }

    ModelConfig config_;
    Network<T> net_;
    std::vector<NodeId> dense_;
    NodeId head_;
};

}  // namespace polytag::openmic
