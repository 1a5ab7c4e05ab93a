// train(): improves over the untrained model, is bitwise reproducible, and stops on request.
#include <catch2/catch.hpp>

#include <cstring>

#include "polytag/openmic/synthetic.hpp"
#include "polytag/openmic/trainer.hpp"

using namespace polytag;
using namespace polytag::openmic;

namespace {
const Dataset& synthetic() {
    static const Dataset d = make_synthetic(1200, 3);
    return d;
}
ModelConfig small_model() {
    ModelConfig c;
    c.trunk = {32};
    c.dropout = 0.2;        // exercise the dropout masks: they must be reproducible too
    c.input_dropout = 0.1;
    return c;
}
TrainConfig short_training(int epochs = 4) {
    TrainConfig t;
    t.epochs = epochs;
    t.batch = 32;
    t.lr = 3e-3;
    t.threads = 1;
    t.seed = 42;
    t.validation_fraction = 0.2;
    return t;
}
std::vector<Tensor<float>> all_weights(RelevanceModel& m) {
    std::vector<Tensor<float>> out;
    for (const auto& p : m.net().parameters()) out.push_back(Tensor<float>::copy_of(p.value));
    return out;
}
bool bitwise_equal(const std::vector<Tensor<float>>& a, const std::vector<Tensor<float>>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].shape() != b[i].shape() || std::memcmp(a[i].data(), b[i].data(), sizeof(float) * a[i].size()) != 0)
            return false;
    return true;
}
}  // namespace

TEST_CASE("A short training run clearly beats the untrained model on validation", "[model][train]") {
    const Dataset& d = synthetic();
    const GroupSplit split = validation_split(d, 0.2, 0);
    RelevanceModel m(small_model(), 42);
    m.set_normalizer(Normalizer::fit(d.features(), split.train));
    openmic::Batch<float> scratch;
    Tensor<float> pred;
    predict_rows(m.net(), d, m.normalizer(), split.validation, scratch, pred);
    const double mse0 = observed_mse(pred, d, split.validation), ap0 = evaluate(pred, d, split.validation).macro.ap;

    const TrainingHistory h = train(m, d, split.train, split.validation, short_training(6));
    predict_rows(m.net(), d, m.normalizer(), split.validation, scratch, pred);
    const double mse1 = observed_mse(pred, d, split.validation), ap1 = evaluate(pred, d, split.validation).macro.ap;
    INFO("untrained mse " << mse0 << " ap " << ap0 << "; trained mse " << mse1 << " ap " << ap1);
    CHECK(mse1 < 0.8 * mse0);
    CHECK(ap1 > ap0 + 0.1);
    REQUIRE(h.epochs.size() == 6);
    CHECK(h.best_epoch >= 1);
    CHECK(h.best_val_loss == Approx(mse1).epsilon(1e-6));  // best weights restored
    CHECK_FALSE(h.interrupted);
    for (const auto& e : h.epochs) {
        CHECK(std::isfinite(e.train_loss));
        CHECK(e.val_ap > 0.0);
    }
}

TEST_CASE("Training is bitwise reproducible for one seed and thread count", "[model][train][determinism]") {
    const Dataset& d = synthetic();
    for (PoolKind pool : {PoolKind::Attention, PoolKind::Max}) {
        ModelConfig mc = small_model();
        mc.pool = pool;
        RelevanceModel a(mc, 1), b(mc, 2);  // the construction seed is irrelevant: train() re-initialises
        const TrainConfig tc = short_training(2);
        train(a, d, tc);
        train(b, d, tc);
        CHECK(bitwise_equal(all_weights(a), all_weights(b)));
        CHECK(a.normalizer().mean == b.normalizer().mean);
        RelevanceModel c(mc, 1);
        TrainConfig other = tc;
        other.seed = 43;
        train(c, d, other);
        CHECK_FALSE(bitwise_equal(all_weights(a), all_weights(c)));
    }
}

