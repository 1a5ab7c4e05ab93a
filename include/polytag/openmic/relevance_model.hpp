#pragma once
// openmic::RelevanceModel: the embeddable OpenMIC-2018 instrument model.
//
//   auto m = polytag::openmic::RelevanceModel::load("model.npz");
//   std::array<float, 20> r = m.predict(clip);        // clip: 10 x 128 uint8 (VGGish frames)
//   Tensor<float> rs = m.predict(clips);               // clips: (N, 10, 128) uint8 -> (N, 20)
//
// A model with a second input stream (config().input2, trained by polytag-train --inputs
// X,NAME) takes that stream too: predict(clips, input2) with input2 (N, input2_frames,
// input2_features) floats (the npz array NAME, uint8 or float, as floats) through
// predict_inputs(clips, input2); predict(clips) alone is then a ValueError naming the input.
//
// It owns the normalisation (mean / std from the training part), the class names and a
// RelevanceNet<float> (or K of them, each with its own normaliser: an ensemble, whose
// relevances are the members' mean). predict() is const and safe to call from many threads at once: each
// call borrows a private replica of the network (its own activation buffers) from a small
// mutex-guarded pool, so no buffer is ever shared between concurrent calls and nothing is
// allocated after the first calls. Replicas are rebuilt when the weights change (net()).
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "polytag/nn/predict.hpp"
#include "polytag/openmic/instruments.hpp"
#include "polytag/openmic/normalizer.hpp"
#include "polytag/openmic/model_config.hpp"
#include "polytag/openmic/model_file.hpp"
#include "polytag/openmic/relevance_net.hpp"

namespace polytag::openmic {

class RelevanceModel {
public:
    using Net = RelevanceNet<float>;
    /// Clips scored per network call by the batched predict (bounds its memory; models whose
    /// per-clip activations are very wide score fewer clips per call, see predict_chunk()).
    /// polytag::predict's 64 (nn/predict.hpp), which keeps the default model's widest
    /// activation (64 x 10 x 256 floats, 655 KB) in L2.
    static constexpr Index kPredictChunk = kDefaultPredictChunk;

    /// A freshly initialised model (identity normalisation, release class names).
    explicit RelevanceModel(const ModelConfig& config = {}, std::uint64_t seed = 1) : RelevanceModel(config, Uninitialised{}) {
        Rng rng(seed);
        members_[0].net->init(rng);
    }

    RelevanceModel(RelevanceModel&& o) noexcept { *this = std::move(o); }
    RelevanceModel& operator=(RelevanceModel&& o) noexcept {
        class_names_ = std::move(o.class_names_);
        members_ = std::move(o.members_);
        std::lock_guard<std::mutex> lock(mutex_);
        spares_.clear();
        generation_.fetch_add(1);
        return *this;
    }
    /// A deep copy (e.g. to keep the best weights while training goes on).
    RelevanceModel(const RelevanceModel& o) : class_names_(o.class_names_) {
        for (const auto& m : o.members_)
            members_.push_back(Member{m.config, m.normalizer, std::make_unique<Net>(*m.net), m.normalizer2});
    }
    RelevanceModel& operator=(const RelevanceModel& o) {
        if (this != &o) *this = RelevanceModel(o);
        return *this;
    }

    /// An ensemble: predict() averages the members' relevances (in member order). Every member
    /// must take the same clips (frames, features) and have the same class names; an ensemble
    /// of ensembles is flattened. Throws ValueError otherwise or for an empty list.
    static RelevanceModel ensemble(std::vector<RelevanceModel> models);

    /// Loads and validates a model file, single model or ensemble (model_file.hpp); errors
    /// name the file and field.
    static RelevanceModel load(const std::string& path);
    /// Writes the model file atomically (an ensemble file when members() > 1).
    /// `training_json` is stored as informational metadata.
    void save(const std::string& path, const std::string& training_json = "") const;

    /// 1 for a single model, K for an ensemble of K.
    Index members() const { return Index(members_.size()); }
    bool is_ensemble() const { return members_.size() > 1; }
    /// The config of member 0 (every member takes the same clips).
    const ModelConfig& config() const { return members_[0].config; }
    const ModelConfig& config(Index member) const { return members_.at(std::size_t(member)).config; }
    const std::vector<std::string>& class_names() const { return class_names_; }
    Index classes() const { return kClasses; }
    Index frames() const { return members_[0].config.frames; }
    Index features() const { return members_[0].config.features; }

    /// The column of an instrument; an unknown name is a ValueError suggesting the closest.
    Index class_index(const std::string& name) const { return openmic::class_index(class_names_, name); }

