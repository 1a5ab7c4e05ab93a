#pragma once
// The parameters a ModelConfig implies, by name and shape, computed from the config alone
// (nothing is allocated): the model file reader compares the stored arrays against this list
// before it builds a network, so a hostile config (trunk [32768, 32768] in a 185 KB file) is
// refused for the shapes it does not hold, not after allocating gigabytes.
// RelevanceNet::parameters() reports exactly these names and shapes in this order (tested).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "polytag/openmic/instruments.hpp"
#include "polytag/openmic/model_config.hpp"
#include "polytag/tensor/shape.hpp"

namespace polytag::openmic {

/// Instruments scored by the model (the OpenMIC-2018 label columns).
constexpr Index kClasses = 20;

struct ParameterShape {
    std::string name;
    Shape shape;
    std::uint64_t elements() const {
        std::uint64_t n = 1;
        for (Index a = 0; a < shape.rank(); ++a) n *= std::uint64_t(shape[a]);
        return n;
    }
};

/// Every parameter of the network `c` describes, in RelevanceNet::parameters() order:
/// trunk.<i>.weight (trunk[i], in_i), trunk.<i>.bias (trunk[i]), pool.weight (20, D) with
/// attention, head.weight<j> (20, head[j], in_j), head.bias<j> (20, head[j]),
/// head.weight_out (20, last), head.bias_out (20); with a second input (config.input2): the
/// first trunk weight takes features + input2_features (frame fusion), or input2.trunk.<i>.*,
/// input2.pool.weight with attention, and heads over both pooled widths (late fusion).
/// `c` must be valid.
inline std::vector<ParameterShape> parameter_shapes(const ModelConfig& c) {
    std::vector<ParameterShape> out;
    auto trunk = [&out](const std::string& prefix, const std::vector<int>& widths, Index in) {
        for (std::size_t i = 0; i < widths.size(); ++i) {
            const std::string p = prefix + std::to_string(i) + ".";
            out.push_back({p + "weight", Shape{widths[i], in}});
            out.push_back({p + "bias", Shape{widths[i]}});
            in = widths[i];
        }
        return in;
    };
    const bool late = c.has_input2() && c.fusion == FusionKind::Late;
    Index in = trunk("trunk.", c.trunk,
                     c.has_input2() && c.fusion == FusionKind::Frame ? Index(c.features) + c.input2_features : Index(c.features));
    if (c.pool == PoolKind::Attention) out.push_back({"pool.weight", Shape{kClasses, in}});
    if (late) {
        const Index in2 = trunk("input2.trunk.", c.input2_trunk, c.input2_features);
        if (c.pool == PoolKind::Attention) out.push_back({"input2.pool.weight", Shape{kClasses, in2}});
        in += in2;
    }
    for (std::size_t j = 0; j < c.head.size(); ++j) {
        out.push_back({"head.weight" + std::to_string(j), Shape{kClasses, c.head[j], in}});
        out.push_back({"head.bias" + std::to_string(j), Shape{kClasses, c.head[j]}});
        in = c.head[j];
    }
    out.push_back({"head.weight_out", Shape{kClasses, in}});
    out.push_back({"head.bias_out", Shape{kClasses}});
    return out;
}

/// Total parameter count of `c` (64-bit: a hostile config cannot overflow it).
inline std::uint64_t parameter_count(const ModelConfig& c) {
    std::uint64_t n = 0;
    for (const auto& p : parameter_shapes(c)) n += p.elements();
    return n;
}

}  // namespace polytag::openmic
