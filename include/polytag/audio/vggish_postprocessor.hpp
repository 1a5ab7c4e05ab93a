#pragma once
// VggishPostprocessor: VGGish's PCA + whitening and 8-bit quantisation, the step that turned
// raw 128-d embeddings into the uint8 frames of AudioSet and of the OpenMIC-2018 release.
//
// For one embedding e (E values), with pca_eigen_vectors P (E, E) and pca_means m (E):
//   p = P (e - m)                                 i.e. (embedding - pca_means) @ pca_eigen_vectors.T
//   c = clip(p, -2, 2)
//   q = (c - (-2)) * (255 / (2 - (-2)))           in [0, 255]
//   byte = uint8(q)                               truncation, as numpy's astype(np.uint8)
// exactly as openmic/vggish/postprocess.py (Google's vggish_postprocess.py) computes it.
// Here p and q are computed in double from the float32 embedding and the float32 parameters,
// so the bytes are those of the exact value: a float32 pipeline (numpy on float32 arrays)
// may differ by one where q lies within its rounding error of an integer.
// Stateless after construction: all methods are const and safe to call from several threads.
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "polytag/error.hpp"
#include "polytag/tensor/tensor.hpp"

namespace polytag::audio {

constexpr double kVggishQuantizeMin = -2.0;
constexpr double kVggishQuantizeMax = 2.0;

class VggishPostprocessor {
public:
    VggishPostprocessor() = default;
    /// eigen_vectors (E, E), means (E,); both finite (checked).
    VggishPostprocessor(Tensor<float> eigen_vectors, Tensor<float> means)
        : vectors_(std::move(eigen_vectors)), means_(std::move(means)) {
        if (vectors_.rank() != 2 || vectors_.dim(0) != vectors_.dim(1) || vectors_.dim(0) < 1)
            throw ShapeError("polytag::audio::VggishPostprocessor: pca_eigen_vectors must be (E, E), got " +
                             vectors_.shape().str());
        if (means_.shape() != Shape{vectors_.dim(0)})
            throw ShapeError("polytag::audio::VggishPostprocessor: pca_means must be (" +
                             std::to_string(vectors_.dim(0)) + ",), got " + means_.shape().str());
        for (Index i = 0; i < vectors_.size(); ++i)
            if (!std::isfinite(vectors_[i]))
                throw ValueError("polytag::audio::VggishPostprocessor: pca_eigen_vectors element " +
                                 std::to_string(i) + " is not finite");
        for (Index i = 0; i < means_.size(); ++i)
            if (!std::isfinite(means_[i]))
                throw ValueError("polytag::audio::VggishPostprocessor: pca_means element " + std::to_string(i) +
                                 " is not finite");
    }

    Index size() const { return means_.size(); }
    const Tensor<float>& eigen_vectors() const { return vectors_; }
    const Tensor<float>& means() const { return means_; }

    /// The PCA-projected, whitened values p (N, E), before clipping, in double.
    Tensor<double> project(TensorView<const float> embeddings) const {
        check(embeddings);
        const Index n = embeddings.dim(0), e = size();
        Tensor<double> p(Shape{n, e});
        Tensor<double> centred(Shape{e});
        for (Index r = 0; r < n; ++r) {
            const float* x = embeddings.data() + r * e;
            for (Index j = 0; j < e; ++j) {
                if (!std::isfinite(x[j]))
                    throw ValueError("polytag::audio::VggishPostprocessor: embedding " + std::to_string(r) +
                                     " element " + std::to_string(j) + " is not finite");
                centred[j] = double(x[j]) - double(means_[j]);
            }
            double* out = p.data() + r * e;
            for (Index i = 0; i < e; ++i) {
                const float* row = vectors_.data() + i * e;
                double s = 0.0;
                for (Index j = 0; j < e; ++j) s += double(row[j]) * centred[j];
                out[i] = s;
            }
        }
        return p;
    }

    /// q = (clip(p, -2, 2) + 2) * 255 / 4 for one projected value: in [0, 255].
    static double quantized_value(double p) {
        const double c = p < kVggishQuantizeMin ? kVggishQuantizeMin : (p > kVggishQuantizeMax ? kVggishQuantizeMax : p);
        return (c - kVggishQuantizeMin) * (255.0 / (kVggishQuantizeMax - kVggishQuantizeMin));
    }

    /// Embeddings (N, E) float -> post-processed bytes (N, E) into `out`.
    void quantize(TensorView<const float> embeddings, TensorView<std::uint8_t> out) const {
        check(embeddings);
        if (out.shape() != embeddings.shape())
            throw ShapeError("polytag::audio::VggishPostprocessor::quantize: output " + out.shape().str() +
                             ", expected " + embeddings.shape().str());
        const Tensor<double> p = project(embeddings);
        for (Index i = 0; i < p.size(); ++i) out[i] = static_cast<std::uint8_t>(quantized_value(p[i]));
    }
    Tensor<std::uint8_t> quantize(TensorView<const float> embeddings) const {
        check(embeddings);
        Tensor<std::uint8_t> out(embeddings.shape());
        quantize(embeddings, out.view());
        return out;
    }

private:
    void check(TensorView<const float> embeddings) const {
        if (size() == 0) throw ValueError("polytag::audio::VggishPostprocessor: no PCA parameters loaded");
        if (embeddings.rank() != 2 || embeddings.dim(1) != size())
            throw ShapeError("polytag::audio::VggishPostprocessor: expects embeddings (N, " +
                             std::to_string(size()) + "), got " + embeddings.shape().str());
    }

    Tensor<float> vectors_, means_;
};

}  // namespace polytag::audio
