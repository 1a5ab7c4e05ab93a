#pragma once
// MultiHead<T>(heads, in, hidden, init): K = heads independent head networks over one
// representation (MultiHead<T, K>(in, hidden, init) fixes K at compile time: the same layer,
// the same numbers; K = 0, the default, means the count is given at run time),
//   head k = Dense(in -> hidden[0]) -> ReLU -> ... -> Dense(hidden.back() -> 1)   (linear output)
// Input (B, in), shared by all heads, or (B, K, in), head k reading slice k (e.g. after
// per-task AttentionPool). Output (B, K). Users add a Sigmoid layer after it.
//
// Parameter layout (names as parameters() reports them; L = hidden.size(), h_i = hidden[i],
// h_{-1} = in). Head k's torch.nn.Linear layers map 1:1 onto slice k:
//   "weight<i>"  (K, h_i, h_{i-1})   head k's i-th Linear.weight  == weight<i>[k]   (out, in)
//   "bias<i>"    (K, h_i)            head k's i-th Linear.bias    == bias<i>[k]
//   "weight_out" (K, h_{L-1})        head k's last Linear.weight  == weight_out[k]  ((1, h) in torch)
//   "bias_out"   (K)                 head k's last Linear.bias    == bias_out[k]    ((1,) in torch)
// With hidden empty each head is one Dense(in -> 1): only weight_out (K, in) and bias_out.
//
// Computation (batched, never K loops of per-sample work). Hidden activations of all heads
// sit side by side in one (B, K * h_i) buffer, head k in column block k:
//   layer 0, shared input:   ONE gemm (B, in) x (in, K * h0) - weight0 read as (K * h0, in)
//   layer 0, per-task input: K gemms, head k: x[:, k, :] (B, in) x weight0[k]^T
//   layer i > 0:             K gemms on column blocks (MatrixRef::col_block, leading dim K*h)
//   output layer:            a per-head dot product over the (B, K, h) buffer
//                            (one gemm (B, in) x (in, K) when hidden is empty and input shared)
// Backward mirrors it: for shared input, d weight0 and dx are one gemm each.
//
// init(): every weight from Init::He normal(0, sqrt(2 / fan_in)) or Init::Glorot
// uniform(+-sqrt(6 / (fan_in + fan_out))), drawn in memory order weight0, weight1, ...,
// weight_out (the output layer has fan_out 1); biases zero. As Dense does.
#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "polytag/nn/dense.hpp"
#include "polytag/nn/layer.hpp"
#include "polytag/tensor/kernels.hpp"

namespace polytag {

template <typename T, Index Heads = 0>
class MultiHead {
    static_assert(Heads >= 0, "MultiHead: the head count must be positive (or 0: given at run time)");

public:
    using Scalar = T;
    /// The compile-time head count, 0 when it is given at run time (see heads()).
    static constexpr Index tasks = Heads;

