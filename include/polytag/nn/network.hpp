#pragma once
// Network<T>: a network assembled at run time - a graph of named nodes over named inputs,
// each node an AnyLayer (nn/any_layer.hpp) reading the outputs of earlier nodes:
//
//   Network<float> net;
//   auto frames = net.input("frames", Shape{10, 128});       // per-sample shapes
//   auto extra  = net.input("extra", Shape{10, 16});
//   auto x = net.add("fuse", Concat<float>(), {frames, extra}); // per-frame concat -> (10, 144)
//   x = net.add("trunk", Dense<float>(144, 64), x);
//   ...
//   net.forward({frames_batch, extra_batch}, Mode::Train);     // inputs in declaration order
//
// Nodes are kept in the order they were added, which is a topological order (a node can only
// read nodes that exist): forward runs them front to back, backward back to front, one
// virtual call per node and pass. The output is the last node added unless set_output says
// otherwise; nodes that do not lead to the output are not run.
//
// Gradients where a tensor feeds several consumers are ACCUMULATED by the network: each
// node's dLoss/d(output) is the sum over its consumers of what they return. A node with one
// consumer takes that consumer's dx view as it is (no copy); with several, the first
// contribution is copied into the node's own buffer and the others added to it. Layers keep
// the layer contract (nn/layer.hpp): backward overwrites their parameter gradients, so no
// zero_grad is needed. A layer object is one node: sharing weights between two places of a
// graph is not supported.
// Inputs get a gradient only when asked (backward's need_dx); a node only computes dx for an
// input that leads back to a parameter or a requested input (so the first Dense skips a GEMM).
//
// Parameters are named "<node name>.<parameter name>" ("trunk.weight"), as a torch.nn.Module
// with submodules of those names reports its state_dict. Node names: non-empty, of letters,
// digits and "_.-", unique among nodes and inputs.
// A Network follows the layer concept (one input) and the multi-input layer concept, so it
// can itself be a node of another Network.
// Buffers are the layers' own plus one accumulation buffer per multi-consumer node: after the
// first pass at the largest batch nothing allocates.
#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "polytag/nn/any_layer.hpp"

namespace polytag {

/// A node of a Network, as returned by Network::input and Network::add.
struct NodeId {
    int index = -1;
};

/// A Network's architecture as data (what a network file stores, what a config builds).
struct NetworkSpec {
    struct Input {
        std::string name;
        Shape shape;  ///< per sample
    };
    struct Node {
        std::string name;
        LayerSpec layer;
        std::vector<std::string> inputs;
    };
    std::vector<Input> inputs;
    std::vector<Node> nodes;
    std::string output;
};

template <typename T>
class Network {
public:
    using Scalar = T;

    /// Declares input number inputs() with its per-sample shape.
    NodeId input(const std::string& name, Shape per_sample) {
        check_new_name(name);
        Node n;
        n.name = name;
        n.is_input = true;
        n.input_index = static_cast<int>(input_nodes_.size());
        n.shape = per_sample;
        input_nodes_.push_back(static_cast<int>(nodes_.size()));
        return push(std::move(n));
    }

    /// Adds a node reading `from` (one node, or several for a multi-input layer). Checks the
    /// shapes now: a mismatch is a ShapeError naming the node.
    NodeId add(const std::string& name, AnyLayer<T> layer, const std::vector<NodeId>& from) {
        check_new_name(name);
        if (layer.empty()) throw ValueError("polytag::Network: node '" + name + "' has no layer");
        if (from.empty()) throw ValueError("polytag::Network: node '" + name + "' reads no node");
        Node n;
        n.name = name;
        std::vector<Shape> shapes;
        for (NodeId f : from) {
            check_id(f, name);
            n.inputs.push_back(f.index);
            shapes.push_back(nodes_[std::size_t(f.index)].shape);
        }
        try {
            n.shape = layer.output_shape(shapes);
        } catch (const ShapeError& e) {
            throw ShapeError("polytag::Network: node '" + name + "': " + e.what());
        }
        ParameterList<T> params;
        layer.parameters(params, name + ".");
        for (const auto& p : params) {
            for (const auto& q : parameter_names_)
                if (q == p.name) throw ValueError("polytag::Network: parameter name '" + p.name + "' appears twice");
        }
        for (const auto& p : params) parameter_names_.push_back(p.name);
        n.has_parameters = !params.empty();
        n.layer = std::move(layer);
        n.in_views.resize(n.inputs.size());
        n.need.resize(n.inputs.size());
        const NodeId id = push(std::move(n));
        output_ = id.index;
        live_dirty_ = true;
        return id;
    }
    NodeId add(const std::string& name, AnyLayer<T> layer, NodeId from) {
        return add(name, std::move(layer), std::vector<NodeId>{from});
    }
    /// Adds a node reading the last node added (a chain).
    NodeId add(const std::string& name, AnyLayer<T> layer) {
        if (nodes_.empty()) throw ValueError("polytag::Network: node '" + name + "' added before any input");
        return add(name, std::move(layer), NodeId{static_cast<int>(nodes_.size()) - 1});
    }

