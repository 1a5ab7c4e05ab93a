#pragma once
// k-fold cross-validation by groups, and held-out parts by groups. Rows of one group (e.g.
// the clips of one track, the recordings of one speaker) are near duplicates, so a fold or a
// validation part takes whole groups, never half of one - what scikit-learn's GroupKFold and
// mlpack's KFoldCV (there without groups) do. Seeded with polytag::Rng: the same seed gives
// the same folds on every platform.
//
//   std::vector<std::string> track = ...;                  // the group of every row
//   for (const RowSplit& fold : group_kfold(track, 5, seed)) {
//       RowSplit inner = group_holdout(track, fold.train, 0.1, seed);  // early-stopping part
//       fit(net, loss, opt, source, inner.train, inner.held_out, options);
//       evaluate(net, fold.held_out);                      // never seen by training or stopping
//   }
//
// Groups are any type with operator< (strings, integers). Every function takes the rows to
// split (default: all rows 0 .. groups.size() - 1) and returns sorted row lists.
#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "polytag/error.hpp"
#include "polytag/tensor/random.hpp"
#include "polytag/tensor/shape.hpp"

namespace polytag {

/// Two disjoint sets of rows, each sorted ascending: `held_out` is a fold's test part (or a
/// validation part), `train` the rest.
struct RowSplit {
    std::vector<Index> train;
    std::vector<Index> held_out;
};

namespace detail {

inline std::vector<Index> all_rows(std::size_t n) {
    std::vector<Index> rows(n);
    std::iota(rows.begin(), rows.end(), Index(0));
    return rows;
}

/// `rows` grouped by groups[row]: groups in ascending key order, rows ascending inside one.
template <typename Group>
std::vector<std::vector<Index>> rows_by_group(const std::vector<Group>& groups, const std::vector<Index>& rows) {
    std::map<Group, std::vector<Index>> by;
    for (Index r : rows) {
        if (r < 0 || r >= static_cast<Index>(groups.size()))
            throw ValueError("polytag: row " + std::to_string(r) + " outside [0, " + std::to_string(groups.size()) + ")");
        by[groups[static_cast<std::size_t>(r)]].push_back(r);
    }
    std::vector<std::vector<Index>> out;
    out.reserve(by.size());
    for (auto& kv : by) {
        std::sort(kv.second.begin(), kv.second.end());
        out.push_back(std::move(kv.second));
    }
    return out;
}

}  // namespace detail

/// k folds of `rows` by whole groups. Fold f's held_out is its share of the groups, train all
/// other rows; every row is held out exactly once. The groups are shuffled with Rng(seed),
/// then dealt largest first to the fold with the fewest rows so far (ties to the lowest fold),
/// which balances the fold sizes (as GroupKFold). Throws ValueError unless 2 <= k <= groups.
template <typename Group>
std::vector<RowSplit> group_kfold(const std::vector<Group>& groups, const std::vector<Index>& rows, int k,
                                  std::uint64_t seed = 0) {
    auto by = detail::rows_by_group(groups, rows);
    if (k < 2 || static_cast<std::size_t>(k) > by.size())
        throw ValueError("polytag::group_kfold: " + std::to_string(k) + " folds for " + std::to_string(by.size()) +
                         " groups (need 2 <= folds <= groups)");
    Rng rng(seed);
    polytag::shuffle(by.begin(), by.end(), rng);
    std::stable_sort(by.begin(), by.end(),
                     [](const std::vector<Index>& a, const std::vector<Index>& b) { return a.size() > b.size(); });
    std::vector<std::vector<Index>> members(static_cast<std::size_t>(k));
    for (const auto& g : by) {
        std::size_t lightest = 0;
        for (std::size_t f = 1; f < members.size(); ++f)
            if (members[f].size() < members[lightest].size()) lightest = f;
        members[lightest].insert(members[lightest].end(), g.begin(), g.end());
    }
    std::vector<RowSplit> out(static_cast<std::size_t>(k));
    for (std::size_t f = 0; f < members.size(); ++f) {
        out[f].held_out = members[f];
        for (std::size_t o = 0; o < members.size(); ++o)
            if (o != f) out[f].train.insert(out[f].train.end(), members[o].begin(), members[o].end());
        std::sort(out[f].train.begin(), out[f].train.end());
        std::sort(out[f].held_out.begin(), out[f].held_out.end());
    }
    return out;
}
template <typename Group>
std::vector<RowSplit> group_kfold(const std::vector<Group>& groups, int k, std::uint64_t seed = 0) {
    return group_kfold(groups, detail::all_rows(groups.size()), k, seed);
}

/// k folds of rows 0 .. n - 1 without groups (every row its own group).
inline std::vector<RowSplit> kfold(Index n, int k, std::uint64_t seed = 0) {
    std::vector<Index> ids(static_cast<std::size_t>(std::max<Index>(0, n)));
    std::iota(ids.begin(), ids.end(), Index(0));
    return group_kfold(ids, k, seed);
}

/// A held-out part of about `fraction` of `rows`, by whole groups (a validation part inside a
/// training fold): groups are shuffled with Rng(seed) and taken until the part reaches
/// round(fraction * rows). With fraction > 0 and at least two groups both parts are non-empty.
/// Throws ValueError unless 0 <= fraction < 1.
template <typename Group>
RowSplit group_holdout(const std::vector<Group>& groups, const std::vector<Index>& rows, double fraction,
                       std::uint64_t seed = 0) {
    if (!(fraction >= 0.0 && fraction < 1.0))
        throw ValueError("polytag::group_holdout: fraction " + std::to_string(fraction) + " outside [0, 1)");
    auto by = detail::rows_by_group(groups, rows);
    Rng rng(seed);
    polytag::shuffle(by.begin(), by.end(), rng);
    const auto rounded = static_cast<std::size_t>(fraction * static_cast<double>(rows.size()) + 0.5);
    const std::size_t target = fraction > 0.0 ? std::max<std::size_t>(1, rounded) : 0;
    RowSplit out;
    std::size_t taken = 0;
    for (std::size_t g = 0; g < by.size(); ++g) {
        // The last group stays in train if train would otherwise be empty.
        const bool hold = taken < target && (g + 1 < by.size() || !out.train.empty());
        auto& dst = hold ? out.held_out : out.train;
        if (hold) taken += by[g].size();
        dst.insert(dst.end(), by[g].begin(), by[g].end());
    }
    std::sort(out.train.begin(), out.train.end());
    std::sort(out.held_out.begin(), out.held_out.end());
    return out;
}
template <typename Group>
RowSplit group_holdout(const std::vector<Group>& groups, double fraction, std::uint64_t seed = 0) {
    return group_holdout(groups, detail::all_rows(groups.size()), fraction, seed);
}

}  // namespace polytag
