#pragma once
// openmic::RelevanceModel: the embeddable OpenMIC-2018 instrument model.
//
//   auto m = polytag::openmic::RelevanceModel::load("model.npz");
//   std::array<float, 20> r = m.predict(clip);        // clip: 10 x 128 uint8 (VGGish frames)
//   Tensor<float> rs = m.predict(clips);               // clips: (N, 10, 128) uint8 -> (N, 20)
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
    static constexpr Index kPredictChunk = 256;

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
        for (const auto& m : o.members_) members_.push_back(Member{m.config, m.normalizer, std::make_unique<Net>(*m.net)});
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

    /// The same into `out` (N, 20), allocating nothing once warm.
    void predict(TensorView<const std::uint8_t> clips, TensorView<float> out) const {
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
        for (Index begin = 0; begin < n; begin += chunk) {
            const Index count = std::min(chunk, n - begin);
            float* dst = out.data() + begin * kClasses;
            for (std::size_t m = 0; m < members_.size(); ++m) {
                r.input.resize(Shape{count, frames(), features()});
                for (Index i = 0; i < count; ++i)
                    members_[m].normalizer.apply(clips.data() + (begin + i) * clip_size, frames(),
                                                 r.input.data() + i * clip_size);
                TensorView<const float> y = r.nets[m].forward(r.input, Mode::Eval);
                if (m == 0) std::copy(y.begin(), y.end(), dst);
                else
                    for (Index j = 0; j < y.size(); ++j) dst[j] += y[j];
            }
            if (members_.size() > 1)
                for (Index j = 0; j < count * kClasses; ++j) dst[j] *= scale;
        }
    }

    /// Clips per network call: kPredictChunk, fewer when a clip's widest activation is so
    /// large that 256 of them would pass 64 MiB (the reference model: 10 x 256 floats).
    Index predict_chunk() const {
        Index per_clip = frames() * features();
        for (const auto& m : members_) {
            for (int w : m.config.trunk) per_clip = std::max<Index>(per_clip, frames() * w);
            per_clip = std::max<Index>(per_clip, kClasses * m.config.trunk.back());
            for (int w : m.config.head) per_clip = std::max<Index>(per_clip, kClasses * w);
        }
        return std::clamp<Index>(Index(16) * 1024 * 1024 / per_clip, 1, kPredictChunk);
    }

private:
    struct Uninitialised {};
    /// Parameters allocated, not initialised (load() overwrites every one).
    RelevanceModel(const ModelConfig& config, Uninitialised) {
        for (const auto& n : release_instrument_names()) class_names_.push_back(n);
        members_.push_back(Member{config, Normalizer::identity(config.features), std::make_unique<Net>(config)});
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
    };
    struct Replica {
        std::vector<Net> nets;
        Tensor<float> input;
        std::uint64_t generation;
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
                replica.reset(new Replica{{}, Tensor<float>(), gen});
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
