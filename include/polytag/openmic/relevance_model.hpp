#pragma once
// openmic::RelevanceModel: the embeddable OpenMIC-2018 instrument model.
//
//   auto m = polytag::openmic::RelevanceModel::load("model.npz");
//   std::array<float, 20> r = m.predict(clip);        // clip: 10 x 128 uint8 (VGGish frames)
//   Tensor<float> rs = m.predict(clips);               // clips: (N, 10, 128) uint8 -> (N, 20)
//
// It owns the normalisation (mean / std from the training part), the class names and a
// RelevanceNet<float>. predict() is const and safe to call from many threads at once: each
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
#include "polytag/openmic/config.hpp"
#include "polytag/openmic/model_file.hpp"
#include "polytag/openmic/relevance_net.hpp"

namespace polytag::openmic {

class RelevanceModel {
public:
    using Net = RelevanceNet<float>;
    /// Clips scored per network call by the batched predict (bounds its memory).
    static constexpr Index kPredictChunk = 256;

    /// A freshly initialised model (identity normalisation, release class names).
    explicit RelevanceModel(const ModelConfig& config = {}, std::uint64_t seed = 1)
        : config_(config), normalizer_(Normalizer::identity(config.features)), net_(std::make_unique<Net>(config)) {
        for (const auto& n : release_instrument_names()) class_names_.push_back(n);
        Rng rng(seed);
        net_->init(rng);
    }

    RelevanceModel(RelevanceModel&& o) noexcept { *this = std::move(o); }
    RelevanceModel& operator=(RelevanceModel&& o) noexcept {
        config_ = std::move(o.config_);
        class_names_ = std::move(o.class_names_);
        normalizer_ = std::move(o.normalizer_);
        net_ = std::move(o.net_);
        std::lock_guard<std::mutex> lock(mutex_);
        spares_.clear();
        generation_.fetch_add(1);
        return *this;
    }
    /// A deep copy (e.g. to keep the best weights while training goes on).
    RelevanceModel(const RelevanceModel& o)
        : config_(o.config_), class_names_(o.class_names_), normalizer_(o.normalizer_),
          net_(std::make_unique<Net>(*o.net_)) {}
    RelevanceModel& operator=(const RelevanceModel& o) {
        if (this != &o) *this = RelevanceModel(o);
        return *this;
    }

    /// Loads and validates a model file (model/model_file.hpp); errors name the file and field.
    static RelevanceModel load(const std::string& path);
    /// Writes the model file atomically. `training_json` is stored as informational metadata.
    void save(const std::string& path, const std::string& training_json = "") const;

    const ModelConfig& config() const { return config_; }
    const std::vector<std::string>& class_names() const { return class_names_; }
    Index classes() const { return kClasses; }
    Index frames() const { return config_.frames; }
    Index features() const { return config_.features; }

    /// The column of an instrument; an unknown name is a ValueError suggesting the closest.
    Index class_index(const std::string& name) const { return openmic::class_index(class_names_, name); }

    const Normalizer& normalizer() const { return normalizer_; }
    void set_normalizer(Normalizer n) {
        n.check(config_.features);
        normalizer_ = std::move(n);
    }

    /// The trainable network. Taking it mutable marks the prediction replicas stale; do not
    /// call predict() while another thread trains through this reference.
    Net& net() {
        generation_.fetch_add(1);
        return *net_;
    }
    const Net& net() const { return *net_; }

