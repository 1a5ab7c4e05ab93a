#pragma once
// The implementation of openmic::Predictor (predictor.hpp). Compiled once: either in
// polytag::predictor (src/openmic_predictor.cpp) or in exactly one translation unit of yours:
// the member functions below are deliberately not inline (as in stb), so that they are emitted
// there and only there.
#include <utility>

#include "polytag/openmic/predictor.hpp"
#include "polytag/openmic/relevance_model.hpp"

namespace polytag::openmic {

struct Predictor::Impl {
    RelevanceModel model;
};

Predictor::Predictor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;
Predictor::~Predictor() = default;

Predictor Predictor::load(const std::string& path) {
    return Predictor(std::unique_ptr<Impl>(new Impl{RelevanceModel::load(path)}));
}

std::size_t Predictor::frames() const { return std::size_t(impl_->model.frames()); }
std::size_t Predictor::features() const { return std::size_t(impl_->model.features()); }
std::size_t Predictor::classes() const { return std::size_t(impl_->model.classes()); }
const std::vector<std::string>& Predictor::class_names() const { return impl_->model.class_names(); }
std::size_t Predictor::class_index(const std::string& name) const {
    return std::size_t(impl_->model.class_index(name));
}

const std::string& Predictor::input2_name() const { return impl_->model.input2(); }
std::size_t Predictor::input2_frames() const { return std::size_t(impl_->model.input2_frames()); }
std::size_t Predictor::input2_features() const { return std::size_t(impl_->model.input2_features()); }

void Predictor::predict(const std::uint8_t* in, std::size_t in_size, const float* in2, std::size_t in2_size, float* out,
                        std::size_t out_size) const {
    const std::size_t clip = clip_size(), n = clip ? in_size / clip : 0;
    if (input2_size() == 0)
        throw ValueError("polytag::openmic::Predictor::predict: the model takes X alone, given a second input");
    if (in_size % clip != 0 || out_size != n * classes() || in2_size != n * input2_size())
        throw ShapeError("polytag::openmic::Predictor::predict: input of " + std::to_string(in_size) + " bytes, " +
                         std::to_string(in2_size) + " floats of '" + input2_name() + "' and output of " +
                         std::to_string(out_size) + " floats are not N clips of " + std::to_string(clip) + " bytes, N x " +
                         std::to_string(input2_size()) + " floats and N x " + std::to_string(classes()) + " relevances");
    impl_->model.predict_inputs(
        TensorView<const std::uint8_t>(in, Shape{Index(n), Index(frames()), Index(features())}),
        TensorView<const float>(in2, Shape{Index(n), Index(input2_frames()), Index(input2_features())}),
        TensorView<float>(out, Shape{Index(n), Index(classes())}));
}

void Predictor::predict(const std::uint8_t* in, std::size_t in_size, float* out, std::size_t out_size) const {
    const std::size_t clip = clip_size(), n = clip ? in_size / clip : 0;
    if (in_size % clip != 0 || out_size != n * classes())
        throw ShapeError("polytag::openmic::Predictor::predict: input of " + std::to_string(in_size) +
                         " bytes and output of " + std::to_string(out_size) + " floats are not N clips of " +
                         std::to_string(clip) + " bytes (" + std::to_string(frames()) + " frames x " +
                         std::to_string(features()) + ") and N x " + std::to_string(classes()) + " relevances");
    impl_->model.predict(TensorView<const std::uint8_t>(in, Shape{Index(n), Index(frames()), Index(features())}),
                         TensorView<float>(out, Shape{Index(n), Index(classes())}));
}

}  // namespace polytag::openmic