    /// The node whose output forward returns (default: the last node added).
    void set_output(NodeId id) {
        check_id(id, "output");
        if (nodes_[std::size_t(id.index)].is_input) throw ValueError("polytag::Network: the output cannot be an input");
        output_ = id.index;
        live_dirty_ = true;
    }

    // ---- structure
    std::size_t inputs() const { return input_nodes_.size(); }
    const std::string& input_name(std::size_t i) const { return nodes_.at(std::size_t(input_nodes_.at(i))).name; }
    const Shape& input_shape(std::size_t i) const { return nodes_.at(std::size_t(input_nodes_.at(i))).shape; }
    /// Per-sample output shape.
    const Shape& output_shape() const { return nodes_.at(std::size_t(require_output())).shape; }
    /// Nodes (inputs included) in order.
    std::size_t size() const { return nodes_.size(); }
    const std::string& name(NodeId id) const { return nodes_.at(std::size_t(id.index)).name; }
    const Shape& shape(NodeId id) const { return nodes_.at(std::size_t(id.index)).shape; }
    /// The node called `name`; ValueError when there is none.
    NodeId node(const std::string& name) const {
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            if (nodes_[i].name == name) return NodeId{static_cast<int>(i)};
        throw ValueError("polytag::Network: no node named '" + name + "'");
    }
    /// The layer of a node (not an input).
    AnyLayer<T>& layer(NodeId id) { return layer_node(id).layer; }
    const AnyLayer<T>& layer(NodeId id) const { return const_cast<Network*>(this)->layer_node(id).layer; }
    /// The layer of node `name` as an L (e.g. net.layer<Dense<float>>("trunk").weight()).
    template <typename L>
    L& layer(const std::string& name) { return layer(node(name)).template get<L>(); }

    /// The architecture, for saving (every layer must have a LayerKind, else ValueError).
    NetworkSpec spec() const {
        NetworkSpec s;
        for (const Node& n : nodes_) {
            if (n.is_input) {
                s.inputs.push_back({n.name, n.shape});
                continue;
            }
            NetworkSpec::Node sn;
            sn.name = n.name;
            try {
                sn.layer = n.layer.spec();
            } catch (const ValueError& e) {
                throw ValueError("polytag::Network: node '" + n.name + "': " + e.what());
            }
            for (int i : n.inputs) sn.inputs.push_back(nodes_[std::size_t(i)].name);
            s.nodes.push_back(std::move(sn));
        }
        s.output = nodes_.at(std::size_t(require_output())).name;
        return s;
    }

    // ---- the layer concept (a one-input network) and the multi-input layer concept
    Shape output_shape(const Shape& in) const { return output_shape(std::vector<Shape>{in}); }
    Shape output_shape(const std::vector<Shape>& in) const {
        if (in.size() != inputs())
            throw ShapeError("polytag::Network: given " + std::to_string(in.size()) + " inputs, has " +
                             std::to_string(inputs()));
        for (std::size_t i = 0; i < in.size(); ++i)
            if (in[i] != input_shape(i))
                throw ShapeError("polytag::Network: input '" + input_name(i) + "' is " + input_shape(i).str() +
                                 " per sample, given " + in[i].str());
        return output_shape();
    }

    void init(Rng& rng) {
        for (Node& n : nodes_)
            if (!n.is_input) n.layer.init(rng);
    }