    const Normalizer& normalizer() const { return members_[0].normalizer; }
    const Normalizer& normalizer(Index member) const { return members_.at(std::size_t(member)).normalizer; }
    void set_normalizer(Normalizer n) {
        single("set_normalizer");
        n.check(config().features);
        members_[0].normalizer = std::move(n);
        generation_.fetch_add(1);
    }
    /// The second input's normaliser (config().input2; a ValueError without one).
    const Normalizer& normalizer2(Index member = 0) const { return members_.at(std::size_t(member)).normalizer2; }
    void set_normalizer2(Normalizer n) {
        single("set_normalizer2");
        if (!config().has_input2())
            throw ValueError("polytag::openmic::RelevanceModel::set_normalizer2: the model has no second input");
        n.check(config().input2_features);
        members_[0].normalizer2 = std::move(n);
        generation_.fetch_add(1);
    }
    /// The name of the second input ("" for the X-only model) and its per-clip shape.
    const std::string& input2() const { return config().input2; }
    bool has_input2() const { return config().has_input2(); }
    Index input2_frames() const { return config().input2_frames; }
    Index input2_features() const { return config().input2_features; }

    /// The trainable network of a single model (a ValueError for an ensemble). Taking it
    /// mutable marks the prediction replicas stale; do not call predict() while another
    /// thread trains through this reference.
    Net& net() {
        single("net");
        generation_.fetch_add(1);
        return *members_[0].net;
    }
    const Net& net() const {
        single("net");
        return *members_[0].net;
    }
    const Net& net(Index member) const { return *members_.at(std::size_t(member)).net; }

    /// 20 relevances in [0, 1] for one clip of frames() x features() bytes, row-major.
    std::array<float, kClasses> predict(const std::uint8_t* clip) const {
        require_x_only("predict");
        Lease lease(*this);
        Replica& r = *lease.replica;
        std::array<float, kClasses> out{};
        for (std::size_t m = 0; m < members_.size(); ++m) {
            const ModelConfig& c = members_[m].config;
            r.input.resize(Shape{1, c.frames, c.features});
            members_[m].normalizer.apply(clip, c.frames, r.input.data());
            TensorView<const float> y = r.nets[m].forward(r.input, Mode::Eval);
            for (Index k = 0; k < kClasses; ++k) out[std::size_t(k)] = m == 0 ? y[k] : out[std::size_t(k)] + y[k];
        }
        if (members_.size() > 1)
            for (auto& v : out) v /= float(members_.size());
        return out;
    }

    /// (N, frames, features) uint8 clips -> (N, 20) relevances.
    Tensor<float> predict(TensorView<const std::uint8_t> clips) const {
        Tensor<float> out(Shape{clips.rank() > 0 ? clips.dim(0) : 0, kClasses});
        predict(clips, out);
        return out;
    }

    /// (N, frames, features) uint8 clips and (N, input2_frames, input2_features) values of the
    /// second input -> (N, 20) relevances (a model with config().input2).
    /// (Not an overload of predict: a Tensor<float> would convert to both views.)
    Tensor<float> predict_inputs(TensorView<const std::uint8_t> clips, TensorView<const float> input2) const {
        Tensor<float> out(Shape{clips.rank() > 0 ? clips.dim(0) : 0, kClasses});
        predict_inputs(clips, input2, out);
        return out;
    }