    /// 20 relevances in [0, 1] for one clip of frames() x features() bytes, row-major.
    std::array<float, kClasses> predict(const std::uint8_t* clip) const {
        Lease lease(*this);
        Replica& r = *lease.replica;
        r.input.resize(Shape{1, config_.frames, config_.features});
        normalizer_.apply(clip, config_.frames, r.input.data());
        TensorView<const float> y = r.net.forward(r.input, Mode::Eval);
        std::array<float, kClasses> out{};
        for (Index k = 0; k < kClasses; ++k) out[std::size_t(k)] = y[k];
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
        if (clips.rank() != 3 || clips.dim(1) != config_.frames || clips.dim(2) != config_.features)
            throw ShapeError("polytag::openmic::RelevanceModel::predict: clips " + clips.shape().str() +
                             " are not (N, " + std::to_string(config_.frames) + ", " +
                             std::to_string(config_.features) + ")");
        const Index n = clips.dim(0), clip_size = config_.frames * config_.features;
        if (out.shape() != Shape{n, kClasses})
            throw ShapeError("polytag::openmic::RelevanceModel::predict: output " + out.shape().str() + " for " +
                             std::to_string(n) + " clips is not (" + std::to_string(n) + ", " +
                             std::to_string(kClasses) + ")");
        Lease lease(*this);
        Replica& r = *lease.replica;
        for (Index begin = 0; begin < n; begin += kPredictChunk) {
            const Index count = std::min(kPredictChunk, n - begin);
            r.input.resize(Shape{count, config_.frames, config_.features});
            for (Index i = 0; i < count; ++i)
                normalizer_.apply(clips.data() + (begin + i) * clip_size, config_.frames,
                                  r.input.data() + i * clip_size);
            TensorView<const float> y = r.net.forward(r.input, Mode::Eval);
            std::copy(y.begin(), y.end(), out.data() + begin * kClasses);
        }
    }

private:
    struct Replica {
        Net net;
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
            if (!replica) replica.reset(new Replica{*m.net_, Tensor<float>(), gen});
        }
        ~Lease() {
            std::lock_guard<std::mutex> lock(model.mutex_);
            if (replica->generation == model.generation_.load()) model.spares_.push_back(std::move(replica));
        }
    };

    ModelConfig config_;
    std::vector<std::string> class_names_;
    Normalizer normalizer_;
    std::unique_ptr<Net> net_;
    mutable std::mutex mutex_;
    mutable std::vector<std::unique_ptr<Replica>> spares_;
    mutable std::atomic<std::uint64_t> generation_{0};
};

inline void RelevanceModel::save(const std::string& path, const std::string& training_json) const {
    ModelFileContents c;
    c.config = config_;
    c.class_names = class_names_;
    c.normalizer = normalizer_;
    c.training_json = training_json;
    // parameters() needs a mutable network; a private copy keeps save() const and thread-safe.
    Net copy(*net_);
    for (const auto& p : copy.parameters()) c.weights.emplace(p.name, Tensor<float>::copy_of(p.value));
    write_model_file(path, c);
}

inline RelevanceModel RelevanceModel::load(const std::string& path) {
    ModelFileContents c = read_model_file(path);
    RelevanceModel m(c.config);
    try {
        m.set_normalizer(c.normalizer);
    } catch (const ValueError& e) {
        throw detail::model_file_error(path, "normalizer", e.what());
    }
    m.class_names_ = c.class_names;
    std::size_t used = 0;
    for (auto& p : m.net().parameters()) {
        auto it = c.weights.find(p.name);
        if (it == c.weights.end())
            throw detail::model_file_error(path, p.name, "missing weight (expected shape " + p.value.shape().str() +
                                                             " for the stored config)");
        if (it->second.shape() != p.value.shape())
            throw detail::model_file_error(path, p.name, "has shape " + it->second.shape().str() + ", the config needs " +
                                                             p.value.shape().str());
        std::copy(it->second.begin(), it->second.end(), p.value.begin());
        ++used;
    }
    if (used != c.weights.size())
        for (const auto& [name, w] : c.weights) {
            bool known = false;
            for (const auto& p : m.net().parameters()) known = known || p.name == name;
            if (!known) throw detail::model_file_error(path, name, "unexpected array (not a parameter of the stored config)");
        }
    return m;
}

}  // namespace polytag::openmic