    /// Runs the network on one batch per input (in declaration order); returns the output
    /// node's view, valid until the next forward. The inputs must stay alive until backward.
    TensorView<const T> forward(const std::vector<TensorView<const T>>& xs, Mode mode) {
        if (xs.size() != inputs())
            throw ShapeError("polytag::Network::forward: given " + std::to_string(xs.size()) + " inputs, the network has " +
                             std::to_string(inputs()));
        for (std::size_t i = 0; i < xs.size(); ++i) {
            Node& in = nodes_[std::size_t(input_nodes_[i])];
            if (xs[i].rank() != in.shape.rank() + 1 || xs[i].shape().drop_front() != in.shape ||
                xs[i].dim(0) != xs[0].dim(0))
                throw ShapeError("polytag::Network::forward: input '" + in.name + "' is " + xs[i].shape().str() +
                                 ", expected a batch of " + in.shape.str() +
                                 (i ? " of " + std::to_string(xs[0].dim(0)) + " rows" : std::string()));
            in.out = xs[i];
        }
        update_live();
        for (Node& n : nodes_) {
            if (n.is_input || !n.live) continue;
            for (std::size_t j = 0; j < n.inputs.size(); ++j) n.in_views[j] = nodes_[std::size_t(n.inputs[j])].out;
            n.out = n.layer.forward(n.in_views, mode);
        }
        return nodes_[std::size_t(output_)].out;
    }
    TensorView<const T> forward(std::initializer_list<TensorView<const T>> xs, Mode mode) {
        views_.assign(xs.begin(), xs.end());
        return forward(views_, mode);
    }
    TensorView<const T> forward(const std::vector<Tensor<T>>& xs, Mode mode) {
        views_.resize(xs.size());
        for (std::size_t i = 0; i < xs.size(); ++i) views_[i] = xs[i].view();
        return forward(views_, mode);
    }
    TensorView<const T> forward(TensorView<const T> x, Mode mode) {
        views_.resize(1);
        views_[0] = x;
        return forward(views_, mode);
    }

    /// Back-propagates dy = dLoss/d(output) of the last forward: fills every parameter
    /// gradient (overwriting) and, where need_dx[i], dLoss/d(input i) (input_grad(i)).
    /// Returns the input gradients (empty views where not asked for).
    const std::vector<TensorView<const T>>& backward(TensorView<const T> dy, const std::vector<bool>& need_dx) {
        const Node& out = nodes_[std::size_t(require_output())];
        if (dy.shape() != out.out.shape())
            throw ShapeError("polytag::Network::backward: dy " + dy.shape().str() + " vs output " + out.out.shape().str());
        for (Node& n : nodes_) {
            n.grad = {};
            n.arrived = 0;
            n.requires_grad = n.is_input ? (std::size_t(n.input_index) < need_dx.size() && need_dx[std::size_t(n.input_index)])
                                         : n.has_parameters;
            for (int i : n.inputs) n.requires_grad = n.requires_grad || nodes_[std::size_t(i)].requires_grad;
        }
        nodes_[std::size_t(output_)].grad = dy;
        for (std::size_t k = nodes_.size(); k-- > 0;) {
            Node& n = nodes_[k];
            if (n.is_input || !n.live || n.grad.data() == nullptr || !n.requires_grad) continue;
            for (std::size_t j = 0; j < n.inputs.size(); ++j) n.need[j] = nodes_[std::size_t(n.inputs[j])].requires_grad;
            const std::vector<TensorView<const T>>& dx = n.layer.backward(n.grad, n.need);
            for (std::size_t j = 0; j < n.inputs.size(); ++j)
                if (n.need[j]) accumulate(nodes_[std::size_t(n.inputs[j])], dx.at(j));
        }
        input_grads_.resize(inputs());
        for (std::size_t i = 0; i < inputs(); ++i) input_grads_[i] = nodes_[std::size_t(input_nodes_[i])].grad;
        return input_grads_;
    }
    /// The layer-concept form: dLoss/d(input 0) when need_dx, else an empty view.
    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        need_.assign(inputs(), false);
        if (need_dx && !need_.empty()) need_[0] = true;
        const auto& g = backward(dy, need_);
        return need_dx && !g.empty() ? g[0] : TensorView<const T>();
    }
    /// dLoss/d(input i) of the last backward that asked for it.
    TensorView<const T> input_grad(std::size_t i) const { return nodes_.at(std::size_t(input_nodes_.at(i))).grad; }