    /// MultiHead<T, K>(in, hidden, init): K heads fixed at compile time.
    template <Index H = Heads, std::enable_if_t<H != 0, int> = 0>
    MultiHead(Index in_features, std::vector<Index> hidden = {}, Init init = Init::He)
        : MultiHead(Heads, in_features, std::move(hidden), init, RuntimeCount{}) {}
    /// MultiHead<T>(heads, in, hidden, init): the head count at run time.
    template <Index H = Heads, std::enable_if_t<H == 0, int> = 0>
    MultiHead(Index heads, Index in_features, std::vector<Index> hidden = {}, Init init = Init::He)
        : MultiHead(heads, in_features, std::move(hidden), init, RuntimeCount{}) {}

private:
    struct RuntimeCount {};
    MultiHead(Index heads, Index in_features, std::vector<Index> hidden, Init init, RuntimeCount)
        : heads_(heads), in_(in_features), hidden_(std::move(hidden)), init_(init) {
        if (heads_ < 1) throw ShapeError("polytag::MultiHead: needs at least one head, got " + std::to_string(heads_));
        if (in_ < 1)
            throw ShapeError("polytag::MultiHead: in_features must be positive, got " + std::to_string(in_));
        for (Index h : hidden_)
            if (h < 1) throw ShapeError("polytag::MultiHead: hidden widths must be positive, got " + std::to_string(h));
        const std::size_t layers = hidden_.size();
        weight_.resize(layers);
        bias_.resize(layers);
        dweight_.resize(layers);
        dbias_.resize(layers);
        act_.resize(layers);
        dact_.resize(layers);
        for (std::size_t i = 0; i < layers; ++i) {
            const Shape w{heads_, hidden_[i], fan_in(i)}, b{heads_, hidden_[i]};
            weight_[i] = Tensor<T>(w, T(0));
            dweight_[i] = Tensor<T>(w, T(0));
            bias_[i] = Tensor<T>(b, T(0));
            dbias_[i] = Tensor<T>(b, T(0));
        }
        weight_out_ = Tensor<T>(Shape{heads_, last_width()}, T(0));
        dweight_out_ = Tensor<T>(Shape{heads_, last_width()}, T(0));
        bias_out_ = Tensor<T>(Shape{heads_}, T(0));
        dbias_out_ = Tensor<T>(Shape{heads_}, T(0));
    }

public:
    /// Number of heads (tasks): the width of the output.
    Index heads() const { return heads_; }
    Index in_features() const { return in_; }
    Init init_kind() const { return init_; }
    const std::vector<Index>& hidden() const { return hidden_; }

    /// Per-sample (in) or (K, in) -> (K).
    Shape output_shape(const Shape& in) const {
        const bool shared = in.rank() == 1 && in[0] == in_;
        const bool per_task = in.rank() == 2 && in[0] == heads_ && in[1] == in_;
        if (!shared && !per_task)
            throw ShapeError("polytag::MultiHead: expects (" + std::to_string(in_) + ",) or (" + std::to_string(heads_) +
                             ", " + std::to_string(in_) + ") per sample, input is " + in.str());
        return Shape{heads_};
    }

    void init(Rng& rng) {
        for (std::size_t i = 0; i < hidden_.size(); ++i) {
            fill_init(weight_[i], rng, fan_in(i), hidden_[i]);
            bias_[i].set_zero();
        }
        fill_init(weight_out_, rng, last_width(), 1);
        bias_out_.set_zero();
    }

