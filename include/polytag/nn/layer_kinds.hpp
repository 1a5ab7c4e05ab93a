#pragma once
// LayerKind specialisations (nn/layer_spec.hpp) for the built-in layers: what makes them
// savable (io/network_file.hpp) and buildable from a config (io/network_json.hpp).
//
//   kind             attributes (default)                         parameters
//   dense            in, out, init ("he" | "glorot", "he")        weight (out, in), bias (out)
//   relu, gelu, sigmoid, tanh                                     -
//   leaky_relu       slope (0.01)                                 -
//   dropout          p (0.5), seed (0)                            -
//   layer_norm       features, eps (1e-5)                         weight (features), bias (features)
//   mean_pool, max_pool                                           -
//   attention_pool   features, tasks (1)                          weight (tasks, features)
//   multi_head       heads, in, hidden ([]), init ("he")          weight<i>, bias<i>, weight_out, bias_out
//   concat, add      (multi-input)                                -
//   conv2d           in, out, kernel [h, w], stride ([1, 1]),    weight (kh, kw, in, out), bias (out)
//                    padding ("same" | "valid", "same"), bias (1 | 0, 1), init ("he")
//   max_pool2d       kernel [h, w], stride (= kernel), padding ("valid")   -
//   flatten                                                       -
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "polytag/nn/activation.hpp"
#include "polytag/nn/add.hpp"
#include "polytag/nn/attention_pool.hpp"
#include "polytag/nn/concat.hpp"
#include "polytag/nn/conv2d.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/dropout.hpp"
#include "polytag/nn/flatten.hpp"
#include "polytag/nn/layer_norm.hpp"
#include "polytag/nn/layer_spec.hpp"
#include "polytag/nn/max_pool2d.hpp"
#include "polytag/nn/multi_head.hpp"
#include "polytag/nn/pooling.hpp"

