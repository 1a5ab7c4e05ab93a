// Cross-validation by track and the ensemble of the fold models.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>

#include "polytag/openmic/cross_validation.hpp"
#include "polytag/openmic/cv_report.hpp"
#include "polytag/openmic/synthetic.hpp"

using namespace polytag;
using namespace polytag::openmic;

namespace {
const Dataset& cv_data() {
    static const Dataset d = make_synthetic(900, 21);
    return d;
}
ModelConfig cv_model() {
    ModelConfig c;
    c.trunk = {16};
    return c;
}
TrainConfig cv_training() {
    TrainConfig t;
    t.epochs = 2;
    t.batch = 32;
    t.threads = 1;
    return t;
}
}  // namespace

TEST_CASE("Folds are grouped by track and early stopping stays inside the training folds", "[cv]") {
    const Dataset& d = cv_data();
    const auto folds = k_fold_by_track(d.keys(), d.train(), 3, 0);
    std::set<std::string> seen_tracks;
    std::size_t held_out = 0;
    for (const auto& f : folds) {
        std::set<std::string> tracks;
        for (Index r : f.validation) tracks.insert(track_id(d.keys()[std::size_t(r)]));
        for (const auto& t : tracks) CHECK(seen_tracks.insert(t).second);  // no track in two folds
        held_out += f.validation.size();
    }
    CHECK(held_out == d.train().size());

    // Default: every fold model trains on all the other folds and keeps its last epoch; the
    // held-out fold is only scored per epoch.
    const CrossValidation cv = cross_validate(d, cv_model(), cv_training(), {3, 1, 0});
    REQUIRE(cv.folds.size() == 3);
    CHECK(cv.ensemble.members() == 3);
    CHECK_FALSE(cv.interrupted);
    for (std::size_t f = 0; f < 3; ++f) {
        const auto& r = cv.folds[f];
        CHECK(r.fold == int(f));
        CHECK(r.held_out_clips == (long long)folds[f].validation.size());
        CHECK(r.history.train_clips == (long long)folds[f].train.size());
        CHECK(r.history.validation_clips == r.held_out_clips);
        CHECK(r.history.epochs.size() == std::size_t(cv_training().epochs));
        CHECK(r.history.best_epoch == cv_training().epochs);  // the last epoch, whatever the held-out MSE says
        CHECK(r.history.best_val_loss == Approx(observed_mse(r.held_out_pred, d, r.held_out_rows)).epsilon(1e-6));
        CHECK(r.held_out.macro.ap > 0.3);
    }
    CHECK(cross_validation_json(cv, {3, 1, 0})["early_stopping"] == false);

    // early_stopping: trained and early-stopped on the other folds' rows only.
    CrossValidationConfig es{3, 1, 0};
    es.early_stopping = true;
    const CrossValidation stopped = cross_validate(d, cv_model(), cv_training(), es);
    REQUIRE(stopped.folds.size() == 3);
    for (std::size_t f = 0; f < 3; ++f) {
        const auto& r = stopped.folds[f];
        CHECK(r.history.train_clips + r.history.validation_clips == (long long)folds[f].train.size());
        CHECK(r.history.validation_clips > 0);
        CHECK(r.history.validation_clips < r.held_out_clips);
        CHECK(r.held_out.macro.ap > 0.3);
    }
    CHECK(cross_validation_json(stopped, es)["early_stopping"] == true);
}

TEST_CASE("Cross-validation gives the same models with folds in parallel; the ensemble averages them", "[cv][threads]") {
    const Dataset& d = cv_data();
    const CrossValidation a = cross_validate(d, cv_model(), cv_training(), {3, 1, 0});
    const CrossValidation b = cross_validate(d, cv_model(), cv_training(), {3, 3, 0});
    const Tensor<std::uint8_t> x = gather_clips(d, d.test());
    const Tensor<float> pa = a.ensemble.predict(x), pb = b.ensemble.predict(x);
    CHECK(std::memcmp(pa.data(), pb.data(), sizeof(float) * std::size_t(pa.size())) == 0);

    // The ensemble's relevances are the mean of its members' (each member saved alone).
    const auto dir = std::filesystem::temp_directory_path() / ("polytag_test_cv_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "ensemble.npz").string();
    a.ensemble.save(path);
    const RelevanceModel back = RelevanceModel::load(path);
    const Tensor<float> pc = back.predict(x);
    CHECK(std::memcmp(pa.data(), pc.data(), sizeof(float) * std::size_t(pa.size())) == 0);
    CHECK(back.normalizer(0).mean != back.normalizer(1).mean);  // each fold fits its own normaliser

    const nlohmann::json j = cross_validation_json(a, {3, 1, 0});
    CHECK(j["folds"] == 3);
    CHECK(j["per_fold"].size() == 3);
    CHECK(j["mean"]["macro"]["ap"].is_number());
    CHECK(j["std"]["macro"]["f1"].is_number());
    CHECK(j["mean"]["instruments"].size() == 20);
    CHECK(j["std"]["instruments"]["piano"]["ap"].is_number());
    const auto s = fold_summary(a, "ap");
    CHECK(s.mean == Approx((a.folds[0].held_out.macro.ap + a.folds[1].held_out.macro.ap + a.folds[2].held_out.macro.ap) / 3));
    const std::string table = cross_validation_table(a);
    CHECK_THAT(table, Catch::Contains("mean") && Catch::Contains("piano") && Catch::Contains("±"));
}

TEST_CASE("cross_validate refuses bad fold and job counts", "[cv]") {
    CHECK_THROWS_AS(cross_validate(cv_data(), cv_model(), cv_training(), {1, 1, 0}), ValueError);
    CHECK_THROWS_AS(cross_validate(cv_data(), cv_model(), cv_training(), {3, 0, 0}), ValueError);
}

TEST_CASE("Out-of-fold predictions cover every training clip once, from the model that did not see it", "[cv]") {
    const Dataset& d = cv_data();
    const CrossValidation cv = cross_validate(d, cv_model(), cv_training(), {3, 1, 0});
    const OutOfFold oof = out_of_fold(cv);
    std::vector<Index> rows = oof.rows;
    std::sort(rows.begin(), rows.end());
    std::vector<Index> train = d.train();
    std::sort(train.begin(), train.end());
    CHECK(rows == train);
    REQUIRE(oof.pred.shape() == Shape{Index(oof.rows.size()), 20});
    // Fold 2's rows carry fold 2's model's relevances.
    const auto& f = cv.folds[1];
    const Index offset = Index(cv.folds[0].held_out_rows.size());
    for (Index k = 0; k < 20; ++k) CHECK(oof.pred(offset, k) == f.held_out_pred(0, k));
}