    TensorView<const T> forward(TensorView<const T> x, Mode) {
        const bool shared = x.rank() == 2 && x.dim(1) == in_;
        const bool per_task = x.rank() == 3 && x.dim(1) == heads_ && x.dim(2) == in_;
        if (!shared && !per_task)
            throw ShapeError("polytag::MultiHead: expects (batch, " + std::to_string(in_) + ") or (batch, " +
                             std::to_string(heads_) + ", " + std::to_string(in_) + "), input is " + x.shape().str());
        x_ = x;
        shared_ = shared;
        const Index batch = x.dim(0);
        for (std::size_t i = 0; i < hidden_.size(); ++i) {
            const Index h = hidden_[i], fin = fan_in(i);
            act_[i].resize(Shape{batch, heads_ * h});
            MatrixRef<T> out = act_[i].mref();
            if (i == 0 && shared_) {
                gemm<T>(Trans::No, Trans::Yes, T(1), x.mref(), stacked(weight_[0]), T(0), out);
            } else {
                const MatrixRef<const T> in = layer_input(i);
                for (Index k = 0; k < heads_; ++k)
                    gemm<T>(Trans::No, Trans::Yes, T(1), in.col_block(k * fin, fin), head_weight(i, k), T(0),
                            out.col_block(k * h, h));
            }
            add_bias<T>(out, bias_[i].data());
            act_[i].array() = act_[i].array().max(T(0));
        }
        y_.resize(Shape{batch, heads_});
        if (hidden_.empty() && shared_) {
            gemm<T>(Trans::No, Trans::Yes, T(1), x.mref(), weight_out_.mref(), T(0), y_.mref());
            add_bias<T>(y_.mref(), bias_out_.data());
        } else {
            const MatrixRef<const T> z = layer_input(hidden_.size());
            const Index w = last_width();
#if POLYTAG_X86_DISPATCH && !defined(__AVX2__)
            // Compiled without AVX2 (Eigen's packets are SSE2 here): the AVX2 kernel where the CPU has it.
            if constexpr (std::is_same_v<T, float>) {
                if (detail::cpu_has_avx2_fma()) {
                    for (Index b = 0; b < batch; ++b)
                        detail::dot_rows_avx2(z.data + b * z.ld, weight_out_.data(), bias_out_.data(), heads_, w,
                                              y_.data() + b * heads_);
                    return y_;
                }
            }
#endif
            auto wo = weight_out_.matrix().array();
            for (Index b = 0; b < batch; ++b)
                y_.matrix().row(b) = (MatrixRef<const T>(z.data + b * z.ld, heads_, w).map().array() * wo)
                                         .rowwise()
                                         .sum()
                                         .matrix()
                                         .transpose() +
                                     bias_out_.matrix();
        }
        return y_;
    }

    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        if (dy.shape() != y_.shape())
            throw ShapeError("polytag::MultiHead::backward: dy " + dy.shape().str() + " vs output " +
                             y_.shape().str());
        const Index batch = dy.dim(0);
        const std::size_t layers = hidden_.size();
        sum_rows<T>(dy.mref(), dbias_out_.data());
        if (need_dx) dx_.resize(x_.shape());
        if (layers == 0 && shared_) {
            gemm<T>(Trans::Yes, Trans::No, T(1), dy.mref(), x_.mref(), T(0), dweight_out_.mref());
            if (!need_dx) return {};
            gemm<T>(Trans::No, Trans::No, T(1), dy.mref(), weight_out_.mref(), T(0), dx_.mref());
            return dx_;
        }
        // Output layer: per head, dw_out[k] = sum_b dy(b,k) z(b,k,:), dz(b,k,:) = dy(b,k) w_out[k].
        const MatrixRef<const T> z = layer_input(layers);
        const Index w = last_width();
        auto dwo = dweight_out_.matrix();
        auto wo = weight_out_.matrix().array();
        dwo.setZero();
        T* dz = nullptr;  // d loss / d z: into the last hidden layer's gradient, or dx
        if (layers) {
            dact_[layers - 1].resize(Shape{batch, heads_ * w});
            dz = dact_[layers - 1].data();
        } else if (need_dx) {
            dz = dx_.data();
        }
        for (Index b = 0; b < batch; ++b) {
            auto dyb = dy.matrix().row(b).transpose().array();
            dwo.array() += MatrixRef<const T>(z.data + b * z.ld, heads_, w).map().array().colwise() * dyb;
            if (dz) MatrixRef<T>(dz + b * heads_ * w, heads_, w).map().array() = wo.colwise() * dyb;
        }
        if (layers == 0) return need_dx ? TensorView<const T>(dx_) : TensorView<const T>();
        for (std::size_t i = layers; i-- > 0;) {
            const Index h = hidden_[i], fin = fan_in(i);
            // ReLU: the gradient passes where the activation was positive.
            relu_backward<T>(act_[i].data(), dact_[i].data(), dact_[i].data(), dact_[i].size());
            const MatrixRef<const T> g = dact_[i].mref();
            sum_rows<T>(g, dbias_[i].data());
            if (i == 0 && shared_) {
                gemm<T>(Trans::Yes, Trans::No, T(1), g, x_.mref(), T(0), stacked(dweight_[0]));
                if (need_dx) gemm<T>(Trans::No, Trans::No, T(1), g, stacked(weight_[0]), T(0), dx_.mref());
                continue;
            }
            const MatrixRef<const T> in = layer_input(i);
            MatrixRef<T> din(nullptr, batch, heads_ * fin);
            if (i > 0) {
                dact_[i - 1].resize(Shape{batch, heads_ * fin});
                din = dact_[i - 1].mref();
            } else if (need_dx) {
                din = MatrixRef<T>(dx_.data(), batch, heads_ * fin);
            }
            for (Index k = 0; k < heads_; ++k) {
                const MatrixRef<const T> gk = g.col_block(k * h, h);
                gemm<T>(Trans::Yes, Trans::No, T(1), gk, in.col_block(k * fin, fin), T(0), head_weight_grad(i, k));
                if (din.data) gemm<T>(Trans::No, Trans::No, T(1), gk, head_weight(i, k), T(0), din.col_block(k * fin, fin));
            }
        }
        return need_dx ? TensorView<const T>(dx_) : TensorView<const T>();
    }

