// After the first training step, a step allocates nothing. This file replaces the global
// operator new/delete (every form, including the std::align_val_t ones Tensor uses) and, on
// glibc without sanitizers, malloc/calloc/realloc too (Eigen's own temporaries and BLAS
// buffers would go there), with counting versions; then it trains the reference network
// (per-frame Dense + ReLU, AttentionPool per task, MultiHead, Sigmoid, MaskedMse, clipping,
// an LR schedule and each optimizer) and counts allocations over steps after the first.
// The replacements are process-wide, so they count for the whole optim test program; only
// the difference across the measured loop matters.
// Measured: operator new is never called after the first step, whatever the thread count.
// malloc is never called either with one BLAS thread (or without BLAS); Debian's
// multi-threaded OpenBLAS mallocs a small job array inside every threaded GEMM
// (sgemm_thread_nn/nt/tn), which is OpenBLAS's behaviour, not polytag's, so the malloc check
// runs with set_num_threads(1). Without BLAS, Eigen's GEMM takes its packing workspace from
// malloc once a panel exceeds EIGEN_STACK_ALLOCATION_LIMIT (128 KB; here the (B * 10) x 128
// input of the first Dense for B = 32), so that build checks malloc with batches of 16 and 8.
#include <catch2/catch.hpp>

#include "support/counting_allocator.hpp"

#include "polytag/loss/masked_bce.hpp"
#include "polytag/loss/masked_mse.hpp"
#include "polytag/nn/activation.hpp"
#include "polytag/nn/attention_pool.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/multi_head.hpp"
#include "polytag/nn/sequential.hpp"
#include "polytag/optim/adam.hpp"
#include "polytag/optim/adamw.hpp"
#include "polytag/optim/clip.hpp"
#include "polytag/optim/schedule.hpp"
#include "polytag/optim/sgd.hpp"
#include "polytag/tensor/threads.hpp"

using namespace polytag;

namespace {
constexpr Index kFrames = 10, kFeatures = 128, kHidden = 64, kTasks = 20, kHeadHidden = 32;

auto make_reference_network() {
    return Sequential(Shape{kFrames, kFeatures}, Dense<float>(kFeatures, kHidden), Relu<float>(),
                      AttentionPool<float>(kHidden, kTasks),
                      MultiHead<float, kTasks>(kHidden, {kHeadHidden}), Sigmoid<float>());
}

struct Batch {
    Tensor<float> x, y, mask;
    Batch(Index b, Rng& rng) : x(Shape{b, kFrames, kFeatures}), y(Shape{b, kTasks}), mask(Shape{b, kTasks}) {
        for (auto& v : x) v = float(rng.uniform(-1, 1));
        for (auto& v : y) v = float(rng.uniform());
        for (auto& v : mask) v = rng.uniform() < 0.3 ? 1.0f : 0.0f;
        for (Index k = 0; k < kTasks; ++k) mask(0, k) = 0.0f;  // one fully unobserved row
    }
};

struct AllocationCount {
    long news = 0, mallocs = 0;
};

template <typename Net, typename Loss, typename Opt>
float train_step(Net& net, Loss& loss, Opt& opt, const LrSchedule<float>& schedule, const ParameterList<float>& params,
                 const Batch& batch) {
    auto pred = net.forward(batch.x, Mode::Train);
    const float l = loss.forward(pred, batch.y, batch.mask);
    net.backward(loss.backward(), false);
    clip_grad_norm(params, 1.0f);
    schedule.apply(opt);
    opt.step();
    return l;
}

/// Builds the network and optimizer, runs one step on the largest batch, then `steps` steps
/// alternating between that batch and a smaller one, counting allocations over those.
#if defined(POLYTAG_USE_BLAS)
constexpr Index kMallocBig = 32, kMallocSmall = 17;
#else
constexpr Index kMallocBig = 16, kMallocSmall = 8;
#endif

template <typename Loss, typename MakeOpt>
AllocationCount count_steady_state_allocations(Loss& loss, MakeOpt make_opt, int steps, float* last_loss,
                                               Index big_batch = 32, Index small_batch = 17) {
    auto net = make_reference_network();
    Rng rng(42);
    net.init(rng);
    auto params = net.parameters();
    auto opt = make_opt(params);
    const auto schedule = LrSchedule<float>::warmup_cosine(1e-3f, 3, 50, 1e-5f);
    Batch big(big_batch, rng), small(small_batch, rng);
    train_step(net, loss, opt, schedule, params, big);

    const long news0 = test::operator_new_calls(), mallocs0 = test::malloc_calls();
    float l = 0;
    for (int s = 0; s < steps; ++s) l = train_step(net, loss, opt, schedule, params, s % 2 ? small : big);
    AllocationCount c{test::operator_new_calls() - news0, test::malloc_calls() - mallocs0};
    *last_loss = l;
    return c;
}
}  // namespace

TEST_CASE("The counting operator new sees Tensor's aligned allocations", "[optim][alloc]") {
    const long before = test::operator_new_calls();
    { Tensor<float> t(Shape{1000}); }
    CHECK(test::operator_new_calls() - before == 1);
#if defined(POLYTAG_TEST_COUNTS_MALLOC)
    const long m0 = test::malloc_calls();
    void* p = std::malloc(100);
    std::free(p);
    CHECK(test::malloc_calls() - m0 >= 1);
#endif
}

/// Runs `f` with one BLAS thread, restoring the previous count afterwards.
template <typename F>
void with_one_blas_thread(F f) {
    const int before = num_threads();
    set_num_threads(1);
    f();
    set_num_threads(before);
}

TEST_CASE("A training step allocates nothing after the first (Adam, MaskedMse)", "[optim][alloc]") {
    MaskedMse<float> loss;
    auto adam = [](const ParameterList<float>& p) { return Adam<float>(p, 1e-3f); };
    float last = 0;
    auto c = count_steady_state_allocations(loss, adam, 20, &last);
    CHECK(std::isfinite(last));
    CHECK(c.news == 0);
    with_one_blas_thread([&] {
        auto c1 = count_steady_state_allocations(loss, adam, 20, &last, kMallocBig, kMallocSmall);
        CHECK(c1.news == 0);
#if defined(POLYTAG_TEST_COUNTS_MALLOC)
        CHECK(c1.mallocs == 0);
#endif
    });
}

TEST_CASE("A training step allocates nothing after the first (AdamW / Sgd, MaskedBce)", "[optim][alloc]") {
    MaskedBce<float> loss;
    auto adamw = [](const ParameterList<float>& p) { return AdamW<float>(p, 1e-3f, 0.01f); };
    auto sgd = [](const ParameterList<float>& p) { return Sgd<float>(p, 1e-2f, 0.9f, true); };
    float last = 0;
    CHECK(count_steady_state_allocations(loss, adamw, 10, &last).news == 0);
    CHECK(std::isfinite(last));
    CHECK(count_steady_state_allocations(loss, sgd, 10, &last).news == 0);
    with_one_blas_thread([&] {
        auto c1 = count_steady_state_allocations(loss, adamw, 10, &last, kMallocBig, kMallocSmall);
        auto c2 = count_steady_state_allocations(loss, sgd, 10, &last, kMallocBig, kMallocSmall);
        CHECK(c1.news == 0);
        CHECK(c2.news == 0);
#if defined(POLYTAG_TEST_COUNTS_MALLOC)
        CHECK(c1.mallocs == 0);
        CHECK(c2.mallocs == 0);
#endif
    });
}
