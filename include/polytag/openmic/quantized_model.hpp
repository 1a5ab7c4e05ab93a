#pragma once
// QuantizedRelevanceModel: the 8-bit serving path of a trained RelevanceModel.
//
//   auto m = polytag::openmic::RelevanceModel::load("model.npz");
//   polytag::openmic::QuantizedRelevanceModel q(m);
//   polytag::Tensor<float> r = q.predict(clips);      // (N, 10, 128) uint8 -> (N, 20), as m.predict
//
// The clips are uint8 VGGish bytes already, so the first product needs no float input: the
// normaliser ((x - mean) / std per feature), trunk.0 (Dense) and its ReLU become one
// QuantizedDense (nn/quantized_dense.hpp): u8 x s8 -> s32 products (AVX-512 VNNI through
// libxsmm or our kernel, AVX2 or scalar) with per-output-channel weight scales and the
// normaliser folded into the scales and the bias. Every later layer (the rest of the trunk, the pooling, the heads, the sigmoid) runs
// in float on copies of the trained layers. The only difference from the float model is the
// rounding of trunk.0's weights to 8 bits (at most half a scale step each); docs/speed.md gives
// the measured change in test-split AP and F1 and the speed-up.
//
// An ensemble gets one quantised member per member, relevances averaged as RelevanceModel
// does. Needs a ReLU trunk (the default); other activations are refused (ValueError). Models
// with further inputs beside X are refused too. predict() is not const: it uses the object's
// own buffers (no allocation once warm); give each serving thread its own copy.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "polytag/nn/quantized_dense.hpp"
#include "polytag/openmic/relevance_model.hpp"

namespace polytag::openmic {

class QuantizedRelevanceModel {
public:
    explicit QuantizedRelevanceModel(const RelevanceModel& model, U8S8Kernel kernel = U8S8Kernel::Auto)
        : frames_(model.frames()), features_(model.features()), chunk_(model.predict_chunk()), kernel_(kernel) {
        for (Index m = 0; m < model.members(); ++m) members_.push_back(quantise(model, m));
    }

    Index frames() const { return frames_; }
    Index features() const { return features_; }
    Index members() const { return Index(members_.size()); }
    /// trunk.0 of member `m` as quantised (scales, folded bias, packed weights).
    const QuantizedDense& first_layer(Index m = 0) const { return members_.at(std::size_t(m)).first; }

    /// (N, frames, features) uint8 clips -> (N, 20) relevances.
    Tensor<float> predict(TensorView<const std::uint8_t> clips) {
        Tensor<float> out(Shape{clips.rank() > 0 ? clips.dim(0) : 0, kClasses});
        predict(clips, out);
        return out;
    }

    /// The same into `out` (N, 20), allocating nothing once warm.
    void predict(TensorView<const std::uint8_t> clips, TensorView<float> out) {
        if (clips.rank() != 3 || clips.dim(1) != frames_ || clips.dim(2) != features_)
            throw ShapeError("polytag::openmic::QuantizedRelevanceModel::predict: clips " + clips.shape().str() +
                             " are not (N, " + std::to_string(frames_) + ", " + std::to_string(features_) + ")");
        const Index n = clips.dim(0);
        if (out.shape() != Shape{n, kClasses})
            throw ShapeError("polytag::openmic::QuantizedRelevanceModel::predict: output " + out.shape().str() +
                             " for " + std::to_string(n) + " clips is not (" + std::to_string(n) + ", " +
                             std::to_string(kClasses) + ")");
        const float scale = 1.0f / float(members_.size());
        for (Index begin = 0; begin < n; begin += chunk_) {
            const Index count = std::min(chunk_, n - begin);
            const TensorView<const std::uint8_t> part(clips.data() + begin * frames_ * features_,
                                                      Shape{count, frames_, features_});
            float* dst = out.data() + begin * kClasses;
            for (std::size_t m = 0; m < members_.size(); ++m) {
                TensorView<const float> h = members_[m].first.forward(part, kernel_);
                TensorView<const float> y = members_[m].rest.forward(h, Mode::Eval);
                if (m == 0) std::copy(y.begin(), y.end(), dst);
                else
                    for (Index j = 0; j < y.size(); ++j) dst[j] += y[j];
            }
            if (members_.size() > 1)
                for (Index j = 0; j < count * kClasses; ++j) dst[j] *= scale;
        }
    }

private:
    struct Member {
        QuantizedDense first;  // normaliser + trunk.0 + ReLU
        Network<float> rest;   // every node after trunk.0's activation and dropout
    };

    static Member quantise(const RelevanceModel& model, Index m) {
        const std::string who = "polytag::openmic::QuantizedRelevanceModel: member " + std::to_string(m) + ": ";
        const ModelConfig& c = model.config(m);
        if (c.activation != ActivationKind::Relu)
            throw ValueError(who + "the 8-bit path needs a ReLU trunk (the config's activation is another)");
        const Network<float>& net = model.net(m).network();
        if (net.inputs() != 1)
            throw ValueError(who + "the 8-bit path takes models on X alone (this one has " +
                             std::to_string(net.inputs()) + " inputs)");
        const Normalizer& norm = model.normalizer(m);
        std::vector<float> in_scale(std::size_t(c.features)), in_shift(std::size_t(c.features));
        for (std::size_t j = 0; j < in_scale.size(); ++j) {
            in_scale[j] = 1.0f / norm.std[j];
            in_shift[j] = -norm.mean[j] / norm.std[j];
        }
        Member out;
        const Dense<float>& d0 = net.layer(net.node("trunk.0")).get<Dense<float>>();
        out.first = QuantizedDense::from_dense(d0, in_scale.data(), in_shift.data(), /*relu=*/true);

        // The rest, copied node by node; the network is a chain, which the spec confirms.
        const NetworkSpec spec = net.spec();
        const int start = net.node("trunk.0.dropout").index;
        out.rest.input("hidden", Shape{c.frames, c.trunk.at(0)});
        for (std::size_t i = std::size_t(start) + 1; i < net.size(); ++i) {
            const NodeId id{int(i)};
            const std::string& name = net.name(id);
            const NetworkSpec::Node* sn = nullptr;
            for (const auto& s : spec.nodes)
                if (s.name == name) sn = &s;
            const std::string expected = i == std::size_t(start) + 1 ? "trunk.0.dropout" : net.name(NodeId{int(i) - 1});
            if (!sn || sn->inputs != std::vector<std::string>{expected})
                throw ValueError(who + "node '" + name + "' is not a chain link after '" + expected + "'");
            out.rest.add(name, AnyLayer<float>(net.layer(id)));
        }
        return out;
    }

    Index frames_, features_, chunk_;
    U8S8Kernel kernel_;
    std::vector<Member> members_;
};

}  // namespace polytag::openmic
