// The training batch loop allocates nothing once the first batch has sized every buffer.
// This file replaces the global operator new (every form, including the aligned ones Tensor
// uses) with a counting version for the whole model test program; only the difference across
// the measured batches matters. BLAS runs on one thread (multi-threaded OpenBLAS mallocs a job
// array inside its own GEMMs, which is not polytag's doing; operator new is what we own).
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#include "polytag/data/synthetic.hpp"
#include "polytag/model/progress.hpp"
#include "polytag/model/trainer.hpp"

namespace {
std::atomic<long> g_new_calls{0};
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

using namespace polytag;
using namespace polytag::openmic;

TEST_CASE("The training batch loop does not allocate after the first batch", "[model][train][alloc]") {
    const Dataset d = make_synthetic(900, 4);
    REQUIRE(g_new_calls.load() > 0);  // the counting operator new is the one in use
    for (PoolKind pool : {PoolKind::Attention, PoolKind::Mean, PoolKind::Max}) {
        for (LossKind loss : {LossKind::MaskedMse, LossKind::MaskedBce}) {
            ModelConfig mc;
            mc.trunk = {32, 16};
            mc.pool = pool;
            mc.dropout = 0.2;
            mc.input_dropout = 0.1;
            TrainConfig tc;
            tc.epochs = 2;
            tc.batch = 32;
            tc.threads = 1;
            tc.loss = loss;
            tc.grad_clip = 1.0;
            std::FILE* sink = std::tmpfile();
            REQUIRE(sink);
            ProgressPrinter bar(sink, ProgressPrinter::Style::Bar);  // the bar is drawn inside the loop
            TrainHooks hooks;
            hooks.progress = &bar;
            long at_start = -1, at_end = -1;
            int batches = 0;
            hooks.on_batch = [&](int epoch, int batch) {
                if (epoch != 2) return;
                if (batch == 1) at_start = g_new_calls.load();
                at_end = g_new_calls.load();
                batches = batch;
            };
            RelevanceModel m(mc, 1);
            train(m, d, tc, hooks);
            std::fclose(sink);
            INFO("pool " << to_string(pool) << ", loss " << to_string(loss) << ", " << batches << " batches");
            REQUIRE(batches > 10);
            CHECK(at_end - at_start == 0);
        }
    }
}