    /// The same into `out` (N, 20), allocating nothing once warm.
    void predict(TensorView<const std::uint8_t> clips, TensorView<float> out) const {
        require_x_only("predict");
        predict_impl(clips, nullptr, out);
    }
    void predict_inputs(TensorView<const std::uint8_t> clips, TensorView<const float> input2, TensorView<float> out) const {
        if (!has_input2())
            throw ValueError("polytag::openmic::RelevanceModel::predict_inputs: the model takes X alone, given a second input");
        const Index n = clips.rank() > 0 ? clips.dim(0) : 0;
        if (input2.shape() != Shape{n, input2_frames(), input2_features()})
            throw ShapeError("polytag::openmic::RelevanceModel::predict_inputs: input2 '" + this->input2() + "' is " +
                             input2.shape().str() + ", expected (" + std::to_string(n) + ", " +
                             std::to_string(input2_frames()) + ", " + std::to_string(input2_features()) + ")");
        predict_impl(clips, &input2, out);
    }

private:
    void require_x_only(const char* what) const {
        if (has_input2())
            throw ValueError(std::string("polytag::openmic::RelevanceModel::") + what + ": the model also takes input '" +
                             input2() + "' (" + std::to_string(input2_frames()) + " x " +
                             std::to_string(input2_features()) + " per clip): use predict_inputs");
    }
    void predict_impl(TensorView<const std::uint8_t> clips, const TensorView<const float>* input2, TensorView<float> out) const {
        if (clips.rank() != 3 || clips.dim(1) != frames() || clips.dim(2) != features())
            throw ShapeError("polytag::openmic::RelevanceModel::predict: clips " + clips.shape().str() +
                             " are not (N, " + std::to_string(frames()) + ", " + std::to_string(features()) +
                             ") as the model's config (frames " + std::to_string(frames()) + ", features " +
                             std::to_string(features()) + ") says");
        const Index n = clips.dim(0), clip_size = frames() * features();
        if (out.shape() != Shape{n, kClasses})
            throw ShapeError("polytag::openmic::RelevanceModel::predict: output " + out.shape().str() + " for " +
                             std::to_string(n) + " clips is not (" + std::to_string(n) + ", " +
                             std::to_string(kClasses) + ")");
        Lease lease(*this);
        Replica& r = *lease.replica;
        const Index chunk = predict_chunk();
        const float scale = 1.0f / float(members_.size());
        const Index clip2 = input2 ? input2_frames() * input2_features() : 0;
        for (Index begin = 0; begin < n; begin += chunk) {
            const Index count = std::min(chunk, n - begin);
            float* dst = out.data() + begin * kClasses;
            for (std::size_t m = 0; m < members_.size(); ++m) {
                r.input.resize(Shape{count, frames(), features()});
                for (Index i = 0; i < count; ++i)
                    members_[m].normalizer.apply(clips.data() + (begin + i) * clip_size, frames(),
                                                 r.input.data() + i * clip_size);
                TensorView<const float> y;
                if (input2) {
                    r.input2.resize(Shape{count, input2_frames(), input2_features()});
                    for (Index i = 0; i < count; ++i)
                        members_[m].normalizer2.apply(input2->data() + (begin + i) * clip2, input2_frames(),
                                                      r.input2.data() + i * clip2);
                    r.views.resize(2);
                    r.views[0] = r.input.view();
                    r.views[1] = r.input2.view();
                    y = r.nets[m].forward(r.views, Mode::Eval);
                } else {
                    y = r.nets[m].forward(r.input, Mode::Eval);
                }
                if (m == 0) std::copy(y.begin(), y.end(), dst);
                else
                    for (Index j = 0; j < y.size(); ++j) dst[j] += y[j];
            }
            if (members_.size() > 1)
                for (Index j = 0; j < count * kClasses; ++j) dst[j] *= scale;
        }
    }

public:

    /// Clips per network call: kPredictChunk, fewer when a clip's widest activation is so
    /// large that kPredictChunk of them would pass 64 MiB (the reference model: 10 x 256 floats).
    Index predict_chunk() const {
        Index per_clip = frames() * features();
        for (const auto& m : members_) {
            for (int w : m.config.trunk) per_clip = std::max<Index>(per_clip, frames() * w);
            per_clip = std::max<Index>(per_clip, kClasses * m.config.trunk.back());
            for (int w : m.config.head) per_clip = std::max<Index>(per_clip, kClasses * w);
            if (m.config.has_input2()) {
                per_clip = std::max<Index>(per_clip, Index(m.config.input2_frames) * (m.config.features + m.config.input2_features));
                for (int w : m.config.input2_trunk) per_clip = std::max<Index>(per_clip, Index(m.config.input2_frames) * w);
            }
        }
        return std::clamp<Index>(Index(16) * 1024 * 1024 / per_clip, 1, kPredictChunk);
    }

private:
    struct Uninitialised {};
    /// Parameters allocated, not initialised (load() overwrites every one).
    RelevanceModel(const ModelConfig& config, Uninitialised) {
        for (const auto& n : release_instrument_names()) class_names_.push_back(n);
        members_.push_back(Member{config, Normalizer::identity(config.features), std::make_unique<Net>(config),
                                  config.has_input2() ? Normalizer::identity(config.input2_features) : Normalizer{}});
    }
    void single(const char* what) const {
        if (members_.size() != 1)
            throw ValueError(std::string("polytag::openmic::RelevanceModel::") + what + ": the model is an ensemble of " +
                             std::to_string(members_.size()) + " members, not one network");
    }