namespace polytag {

namespace detail {
inline Init init_from_spec(const LayerSpec& s) {
    const std::string v = s.text_or("init", "he");
    if (v == "he") return Init::He;
    if (v == "glorot") return Init::Glorot;
    throw ValueError("'init': must be \"he\" or \"glorot\", got \"" + v + "\"");
}
inline const char* init_name(Init i) { return i == Init::He ? "he" : "glorot"; }
inline Padding padding_from_spec(const LayerSpec& s, const char* fallback) {
    const std::string v = s.text_or("padding", fallback);
    if (v == "same") return Padding::Same;
    if (v == "valid") return Padding::Valid;
    throw ValueError("'padding': must be \"same\" or \"valid\", got \"" + v + "\"");
}
inline const char* padding_name(Padding p) { return p == Padding::Same ? "same" : "valid"; }
/// A [h, w] attribute (each in [1, 4096]); `fallback` when absent, if given.
inline Size2d size2d_from_spec(const LayerSpec& s, const std::string& key, const Size2d* fallback = nullptr) {
    if (!s.has(key)) {
        if (fallback) return *fallback;
        throw ValueError("'" + key + "': missing (expected [h, w])");
    }
    const std::vector<Index> v = s.integers_or(key, {}, 1, 4096);
    if (v.size() != 2) throw ValueError("'" + key + "': must be [h, w], got " + std::to_string(v.size()) + " values");
    return Size2d{v[0], v[1]};
}
inline std::vector<Index> size2d_list(Size2d s) { return {s.h, s.w}; }

/// LayerKind of a layer without attributes or parameters, built by its default constructor.
template <typename L, const char* const* Name>
struct PlainLayerKind {
    static constexpr const char* name = *Name;
    static LayerSpec describe(const L&) { return LayerSpec(name); }
    static L build(const LayerSpec& s) {
        s.check_known({});
        return L();
    }
    static std::vector<NamedShape> parameter_shapes(const LayerSpec&) { return {}; }
};
inline constexpr const char* kReluName = "relu";
inline constexpr const char* kGeluName = "gelu";
inline constexpr const char* kSigmoidName = "sigmoid";
inline constexpr const char* kTanhName = "tanh";
inline constexpr const char* kMeanPoolName = "mean_pool";
inline constexpr const char* kMaxPoolName = "max_pool";
inline constexpr const char* kConcatName = "concat";
inline constexpr const char* kAddName = "add";
inline constexpr const char* kFlattenName = "flatten";
}  // namespace detail

template <typename T> struct LayerKind<Relu<T>> : detail::PlainLayerKind<Relu<T>, &detail::kReluName> {};
template <typename T> struct LayerKind<Gelu<T>> : detail::PlainLayerKind<Gelu<T>, &detail::kGeluName> {};
template <typename T> struct LayerKind<Sigmoid<T>> : detail::PlainLayerKind<Sigmoid<T>, &detail::kSigmoidName> {};
template <typename T> struct LayerKind<Tanh<T>> : detail::PlainLayerKind<Tanh<T>, &detail::kTanhName> {};
template <typename T> struct LayerKind<MeanPool<T>> : detail::PlainLayerKind<MeanPool<T>, &detail::kMeanPoolName> {};
template <typename T> struct LayerKind<MaxPool<T>> : detail::PlainLayerKind<MaxPool<T>, &detail::kMaxPoolName> {};
template <typename T> struct LayerKind<Concat<T>> : detail::PlainLayerKind<Concat<T>, &detail::kConcatName> {};
template <typename T> struct LayerKind<Add<T>> : detail::PlainLayerKind<Add<T>, &detail::kAddName> {};
template <typename T> struct LayerKind<Flatten<T>> : detail::PlainLayerKind<Flatten<T>, &detail::kFlattenName> {};

template <typename T>
struct LayerKind<Conv2d<T>> {
    static constexpr const char* name = "conv2d";
    static LayerSpec describe(const Conv2d<T>& l) {
        return LayerSpec(name)
            .set("in", l.in_channels())
            .set("out", l.out_channels())
            .set("kernel", detail::size2d_list(l.kernel()))
            .set("stride", detail::size2d_list(l.stride()))
            .set("padding", detail::padding_name(l.padding()))
            .set("bias", l.has_bias() ? 1 : 0)
            .set("init", detail::init_name(l.init_kind()));
    }
    static Conv2d<T> build(const LayerSpec& s) {
        s.check_known({"in", "out", "kernel", "stride", "padding", "bias", "init"});
        const Size2d one{1, 1};
        return Conv2d<T>(s.integer("in"), s.integer("out"), detail::size2d_from_spec(s, "kernel"),
                         detail::size2d_from_spec(s, "stride", &one), detail::padding_from_spec(s, "same"),
                         s.integer_or("bias", 1, 0, 1) == 1, detail::init_from_spec(s));
    }
    static std::vector<NamedShape> parameter_shapes(const LayerSpec& s) {
        const Size2d k = detail::size2d_from_spec(s, "kernel");
        const Index in = s.integer("in"), out = s.integer("out");
        std::vector<NamedShape> p{{"weight", Shape{k.h, k.w, in, out}}};
        if (s.integer_or("bias", 1, 0, 1) == 1) p.push_back({"bias", Shape{out}});
        return p;
    }
};

template <typename T>
struct LayerKind<MaxPool2d<T>> {
    static constexpr const char* name = "max_pool2d";
    static LayerSpec describe(const MaxPool2d<T>& l) {
        return LayerSpec(name)
            .set("kernel", detail::size2d_list(l.kernel()))
            .set("stride", detail::size2d_list(l.stride()))
            .set("padding", detail::padding_name(l.padding()));
    }
    static MaxPool2d<T> build(const LayerSpec& s) {
        s.check_known({"kernel", "stride", "padding"});
        const Size2d k = detail::size2d_from_spec(s, "kernel");
        return MaxPool2d<T>(k, detail::size2d_from_spec(s, "stride", &k), detail::padding_from_spec(s, "valid"));
    }
    static std::vector<NamedShape> parameter_shapes(const LayerSpec&) { return {}; }
};

template <typename T>
struct LayerKind<Dense<T>> {
    static constexpr const char* name = "dense";
    static LayerSpec describe(const Dense<T>& l) {
        return LayerSpec(name).set("in", l.in_features()).set("out", l.out_features()).set("init", detail::init_name(l.init_kind()));
    }
    static Dense<T> build(const LayerSpec& s) {
        s.check_known({"in", "out", "init"});
        return Dense<T>(s.integer("in"), s.integer("out"), detail::init_from_spec(s));
    }
    static std::vector<NamedShape> parameter_shapes(const LayerSpec& s) {
        const Index in = s.integer("in"), out = s.integer("out");
        return {{"weight", Shape{out, in}}, {"bias", Shape{out}}};
    }
};

template <typename T>
struct LayerKind<LeakyRelu<T>> {
    static constexpr const char* name = "leaky_relu";
    static LayerSpec describe(const LeakyRelu<T>& l) { return LayerSpec(name).set("slope", double(l.slope())); }
    static LeakyRelu<T> build(const LayerSpec& s) {
        s.check_known({"slope"});
        return LeakyRelu<T>(T(s.real_or("slope", 0.01, -1e6, 1e6)));
    }
    static std::vector<NamedShape> parameter_shapes(const LayerSpec&) { return {}; }
};

template <typename T>
struct LayerKind<Dropout<T>> {
    static constexpr const char* name = "dropout";
    static LayerSpec describe(const Dropout<T>& l) {
        return LayerSpec(name).set("p", l.p()).set("seed", SpecValue(std::int64_t(l.seed())));
    }
    static Dropout<T> build(const LayerSpec& s) {
        s.check_known({"p", "seed"});
        const double p = s.real_or("p", 0.5, 0.0, 1.0);
        const Index seed = s.integer_or("seed", 0, std::numeric_limits<Index>::min(), std::numeric_limits<Index>::max());
        return Dropout<T>(p, std::uint64_t(seed));  // seeds above 2^63 round-trip through int64
    }
    static std::vector<NamedShape> parameter_shapes(const LayerSpec&) { return {}; }
};

template <typename T>
struct LayerKind<LayerNorm<T>> {
    static constexpr const char* name = "layer_norm";
    static LayerSpec describe(const LayerNorm<T>& l) { return LayerSpec(name).set("features", l.features()).set("eps", l.eps()); }
    static LayerNorm<T> build(const LayerSpec& s) {
        s.check_known({"features", "eps"});
        return LayerNorm<T>(s.integer("features"), s.real_or("eps", 1e-5, 1e-30, 1.0));
    }
    static std::vector<NamedShape> parameter_shapes(const LayerSpec& s) {
        const Index d = s.integer("features");
        return {{"weight", Shape{d}}, {"bias", Shape{d}}};
    }
};

template <typename T>
struct LayerKind<AttentionPool<T>> {
    static constexpr const char* name = "attention_pool";
    static LayerSpec describe(const AttentionPool<T>& l) {
        return LayerSpec(name).set("features", l.features()).set("tasks", l.tasks());
    }
    static AttentionPool<T> build(const LayerSpec& s) {
        s.check_known({"features", "tasks"});
        return AttentionPool<T>(s.integer("features"), s.integer_or("tasks", 1));
    }
    static std::vector<NamedShape> parameter_shapes(const LayerSpec& s) {
        return {{"weight", Shape{s.integer_or("tasks", 1), s.integer("features")}}};
    }
};

/// Both spellings, MultiHead<T> and MultiHead<T, K>, describe themselves as "multi_head"; a
/// spec always builds the runtime-count MultiHead<T>.
template <typename T, Index K>
struct LayerKind<MultiHead<T, K>> {
    static constexpr const char* name = "multi_head";
    static LayerSpec describe(const MultiHead<T, K>& l) {
        return LayerSpec(name)
            .set("heads", l.heads())
            .set("in", l.in_features())
            .set("hidden", l.hidden())
            .set("init", detail::init_name(l.init_kind()));
    }
    static MultiHead<T> build(const LayerSpec& s) {
        s.check_known({"heads", "in", "hidden", "init"});
        return MultiHead<T>(s.integer("heads"), s.integer("in"), s.integers_or("hidden", {}), detail::init_from_spec(s));
    }
    static std::vector<NamedShape> parameter_shapes(const LayerSpec& s) {
        const Index heads = s.integer("heads"), in = s.integer("in");
        const std::vector<Index> hidden = s.integers_or("hidden", {});
        std::vector<NamedShape> out;
        Index fan_in = in;
        for (std::size_t i = 0; i < hidden.size(); ++i) {
            out.push_back({"weight" + std::to_string(i), Shape{heads, hidden[i], fan_in}});
            out.push_back({"bias" + std::to_string(i), Shape{heads, hidden[i]}});
            fan_in = hidden[i];
        }
        out.push_back({"weight_out", Shape{heads, fan_in}});
        out.push_back({"bias_out", Shape{heads}});
        return out;
    }
};

}  // namespace polytag
