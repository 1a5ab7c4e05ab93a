// The training batch loop allocates nothing once the first batch has sized every buffer.
// This file replaces the global operator new (every form, including the aligned ones Tensor
// uses) with a counting version for the whole model test program; only the difference across
// the measured batches matters. BLAS runs on one thread (multi-threaded OpenBLAS mallocs a job
// array inside its own GEMMs, which is not polytag's doing; operator new is what we own).
#include <catch2/catch.hpp>

#include "support/counting_allocator.hpp"

#include "polytag/openmic/synthetic.hpp"
#include "tool/progress.hpp"
#include "polytag/openmic/trainer.hpp"

using namespace polytag;
using namespace polytag::openmic;

TEST_CASE("The training batch loop does not allocate after the first batch", "[model][train][alloc]") {
    const Dataset d = make_synthetic(900, 4);
    REQUIRE(test::operator_new_calls() > 0);  // the counting operator new is the one in use
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
                if (batch == 1) at_start = test::operator_new_calls();
                at_end = test::operator_new_calls();
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
