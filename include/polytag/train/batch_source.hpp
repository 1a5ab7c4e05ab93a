#pragma once
// BatchSource<T>: where fit() (train/fit.hpp) gets its mini-batches. A source holds N rows;
// fill() gathers any list of them into a Batch: one tensor per network input, the targets and
// the mask of observed targets (multi-task labels may be missing; 1 = observed, 0 = not).
//
//   struct MySource : BatchSource<float> {
//       Index rows() const override;
//       void fill(const Index* rows, Index count, Batch<float>& out) const override;
//   };
//
// Contract of fill: resize out.inputs to one Tensor per input, each (count, per-sample...),
// out.target and out.mask to (count, outputs...), and fill them in the order of `rows`. Reuse
// the tensors (Tensor::resize keeps its storage), so once a batch this large was filled
// nothing is allocated: fit() promises no allocation per step and relies on it.
// fill may be called from one thread at a time per Batch; it is const so one source can serve
// several trainings (folds) at once, each with its own Batch.
//
// TensorSource<T> is a BatchSource over tensors in memory (inputs (N, ...), target (N, K),
// optional mask (N, K)): tests, examples, and data that fits in RAM.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag {

template <typename T>
struct Batch {
    std::vector<Tensor<T>> inputs;  ///< one per network input, (B, per-sample...)
    Tensor<T> target;               ///< (B, outputs...)
    Tensor<T> mask;                 ///< like target: nonzero where the target is observed
};

template <typename T>
class BatchSource {
public:
    virtual ~BatchSource() = default;
    /// Number of rows (row indices are 0 .. rows() - 1).
    virtual Index rows() const = 0;
    /// Gathers rows[0 .. count) into `out` (see the contract above).
    virtual void fill(const Index* rows, Index count, Batch<T>& out) const = 0;
};

namespace detail {
/// Copies rows[0..count) of `src` (N, ...) into `dst` (count, ...), resizing it.
template <typename T>
void gather_rows(TensorView<const T> src, const Index* rows, Index count, Tensor<T>& dst) {
    dst.resize(src.shape().with_dim(0, count));
    const Index width = src.dim(0) ? src.size() / src.dim(0) : 0;
    for (Index b = 0; b < count; ++b) {
        const Index r = rows[b];
        if (r < 0 || r >= src.dim(0))
            throw ValueError("polytag::TensorSource: row " + std::to_string(r) + " outside [0, " +
                             std::to_string(src.dim(0)) + ")");
        std::copy_n(src.data() + r * width, width, dst.data() + b * width);
    }
}
}  // namespace detail

template <typename T>
class TensorSource : public BatchSource<T> {
public:
    /// `inputs` (N, ...) each, `target` (N, ...); `mask` like target, or empty for all observed.
    /// The source keeps its own copies.
    TensorSource(std::vector<Tensor<T>> inputs, Tensor<T> target, Tensor<T> mask = {})
        : inputs_(std::move(inputs)), target_(std::move(target)), mask_(std::move(mask)) {
        if (inputs_.empty()) throw ValueError("polytag::TensorSource: no inputs");
        const Index n = target_.rank() ? target_.dim(0) : 0;
        for (const auto& x : inputs_)
            if (x.rank() < 1 || x.dim(0) != n)
                throw ShapeError("polytag::TensorSource: input " + x.shape().str() + " and target " +
                                 target_.shape().str() + " differ in rows");
        if (mask_.empty() && target_.size() > 0) mask_ = Tensor<T>(target_.shape(), T(1));
        if (mask_.shape() != target_.shape())
            throw ShapeError("polytag::TensorSource: mask " + mask_.shape().str() + " vs target " + target_.shape().str());
    }

    Index rows() const override { return target_.dim(0); }
    void fill(const Index* rows, Index count, Batch<T>& out) const override {
        out.inputs.resize(inputs_.size());
        for (std::size_t i = 0; i < inputs_.size(); ++i) detail::gather_rows(inputs_[i].view(), rows, count, out.inputs[i]);
        detail::gather_rows(target_.view(), rows, count, out.target);
        detail::gather_rows(mask_.view(), rows, count, out.mask);
    }

    const std::vector<Tensor<T>>& inputs() const { return inputs_; }
    const Tensor<T>& target() const { return target_; }
    const Tensor<T>& mask() const { return mask_; }

private:
    std::vector<Tensor<T>> inputs_;
    Tensor<T> target_, mask_;
};

}  // namespace polytag