    void parameters(ParameterList<T>& out, const std::string& prefix) {
        for (std::size_t i = 0; i < hidden_.size(); ++i) {
            out.push_back({prefix + "weight" + std::to_string(i), weight_[i].view(), dweight_[i].view()});
            out.push_back({prefix + "bias" + std::to_string(i), bias_[i].view(), dbias_[i].view()});
        }
        out.push_back({prefix + "weight_out", weight_out_.view(), dweight_out_.view()});
        out.push_back({prefix + "bias_out", bias_out_.view(), dbias_out_.view()});
    }

    /// Hidden layer i's weights (K, h_i, h_{i-1}) and biases (K, h_i).
    Tensor<T>& weight(std::size_t i) { return weight_.at(i); }
    Tensor<T>& bias(std::size_t i) { return bias_.at(i); }
    const Tensor<T>& weight(std::size_t i) const { return weight_.at(i); }
    const Tensor<T>& bias(std::size_t i) const { return bias_.at(i); }
    /// Output layer weights (K, h_last) and biases (K).
    Tensor<T>& weight_out() { return weight_out_; }
    Tensor<T>& bias_out() { return bias_out_; }
    const Tensor<T>& weight_out() const { return weight_out_; }
    const Tensor<T>& bias_out() const { return bias_out_; }

private:
    Index fan_in(std::size_t i) const { return i == 0 ? in_ : hidden_[i - 1]; }
    Index last_width() const { return hidden_.empty() ? in_ : hidden_.back(); }

    /// Input of layer i (i == hidden.size() is the output layer) as (B, K * width): head k
    /// reads column block k. For i == 0 this is the per-task input; shared input is handled
    /// by the callers.
    MatrixRef<const T> layer_input(std::size_t i) const {
        if (i == 0) return {x_.data(), x_.dim(0), heads_ * in_};
        return act_[i - 1].mref();
    }
    /// weight (K, h, fin) read as the stacked (K * h, fin) matrix of all heads.
    static MatrixRef<T> stacked(Tensor<T>& w) { return {w.data(), w.dim(0) * w.dim(1), w.dim(2)}; }
    static MatrixRef<const T> stacked(const Tensor<T>& w) { return {w.data(), w.dim(0) * w.dim(1), w.dim(2)}; }
    /// Head k's (h, fin) slice of layer i's weights / gradients.
    MatrixRef<const T> head_weight(std::size_t i, Index k) const {
        const Tensor<T>& w = weight_[i];
        return {w.data() + k * w.dim(1) * w.dim(2), w.dim(1), w.dim(2)};
    }
    MatrixRef<T> head_weight_grad(std::size_t i, Index k) {
        Tensor<T>& w = dweight_[i];
        return {w.data() + k * w.dim(1) * w.dim(2), w.dim(1), w.dim(2)};
    }

    void fill_init(Tensor<T>& w, Rng& rng, Index fin, Index fout) const {
        if (init_ == Init::He) {
            const double sd = std::sqrt(2.0 / double(fin));
            for (auto& v : w) v = T(rng.normal(0.0, sd));
        } else {
            const double a = std::sqrt(6.0 / double(fin + fout));
            for (auto& v : w) v = T(rng.uniform(-a, a));
        }
    }

    Index heads_;  // K in the formulas above
    Index in_;
    std::vector<Index> hidden_;
    Init init_;
    std::vector<Tensor<T>> weight_, bias_, dweight_, dbias_;
    Tensor<T> weight_out_, bias_out_, dweight_out_, dbias_out_;
    TensorView<const T> x_;
    bool shared_ = true;
    std::vector<Tensor<T>> act_, dact_;  // post-ReLU activations / their gradients, (B, K * h_i)
    Tensor<T> y_, dx_;
};

}  // namespace polytag
