// fit(): learns a two-input multi-task problem, early-stops on validation and restores the
// best weights, is bitwise reproducible per seed, honours the stop flag, the schedule and
// clipping, works with every optimizer through AnyOptimizer, and allocates nothing per step.
#include <catch2/catch.hpp>

#include <cmath>
#include <csignal>
#include <vector>

#include "polytag/loss/masked_bce.hpp"
#include "polytag/loss/masked_mse.hpp"
#include "polytag/optim/any_optimizer.hpp"
#include "polytag/tensor/threads.hpp"
#include "polytag/train/fit.hpp"
#include "support/counting_allocator.hpp"
#include "train/train_test_util.hpp"

using namespace polytag;

namespace {

struct Setup {
    TensorSource<float> source = test::two_stream_source(240, 5);
    std::vector<Index> train = test::row_range(0, 200), validation = test::row_range(200, 240);
    Network<float> net;
    explicit Setup(std::uint64_t seed = 1, bool attention = true) : net(test::two_stream_net(attention)) {
        Rng rng(seed);
        net.init(rng);
    }
};

std::vector<Tensor<float>> weights_of(Network<float>& net) {
    std::vector<Tensor<float>> out;
    for (const auto& p : net.parameters()) out.push_back(Tensor<float>::copy_of(p.value));
    return out;
}

bool same_weights(const std::vector<Tensor<float>>& a, const std::vector<Tensor<float>>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].shape() != b[i].shape() || !(a[i].array() == b[i].array()).all()) return false;
    return true;
}

}  // namespace

TEST_CASE("fit: a two-input network learns, and the best epoch's weights are restored", "[fit]") {
    Setup s;
    MaskedBce<float> loss;
    AnyOptimizer<float> opt(s.net.parameters(), OptimizerConfig{OptimizerKind::Adam, 0.01});
    FitOptions<float> o;
    o.epochs = 25;
    o.batch = 32;
    o.seed = 3;
    const FitHistory h = fit(s.net, loss, opt, s.source, s.train, s.validation, o);
    REQUIRE(h.epochs.size() == 25);
    CHECK(h.steps == 25 * 7);
    CHECK(h.epochs.back().train_loss < 0.6 * h.epochs.front().train_loss);
    CHECK(h.best_epoch >= 1);
    double best = 1e9;
    for (const auto& e : h.epochs) best = std::min(best, e.val_metric);
    CHECK(h.best_metric == best);
    // The restored weights score the best epoch's metric again (the default metric is the loss).
    detail::Validator<float> v;
    v.run(s.net, s.source, s.validation, 512);
    CHECK(detail::loss_over(loss, v.pred, v.target, v.mask, 512) == Approx(best).epsilon(1e-6));
}

TEST_CASE("fit: bitwise reproducible per seed", "[fit]") {
    auto run = [](std::uint64_t seed) {
        Setup s;
        MaskedMse<float> loss;
        AnyOptimizer<float> opt(s.net.parameters(), OptimizerConfig{OptimizerKind::AdamW, 0.005, 0.01});
        FitOptions<float> o;
        o.epochs = 4;
        o.batch = 16;
        o.seed = seed;
        o.grad_clip = 0.5;
        fit(s.net, loss, opt, s.source, s.train, s.validation, o);
        return weights_of(s.net);
    };
    const auto a = run(7), b = run(7), c = run(8);
    CHECK(same_weights(a, b));
    CHECK_FALSE(same_weights(a, c));
}

TEST_CASE("fit: patience stops, the stop flag interrupts, the schedule sets the lr", "[fit]") {
    SECTION("patience") {
        Setup s;
        MaskedMse<float> loss;
        Sgd<float> opt(s.net.parameters(), 0.0f);  // lr 0: nothing ever improves after epoch 1
        FitOptions<float> o;
        o.epochs = 20;
        o.patience = 3;
        const FitHistory h = fit(s.net, loss, opt, s.source, s.train, s.validation, o);
        CHECK(h.stopped_early);
        CHECK(h.epochs.size() == 4);
        CHECK(h.best_epoch == 1);
    }
    SECTION("stop flag") {
        Setup s;
        MaskedMse<float> loss;
        Adam<float> opt(s.net.parameters(), 0.01f);
        volatile std::sig_atomic_t flag = 0;
        FitHooks hooks;
        hooks.stop = &flag;
        hooks.on_batch = [&](int epoch, int batch) {
            if (epoch == 2 && batch == 3) flag = 1;
        };
        FitOptions<float> o;
        o.epochs = 10;
        o.batch = 20;
        const FitHistory h = fit(s.net, loss, opt, s.source, s.train, s.validation, o, hooks);
        CHECK(h.interrupted);
        REQUIRE(h.epochs.size() == 2);
        CHECK(h.epochs[1].partial);
        CHECK(h.steps == 10 + 3);
        CHECK(std::isfinite(h.epochs[1].val_metric));  // the partial epoch is validated too
    }
    SECTION("schedule") {
        Setup s;
        MaskedMse<float> loss;
        AnyOptimizer<float> opt(s.net.parameters(), OptimizerConfig{OptimizerKind::Sgd, 0.1});
        CHECK(opt.kind() == OptimizerKind::Sgd);
        FitOptions<float> o;
        o.epochs = 3;
        o.batch = 50;
        const std::int64_t spe = steps_per_epoch(200, 50);
        CHECK(spe == 4);
        o.schedule = LrSchedule<float>::step(0.1f, spe, 0.5f);  // halves every epoch
        std::vector<double> seen;
        FitHistory h = fit(s.net, loss, opt, s.source, s.train, {}, o);
        REQUIRE(h.epochs.size() == 3);
        CHECK(h.epochs[0].lr == Approx(0.1));
        CHECK(h.epochs[1].lr == Approx(0.05));
        CHECK(h.epochs[2].lr == Approx(0.025));
        CHECK(h.best_epoch == 0);  // no validation: no best epoch, the last weights stay
        CHECK(std::isnan(h.epochs[0].val_metric));
    }
}

