#pragma once
// A Network's architecture (NetworkSpec, nn/network.hpp) as JSON, both ways - what a network
// file stores (io/network_file.hpp) and what a user writes to build a network from a config:
//
//   {"inputs": [{"name": "frames", "shape": [10, 128]}, {"name": "extra", "shape": [10, 16]}],
//    "nodes":  [{"name": "fuse",  "kind": "concat", "inputs": ["frames", "extra"]},
//               {"name": "trunk", "kind": "dense", "in": 144, "out": 64},
//               {"name": "act",   "kind": "relu"},
//               {"name": "pool",  "kind": "mean_pool"},
//               {"name": "head",  "kind": "multi_head", "heads": 20, "in": 64, "hidden": [32]},
//               {"name": "out",   "kind": "sigmoid"}],
//    "output": "out"}
//
// A node's keys besides "name", "kind" and "inputs" are its layer's attributes (the kinds and
// attributes: nn/layer_kinds.hpp). "inputs" may be left out: the node then reads the node
// before it (a chain); "output" may be left out: the last node. Shapes are per sample (no
// batch axis), rank 0 to 3. Reading is strict: unknown top-level or node keys, wrong types and
// out-of-range values are ValueErrors naming the field ("nodes[1] 'trunk' (dense): 'out':
// must be in [1, ...], got 0"), on one line. Needs nlohmann_json.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "polytag/error.hpp"
#include "polytag/nn/layer_registry.hpp"
#include "polytag/nn/network.hpp"