TEST_CASE("A stop request ends training after the current batch and keeps the best weights", "[model][train][stop]") {
    const Dataset& d = synthetic();
    volatile std::sig_atomic_t flag = 0;
    TrainHooks hooks;
    hooks.stop = &flag;
    int batches_seen = 0;
    hooks.on_batch = [&](int epoch, int batch) {
        ++batches_seen;
        if (epoch == 2 && batch == 3) flag = 1;  // as the SIGINT handler would
    };
    RelevanceModel m(small_model(), 1);
    const TrainingHistory h = train(m, d, short_training(5), hooks);
    CHECK(h.interrupted);
    REQUIRE(h.epochs.size() == 2);
    CHECK(h.epochs[1].partial);
    CHECK_FALSE(h.epochs[0].partial);
    const int per_epoch = batches_seen - 3;
    CHECK(per_epoch > 3);
    CHECK(h.best_epoch >= 1);
    CHECK(h.best_val_loss == Approx(std::min(h.epochs[0].val_loss, h.epochs[1].val_loss)));
}

TEST_CASE("train() polls no process-wide flag: a stop request reaches only the run it is given to", "[model][stop]") {
    volatile std::sig_atomic_t other_run = 1;  // some other run's flag, already set
    RelevanceModel m(small_model(), 1);
    const TrainingHistory h = train(m, synthetic(), short_training(3));
    CHECK_FALSE(h.interrupted);
    CHECK(h.epochs.size() == 3);
    TrainHooks hooks;
    hooks.stop = &other_run;
    RelevanceModel n(small_model(), 1);
    const TrainingHistory stopped = train(n, synthetic(), short_training(3), hooks);
    CHECK(stopped.interrupted);
    CHECK(stopped.epochs.size() == 1);  // stopped after the first batch
}

TEST_CASE("Early stopping ends training when validation loss stops improving", "[model][train]") {
    TrainConfig tc = short_training(40);
    tc.patience = 1;
    tc.lr = 0.05;  // too high on purpose: validation loss soon stops improving
    RelevanceModel m(small_model(), 1);
    const TrainingHistory h = train(m, synthetic(), tc);
    CHECK(h.stopped_early);
    CHECK(h.epochs.size() < 40);
    CHECK(int(h.epochs.size()) == h.best_epoch + 1);
}

TEST_CASE("KeepEpoch::Last runs every epoch and keeps the last weights; the validation rows only get scored", "[model][train]") {
    const Dataset& d = synthetic();
    const GroupSplit split = validation_split(d, 0.2, 0);
    TrainConfig tc = short_training(5);
    tc.patience = 1;
    tc.lr = 0.05;  // too high on purpose: with KeepEpoch::Best this stops early (test above)
    RelevanceModel a(small_model(), 1), b(small_model(), 1);
    const TrainingHistory ha = train(a, d, split.train, split.validation, tc, {}, KeepEpoch::Last);
    const TrainingHistory hb = train(b, d, split.train, d.test(), tc, {}, KeepEpoch::Last);
    CHECK(bitwise_equal(all_weights(a), all_weights(b)));  // other validation rows, the same weights
    REQUIRE(ha.epochs.size() == 5);
    CHECK_FALSE(ha.stopped_early);
    CHECK(ha.best_epoch == 5);
    CHECK(ha.best_val_loss == ha.epochs.back().val_loss);
    openmic::Batch<float> scratch;
    Tensor<float> pred;
    predict_rows(a.net(), d, a.normalizer(), split.validation, scratch, pred);
    CHECK(observed_mse(pred, d, split.validation) == Approx(ha.epochs.back().val_loss).epsilon(1e-6));
}

TEST_CASE("train() refuses empty splits and invalid configurations", "[model][train]") {
    RelevanceModel m(small_model(), 1);
    const Dataset& d = synthetic();
    CHECK_THROWS_AS(train(m, d, {}, {1, 2}, short_training()), ValueError);
    CHECK_THROWS_AS(train(m, d, {1, 2}, {}, short_training()), ValueError);
    TrainConfig bad = short_training();
    bad.batch = 0;
    CHECK_THROWS_WITH(train(m, d, bad), Catch::Contains("train.batch"));
}
