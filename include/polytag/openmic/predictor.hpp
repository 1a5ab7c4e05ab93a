#pragma once
// openmic::Predictor: serve a trained OpenMIC model file, cheaply to include.
//
//   #include <polytag/openmic/predictor.hpp>
//   auto p = polytag::openmic::Predictor::load("model.npz");    // validated; throws polytag::Error
//   std::vector<float> r(p.classes());
//   p.predict(clip_bytes, r);                                    // frames() x features() bytes -> classes()
//   p.predict(many_clips, scores);                               // N clips -> N x classes(), N from the size
//
// This header includes only the standard library: the network, Eigen, the npz reader and the
// JSON parser are compiled once, in the implementation (predictor_impl.hpp). Either link
// `polytag::predictor` (a small static library polytag builds from src/openmic_predictor.cpp),
// or stay header-only and include <polytag/openmic/predictor_impl.hpp> in exactly one of your
// translation units (the pattern of stb and doctest).
//
// predict() is const and thread-safe; concurrent calls each borrow their own activation
// buffers, nothing is allocated after the first calls at a given size. Predictions are
// bitwise those of RelevanceModel::predict for the same file.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "polytag/error.hpp"

namespace polytag::openmic {

class Predictor {
public:
    /// Loads and validates a model file (docs/model-file.md); errors name the file and field.
    static Predictor load(const std::string& path);

    Predictor(Predictor&&) noexcept;
    Predictor& operator=(Predictor&&) noexcept;
    ~Predictor();

    std::size_t frames() const;     ///< VGGish frames per clip (10 for OpenMIC)
    std::size_t features() const;   ///< bytes per frame (128)
    std::size_t clip_size() const { return frames() * features(); }
    std::size_t classes() const;    ///< relevances per clip (20)
    const std::vector<std::string>& class_names() const;
    /// The column of an instrument; unknown names are a ValueError that suggests the closest.
    std::size_t class_index(const std::string& name) const;

    /// Scores in.size() / clip_size() clips: `in` holds whole clips of frames() x features()
    /// bytes (row-major), `out` exactly classes() floats per clip. Any other size is a
    /// ShapeError naming both sizes (no partial clip is ever read).
    void predict(const std::uint8_t* in, std::size_t in_size, float* out, std::size_t out_size) const;

    /// A model with a second input stream (trained with polytag-train --inputs X,NAME): its
    /// name ("" for the plain X-only model) and the floats per clip it takes (0 without one).
    const std::string& input2_name() const;
    std::size_t input2_frames() const;
    std::size_t input2_features() const;
    std::size_t input2_size() const { return input2_frames() * input2_features(); }
    /// Scores N clips of such a model: `in` N x clip_size() bytes, `in2` N x input2_size()
    /// floats (the array input2_name() of the clips' npz, as floats), `out` N x classes().
    void predict(const std::uint8_t* in, std::size_t in_size, const float* in2, std::size_t in2_size, float* out,
                 std::size_t out_size) const;

    /// The same for any contiguous containers with data() and size() (std::vector, std::array,
    /// std::span, Eigen vectors...).
    template <typename In, typename Out>
    void predict(const In& in, Out& out) const {
        static_assert(sizeof(*in.data()) == 1, "Predictor::predict: the input holds uint8 bytes");
        static_assert(sizeof(*out.data()) == sizeof(float), "Predictor::predict: the output holds floats");
        predict(reinterpret_cast<const std::uint8_t*>(in.data()), std::size_t(in.size()),
                reinterpret_cast<float*>(out.data()), std::size_t(out.size()));
    }

    /// Convenience: the relevances of the clips in `in`, classes() per clip.
    std::vector<float> predict(const std::vector<std::uint8_t>& in) const {
        std::vector<float> out(in.size() / (clip_size() ? clip_size() : 1) * classes());
        predict(in.data(), in.size(), out.data(), out.size());
        return out;
    }

private:
    struct Impl;
    explicit Predictor(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace polytag::openmic
