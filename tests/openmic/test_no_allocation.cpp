// The training batch loop allocates nothing once the first batch has sized every buffer.
// This file replaces the global operator new (every form, including the aligned ones Tensor
// uses) with a counting version for the whole model test program; only the difference across
// the measured batches matters. BLAS runs on one thread (multi-threaded OpenBLAS mallocs a job
// array inside its own GEMMs, which is not polytag's doing; operator new is what we own).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "support/counting_allocator.hpp"

#include "polytag/io/npz.hpp"
#include "polytag/openmic/relevance_model.hpp"
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

TEST_CASE("Training a two-input model (second stream) does not allocate after the first batch", "[model][train][alloc][inputs]") {
    SyntheticStreams s;
    s.classes = {1, 4};
    s.dims = 16;
    const Dataset d = make_synthetic(900, 4, s);
    for (FusionKind fusion : {FusionKind::Frame, FusionKind::Late}) {
        for (PoolKind pool : {PoolKind::Attention, PoolKind::Mean}) {
            ModelConfig mc;
            mc.trunk = {32};
            mc.pool = pool;
            mc.dropout = 0.2;
            mc.input_dropout = 0.1;
            mc.input2 = s.name;
            mc.input2_frames = 10;
            mc.input2_features = 16;
            mc.fusion = fusion;
            TrainConfig tc;
            tc.epochs = 2;
            tc.batch = 32;
            tc.threads = 1;
            tc.grad_clip = 1.0;
            TrainHooks hooks;
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
            INFO("fusion " << to_string(fusion) << ", pool " << to_string(pool) << ", " << batches << " batches");
            REQUIRE(batches > 10);
            CHECK(at_end - at_start == 0);
        }
    }
}

namespace {
std::string hostile_path(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / ("polytag_test_hostile_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}
}  // namespace

TEST_CASE("A model file whose config claims a huge network costs a small multiple of its own size",
          "[model][file][alloc][hostile]") {
    // A small real model, then the same arrays under configs that claim far more.
    ModelConfig small;
    small.trunk = {24, 16};
    small.head = {4};
    RelevanceModel m(small, 3);
    m.set_normalizer(Normalizer::identity(128));
    const std::string good = hostile_path("good.npz");
    m.save(good);
    io::NpzReader r(good);
    std::vector<Tensor<float>> arrays;
    std::vector<std::string> names;
    for (const auto& n : r.names())
        if (n != "format" && n != "config" && n != "class_names") {
            names.push_back(n);
            arrays.push_back(r.read<float>(n));
        }
    const std::vector<std::string> class_names = r.read_strings("class_names");
    for (const char* config : {R"({"trunk": [32768, 32768], "head": [4]})", R"({"trunk": [24, 16], "head": [65536]})",
                               R"({"trunk": [65536, 65536, 65536]})", R"({"trunk": [24, 16], "head": [4], "frames": 100000})"}) {
        INFO(config);
        std::vector<io::NpzEntry> entries;
        entries.emplace_back("format", std::string(kModelFormat));
        entries.emplace_back("config", std::string(config));
        entries.emplace_back("class_names", class_names);
        for (std::size_t i = 0; i < names.size(); ++i) entries.emplace_back(names[i], arrays[i]);
        const std::string bad = hostile_path("huge-config.npz");
        io::save_npz(bad, entries);
        const auto file_bytes = std::filesystem::file_size(bad);
        const unsigned long long before = test::operator_new_bytes();
        const auto t0 = std::chrono::steady_clock::now();
        std::string message;
        try {
            RelevanceModel::load(bad);
        } catch (const IoError& e) {
            message = e.what();
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const unsigned long long bytes = test::operator_new_bytes() - before;
        INFO(message << "; " << bytes << " bytes allocated for a file of " << file_bytes);
        CHECK_THAT(message, Catch::Contains(bad) && Catch::Contains("config"));
        CHECK(message.find('\n') == std::string::npos);
        CHECK(seconds < 2.0);
        CHECK(bytes < 8 * file_bytes);
    }
}

TEST_CASE("Loading a good model file costs a small multiple of its size", "[model][file][alloc]") {
    ModelConfig c;  // the default model, 256 units
    RelevanceModel m(c, 3);
    const std::string path = hostile_path("default.npz");
    m.save(path);
    const auto file_bytes = std::filesystem::file_size(path);
    const unsigned long long before = test::operator_new_bytes();
    const RelevanceModel back = RelevanceModel::load(path);
    const unsigned long long bytes = test::operator_new_bytes() - before;
    INFO(bytes << " bytes allocated for a file of " << file_bytes);
    CHECK(bytes < 6 * file_bytes);
}
