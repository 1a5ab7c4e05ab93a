#pragma once
// LayerSpec: a layer's architecture as data - its kind ("dense") and attributes ("in": 128,
// "out": 64, "hidden": [32], "init": "he") - so a network can be written to a file and built
// again from one, or from a hand-written config. Attribute values are integers, reals,
// strings or lists of integers (a JSON object maps onto it 1:1, io/network_json.hpp).
//
// LayerKind<L>: the trait that ties a layer class to its spec. Specialise it for a layer to
// make it savable and buildable from a config (nn/layer_kinds.hpp has the built-in layers):
//
//   template <typename T> struct LayerKind<MyLayer<T>> {
//       static constexpr const char* name = "my_layer";
//       static LayerSpec describe(const MyLayer<T>&);            // the attributes of an instance
//       static MyLayer<T> build(const LayerSpec&);               // validate every attribute, then construct
//       static std::vector<NamedShape> parameter_shapes(const LayerSpec&);  // without allocating
//   };
//
// parameter_shapes lets a loader check every stored array against the architecture before
// anything is allocated (a hostile file cannot make it allocate more than it holds).
// Declare the specialisation before the layer is put into an AnyLayer or a Network.
// Attribute getters throw ValueError naming the attribute ("'out': must be an integer >= 1").
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/tensor/shape.hpp"

namespace polytag {

using SpecValue = std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>>;

/// A parameter's name (without the node prefix) and shape.
struct NamedShape {
    std::string name;
    Shape shape;
};

class LayerSpec {
public:
    LayerSpec() = default;
    explicit LayerSpec(std::string kind) : kind_(std::move(kind)) {}

    const std::string& kind() const { return kind_; }
    const std::vector<std::pair<std::string, SpecValue>>& attributes() const { return attributes_; }

    /// Sets (or replaces) an attribute; returns *this so specs read as one expression.
    LayerSpec& set(const std::string& key, SpecValue value) {
        for (auto& a : attributes_)
            if (a.first == key) {
                a.second = std::move(value);
                return *this;
            }
        attributes_.emplace_back(key, std::move(value));
        return *this;
    }
    LayerSpec& set(const std::string& key, int v) { return set(key, SpecValue(std::int64_t(v))); }
    LayerSpec& set(const std::string& key, long v) { return set(key, SpecValue(std::int64_t(v))); }
    LayerSpec& set(const std::string& key, long long v) { return set(key, SpecValue(std::int64_t(v))); }
    LayerSpec& set(const std::string& key, double v) { return set(key, SpecValue(v)); }
    LayerSpec& set(const std::string& key, const char* v) { return set(key, SpecValue(std::string(v))); }
    LayerSpec& set(const std::string& key, const std::vector<Index>& v) {
        return set(key, SpecValue(std::vector<std::int64_t>(v.begin(), v.end())));
    }

    bool has(const std::string& key) const { return find(key) != nullptr; }

    /// An integer attribute in [lo, hi]; `fallback` when absent (required when not given).
    Index integer(const std::string& key, Index lo = 1, Index hi = kMaxExtent) const {
        const SpecValue* v = require(key);
        if (!std::holds_alternative<std::int64_t>(*v)) fail(key, "must be an integer");
        return in_range(key, std::get<std::int64_t>(*v), lo, hi);
    }
    Index integer_or(const std::string& key, Index fallback, Index lo = 1, Index hi = kMaxExtent) const {
        return has(key) ? integer(key, lo, hi) : fallback;
    }
    /// A real attribute (an integer is accepted) in [lo, hi).
    double real_or(const std::string& key, double fallback, double lo, double hi) const {
        const SpecValue* v = find(key);
        if (!v) return fallback;
        double x;
        if (std::holds_alternative<std::int64_t>(*v)) x = double(std::get<std::int64_t>(*v));
        else if (std::holds_alternative<double>(*v)) x = std::get<double>(*v);
        else fail(key, "must be a number");
        if (!(x >= lo && x < hi))
            fail(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "), got " + std::to_string(x));
        return x;
    }
    std::string text_or(const std::string& key, const std::string& fallback) const {
        const SpecValue* v = find(key);
        if (!v) return fallback;
        if (!std::holds_alternative<std::string>(*v)) fail(key, "must be a string");
        return std::get<std::string>(*v);
    }
    /// A list of integers, each in [lo, hi]; `fallback` when absent.
    std::vector<Index> integers_or(const std::string& key, std::vector<Index> fallback, Index lo = 1,
                                   Index hi = kMaxExtent) const {
        const SpecValue* v = find(key);
        if (!v) return fallback;
        if (!std::holds_alternative<std::vector<std::int64_t>>(*v)) fail(key, "must be a list of integers");
        std::vector<Index> out;
        for (std::int64_t x : std::get<std::vector<std::int64_t>>(*v)) out.push_back(in_range(key, x, lo, hi));
        return out;
    }
    /// Throws for an attribute not in `known` (a misspelt key must not be ignored silently).
    void check_known(std::initializer_list<const char*> known) const {
        for (const auto& a : attributes_) {
            bool ok = false;
            for (const char* k : known) ok = ok || a.first == k;
            if (!ok) fail(a.first, "is not an attribute of '" + kind_ + "'");
        }
    }

    /// Extents above this are refused by the getters (2^40: far beyond any layer, far below overflow).
    static constexpr Index kMaxExtent = Index(1) << 40;

    friend bool operator==(const LayerSpec& a, const LayerSpec& b) {
        return a.kind_ == b.kind_ && a.attributes_ == b.attributes_;
    }

private:
    const SpecValue* find(const std::string& key) const {
        for (const auto& a : attributes_)
            if (a.first == key) return &a.second;
        return nullptr;
    }
    const SpecValue* require(const std::string& key) const {
        const SpecValue* v = find(key);
        if (!v) fail(key, "missing");
        return v;
    }
    static Index in_range(const std::string& key, std::int64_t x, Index lo, Index hi) {
        if (x < lo || x > hi)
            fail(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(x));
        return Index(x);
    }
    [[noreturn]] static void fail(const std::string& key, const std::string& why) {
        throw ValueError("'" + key + "': " + why);
    }

    std::string kind_;
    std::vector<std::pair<std::string, SpecValue>> attributes_;
};

/// Specialised per layer class (see above); the primary template is left undefined.
template <typename L>
struct LayerKind;

namespace detail {
template <typename L, typename = void>
struct HasLayerKind : std::false_type {};
template <typename L>
struct HasLayerKind<L, std::void_t<decltype(LayerKind<L>::name)>> : std::true_type {};
}  // namespace detail

/// True when LayerKind<L> is specialised (the layer can be saved and built from a spec).
template <typename L>
inline constexpr bool has_layer_kind_v = detail::HasLayerKind<L>::value;

}  // namespace polytag
