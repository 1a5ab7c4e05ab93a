// Validation parts and cross-validation folds never split a track.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "polytag/openmic/synthetic.hpp"

using namespace polytag;

namespace {

std::set<std::string> tracks_of(const openmic::Dataset& d, const std::vector<Index>& rows) {
    std::set<std::string> t;
    for (Index r : rows) t.insert(openmic::track_id(d.keys()[static_cast<std::size_t>(r)]));
    return t;
}

std::vector<Index> sorted(std::vector<Index> v) {
    std::sort(v.begin(), v.end());
    return v;
}

}  // namespace

TEST_CASE("track_id is the key before the first underscore", "[dataset]") {
    CHECK(openmic::track_id("000046_3840") == "000046");
    CHECK(openmic::track_id("a_b_c") == "a");
    CHECK(openmic::track_id("plain") == "plain");
}

TEST_CASE("validation_split takes whole tracks out of train, seeded", "[dataset]") {
    const auto d = openmic::make_synthetic(600, 3);
    for (double fraction : {0.1, 0.25, 0.5}) {
        const auto s = openmic::validation_split(d, fraction, 7);
        INFO("fraction " << fraction);
        // A partition of the training rows...
        std::vector<Index> all = s.train;
        all.insert(all.end(), s.validation.begin(), s.validation.end());
        CHECK(sorted(all) == sorted(d.train()));
        CHECK(std::is_sorted(s.train.begin(), s.train.end()));
        CHECK(std::is_sorted(s.validation.begin(), s.validation.end()));
        // ...with no track on both sides...
        const auto a = tracks_of(d, s.train), b = tracks_of(d, s.validation);
        std::vector<std::string> both;
        std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
        CHECK(both.empty());
        // ...of about the asked size (a track holds at most 6 clips).
        const double target = fraction * double(d.train().size());
        CHECK(double(s.validation.size()) >= target - 0.5);
        CHECK(double(s.validation.size()) <= target + 6.5);
    }
    const auto again = openmic::validation_split(d, 0.25, 7);
    CHECK(again.validation == openmic::validation_split(d, 0.25, 7).validation);
    CHECK(again.validation != openmic::validation_split(d, 0.25, 8).validation);
    CHECK(openmic::validation_split(d, 0.0, 7).validation.empty());
    CHECK_THROWS_AS(openmic::validation_split(d, 1.0, 7), ValueError);
    CHECK_THROWS_AS(openmic::validation_split(d, -0.1, 7), ValueError);
}

TEST_CASE("split_by_track keeps both sides non-empty when it can", "[dataset]") {
    const std::vector<std::string> keys{"a_1", "a_2", "b_1"};
    const auto s = openmic::split_by_track(keys, {0, 1, 2}, 0.9, 0);
    CHECK_FALSE(s.train.empty());
    CHECK_FALSE(s.validation.empty());
    const auto tiny = openmic::split_by_track(keys, {0, 1, 2}, 0.01, 0);
    CHECK_FALSE(tiny.validation.empty());
    CHECK_THROWS_AS(openmic::split_by_track(keys, {0, 5}, 0.5, 0), ValueError);
}

TEST_CASE("cross_validation_folds: every training row in exactly one fold, tracks whole", "[dataset]") {
    const auto d = openmic::make_synthetic(600, 3);
    const auto folds = openmic::cross_validation_folds(d, 5, 1);
    REQUIRE(folds.size() == 5);
    std::map<Index, int> times;
    std::map<std::string, int> fold_of_track;
    std::size_t smallest = d.train().size(), largest = 0;
    for (std::size_t f = 0; f < folds.size(); ++f) {
        const auto& fold = folds[f];
        for (Index r : fold.validation) {
            ++times[r];
            const auto t = openmic::track_id(d.keys()[static_cast<std::size_t>(r)]);
            auto [it, fresh] = fold_of_track.emplace(t, int(f));
            CHECK((fresh || it->second == int(f)));
        }
        std::vector<Index> all = fold.train;
        all.insert(all.end(), fold.validation.begin(), fold.validation.end());
        CHECK(sorted(all) == sorted(d.train()));
        smallest = std::min(smallest, fold.validation.size());
        largest = std::max(largest, fold.validation.size());
    }
    CHECK(times.size() == d.train().size());
    for (const auto& kv : times) CHECK(kv.second == 1);
    CHECK(largest - smallest <= 6);  // balanced to within one track
    CHECK(openmic::cross_validation_folds(d, 5, 1)[2].validation == folds[2].validation);
    CHECK_THROWS_AS(openmic::cross_validation_folds(d, 1, 1), ValueError);
    const std::vector<std::string> keys{"a_1", "a_2", "b_1"};
    CHECK_THROWS_AS(openmic::k_fold_by_track(keys, {0, 1, 2}, 3, 0), ValueError);  // 2 tracks
}