namespace polytag::io {

namespace detail {

inline nlohmann::json spec_value_to_json(const SpecValue& v) {
    if (std::holds_alternative<std::int64_t>(v)) return std::get<std::int64_t>(v);
    if (std::holds_alternative<double>(v)) return std::get<double>(v);
    if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
    return std::get<std::vector<std::int64_t>>(v);
}

inline SpecValue spec_value_from_json(const nlohmann::json& j, const std::string& field) {
    auto integer = [&](const nlohmann::json& x) -> std::int64_t {
        if (x.is_number_unsigned() && x.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
            throw ValueError(field + ": integer out of range");
        return x.get<std::int64_t>();
    };
    if (j.is_number_integer()) return integer(j);
    if (j.is_number_float()) return j.get<double>();
    if (j.is_string()) return j.get<std::string>();
    if (j.is_array()) {
        std::vector<std::int64_t> out;
        for (const auto& x : j) {
            if (!x.is_number_integer()) throw ValueError(field + ": a list must hold integers only");
            out.push_back(integer(x));
        }
        return out;
    }
    throw ValueError(field + ": must be a number, a string or a list of integers, is " + std::string(j.type_name()));
}

inline std::string node_field(std::size_t i, const std::string& name, const std::string& kind) {
    return "nodes[" + std::to_string(i) + "]" + (name.empty() ? "" : " '" + name + "'") +
           (kind.empty() ? "" : " (" + kind + ")");
}

}  // namespace detail

inline nlohmann::json network_spec_to_json(const NetworkSpec& spec) {
    nlohmann::json j;
    j["inputs"] = nlohmann::json::array();
    for (const auto& in : spec.inputs) {
        std::vector<std::int64_t> shape;
        for (int a = 0; a < in.shape.rank(); ++a) shape.push_back(in.shape[a]);
        j["inputs"].push_back({{"name", in.name}, {"shape", shape}});
    }
    j["nodes"] = nlohmann::json::array();
    for (const auto& n : spec.nodes) {
        nlohmann::json node = {{"name", n.name}, {"kind", n.layer.kind()}, {"inputs", n.inputs}};
        for (const auto& [key, value] : n.layer.attributes()) node[key] = detail::spec_value_to_json(value);
        j["nodes"].push_back(std::move(node));
    }
    j["output"] = spec.output;
    return j;
}

inline std::string network_spec_to_string(const NetworkSpec& spec) { return network_spec_to_json(spec).dump(); }

/// Parses (strictly, see above) a JSON architecture. Layer attributes are checked when the
/// network is built (build_network) or its parameter shapes are listed (parameter_shapes).
inline NetworkSpec network_spec_from_json(const nlohmann::json& j) {
    if (!j.is_object()) throw ValueError("the architecture must be a JSON object");
    for (const auto& item : j.items())
        if (item.key() != "inputs" && item.key() != "nodes" && item.key() != "output")
            throw ValueError("'" + item.key() + "': unknown key (inputs, nodes, output)");
    NetworkSpec spec;
    if (!j.contains("inputs") || !j["inputs"].is_array() || j["inputs"].empty())
        throw ValueError("'inputs': must be a non-empty list");
    for (std::size_t i = 0; i < j["inputs"].size(); ++i) {
        const auto& in = j["inputs"][i];
        const std::string field = "inputs[" + std::to_string(i) + "]";
        if (!in.is_object() || !in.contains("name") || !in["name"].is_string() || !in.contains("shape") ||
            !in["shape"].is_array() || in.size() != 2)
            throw ValueError(field + ": must be {\"name\": string, \"shape\": [extents]}");
        NetworkSpec::Input input;
        input.name = in["name"].get<std::string>();
        if (in["shape"].size() > std::size_t(kMaxRank - 1))
            throw ValueError(field + " '" + input.name + "': 'shape': rank " + std::to_string(in["shape"].size()) +
                             " exceeds " + std::to_string(kMaxRank - 1) + " (per sample)");
        for (const auto& d : in["shape"]) {
            if (!d.is_number_integer() || d.get<std::int64_t>() < 1 || d.get<std::int64_t>() > LayerSpec::kMaxExtent)
                throw ValueError(field + " '" + input.name + "': 'shape': extents must be integers in [1, 2^40]");
            input.shape.push_back(Index(d.get<std::int64_t>()));
        }
        spec.inputs.push_back(std::move(input));
    }
    if (!j.contains("nodes") || !j["nodes"].is_array() || j["nodes"].empty())
        throw ValueError("'nodes': must be a non-empty list");
    std::string previous = spec.inputs.size() == 1 ? spec.inputs[0].name : std::string();
    for (std::size_t i = 0; i < j["nodes"].size(); ++i) {
        const auto& jn = j["nodes"][i];
        if (!jn.is_object()) throw ValueError(detail::node_field(i, "", "") + ": must be an object");
        const std::string name = jn.contains("name") && jn["name"].is_string() ? jn["name"].get<std::string>() : "";
        const std::string kind = jn.contains("kind") && jn["kind"].is_string() ? jn["kind"].get<std::string>() : "";
        const std::string field = detail::node_field(i, name, kind);
        if (name.empty()) throw ValueError(field + ": 'name': must be a non-empty string");
        if (kind.empty()) throw ValueError(field + ": 'kind': must be a non-empty string");
        NetworkSpec::Node node;
        node.name = name;
        node.layer = LayerSpec(kind);
        if (jn.contains("inputs")) {
            if (!jn["inputs"].is_array() || jn["inputs"].empty())
                throw ValueError(field + ": 'inputs': must be a non-empty list of node names");
            for (const auto& x : jn["inputs"]) {
                if (!x.is_string()) throw ValueError(field + ": 'inputs': must be a non-empty list of node names");
                node.inputs.push_back(x.get<std::string>());
            }
        } else {
            if (previous.empty()) throw ValueError(field + ": 'inputs': needed (the network has several inputs)");
            node.inputs.push_back(previous);
        }
        for (const auto& item : jn.items()) {
            if (item.key() == "name" || item.key() == "kind" || item.key() == "inputs") continue;
            node.layer.set(item.key(), detail::spec_value_from_json(item.value(), field + ": '" + item.key() + "'"));
        }
        previous = name;
        spec.nodes.push_back(std::move(node));
    }
    if (j.contains("output")) {
        if (!j["output"].is_string()) throw ValueError("'output': must be a node name");
        spec.output = j["output"].get<std::string>();
    } else {
        spec.output = spec.nodes.back().name;
    }
    return spec;
}

/// The same from JSON text; a syntax error is a one-line ValueError.
inline NetworkSpec network_spec_from_string(const std::string& text) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw ValueError(std::string("not valid JSON (") + e.what() + ")");
    }
    return network_spec_from_json(j);
}

/// A freshly constructed Network from a JSON config (call init before training).
template <typename T>
Network<T> network_from_json(const std::string& text, const LayerRegistry<T>& registry = LayerRegistry<T>::builtin()) {
    return build_network(network_spec_from_string(text), registry);
}

}  // namespace polytag::io
