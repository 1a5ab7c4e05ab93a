#pragma once
// Gathering a mini-batch: rows of a Dataset in any order -> float buffers the network eats.
// Buffers are Tensors resized per call, so once they have held the largest batch, gathering
// never allocates again.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "polytag/openmic/dataset.hpp"
#include "polytag/openmic/normalizer.hpp"

namespace polytag::openmic {

template <typename T = float>
struct Batch {
    Tensor<T> x;     ///< (B, frames, dims) normalised features (the dataset's X)
    Tensor<T> y;     ///< (B, classes) relevance targets (0.5 where unobserved)
    Tensor<T> mask;  ///< (B, classes) 1 where observed, else 0
    /// (B, per-clip...) the dataset's further inputs (Dataset::inputs()), normalised, in that
    /// order; empty when gathered with X's normaliser alone.
    std::vector<Tensor<T>> inputs;
};

/// One normaliser per input of `d` fitted on `rows`: X's first, then one per further input
/// (Dataset::inputs(), over the input's last axis).
inline std::vector<Normalizer> fit_normalizers(const Dataset& d, const std::vector<Index>& rows) {
    std::vector<Normalizer> out;
    out.push_back(Normalizer::fit(d.features(), rows));
    for (const ClipInput& in : d.inputs()) {
        if (!in.is_bytes()) {
            out.push_back(Normalizer::fit_values(in.values, rows));
            continue;
        }
        // uint8 inputs: exact integer sums, viewed as (N, steps, width).
        const TensorView<const std::uint8_t> v(in.bytes.data(), Shape{in.clips(), in.steps(), in.width()});
        out.push_back(Normalizer::fit(Tensor<std::uint8_t>::copy_of(v), rows));
    }
    return out;
}

/// Fills `out` with rows[0..count) of `d`: features through `norm`, targets and mask copied.
/// Throws ValueError for a row out of range or a normalizer of the wrong width.
template <typename T>
void gather_batch(const Dataset& d, const Normalizer& norm, const Index* rows, Index count, Batch<T>& out) {
    norm.check(d.dims());
    const Index frames = d.frames(), dims = d.dims(), c = d.classes();
    out.x.resize(Shape{count, frames, dims});
    out.y.resize(Shape{count, c});
    out.mask.resize(Shape{count, c});
    const std::uint8_t* features = d.features().data();
    for (Index b = 0; b < count; ++b) {
        const Index r = rows[b];
        if (r < 0 || r >= d.size())
            throw ValueError("polytag::openmic::gather_batch: row " + std::to_string(r) + " outside [0, " +
                             std::to_string(d.size()) + ")");
        norm.apply(features + r * frames * dims, frames, out.x.data() + b * frames * dims);
        for (Index j = 0; j < c; ++j) {
            out.y[b * c + j] = static_cast<T>(d.y_true()[r * c + j]);
            out.mask[b * c + j] = static_cast<T>(d.mask()[r * c + j]);
        }
    }
}

/// Every input: X through norms[0] into out.x, input i through norms[i + 1] into
/// out.inputs[i]; targets and mask as above. `norms` must hold 1 + d.inputs().size() normalisers.
template <typename T>
void gather_batch(const Dataset& d, const std::vector<Normalizer>& norms, const Index* rows, Index count, Batch<T>& out) {
    if (norms.size() != 1 + d.inputs().size())
        throw ValueError("polytag::openmic::gather_batch: " + std::to_string(norms.size()) + " normalisers for " +
                         std::to_string(1 + d.inputs().size()) + " inputs");
    gather_batch(d, norms[0], rows, count, out);
    out.inputs.resize(d.inputs().size());
    for (std::size_t i = 0; i < d.inputs().size(); ++i) {
        const ClipInput& in = d.inputs()[i];
        const Normalizer& norm = norms[i + 1];
        norm.check(in.width());
        const Index per = in.clip_size(), steps = in.steps();
        Shape s = in.per_clip().prepend(count);
        out.inputs[i].resize(s);
        for (Index b = 0; b < count; ++b) {
            T* dst = out.inputs[i].data() + b * per;
            if (in.is_bytes()) norm.apply(in.bytes.data() + rows[b] * per, steps, dst);
            else norm.apply(in.values.data() + rows[b] * per, steps, dst);
        }
    }
}

/// The rows order[begin, end) (e.g. one mini-batch of a shuffled epoch order).
template <typename T>
void gather_batch(const Dataset& d, const Normalizer& norm, const std::vector<Index>& order, Index begin, Index end,
                  Batch<T>& out) {
    if (begin < 0 || end < begin || end > static_cast<Index>(order.size()))
        throw ValueError("polytag::openmic::gather_batch: [" + std::to_string(begin) + ", " + std::to_string(end) +
                         ") outside an order of " + std::to_string(order.size()) + " rows");
    gather_batch(d, norm, order.data() + begin, end - begin, out);
}

/// The uint8 clips of `rows` of `d`, in that order, as one (rows, frames, dims) tensor (the
/// input of RelevanceModel::predict). Throws ValueError for a row out of range.
inline Tensor<std::uint8_t> gather_clips(const Dataset& d, const std::vector<Index>& rows) {
    const Index clip = d.frames() * d.dims();
    Tensor<std::uint8_t> x(Shape{static_cast<Index>(rows.size()), d.frames(), d.dims()});
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Index r = rows[i];
        if (r < 0 || r >= d.size())
            throw ValueError("polytag::openmic::gather_clips: row " + std::to_string(r) + " outside [0, " +
                             std::to_string(d.size()) + ")");
        std::copy(d.features().data() + r * clip, d.features().data() + (r + 1) * clip,
                  x.data() + static_cast<Index>(i) * clip);
    }
    return x;
}

}  // namespace polytag::openmic
