#pragma once
// The network file: any Network<float>'s architecture and parameters in one .npz that numpy
// reads with np.load(path) (allow_pickle=False) and PyTorch code maps onto a state_dict:
//
//   format        0-d <U    "polytag.network/1"
//   architecture  0-d <U    the NetworkSpec as JSON (io/network_json.hpp)
//   <parameter>   float32   one per parameter, named as Network::parameters() names them
//                           ("trunk.weight", "head.weight_out"), shaped as the layer holds it
//   meta/<name>   any       optional entries of the caller's (normalisation, class names, ...);
//                           load_network ignores them, read them with io::NpzReader
//
//   save_network("model.npz", net);
//   Network<float> net = load_network("model.npz");          // built-in layer kinds
//   Network<float> mine = load_network("model.npz", registry);  // with the user's kinds
//
// Writing is atomic (io/atomic_file.hpp). Reading is strict, in this order, and nothing is
// allocated for parameters before every check passed: the format; the architecture (JSON,
// every layer attribute in range); every parameter the architecture implies present, float32
// and of exactly the implied shape (read from the array headers, which io/ already checks
// against the bytes the archive holds - so a hostile architecture cannot make the loader
// allocate more than the file holds); no entry left over; then the values, all finite.
// Every error is one line naming the file and the field: "network file m.npz: 'trunk.weight':
// has shape (6, 8), the architecture needs (65536, 65536)".
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/io/network_json.hpp"
#include "polytag/io/npz.hpp"
#include "polytag/nn/layer_registry.hpp"
#include "polytag/nn/network.hpp"

namespace polytag::io {

constexpr const char* kNetworkFormat = "polytag.network/1";

namespace detail {

inline IoError network_file_error(const std::string& path, const std::string& field, const std::string& why) {
    return IoError("network file " + path + ": " + (field.empty() ? std::string() : "'" + field + "': ") + why);
}

inline bool is_meta_entry(const std::string& name) { return name.rfind("meta/", 0) == 0; }

inline std::string read_one_string(const NpzReader& r, const std::string& path, const std::string& name) {
    if (!r.contains(name)) throw network_file_error(path, name, "missing (is this a polytag network file?)");
    std::vector<std::string> s;
    try {
        s = r.read_strings(name);
    } catch (const Error& e) {
        throw network_file_error(path, name, std::string("is not a string (") + e.what() + ")");
    }
    if (s.size() != 1) throw network_file_error(path, name, "must hold one string, holds " + std::to_string(s.size()));
    return s[0];
}

inline std::unique_ptr<NpzReader> open_network_file(const std::string& path) {
    try {
        return std::make_unique<NpzReader>(path);
    } catch (const Error& e) {
        throw network_file_error(path, "", std::string("cannot be read as .npz (") + e.what() + ")");
    }
}

inline NetworkSpec read_spec(const NpzReader& r, const std::string& path) {
    const std::string format = read_one_string(r, path, "format");
    if (format != kNetworkFormat)
        throw network_file_error(path, "format", "is '" + format + "', expected '" + kNetworkFormat + "'");
    try {
        return network_spec_from_string(read_one_string(r, path, "architecture"));
    } catch (const ValueError& e) {
        throw network_file_error(path, "architecture", e.what());
    }
}

}  // namespace detail

/// Writes `net` to `path` atomically. `metadata` entries must be named "meta/<name>".
inline void save_network(const std::string& path, const Network<float>& net, const std::vector<NpzEntry>& metadata = {},
                         bool compressed = false) {
    const std::string architecture = network_spec_to_string(net.spec());
    std::vector<NpzEntry> entries;
    entries.emplace_back("format", std::string(kNetworkFormat));
    entries.emplace_back("architecture", architecture);
    const auto state = net.state_dict();
    for (const auto& [name, value] : state) entries.emplace_back(name, value);
    for (const auto& m : metadata) {
        if (!detail::is_meta_entry(m.name()))
            throw ValueError("polytag::io::save_network: metadata entry '" + m.name() + "' must be named meta/<name>");
        entries.push_back(m);
    }
    save_npz(path, entries, compressed);
}

/// The architecture stored in a network file (no parameter is read).
inline NetworkSpec read_network_spec(const std::string& path) {
    auto reader = detail::open_network_file(path);
    return detail::read_spec(*reader, path);
}

/// Loads and validates a network file (see above); `registry` knows the layer kinds.
inline Network<float> load_network(const std::string& path,
                                   const LayerRegistry<float>& registry = LayerRegistry<float>::builtin()) {
    auto reader = detail::open_network_file(path);
    const NpzReader& r = *reader;
    const NetworkSpec spec = detail::read_spec(r, path);
    std::vector<NamedShape> expected;
    try {
        expected = parameter_shapes(spec, registry);
    } catch (const Error& e) {
        throw detail::network_file_error(path, "architecture", e.what());
    }
    // Every implied parameter against the file's array headers, before anything is built.
    std::map<std::string, bool> used;
    for (const auto& name : r.names()) used[name] = false;
    used["format"] = used["architecture"] = true;
    for (const NamedShape& p : expected) {
        auto it = used.find(p.name);
        if (it == used.end())
            throw detail::network_file_error(path, p.name, "missing (the architecture needs shape " + p.shape.str() + ")");
        if (it->second) throw detail::network_file_error(path, p.name, "the architecture names this parameter twice");
        it->second = true;
        ArrayInfo info;
        try {
            info = r.info(p.name);
        } catch (const Error& e) {
            throw detail::network_file_error(path, p.name, std::string("unreadable (") + e.what() + ")");
        }
        if (info.dtype != DType::Float32)
            throw detail::network_file_error(path, p.name, "is " + info.numpy_name() + ", must be float32");
        bool same = info.shape.size() == std::size_t(p.shape.rank());
        for (std::size_t a = 0; same && a < info.shape.size(); ++a) same = info.shape[a] == p.shape[int(a)];
        if (!same)
            throw detail::network_file_error(path, p.name, "has shape " + info.shape_str() + ", the architecture needs " +
                                                               p.shape.str());
    }
    for (const auto& [name, was_used] : used)
        if (!was_used && !detail::is_meta_entry(name))
            throw detail::network_file_error(path, name, "unexpected array (not a parameter of the stored architecture)");

    Network<float> net;
    try {
        net = build_network(spec, registry);
    } catch (const Error& e) {
        throw detail::network_file_error(path, "architecture", e.what());
    }
    for (auto& p : net.parameters()) {
        Tensor<float> w;
        try {
            w = r.read<float>(p.name);
        } catch (const Error& e) {
            throw detail::network_file_error(path, p.name, std::string("unreadable (") + e.what() + ")");
        }
        if (w.shape() != p.value.shape())  // a LayerKind whose parameter_shapes disagrees with its layer
            throw detail::network_file_error(path, p.name, "has shape " + w.shape().str() + ", the layer holds " +
                                                               p.value.shape().str());
        for (Index i = 0; i < w.size(); ++i)
            if (!std::isfinite(w[i]))
                throw detail::network_file_error(path, p.name, "element " + std::to_string(i) + " is not finite");
        std::copy(w.begin(), w.end(), p.value.begin());
    }
    return net;
}

}  // namespace polytag::io
