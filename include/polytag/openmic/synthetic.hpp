#pragma once
// make_synthetic: a deterministic, learnable stand-in for OpenMIC-2018, generated in memory,
// so that polytag-train runs on a fresh machine without the release.
//
// What it imitates: 10 frames x 128 uint8 features per clip; clips grouped into tracks (1 to 6
// clips per track, keys "<6-digit track id>_<start sample>", rows in ascending track order)
// that share instrumentation and a background timbre, so group-aware splits matter; each
// instrument has a prior in [0.08, 0.45] and, when present in a clip, plays in a contiguous run
// of 1 to 10 frames; relevance grows with that fraction (0.25 + 0.75 * fraction, plus noise),
// absent instruments get 0 or a small value; about 2 labels per clip are observed (1 to 3,
// biased towards present instruments, as annotation was), the rest is exactly 0.5 with mask 0;
// a track-disjoint train/test split of about 3:1 (for very small sets, one clip may be moved so
// that neither side is empty).
// What makes it learnable: each instrument adds its own fixed prototype pattern (integers in
// [-3, 3] per dimension, scaled by a per-clip gain of 2 or 3) to the frames where it plays, on
// top of the track background (uniform in [-15, 15] per dimension) and per-frame noise (a sum
// of four uniforms in [-6, 6]). A ridge regression on mean-pooled features reaches macro AP
// about 0.81 on the default set (chance: 0.37), so pooling over time well still pays.
// A second stream (SyntheticStreams, for multi-input models): an extra uint8 (N, 10, dims)
// input of its own background and noise (from a second generator, so X's draws are those of
// the plain set) in which the instruments of `classes` are heard in frames >= frame_split
// (their own prototypes), while X carries them only in the frames before: X lacks half of
// what their relevance (the length of their run) depends on, the second stream the other
// half, and only a model reading both sees all of it. The other instruments are in X alone.
// Determinism: only polytag::Rng and integer arithmetic (labels are thousandths divided once),
// so the bytes and labels are identical on every platform, compiler and flag set.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "polytag/openmic/dataset.hpp"
#include "polytag/openmic/instruments.hpp"
#include "polytag/tensor/random.hpp"

