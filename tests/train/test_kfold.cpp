// group_kfold / kfold / group_holdout: no group in two folds, every row held out exactly
// once, balanced sizes, determinism per seed, and the refusals.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "polytag/train/kfold.hpp"

using namespace polytag;

namespace {
/// 60 rows in 23 groups of 1 to 5 rows ("track-<g>").
std::vector<std::string> track_groups() {
    std::vector<std::string> g;
    Rng rng(4);
    int track = 0;
    while (g.size() < 60) {
        const int size = 1 + int(rng.below(5));
        for (int i = 0; i < size && g.size() < 60; ++i) g.push_back("track-" + std::to_string(track));
        ++track;
    }
    return g;
}
}  // namespace

TEST_CASE("group_kfold: whole groups, every row held out once, balanced", "[kfold]") {
    const auto groups = track_groups();
    for (int k : {2, 3, 5}) {
        const auto folds = group_kfold(groups, k, 11);
        REQUIRE(folds.size() == std::size_t(k));
        std::map<Index, int> held;
        std::map<std::string, int> fold_of;
        std::size_t smallest = 1000, largest = 0;
        for (int f = 0; f < k; ++f) {
            const RowSplit& s = folds[std::size_t(f)];
            CHECK(std::is_sorted(s.train.begin(), s.train.end()));
            CHECK(std::is_sorted(s.held_out.begin(), s.held_out.end()));
            CHECK(s.train.size() + s.held_out.size() == groups.size());
            std::set<Index> train(s.train.begin(), s.train.end());
            for (Index r : s.held_out) {
                ++held[r];
                CHECK(train.count(r) == 0);
                const auto it = fold_of.find(groups[std::size_t(r)]);
                if (it != fold_of.end()) CHECK(it->second == f);  // a group lives in one fold only
                fold_of[groups[std::size_t(r)]] = f;
            }
            smallest = std::min(smallest, s.held_out.size());
            largest = std::max(largest, s.held_out.size());
        }
        CHECK(held.size() == groups.size());
        for (const auto& [row, times] : held) CHECK(times == 1);
        CHECK(largest - smallest <= 5);  // at most the largest group apart
    }
    CHECK(group_kfold(groups, 5, 11)[2].held_out == group_kfold(groups, 5, 11)[2].held_out);
    CHECK(group_kfold(groups, 5, 11)[0].held_out != group_kfold(groups, 5, 12)[0].held_out);
}

TEST_CASE("group_kfold: a subset of rows, integer groups, ungrouped kfold", "[kfold]") {
    std::vector<int> groups{0, 0, 1, 1, 2, 2, 3, 3, 4, 4};
    const auto folds = group_kfold(groups, std::vector<Index>{0, 1, 2, 3, 4, 5, 6, 7}, 4, 0);
    for (const auto& f : folds) {
        CHECK(f.held_out.size() == 2);
        CHECK(groups[std::size_t(f.held_out[0])] == groups[std::size_t(f.held_out[1])]);
        for (Index r : f.train) CHECK(r < 8);
    }
    const auto plain = kfold(10, 3, 1);
    std::size_t total = 0;
    for (const auto& f : plain) {
        CHECK((f.held_out.size() == 3 || f.held_out.size() == 4));
        total += f.held_out.size();
    }
    CHECK(total == 10);
    CHECK_THROWS_AS(group_kfold(groups, 1), ValueError);
    CHECK_THROWS_AS(group_kfold(groups, 6), ValueError);  // 5 groups
    CHECK_THROWS_AS(group_kfold(groups, std::vector<Index>{0, 10}, 2), ValueError);
}

TEST_CASE("group_holdout: a validation part of whole groups inside a training fold", "[kfold]") {
    const auto groups = track_groups();
    const RowSplit fold = group_kfold(groups, 5, 3)[0];
    const RowSplit inner = group_holdout(groups, fold.train, 0.2, 9);
    CHECK(inner.train.size() + inner.held_out.size() == fold.train.size());
    CHECK(inner.held_out.size() >= 8);  // ~ 0.2 * 48, give or take a group
    CHECK(inner.held_out.size() <= 14);
    std::set<std::string> held_groups, train_groups;
    for (Index r : inner.held_out) held_groups.insert(groups[std::size_t(r)]);
    for (Index r : inner.train) train_groups.insert(groups[std::size_t(r)]);
    for (const auto& g : held_groups) CHECK(train_groups.count(g) == 0);
    std::set<Index> fold_test(fold.held_out.begin(), fold.held_out.end());
    for (Index r : inner.held_out) CHECK(fold_test.count(r) == 0);  // never the fold's test rows
    CHECK(group_holdout(groups, 0.0).held_out.empty());
    CHECK_THROWS_AS(group_holdout(groups, 1.0), ValueError);
    std::vector<int> two{0, 1};
    const RowSplit tiny = group_holdout(two, 0.9, 0);
    CHECK(tiny.train.size() == 1);
    CHECK(tiny.held_out.size() == 1);
}
