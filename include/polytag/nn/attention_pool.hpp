#pragma once
// AttentionPool<T>(features D, tasks K): learned pooling over the time axis of
// (batch B, frames F, features D) input (decision-level attention, Kong et al. 2018).
//
//   score  s(b,f,k) = x(b,f,:) . weight(k,:)
//   weight a(b,f,k) = softmax over frames f of s(b,:,k)
//   output o(b,k,:) = sum_f a(b,f,k) x(b,f,:)
//
// Output (B, D) when K == 1 (one attention shared by all tasks), (B, K, D) otherwise (one
// pooled vector per task, to feed MultiHead's per-task input). Parameter: "weight" (K, D): the
// score is torch.nn.Linear(D, K, bias=False) applied per frame, same layout. There is no bias:
// it would shift every frame's score alike, the softmax would cancel it, and it could never
// change the output (a dead parameter). init() sets the weight to zero, so a fresh layer is
// exactly mean pooling and learns to deviate from it; the tasks' weights diverge because
// their heads' gradients differ.
//
// Computation: all scores are one GEMM (B*F, D) x (D, K), and so are the weight gradient and
// the score part of dx. The pooling and its dx are one small GEMM per clip (K x F x D); the
// attention gradient, dot products of a frame and a task's dy, is a loop vectorised over D.
#include <string>

#include "polytag/nn/layer.hpp"
#include "polytag/tensor/kernels.hpp"

namespace polytag {

template <typename T>
class AttentionPool {
public:
    using Scalar = T;

    explicit AttentionPool(Index features, Index tasks = 1)
        : features_(features), tasks_(tasks), weight_(Shape{tasks, features}, T(0)),
          dweight_(Shape{tasks, features}, T(0)) {
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

    /// Zero weight: uniform attention, i.e. mean pooling.
    void init(Rng&) { weight_.set_zero(); }

    TensorView<const T> forward(TensorView<const T> x, Mode) {
        if (x.rank() != 3 || x.dim(1) < 1 || x.dim(2) != features_)
            throw ShapeError("polytag::AttentionPool: expects (batch, frames, " + std::to_string(features_) +
                             "), input is " + x.shape().str());
        x_ = x;
        const Index batch = x.dim(0), frames = x.dim(1), d = features_, k = tasks_;
        attention_.resize(Shape{batch, frames, k});
        gemm<T>(Trans::No, Trans::Yes, T(1), x.mref(), weight_.mref(), T(0), attention_.mref());
        softmax<T>(attention_.view(), attention_.view(), 1);
        y_.resize(k == 1 ? Shape{batch, d} : Shape{batch, k, d});
        // o(b,k,:) = sum_f a(b,f,k) x(b,f,:): per clip the product (K x F) A_b^T (F x D) X_b, which
        // polytag::gemm sends to a JIT kernel (libxsmm) at the model's sizes; Eigen's own product
        // cleared and packed its operands per clip and took 1.8x as long (bench_layers).
        const T* a = attention_.data();
        for (Index b = 0; b < batch; ++b)
            gemm<T>(Trans::Yes, Trans::No, T(1), MatrixRef<const T>(a + b * frames * k, frames, k),
                    MatrixRef<const T>(x.data() + b * frames * d, frames, d), T(0),
                    MatrixRef<T>(y_.data() + b * k * d, k, d));
        return y_;
    }

    TensorView<const T> backward(TensorView<const T> dy, bool need_dx = true) {
        if (dy.shape() != y_.shape())
            throw ShapeError("polytag::AttentionPool::backward: dy " + dy.shape().str() + " vs output " +
                             y_.shape().str());
        const Index batch = x_.dim(0), frames = x_.dim(1), d = features_, k = tasks_;
        const T* dyp = dy.data();
        const T* xp = x_.data();
        const T* a = attention_.data();
        // d loss / d attention da(b,f,k) = x(b,f,:) . dy(b,k,:), then through the softmax over
        // frames into d loss / d score: ds(b,f,k) = a(b,f,k) * (da(b,f,k) - sum_f' a(b,f',k) da(b,f',k)).
        dscore_.resize(attention_.shape());
        T* ds = dscore_.data();
        for (Index b = 0; b < batch; ++b)
            for (Index t = 0; t < k; ++t) {
                ConstRowMap g(dyp + (b * k + t) * d, d);
                T weighted = T(0);
                for (Index f = 0; f < frames; ++f) {
                    const Index i = (b * frames + f) * k + t;
                    ds[i] = (ConstRowMap(xp + (b * frames + f) * d, d) * g).sum();
                    weighted += a[i] * ds[i];
                }
                for (Index f = 0; f < frames; ++f) {
                    const Index i = (b * frames + f) * k + t;
                    ds[i] = a[i] * (ds[i] - weighted);
                }
            }
        gemm<T>(Trans::Yes, Trans::No, T(1), dscore_.mref(), x_.mref(), T(0), dweight_.mref());
        if (!need_dx) return {};
        dx_.resize(x_.shape());
        gemm<T>(Trans::No, Trans::No, T(1), dscore_.mref(), weight_.mref(), T(0), dx_.mref());
        // dx(b,f,:) += sum_k a(b,f,k) dy(b,k,:), through the pooling: per clip (F x K) A_b (K x D) dY_b.
        for (Index b = 0; b < batch; ++b)
            gemm<T>(Trans::No, Trans::No, T(1), MatrixRef<const T>(a + b * frames * k, frames, k),
                    MatrixRef<const T>(dyp + b * k * d, k, d), T(1),
                    MatrixRef<T>(dx_.data() + b * frames * d, frames, d));
        return dx_;
    }

    void parameters(ParameterList<T>& out, const std::string& prefix) {
        out.push_back({prefix + "weight", weight_.view(), dweight_.view()});
    }

    Tensor<T>& weight() { return weight_; }
    const Tensor<T>& weight() const { return weight_; }
    /// The attention a(b, f, k) of the last forward, shape (B, F, K).
    const Tensor<T>& attention() const { return attention_; }

private:
    using ConstRowMap = Eigen::Map<const Eigen::Array<T, 1, Eigen::Dynamic>>;

    Index features_, tasks_;
    Tensor<T> weight_, dweight_;
    TensorView<const T> x_;
    Tensor<T> attention_, y_, dscore_, dx_;
};

}  // namespace polytag
