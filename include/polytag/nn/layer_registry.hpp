#pragma once
// LayerRegistry<T>: the layer kinds a network can be built from by name ("dense" ->
// Dense<T>), and build_network(): a Network from a NetworkSpec (nn/network.hpp). The
// registry is a value the caller passes in, never process-global: builtin() knows the layers
// of nn/layer_kinds.hpp, add<L>() teaches it a layer of the user's (L needs a LayerKind).
//
//   auto registry = LayerRegistry<float>::builtin();
//   registry.add<MyLayer<float>>();
//   Network<float> net = build_network(spec, registry);
//
// parameter_shapes(spec, registry) lists every parameter's full name and shape without
// building anything: a loader compares them with a file before allocating (io/network_file.hpp).
// Errors are ValueError / ShapeError naming the node: "node 'trunk' (dense): 'out': missing".
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "polytag/nn/any_layer.hpp"
#include "polytag/nn/layer_kinds.hpp"
#include "polytag/nn/network.hpp"

namespace polytag {

template <typename T>
class LayerRegistry {
public:
    struct Entry {
        std::function<AnyLayer<T>(const LayerSpec&)> build;
        std::function<std::vector<NamedShape>(const LayerSpec&)> parameter_shapes;
    };

    /// The built-in layers (nn/layer_kinds.hpp).
    static LayerRegistry builtin() {
        LayerRegistry r;
        r.add<Dense<T>>();
        r.add<Relu<T>>();
        r.add<LeakyRelu<T>>();
        r.add<Gelu<T>>();
        r.add<Sigmoid<T>>();
        r.add<Tanh<T>>();
        r.add<Dropout<T>>();
        r.add<LayerNorm<T>>();
        r.add<MeanPool<T>>();
        r.add<MaxPool<T>>();
        r.add<AttentionPool<T>>();
        r.add<MultiHead<T>>();
        r.add<Concat<T>>();
        r.add<Add<T>>();
        r.add<Conv2d<T>>();
        r.add<MaxPool2d<T>>();
        r.add<Flatten<T>>();
        return r;
    }

    /// Registers L under LayerKind<L>::name (replacing a kind of that name).
    template <typename L>
    void add() {
        static_assert(has_layer_kind_v<L>, "LayerRegistry::add<L>: specialise LayerKind<L> first (nn/layer_spec.hpp)");
        entries_[LayerKind<L>::name] = Entry{[](const LayerSpec& s) { return AnyLayer<T>(LayerKind<L>::build(s)); },
                                             [](const LayerSpec& s) { return LayerKind<L>::parameter_shapes(s); }};
    }
    /// Registers a kind by functions (a layer whose spec needs more than LayerKind offers).
    void add(const std::string& kind, Entry entry) { entries_[kind] = std::move(entry); }

    bool contains(const std::string& kind) const { return entries_.count(kind) != 0; }
    AnyLayer<T> build(const LayerSpec& spec) const { return entry(spec.kind()).build(spec); }
    std::vector<NamedShape> parameter_shapes(const LayerSpec& spec) const { return entry(spec.kind()).parameter_shapes(spec); }

private:
    const Entry& entry(const std::string& kind) const {
        auto it = entries_.find(kind);
        if (it != entries_.end()) return it->second;
        std::string known;
        for (const auto& e : entries_) known += (known.empty() ? "" : ", ") + e.first;
        throw ValueError("unknown layer kind '" + kind + "' (known: " + known + ")");
    }
    std::map<std::string, Entry> entries_;
};

namespace detail {
inline std::string node_context(const NetworkSpec::Node& n) {
    return "node '" + n.name + "' (" + n.layer.kind() + "): ";
}
}  // namespace detail

/// Every parameter of the network `spec` describes, "<node>.<name>" and shape, in the order
/// Network::parameters() lists them. Builds nothing; validates the layer attributes.
template <typename T>
std::vector<NamedShape> parameter_shapes(const NetworkSpec& spec, const LayerRegistry<T>& registry) {
    std::vector<NamedShape> out;
    for (const auto& n : spec.nodes) {
        std::vector<NamedShape> shapes;
        try {
            shapes = registry.parameter_shapes(n.layer);
        } catch (const Error& e) {
            throw ValueError(detail::node_context(n) + e.what());
        }
        for (auto& s : shapes) out.push_back({n.name + "." + s.name, s.shape});
    }
    return out;
}

/// The Network `spec` describes, freshly constructed (call init or load weights next).
template <typename T>
Network<T> build_network(const NetworkSpec& spec, const LayerRegistry<T>& registry) {
    Network<T> net;
    std::map<std::string, NodeId> ids;
    for (const auto& in : spec.inputs) ids[in.name] = net.input(in.name, in.shape);
    for (const auto& n : spec.nodes) {
        std::vector<NodeId> from;
        for (const auto& name : n.inputs) {
            auto it = ids.find(name);
            if (it == ids.end())
                throw ValueError(detail::node_context(n) + "reads '" + name + "', which is not an earlier node or input");
            from.push_back(it->second);
        }
        AnyLayer<T> layer;
        try {
            layer = registry.build(n.layer);
        } catch (const Error& e) {
            throw ValueError(detail::node_context(n) + e.what());
        }
        ids[n.name] = net.add(n.name, std::move(layer), from);
    }
    if (spec.nodes.empty()) throw ValueError("the network has no layer node");
    auto it = ids.find(spec.output);
    if (it == ids.end()) throw ValueError("the output '" + spec.output + "' is not a node");
    net.set_output(it->second);
    return net;
}

}  // namespace polytag
