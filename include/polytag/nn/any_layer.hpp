#pragma once
// AnyLayer<T>: any layer, held by value behind one virtual call per pass - what a runtime
// Network (nn/network.hpp) is made of, so a network can be assembled at run time, e.g. from a
// config file. It holds a single-input layer (nn/layer.hpp) or a multi-input layer
// (nn/multi_input_layer.hpp) and follows both concepts itself:
//   forward(x) / backward(dy, need_dx)            one input (a multi-input layer gets {x})
//   forward(xs) / backward(dy, need_dx per input)  any number of inputs (a single-input layer
//                                                  takes exactly one)
// Copying an AnyLayer copies the layer (parameters and buffers). get<L>() reaches the held
// layer by its type (e.g. to initialise its weights in a special way); spec() describes it
// when LayerKind<L> is specialised (nn/layer_spec.hpp), else spec() throws and the layer can be
// trained and used but not saved.
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "polytag/nn/layer.hpp"
#include "polytag/nn/layer_kinds.hpp"
#include "polytag/nn/layer_spec.hpp"
#include "polytag/nn/multi_input_layer.hpp"

namespace polytag {

template <typename T>
class AnyLayer {
    struct Concept {
        virtual ~Concept() = default;
        virtual std::unique_ptr<Concept> clone() const = 0;
        virtual bool multi_input() const = 0;
        virtual Shape output_shape(const std::vector<Shape>& in) const = 0;
        virtual TensorView<const T> forward(const std::vector<TensorView<const T>>& xs, Mode mode) = 0;
        virtual const std::vector<TensorView<const T>>& backward(TensorView<const T> dy, const std::vector<bool>& need) = 0;
        virtual void parameters(ParameterList<T>& out, const std::string& prefix) = 0;
        virtual void init(Rng& rng) = 0;
        virtual bool has_spec() const = 0;
        virtual LayerSpec spec() const = 0;
        virtual const std::type_info& type() const = 0;
        virtual void* get() = 0;
    };

    template <typename L>
    struct Model final : Concept {
        static constexpr bool kMulti = is_multi_input_layer_v<L>;
        L layer;
        std::vector<TensorView<const T>> grads;  // the single-input layer's dx, as a list of one
        explicit Model(L l) : layer(std::move(l)), grads(kMulti ? 0 : 1) {}

        std::unique_ptr<Concept> clone() const override { return std::make_unique<Model>(*this); }
        bool multi_input() const override { return kMulti; }
        Shape output_shape(const std::vector<Shape>& in) const override {
            if constexpr (kMulti) {
                return layer.output_shape(in);
            } else {
                if (in.size() != 1)
                    throw ShapeError("polytag::AnyLayer: a single-input layer given " + std::to_string(in.size()) +
                                     " inputs");
                return layer.output_shape(in[0]);
            }
        }
        TensorView<const T> forward(const std::vector<TensorView<const T>>& xs, Mode mode) override {
            if constexpr (kMulti) {
                return layer.forward(xs, mode);
            } else {
                if (xs.size() != 1)
                    throw ShapeError("polytag::AnyLayer: a single-input layer given " + std::to_string(xs.size()) +
                                     " inputs");
                return layer.forward(xs[0], mode);
            }
        }
        const std::vector<TensorView<const T>>& backward(TensorView<const T> dy, const std::vector<bool>& need) override {
            if constexpr (kMulti) {
                return layer.backward(dy, need);
            } else {
                grads[0] = layer.backward(dy, !need.empty() && need[0]);
                return grads;
            }
        }
        void parameters(ParameterList<T>& out, const std::string& prefix) override { layer.parameters(out, prefix); }
        void init(Rng& rng) override { layer.init(rng); }
        bool has_spec() const override { return has_layer_kind_v<L>; }
        LayerSpec spec() const override {
            if constexpr (has_layer_kind_v<L>) {
                return LayerKind<L>::describe(layer);
            } else {
                throw ValueError(std::string("polytag::AnyLayer: layer type ") + typeid(L).name() +
                                 " has no LayerKind specialisation, so it cannot be described (saved)");
            }
        }
        const std::type_info& type() const override { return typeid(L); }
        void* get() override { return &layer; }
    };

public:
    using Scalar = T;

    AnyLayer() = default;
    template <typename L, typename D = std::decay_t<L>,
              typename = std::enable_if_t<!std::is_same<D, AnyLayer>::value &&
                                          (is_layer_v<D> || is_multi_input_layer_v<D>)>>
    AnyLayer(L&& layer) : self_(std::make_unique<Model<D>>(std::forward<L>(layer))) {
        static_assert(std::is_same<typename D::Scalar, T>::value, "AnyLayer<T>: the layer's Scalar must be T");
    }
    AnyLayer(const AnyLayer& o) : self_(o.self_ ? o.self_->clone() : nullptr) {}
    AnyLayer(AnyLayer&&) noexcept = default;
    AnyLayer& operator=(const AnyLayer& o) {
        if (this != &o) self_ = o.self_ ? o.self_->clone() : nullptr;
        return *this;
    }
    AnyLayer& operator=(AnyLayer&&) noexcept = default;

    bool empty() const { return !self_; }
    /// True for a multi-input layer (Concat, Add, ...).
    bool multi_input() const { return ref().multi_input(); }

    // The layer concept (one input).
    Shape output_shape(const Shape& in) const { return ref().output_shape(std::vector<Shape>{in}); }
    TensorView<const T> forward(TensorView<const T> x, Mode mode) {
        one_.resize(1);
        one_[0] = x;
        return ref().forward(one_, mode);
    }
    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        need_one_.assign(1, need_dx);
        return ref().backward(dy, need_one_)[0];
    }
    void parameters(ParameterList<T>& out, const std::string& prefix) { ref().parameters(out, prefix); }
    void init(Rng& rng) { ref().init(rng); }

    // The multi-input layer concept.
    Shape output_shape(const std::vector<Shape>& in) const { return ref().output_shape(in); }
    TensorView<const T> forward(const std::vector<TensorView<const T>>& xs, Mode mode) { return ref().forward(xs, mode); }
    const std::vector<TensorView<const T>>& backward(TensorView<const T> dy, const std::vector<bool>& need_dx) {
        return ref().backward(dy, need_dx);
    }

    /// True when the held layer can describe itself (LayerKind<L> is specialised).
    bool has_spec() const { return ref().has_spec(); }
    /// The held layer's architecture; ValueError when it has no LayerKind.
    LayerSpec spec() const { return ref().spec(); }
    const std::type_info& type() const { return ref().type(); }

    /// The held layer if it is an L, else nullptr.
    template <typename L>
    L* get_if() { return self_ && self_->type() == typeid(L) ? static_cast<L*>(self_->get()) : nullptr; }
    template <typename L>
    const L* get_if() const { return const_cast<AnyLayer*>(this)->template get_if<L>(); }
    /// The held layer as an L; ValueError when it is another type.
    template <typename L>
    L& get() {
        if (L* l = get_if<L>()) return *l;
        throw ValueError(std::string("polytag::AnyLayer::get: holds ") + (self_ ? self_->type().name() : "nothing") +
                         ", not " + typeid(L).name());
    }
    template <typename L>
    const L& get() const { return const_cast<AnyLayer*>(this)->template get<L>(); }

private:
    Concept& ref() const {
        if (!self_) throw ValueError("polytag::AnyLayer: empty (default-constructed) layer");
        return *self_;
    }
    std::unique_ptr<Concept> self_;
    std::vector<TensorView<const T>> one_;  // forward(x)'s input as a list (allocated once)
    std::vector<bool> need_one_;
};

}  // namespace polytag