TEST_CASE("fit: a custom metric (higher is better) and extra metrics", "[fit]") {
    Setup s;
    MaskedMse<float> loss;
    Adam<float> opt(s.net.parameters(), 0.01f);
    FitOptions<float> o;
    o.epochs = 3;
    o.higher_is_better = true;
    o.metric = [](TensorView<const float> p, TensorView<const float> y, TensorView<const float> m) {
        double right = 0, seen = 0;
        for (Index i = 0; i < p.size(); ++i)
            if (m[i] != 0) right += (p[i] > 0.5f) == (y[i] > 0.5f), seen += 1;
        return right / seen;  // accuracy
    };
    o.extra_metrics.push_back([](TensorView<const float> p, TensorView<const float>, TensorView<const float>) {
        return double(p.dim(0));
    });
    const FitHistory h = fit(s.net, loss, opt, s.source, s.train, s.validation, o);
    for (const auto& e : h.epochs) {
        CHECK(e.val_metric >= 0.0);
        CHECK(e.val_metric <= 1.0);
        REQUIRE(e.val_extra.size() == 1);
        CHECK(e.val_extra[0] == 40.0);
    }
}

TEST_CASE("fit: errors", "[fit]") {
    Setup s;
    MaskedMse<float> loss;
    Adam<float> opt(s.net.parameters(), 0.01f);
    FitOptions<float> o;
    CHECK_THROWS_AS(fit(s.net, loss, opt, s.source, {}, s.validation, o), ValueError);
    CHECK_THROWS_AS(fit(s.net, loss, opt, s.source, {0, 1, 240}, s.validation, o), ValueError);
    o.batch = 0;
    CHECK_THROWS_AS(fit(s.net, loss, opt, s.source, s.train, s.validation, o), ValueError);
}

namespace {
/// Records the allocation counters after every batch into storage reserved up front.
struct AllocationProbe : FitObserver {
    std::vector<long> news, mallocs;
    std::vector<int> epochs;
    AllocationProbe() {
        news.reserve(1000);
        mallocs.reserve(1000);
        epochs.reserve(1000);
    }
    void batch(int epoch, int, int, int, double) override {
        news.push_back(test::operator_new_calls());
        mallocs.push_back(test::malloc_calls());
        epochs.push_back(epoch);
    }
};
}  // namespace

// operator new is checked at the default thread count; malloc with one BLAS thread, because
// Debian's multi-threaded OpenBLAS mallocs a job array inside every threaded GEMM (its
// behaviour, not polytag's; tests/optim/test_no_allocation.cpp measures the same). The malloc
// run uses mean pooling: AttentionPool with one task computes its weight gradient as a GEMM
// with one output row (1 x D over B*F), for which polytag::gemm on OpenBLAS mallocs once per
// call (measured, with and without libxsmm) - a GEMM-backend matter, outside fit.
TEST_CASE("fit: no allocation per step once warm", "[fit][allocation]") {
    const int threads = num_threads();
    for (bool one_thread : {false, true}) {
        set_num_threads(one_thread ? 1 : threads);
        for (OptimizerKind kind : {OptimizerKind::Adam, OptimizerKind::AdamW, OptimizerKind::Sgd}) {
            Setup s(1, /*attention=*/!one_thread);
            MaskedBce<float> loss;
            OptimizerConfig c{kind, 0.01};
            c.momentum = 0.9;
            AnyOptimizer<float> opt(s.net.parameters(), c);
            FitOptions<float> o;
            o.epochs = 3;
            o.batch = 30;  // 200 rows: six batches of 30 and one of 20
            o.grad_clip = 1.0;
            o.schedule = LrSchedule<float>::warmup_cosine(0.01f, 3, 21);
            AllocationProbe probe;
            FitHooks hooks;
            hooks.progress = &probe;
            fit(s.net, loss, opt, s.source, s.train, s.validation, o, hooks);
            REQUIRE(probe.news.size() == 21);
            // Within epochs 2 and 3 (after the first saw every batch size), between batches: none.
            for (std::size_t i = 1; i < probe.news.size(); ++i) {
                if (probe.epochs[i] < 2 || probe.epochs[i] != probe.epochs[i - 1]) continue;
                INFO(to_string(kind) << " batch record " << i << (one_thread ? ", one thread" : ""));
                CHECK(probe.news[i] == probe.news[i - 1]);
                if (test::kCountsMalloc && one_thread) CHECK(probe.mallocs[i] == probe.mallocs[i - 1]);
            }
        }
    }
    set_num_threads(threads);
}