    struct Member {
        ModelConfig config;
        Normalizer normalizer;
        std::unique_ptr<Net> net;
        Normalizer normalizer2;  ///< of config.input2, empty without one
    };
    struct Replica {
        std::vector<Net> nets;
        Tensor<float> input;
        std::uint64_t generation;
        Tensor<float> input2;
        std::vector<TensorView<const float>> views;
    };
    /// Borrows a replica for one predict call and returns it to the pool afterwards.
    struct Lease {
        const RelevanceModel& model;
        std::unique_ptr<Replica> replica;
        explicit Lease(const RelevanceModel& m) : model(m) {
            const std::uint64_t gen = m.generation_.load();
            {
                std::lock_guard<std::mutex> lock(m.mutex_);
                while (!m.spares_.empty() && !replica) {
                    replica = std::move(m.spares_.back());
                    m.spares_.pop_back();
                    if (replica->generation != gen) replica.reset();  // stale weights
                }
            }
            if (!replica) {
                replica.reset(new Replica{{}, Tensor<float>(), gen, Tensor<float>(), {}});
                replica->nets.reserve(m.members_.size());
                for (const auto& mem : m.members_) replica->nets.push_back(*mem.net);
            }
        }
        ~Lease() {
            std::lock_guard<std::mutex> lock(model.mutex_);
            if (replica->generation == model.generation_.load()) model.spares_.push_back(std::move(replica));
        }
    };

    std::vector<std::string> class_names_;
    std::vector<Member> members_;
    mutable std::mutex mutex_;
    mutable std::vector<std::unique_ptr<Replica>> spares_;
    mutable std::atomic<std::uint64_t> generation_{0};
};

inline RelevanceModel RelevanceModel::ensemble(std::vector<RelevanceModel> models) {
    if (models.empty()) throw ValueError("polytag::openmic::RelevanceModel::ensemble: no members");
    RelevanceModel out(std::move(models[0]));
    for (std::size_t i = 1; i < models.size(); ++i) {
        RelevanceModel& m = models[i];
        if (m.frames() != out.frames() || m.features() != out.features())
            throw ValueError("polytag::openmic::RelevanceModel::ensemble: model " + std::to_string(i) + " takes " +
                             std::to_string(m.frames()) + " x " + std::to_string(m.features()) + " clips, model 0 " +
                             std::to_string(out.frames()) + " x " + std::to_string(out.features()));
        if (m.input2() != out.input2() || m.input2_frames() != out.input2_frames() ||
            m.input2_features() != out.input2_features())
            throw ValueError("polytag::openmic::RelevanceModel::ensemble: model " + std::to_string(i) +
                             " takes second input '" + m.input2() + "', model 0 '" + out.input2() + "'");
        if (m.class_names() != out.class_names())
            throw ValueError("polytag::openmic::RelevanceModel::ensemble: model " + std::to_string(i) +
                             " has other class names than model 0");
        for (auto& mem : m.members_) out.members_.push_back(std::move(mem));
    }
    out.generation_.fetch_add(1);
    return out;
}

inline void RelevanceModel::save(const std::string& path, const std::string& training_json) const {
    ModelFileContents c;
    c.class_names = class_names_;
    c.training_json = training_json;
    c.ensemble = members_.size() > 1;
    for (const auto& m : members_) {
        ModelMemberContents mc;
        mc.config = m.config;
        mc.normalizer = m.normalizer;
        mc.normalizer2 = m.normalizer2;
        // parameters() needs a mutable network; a private copy keeps save() const and thread-safe.
        Net copy(*m.net);
        for (const auto& p : copy.parameters()) mc.weights.emplace(p.name, Tensor<float>::copy_of(p.value));
        c.members.push_back(std::move(mc));
    }
    write_model_file(path, c);
}

inline RelevanceModel RelevanceModel::load(const std::string& path) {
    ModelFileContents c = read_model_file(path);
    try {
        std::vector<RelevanceModel> models;
        for (auto& mc : c.members) {
            // Every stored shape matched mc.config's parameter_shapes(): building allocates
            // only what the file holds.
            RelevanceModel m(mc.config, Uninitialised{});
            try {
                m.set_normalizer(mc.normalizer);
            } catch (const ValueError& e) {
                throw detail::model_file_error(path, "normalizer", e.what());
            }
            if (mc.config.has_input2()) {
                try {
                    m.set_normalizer2(mc.normalizer2);
                } catch (const ValueError& e) {
                    throw detail::model_file_error(path, "input2.normalizer", e.what());
                }
            }
            m.class_names_ = c.class_names;
            for (auto& p : m.members_[0].net->parameters()) {
                auto it = mc.weights.find(p.name);
                if (it == mc.weights.end() || it->second.shape() != p.value.shape())  // parameter_layout.hpp disagrees
                    throw detail::model_file_error(path, p.name, "does not match the network the config builds");
                std::copy(it->second.begin(), it->second.end(), p.value.begin());
                mc.weights.erase(it);  // free as we go
            }
            models.push_back(std::move(m));
        }
        if (!c.ensemble) return std::move(models[0]);
        return ensemble(std::move(models));
    } catch (const std::bad_alloc&) {
        throw detail::model_file_error(path, "", "out of memory while building its network");
    }
}

}  // namespace polytag::openmic
