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

#include <atomic>
#include <cstdlib>
#include <new>

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

namespace {
std::atomic<long> g_new_calls{0};
std::atomic<long> g_malloc_calls{0};

void* counted_new(std::size_t n) {
    g_new_calls.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* counted_new_aligned(std::size_t n, std::align_val_t al) {
    g_new_calls.fetch_add(1, std::memory_order_relaxed);
    void* p = nullptr;
    const std::size_t a = std::max(static_cast<std::size_t>(al), sizeof(void*));
    if (::posix_memalign(&p, a, n ? n : 1) != 0) throw std::bad_alloc();
    return p;
}
}  // namespace

void* operator new(std::size_t n) { return counted_new(n); }
void* operator new[](std::size_t n) { return counted_new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try { return counted_new(n); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    try { return counted_new(n); } catch (...) { return nullptr; }
}
void* operator new(std::size_t n, std::align_val_t a) { return counted_new_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_new_aligned(n, a); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    try { return counted_new_aligned(n, a); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    try { return counted_new_aligned(n, a); } catch (...) { return nullptr; }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

// malloc interposition (glibc only; sanitizers bring their own malloc).
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define POLYTAG_TEST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define POLYTAG_TEST_SANITIZED 1
#endif
#if defined(__GLIBC__) && !defined(POLYTAG_TEST_SANITIZED)
#define POLYTAG_TEST_COUNTS_MALLOC 1
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* malloc(std::size_t n) {
    g_malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t s) {
    g_malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(n, s);
}
void* realloc(void* p, std::size_t n) {
    g_malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(p, n);
}
}
#endif

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

    const long news0 = g_new_calls.load(), mallocs0 = g_malloc_calls.load();
    float l = 0;
    for (int s = 0; s < steps; ++s) l = train_step(net, loss, opt, schedule, params, s % 2 ? small : big);
    AllocationCount c{g_new_calls.load() - news0, g_malloc_calls.load() - mallocs0};
    *last_loss = l;
    return c;
}
}  // namespace

TEST_CASE("The counting operator new sees Tensor's aligned allocations", "[optim][alloc]") {
    const long before = g_new_calls.load();
    { Tensor<float> t(Shape{1000}); }
    CHECK(g_new_calls.load() - before == 1);
#if defined(POLYTAG_TEST_COUNTS_MALLOC)
    const long m0 = g_malloc_calls.load();
    void* p = std::malloc(100);
    std::free(p);
    CHECK(g_malloc_calls.load() - m0 >= 1);
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
