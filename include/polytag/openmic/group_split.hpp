#pragma once
// Splits grouped by track: clips of one track (the key part before the first '_') are near
// duplicates, so a validation part or a cross-validation fold takes whole tracks, never
// half of one. Seeded with polytag::Rng, so the same seed gives the same split everywhere.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/tensor/random.hpp"
#include "polytag/tensor/shape.hpp"

namespace polytag::openmic {

/// The track id of a sample key: the part before the first '_' (the whole key if none).
inline std::string track_id(const std::string& key) { return key.substr(0, key.find('_')); }

/// Two disjoint sets of row indices, each sorted ascending.
struct GroupSplit {
    std::vector<Index> train;
    std::vector<Index> validation;
};

namespace detail {

/// The rows grouped by track id, groups in ascending id order, rows ascending inside a group.
inline std::vector<std::vector<Index>> group_rows(const std::vector<std::string>& keys, const std::vector<Index>& rows) {
    std::map<std::string, std::vector<Index>> by_track;
    for (Index r : rows) {
        if (r < 0 || r >= static_cast<Index>(keys.size()))
            throw ValueError("polytag::openmic: row " + std::to_string(r) + " outside [0, " + std::to_string(keys.size()) + ")");
        by_track[track_id(keys[static_cast<std::size_t>(r)])].push_back(r);
    }
    std::vector<std::vector<Index>> groups;
    groups.reserve(by_track.size());
    for (auto& kv : by_track) {
        std::sort(kv.second.begin(), kv.second.end());
        groups.push_back(std::move(kv.second));
    }
    return groups;
}

}  // namespace detail

/// Carves a validation part of about `fraction` of `rows` out of them, by whole tracks:
/// tracks are shuffled with Rng(seed) and taken until the validation part reaches
/// round(fraction * rows). With fraction > 0 and at least two tracks, both parts are non-empty.
/// Throws ValueError unless 0 <= fraction < 1.
inline GroupSplit split_by_track(const std::vector<std::string>& keys, const std::vector<Index>& rows, double fraction,
                                 std::uint64_t seed) {
    if (!(fraction >= 0.0 && fraction < 1.0))
        throw ValueError("polytag::openmic::split_by_track: fraction " + std::to_string(fraction) + " outside [0, 1)");
    auto groups = detail::group_rows(keys, rows);
    Rng rng(seed);
    polytag::shuffle(groups.begin(), groups.end(), rng);
    const auto rounded = static_cast<std::size_t>(fraction * static_cast<double>(rows.size()) + 0.5);
    const std::size_t target = fraction > 0.0 ? std::max<std::size_t>(1, rounded) : 0;
    GroupSplit out;
    std::size_t taken = 0;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        // The last track stays in train if train would otherwise be empty.
        const bool to_validation = taken < target && (g + 1 < groups.size() || !out.train.empty());
        auto& dst = to_validation ? out.validation : out.train;
        if (to_validation) taken += groups[g].size();
        dst.insert(dst.end(), groups[g].begin(), groups[g].end());
    }
    std::sort(out.train.begin(), out.train.end());
    std::sort(out.validation.begin(), out.validation.end());
    return out;
}

/// k-fold cross-validation by whole tracks: fold f's `validation` is its share of the tracks
/// and `train` all other rows. Every row is in exactly one fold's validation part. Tracks are
/// shuffled with Rng(seed), then dealt largest first to the fold with the fewest rows so far
/// (ties to the lowest fold), which balances fold sizes like scikit-learn's GroupKFold.
/// Throws ValueError unless 2 <= folds <= number of tracks.
inline std::vector<GroupSplit> k_fold_by_track(const std::vector<std::string>& keys, const std::vector<Index>& rows,
                                               int folds = 5, std::uint64_t seed = 0) {
    auto groups = detail::group_rows(keys, rows);
    if (folds < 2 || static_cast<std::size_t>(folds) > groups.size())
        throw ValueError("polytag::openmic::k_fold_by_track: " + std::to_string(folds) + " folds for " +
                         std::to_string(groups.size()) + " tracks (need 2 <= folds <= tracks)");
    Rng rng(seed);
    polytag::shuffle(groups.begin(), groups.end(), rng);
    std::stable_sort(groups.begin(), groups.end(),
                     [](const std::vector<Index>& a, const std::vector<Index>& b) { return a.size() > b.size(); });
    std::vector<std::vector<Index>> members(static_cast<std::size_t>(folds));
    for (const auto& g : groups) {
        std::size_t lightest = 0;
        for (std::size_t f = 1; f < members.size(); ++f)
            if (members[f].size() < members[lightest].size()) lightest = f;
        members[lightest].insert(members[lightest].end(), g.begin(), g.end());
    }
    std::vector<GroupSplit> out(static_cast<std::size_t>(folds));
    for (std::size_t f = 0; f < members.size(); ++f) {
        out[f].validation = members[f];
        for (std::size_t o = 0; o < members.size(); ++o)
            if (o != f) out[f].train.insert(out[f].train.end(), members[o].begin(), members[o].end());
        std::sort(out[f].train.begin(), out[f].train.end());
        std::sort(out[f].validation.begin(), out[f].validation.end());
    }
    return out;
}

}  // namespace polytag::openmic
