#pragma once
// DatasetSource: a polytag::BatchSource (train/batch_source.hpp) over the rows of an openmic
// Dataset, so that fit() (train/fit.hpp) trains the OpenMIC model like any other network.
// Input 0 is X through the first normaliser; then each named further input of the dataset
// (Dataset::inputs(), e.g. a second per-clip stream), through its own normaliser, gathered as
// (count, steps, width) (a per-clip vector is one step). Targets are the relevances, the mask
// the observed labels. The floats are those gather_batch (batch.hpp) produces: the same
// Normalizer::apply on the same bytes. fill allocates nothing once a batch this large was
// filled (BatchSource's contract).
#include <string>
#include <utility>
#include <vector>

#include "polytag/openmic/dataset.hpp"
#include "polytag/openmic/normalizer.hpp"
#include "polytag/train/batch_source.hpp"

namespace polytag::openmic {

class DatasetSource final : public BatchSource<float> {
public:
    /// `norms`: X's first, then one per name in `extra` (the further inputs to feed, in order).
    /// Throws ValueError for an unknown input or a normaliser of the wrong width.
    DatasetSource(const Dataset& data, std::vector<Normalizer> norms, const std::vector<std::string>& extra = {})
        : data_(data), norms_(std::move(norms)) {
        if (norms_.size() != 1 + extra.size())
            throw ValueError("polytag::openmic::DatasetSource: " + std::to_string(norms_.size()) + " normalisers for " +
                             std::to_string(1 + extra.size()) + " inputs");
        norms_[0].check(data_.dims());
        for (std::size_t i = 0; i < extra.size(); ++i) {
            const ClipInput& in = data_.input(extra[i]);
            norms_[i + 1].check(in.width());
            extra_.push_back(&in);
        }
    }

    Index rows() const override { return data_.size(); }

    void fill(const Index* rows, Index count, polytag::Batch<float>& out) const override {
        const Index frames = data_.frames(), dims = data_.dims(), c = data_.classes(), n = data_.size();
        out.inputs.resize(1 + extra_.size());
        Tensor<float>& x = out.inputs[0];
        x.resize(Shape{count, frames, dims});
        out.target.resize(Shape{count, c});
        out.mask.resize(Shape{count, c});
        const std::uint8_t* features = data_.features().data();
        const float* y = data_.y_true().data();
        const float* m = data_.mask().data();
        for (Index b = 0; b < count; ++b) {
            const Index r = rows[b];
            if (r < 0 || r >= n)
                throw ValueError("polytag::openmic::DatasetSource: row " + std::to_string(r) + " outside [0, " +
                                 std::to_string(n) + ")");
            norms_[0].apply(features + r * frames * dims, frames, x.data() + b * frames * dims);
            std::copy_n(y + r * c, c, out.target.data() + b * c);
            std::copy_n(m + r * c, c, out.mask.data() + b * c);
        }
        for (std::size_t i = 0; i < extra_.size(); ++i) {
            const ClipInput& in = *extra_[i];
            const Index per = in.clip_size(), steps = in.steps(), width = in.width();
            Tensor<float>& t = out.inputs[i + 1];
            t.resize(Shape{count, steps, width});
            for (Index b = 0; b < count; ++b) {
                float* dst = t.data() + b * per;
                if (in.is_bytes()) norms_[i + 1].apply(in.bytes.data() + rows[b] * per, steps, dst);
                else norms_[i + 1].apply(in.values.data() + rows[b] * per, steps, dst);
            }
        }
    }

    const Dataset& data() const { return data_; }
    const std::vector<Normalizer>& normalizers() const { return norms_; }

private:
    const Dataset& data_;
    std::vector<Normalizer> norms_;
    std::vector<const ClipInput*> extra_;
};

}  // namespace polytag::openmic
