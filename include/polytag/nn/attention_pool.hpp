#pragma once
// AttentionPool<T>(features D, tasks K): learned pooling over the time axis of
// (batch B, frames F, features D) input (decision-level attention, Kong et al. 2018).
//
//   score  s(b,f,k) = x(b,f,:) . weight(k,:) + bias(k)
//   weight a(b,f,k) = softmax over frames f of s(b,:,k)
//   output o(b,k,:) = sum_f a(b,f,k) x(b,f,:)
//
// Output (B, D) when K == 1 (one attention shared by all tasks), (B, K, D) otherwise (one
// pooled vector per task, to feed MultiHead's per-task input). Parameters: "weight" (K, D),
// "bias" (K): the score is torch.nn.Linear(D, K) applied per frame, same layout. The bias
// shifts every frame's score alike, so the softmax cancels it: its gradient is exactly 0
// (it is kept so that a torch model maps 1:1). init() sets both to zero, so a fresh layer is
// exactly mean pooling and learns to deviate from it; the tasks' weights diverge because
// their heads' gradients differ.
//
// Computation: all scores are one GEMM (B*F, D) x (D, K); the pooling is one small GEMM per
// batch row, a_b^T (K, F) x x_b (F, D).
#include <string>

#include "polytag/nn/layer.hpp"
#include "polytag/tensor/kernels.hpp"

namespace polytag {

template <typename T>
class AttentionPool {
public:
    using Scalar = T;

    explicit AttentionPool(Index features, Index tasks = 1)
        : features_(features), tasks_(tasks), weight_(Shape{tasks, features}, T(0)), bias_(Shape{tasks}, T(0)),
          dweight_(Shape{tasks, features}, T(0)), dbias_(Shape{tasks}, T(0)), colsum_(Shape{tasks}) {
        if (features < 1 || tasks < 1)
            throw ShapeError("polytag::AttentionPool: features and tasks must be positive, got features=" +
                             std::to_string(features) + " tasks=" + std::to_string(tasks));
    }

    Index features() const { return features_; }
    Index tasks() const { return tasks_; }

    Shape output_shape(const Shape& in) const {
        if (in.rank() != 2 || in[0] < 1 || in[1] != features_)
            throw ShapeError("polytag::AttentionPool: expects (frames, " + std::to_string(features_) +
                             ") per sample, input is " + in.str());
        return tasks_ == 1 ? Shape{features_} : Shape{tasks_, features_};
    }

    /// Zero weight and bias: uniform attention, i.e. mean pooling.
    void init(Rng&) {
        weight_.set_zero();
        bias_.set_zero();
    }

    TensorView<const T> forward(TensorView<const T> x, Mode) {
        if (x.rank() != 3 || x.dim(1) < 1 || x.dim(2) != features_)
            throw ShapeError("polytag::AttentionPool: expects (batch, frames, " + std::to_string(features_) +
                             "), input is " + x.shape().str());
        x_ = x;
        const Index batch = x.dim(0), frames = x.dim(1), d = features_, k = tasks_;
        attention_.resize(Shape{batch, frames, k});
        gemm<T>(Trans::No, Trans::Yes, T(1), x.mref(), weight_.mref(), T(0), attention_.mref());
        add_bias<T>(attention_.mref(), bias_.data());
        softmax<T>(attention_.view(), attention_.view(), 1);
        y_.resize(k == 1 ? Shape{batch, d} : Shape{batch, k, d});
        for (Index b = 0; b < batch; ++b)
            gemm<T>(Trans::Yes, Trans::No, T(1), attention_block(b), input_block(b), T(0), output_block(y_.data(), b));
        return y_;
    }

    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        if (dy.shape() != y_.shape())
            throw ShapeError("polytag::AttentionPool::backward: dy " + dy.shape().str() + " vs output " +
                             y_.shape().str());
        const Index batch = x_.dim(0), frames = x_.dim(1), k = tasks_;
        const T* dyp = dy.data();
        // d loss / d attention, then through the softmax over frames into d loss / d score:
        // ds(b,f,k) = a(b,f,k) * (da(b,f,k) - sum_f' a(b,f',k) da(b,f',k)).
        dscore_.resize(attention_.shape());
        for (Index b = 0; b < batch; ++b) {
            MatrixRef<T> ds(dscore_.data() + b * frames * k, frames, k);
            gemm<T>(Trans::No, Trans::Yes, T(1), input_block(b), output_block(dyp, b), T(0), ds);
            auto a = attention_block(b).map();
            auto c = colsum_.matrix();
            c.noalias() = (a.array() * ds.map().array()).colwise().sum().matrix();
            ds.map().array() = a.array() * (ds.map().rowwise() - c.row(0)).array();
        }
        gemm<T>(Trans::Yes, Trans::No, T(1), dscore_.mref(), x_.mref(), T(0), dweight_.mref());
        sum_rows<T>(dscore_.mref(), dbias_.data());
        if (!need_dx) return {};
        dx_.resize(x_.shape());
        gemm<T>(Trans::No, Trans::No, T(1), dscore_.mref(), weight_.mref(), T(0), dx_.mref());
        for (Index b = 0; b < batch; ++b)
            gemm<T>(Trans::No, Trans::No, T(1), attention_block(b), output_block(dyp, b), T(1),
                    MatrixRef<T>(dx_.data() + b * frames * features_, frames, features_));
        return dx_;
    }

    void parameters(ParameterList<T>& out, const std::string& prefix) {
        out.push_back({prefix + "weight", weight_.view(), dweight_.view()});
        out.push_back({prefix + "bias", bias_.view(), dbias_.view()});
    }

    Tensor<T>& weight() { return weight_; }
    Tensor<T>& bias() { return bias_; }
    const Tensor<T>& weight() const { return weight_; }
    const Tensor<T>& bias() const { return bias_; }
    /// The attention a(b, f, k) of the last forward, shape (B, F, K).
    const Tensor<T>& attention() const { return attention_; }

private:
    MatrixRef<const T> attention_block(Index b) const {
        const Index frames = attention_.dim(1);
        return {attention_.data() + b * frames * tasks_, frames, tasks_};
    }
    MatrixRef<const T> input_block(Index b) const {
        const Index frames = x_.dim(1);
        return {x_.data() + b * frames * features_, frames, features_};
    }
    /// Rows of batch element b in a (B, K, D) tensor (the output or its gradient) as a (K, D) matrix.
    template <typename U>
    MatrixRef<U> output_block(U* base, Index b) const {
        return {base + b * tasks_ * features_, tasks_, features_};
    }

    Index features_, tasks_;
    Tensor<T> weight_, bias_, dweight_, dbias_;
    Tensor<T> colsum_;  // (K): per-task sum over frames in the softmax backward
    TensorView<const T> x_;
    Tensor<T> attention_, y_, dscore_, dx_;
};

}  // namespace polytag