    void parameters(ParameterList<T>& out, const std::string& prefix = "") {
        for (Node& n : nodes_)
            if (!n.is_input) n.layer.parameters(out, prefix + n.name + ".");
    }
    ParameterList<T> parameters() {
        ParameterList<T> out;
        parameters(out, "");
        return out;
    }
    /// (name, value) of every parameter, read-only: what a state_dict holds.
    std::vector<std::pair<std::string, TensorView<const T>>> state_dict() const {
        std::vector<std::pair<std::string, TensorView<const T>>> out;
        for (const auto& p : const_cast<Network*>(this)->parameters()) out.emplace_back(p.name, p.value);
        return out;
    }

private:
    struct Node {
        std::string name;
        bool is_input = false;
        int input_index = -1;
        std::vector<int> inputs;
        Shape shape;  // per sample
        AnyLayer<T> layer;
        bool has_parameters = false;
        int consumers = 0;  // edges to live nodes
        bool live = true;   // leads to the output
        // per pass
        TensorView<const T> out, grad;
        std::vector<TensorView<const T>> in_views;
        std::vector<bool> need;
        Tensor<T> accumulated;  // the gradient sum of a multi-consumer node
        int arrived = 0;
        bool requires_grad = false;
    };

    static void accumulate(Node& n, TensorView<const T> g) {
        if (g.data() == nullptr)
            throw ValueError("polytag::Network::backward: a consumer of node '" + n.name + "' returned no gradient");
        if (n.consumers <= 1) {
            n.grad = g;
        } else if (n.arrived == 0) {
            n.accumulated.resize(g.shape());
            std::copy(g.begin(), g.end(), n.accumulated.data());
            n.grad = n.accumulated.view();
        } else {
            if (g.shape() != n.accumulated.shape())
                throw ShapeError("polytag::Network::backward: node '" + n.name + "' gets gradients " +
                                 n.accumulated.shape().str() + " and " + g.shape().str());
            n.accumulated.array() += g.array();
        }
        ++n.arrived;
    }

    void update_live() {
        if (!live_dirty_) return;
        require_output();
        for (Node& n : nodes_) {
            n.live = false;
            n.consumers = 0;
        }
        nodes_[std::size_t(output_)].live = true;
        for (std::size_t k = nodes_.size(); k-- > 0;)
            if (nodes_[k].live)
                for (int i : nodes_[k].inputs) {
                    nodes_[std::size_t(i)].live = true;
                    ++nodes_[std::size_t(i)].consumers;
                }
        live_dirty_ = false;
    }

    int require_output() const {
        if (output_ < 0) throw ValueError("polytag::Network: has no layer node (no output)");
        return output_;
    }
    Node& layer_node(NodeId id) {
        check_id(id, "layer");
        Node& n = nodes_[std::size_t(id.index)];
        if (n.is_input) throw ValueError("polytag::Network: '" + n.name + "' is an input, not a layer");
        return n;
    }
    void check_id(NodeId id, const std::string& who) const {
        if (id.index < 0 || std::size_t(id.index) >= nodes_.size())
            throw ValueError("polytag::Network: node '" + who + "' reads a node that is not in this network");
    }
    void check_new_name(const std::string& name) const {
        if (name.empty()) throw ValueError("polytag::Network: node names must not be empty");
        for (char c : name)
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
                throw ValueError("polytag::Network: node name '" + name + "' may hold only letters, digits and _.-");
        for (const Node& n : nodes_)
            if (n.name == name) throw ValueError("polytag::Network: node name '" + name + "' appears twice");
    }
    NodeId push(Node n) {
        nodes_.push_back(std::move(n));
        return NodeId{static_cast<int>(nodes_.size()) - 1};
    }

    std::vector<Node> nodes_;
    std::vector<int> input_nodes_;
    std::vector<std::string> parameter_names_;
    int output_ = -1;
    bool live_dirty_ = true;
    std::vector<TensorView<const T>> views_, input_grads_;
    std::vector<bool> need_;
};

}  // namespace polytag