namespace polytag::openmic {

/// Default clip count: trains in a few seconds, enough for a clearly better-than-chance AP.
constexpr std::size_t kSyntheticDefaultClips = 3000;

/// The second stream of make_synthetic(clips, seed, streams) (see the header comment).
struct SyntheticStreams {
    std::string name = "stream2";   ///< the further input's name (Dataset::input)
    std::vector<Index> classes;      ///< instruments heard in the second stream from frame_split on
    Index frame_split = 5;
    Index dims = 32;
};

namespace detail {
inline Dataset make_synthetic_impl(std::size_t clips, std::uint64_t seed, const SyntheticStreams* streams);
}

inline Dataset make_synthetic(std::size_t clips = kSyntheticDefaultClips, std::uint64_t seed = 0) {
    return detail::make_synthetic_impl(clips, seed, nullptr);
}
/// The same clips and labels with a second stream beside X (X then lacks the later frames of
/// streams.classes). Throws ValueError for an instrument out of range or dims < 1.
inline Dataset make_synthetic(std::size_t clips, std::uint64_t seed, const SyntheticStreams& streams) {
    for (Index c : streams.classes)
        if (c < 0 || c >= kInstruments)
            throw ValueError("polytag::openmic::make_synthetic: instrument " + std::to_string(c) + " out of range");
    if (streams.dims < 1) throw ValueError("polytag::openmic::make_synthetic: the second stream needs dims >= 1");
    return detail::make_synthetic_impl(clips, seed, &streams);
}

namespace detail {
inline Dataset make_synthetic_impl(std::size_t clips, std::uint64_t seed, const SyntheticStreams* streams) {
    if (clips < 2) throw ValueError("polytag::openmic::make_synthetic: need at least 2 clips, got " + std::to_string(clips));
    if (clips > 900000) throw ValueError("polytag::openmic::make_synthetic: at most 900000 clips, got " + std::to_string(clips));
    Rng rng(seed ^ 0x6f70656e6d696331ULL);  // "openmic1": decorrelates from model seeds
    const Index n = static_cast<Index>(clips), frames = kFrames, dims = kFeatures, classes = kInstruments;

    // Fixed per dataset: instrument priors (thousandths) and prototype patterns.
    std::vector<int> prior(static_cast<std::size_t>(classes));
    for (auto& p : prior) p = 80 + static_cast<int>(rng.below(371));
    std::vector<int> prototype(static_cast<std::size_t>(classes * dims));
    for (auto& v : prototype) v = static_cast<int>(rng.below(7)) - 3;

    Tensor<std::uint8_t> x(Shape{n, frames, dims});
    Tensor<float> y(Shape{n, classes}, 0.5f), mask(Shape{n, classes}, 0.0f);
    std::vector<std::string> keys;
    keys.reserve(clips);
    std::vector<Index> train, test;

    std::vector<int> background(static_cast<std::size_t>(dims));
    std::vector<char> track_has(static_cast<std::size_t>(classes));
    std::vector<int> level(static_cast<std::size_t>(frames * dims));
    std::vector<int> relevance(static_cast<std::size_t>(classes));
    std::vector<Index> present, observed;
    // The second stream: its own generator, prototypes, background and noise.
    Rng rng2(seed ^ 0x73747265616d3221ULL);  // "stream2!"
    const Index dims2 = streams ? streams->dims : 0;
    std::vector<char> in_second(static_cast<std::size_t>(classes), 0);
    if (streams)
        for (Index c : streams->classes) in_second[static_cast<std::size_t>(c)] = 1;
    std::vector<int> prototype2(static_cast<std::size_t>(classes * dims2));
    for (auto& v : prototype2) v = static_cast<int>(rng2.below(7)) - 3;
    Tensor<std::uint8_t> x2(Shape{streams ? n : 0, frames, dims2});
    std::vector<int> background2(static_cast<std::size_t>(dims2)), level2(static_cast<std::size_t>(frames * dims2));
    std::uint64_t track = 0;
    Index row = 0;
    while (row < n) {
        track += 1 + rng.below(40);
        const Index clips_in_track = std::min<Index>(1 + static_cast<Index>(rng.below(6)), n - row);
        const bool in_test = rng.below(4) == 0;
        for (auto& b : background) b = static_cast<int>(rng.below(31)) - 15;
        for (auto& b : background2) b = static_cast<int>(rng2.below(31)) - 15;
        present.clear();
        for (Index c = 0; c < classes; ++c) {
            track_has[static_cast<std::size_t>(c)] = rng.below(1000) < static_cast<std::uint64_t>(prior[static_cast<std::size_t>(c)]);
            if (track_has[static_cast<std::size_t>(c)]) present.push_back(c);
        }
        std::uint64_t start = 0;
        for (Index k = 0; k < clips_in_track; ++k, ++row) {
            start += 3840 * (1 + rng.below(60));
            char key[48];
            std::snprintf(key, sizeof key, "%06llu_%llu", static_cast<unsigned long long>(track),
                          static_cast<unsigned long long>(start));
            keys.emplace_back(key);
            (in_test ? test : train).push_back(row);

            for (Index f = 0; f < frames; ++f)
                for (Index d = 0; d < dims; ++d) {
                    int noise = 0;
                    for (int t = 0; t < 4; ++t) noise += static_cast<int>(rng.below(13)) - 6;
                    level[static_cast<std::size_t>(f * dims + d)] = 128 + background[static_cast<std::size_t>(d)] + noise;
                }
            for (Index f = 0; f < frames; ++f)
                for (Index d = 0; d < dims2; ++d) {
                    int noise = 0;
                    for (int t = 0; t < 4; ++t) noise += static_cast<int>(rng2.below(13)) - 6;
                    level2[static_cast<std::size_t>(f * dims2 + d)] = 128 + background2[static_cast<std::size_t>(d)] + noise;
                }
            for (Index c = 0; c < classes; ++c) {
                int rel;  // thousandths
                if (track_has[static_cast<std::size_t>(c)]) {
                    const Index active = 1 + static_cast<Index>(rng.below(10));
                    const Index first = static_cast<Index>(rng.below(static_cast<std::uint64_t>(frames - active + 1)));
                    const int gain = 2 + static_cast<int>(rng.below(2));
                    const int* proto = prototype.data() + c * dims;
                    const int* proto2 = prototype2.data() + c * dims2;
                    const bool split = in_second[static_cast<std::size_t>(c)] != 0;
                    for (Index f = first; f < first + active; ++f) {
                        if (split && f >= streams->frame_split) {
                            for (Index d = 0; d < dims2; ++d) level2[static_cast<std::size_t>(f * dims2 + d)] += gain * proto2[d];
                            continue;
                        }
                        for (Index d = 0; d < dims; ++d) level[static_cast<std::size_t>(f * dims + d)] += gain * proto[d];
                    }
                    rel = 250 + 75 * static_cast<int>(active) + static_cast<int>(rng.below(161)) - 80;
                } else {
                    rel = rng.below(2) ? 0 : static_cast<int>(rng.below(250));
                }
                relevance[static_cast<std::size_t>(c)] = std::clamp(rel, 0, 1000);
            }
            std::uint8_t* out = x.data() + row * frames * dims;
            for (std::size_t i = 0; i < level.size(); ++i) out[i] = static_cast<std::uint8_t>(std::clamp(level[i], 0, 255));
            if (streams) {
                std::uint8_t* out2 = x2.data() + row * frames * dims2;
                for (std::size_t i = 0; i < level2.size(); ++i) out2[i] = static_cast<std::uint8_t>(std::clamp(level2[i], 0, 255));
            }

            observed.clear();
            const int labels = 1 + static_cast<int>(rng.below(3));
            for (int attempt = 0; static_cast<int>(observed.size()) < labels && attempt < 16; ++attempt) {
                const bool pick_present = !present.empty() && rng.below(2) == 0;
                const Index c = pick_present ? present[rng.below(present.size())] : static_cast<Index>(rng.below(classes));
                if (std::find(observed.begin(), observed.end(), c) != observed.end()) continue;
                observed.push_back(c);
                y(row, c) = static_cast<float>(relevance[static_cast<std::size_t>(c)]) / 1000.0f;
                mask(row, c) = 1.0f;
            }
        }
    }
    std::vector<std::string> names(release_instrument_names().begin(), release_instrument_names().end());
    if (train.empty() || test.empty()) {  // tiny requests: keep both sides non-empty
        auto& from = train.empty() ? test : train;
        auto& to = train.empty() ? train : test;
        to.push_back(from.back());
        from.pop_back();
        std::sort(to.begin(), to.end());
    }
    Dataset d = Dataset::from_arrays(std::move(x), std::move(y), std::move(mask), std::move(keys), std::move(names),
                                     std::move(train), std::move(test), "synthetic");
    if (streams) {
        ClipInput in;
        in.name = streams->name;
        in.bytes = std::move(x2);
        in.bytes_input = true;
        d.add_input(std::move(in));
    }
    return d;
}
}  // namespace detail

}  // namespace polytag::openmic
