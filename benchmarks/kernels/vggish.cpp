// VGGish inference: patches/s of the full-width network (random weights) at batch 1 and 10,
// on POLYTAG_BENCH_THREADS BLAS threads (default 1), and in the same run:
//   BM_vggish_torch       torchvggish's network in PyTorch (benchmarks/peers/vggish_torch.py,
//                         /usr/bin/python3 or $POLYTAG_BENCH_PYTHON, torch.set_num_threads(1)),
//                         its own timing reported as manual time: the process CPU time per call,
//                         the figure polytag's rates use too (Google Benchmark's rates divide by
//                         CPU time), with its wall time as the counter wall_ms;
//   BM_vggish_libtorch    the same network in LibTorch C++ (benchmarks/peers/vggish_libtorch.cpp,
//                         built with -DPOLYTAG_BUILD_PEERS=ON and LibTorch found; its path is
//                         compiled in, $POLYTAG_VGGISH_LIBTORCH overrides it), --threads as
//                         here, reported the same way as the PyTorch peer;
//   BM_vggish_gemm_floor  only the GEMMs polytag's forward runs (each conv's im2col product per
//                         patch, the FC layers per weight panel) on the same shapes: the
//                         difference to BM_vggish_embed is im2col, bias + ReLU and pooling;
//   BM_vggish_gemm_floor_openblas  the same products all through OpenBLAS's sgemm;
//   BM_vggish_fc_panel    fc1_1's product at several panel widths (the choice of kVggishFcPanel);
//   BM_vggish_embed_workers  POLYTAG_BENCH_THREADS workers embedding at once (per wall second):
//                         how polytag-embed uses several cores, against the peers' intra-op threads.
// Threads: POLYTAG_BENCH_THREADS (default 1) for polytag's BLAS pool and both peers' --threads.
// FLOP/s counts the multiply-adds of the convolutions and FC layers (2 per MAC).
//   build-bench/benchmarks/bench_vggish --benchmark_min_time=2
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "polytag/audio/vggish.hpp"
#include "polytag/io/npz.hpp"
#include "support/bench_util.hpp"

namespace {

using polytag::Index;
using polytag::Shape;
using polytag::Tensor;
namespace pb = polytag::bench;
namespace pa = polytag::audio;

const pb::ThreadSetup thread_setup;

const std::array<Index, 6> kConv{64, 128, 256, 256, 512, 512};
const std::array<Index, 3> kFc{4096, 4096, 128};

/// A full-width VGGish file with He-scaled random weights, written once to a temporary folder.
const pa::Vggish& model() {
    static const pa::Vggish v = [] {
        const std::string path = std::filesystem::temp_directory_path().string() + "/polytag-bench-vggish-" +
                                 std::to_string(::getpid()) + ".npz";
        std::vector<Tensor<float>> keep;
        std::vector<polytag::io::NpzEntry> e;
        e.emplace_back("format", std::string(pa::kVggishFormat));
        e.emplace_back("final_activation", std::string("relu"));
        auto add = [&](const std::string& name, Shape s, double scale, std::uint64_t seed) {
            keep.push_back(pb::random_tensor<float>(s, seed, -scale, scale));
            e.emplace_back(name, keep.back().view());
        };
        keep.reserve(32);
        Index in = 1;
        for (std::size_t k = 0; k < 6; ++k) {
            add(std::string(pa::vggish_conv_names()[k]) + ".weight", Shape{3, 3, in, kConv[k]},
                std::sqrt(6.0 / double(9 * in)), 10 + k);
            add(std::string(pa::vggish_conv_names()[k]) + ".bias", Shape{kConv[k]}, 0.05, 20 + k);
            in = kConv[k];
        }
        in = 6 * 4 * in;
        for (std::size_t k = 0; k < 3; ++k) {
            add(std::string(pa::vggish_fc_names()[k]) + ".weight", Shape{kFc[k], in}, std::sqrt(6.0 / double(in)), 30 + k);
            add(std::string(pa::vggish_fc_names()[k]) + ".bias", Shape{kFc[k]}, 0.05, 40 + k);
            in = kFc[k];
        }
        add("pca_eigen_vectors", Shape{128, 128}, 0.1, 50);
        add("pca_means", Shape{128}, 0.1, 51);
        polytag::io::save_npz(path, e);
        pa::Vggish loaded = pa::Vggish::load(path);
        std::filesystem::remove(path);
        return loaded;
    }();
    return v;
}

double flops_per_patch() {
    double macs = 0;
    Index h = 96, w = 64, in = 1;
    for (std::size_t k = 0; k < 6; ++k) {
        macs += double(h * w) * 9.0 * double(in) * double(kConv[k]);
        in = kConv[k];
        if (k == 0 || k == 1 || k == 3 || k == 5) h /= 2, w /= 2;
    }
    in = 6 * 4 * in;
    for (Index f : kFc) macs += double(in) * double(f), in = f;
    return 2.0 * macs;
}

void set_rates(benchmark::State& state, Index batch) {
    state.counters["patches/s"] = benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
    pb::set_flops(state, flops_per_patch() * double(batch));
}

void BM_vggish_embed(benchmark::State& state) {
    const Index batch = state.range(0);
    const pa::Vggish& v = model();
    const Tensor<float> x = pb::random_tensor<float>(Shape{batch, 96, 64}, 7, -4.0, 3.0);
    Tensor<float> out(Shape{batch, 128});
    pa::VggishWorkspace ws;
    v.embed(x.view(), out.view(), ws);  // size the workspace
    for (auto _ : state) {
        v.embed(x.view(), out.view(), ws);
        benchmark::DoNotOptimize(out.data());
    }
    set_rates(state, batch);
}
BENCHMARK(BM_vggish_embed)->ArgName("batch")->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond);

// Raw embedding + post-processor (PCA in double, clip, uint8): the whole "patches -> bytes".
void BM_vggish_embed_uint8(benchmark::State& state) {
    const Index batch = state.range(0);
    const pa::Vggish& v = model();
    const Tensor<float> x = pb::random_tensor<float>(Shape{batch, 96, 64}, 7, -4.0, 3.0);
    pa::VggishWorkspace ws;
    for (auto _ : state) benchmark::DoNotOptimize(v.embed_uint8(x.view(), ws).data());
    set_rates(state, batch);
}
BENCHMARK(BM_vggish_embed_uint8)->ArgName("batch")->Arg(10)->Unit(benchmark::kMillisecond);

// The GEMMs of BM_vggish_embed alone, on the same shapes (vggish.hpp: each conv's im2col
// product one patch at a time; each FC layer as one product per column panel of its weight,
// on the whole batch), through polytag::gemm's choice (Auto) or OpenBLAS alone (the floor of a
// framework that sends every product to sgemm).
void gemm_floor(benchmark::State& state, polytag::GemmBackend backend) {
    const Index batch = state.range(0);
    struct Product {
        Index m, k, n, ldc, calls;
        Tensor<float> a, b, c;
    };
    std::vector<Product> products;
    Index h = 96, w = 64, in = 1;
    for (std::size_t k = 0; k < 6; ++k) {
        products.push_back({h * w, 9 * in, kConv[k], kConv[k], batch, {}, {}, {}});
        in = kConv[k];
        if (k == 0 || k == 1 || k == 3 || k == 5) h /= 2, w /= 2;
    }
    in = 6 * 4 * in;
    for (Index f : kFc) {
        for (Index j0 = 0; j0 < f; j0 += pa::kVggishFcPanel)
            products.push_back({batch, in, std::min(pa::kVggishFcPanel, f - j0), f, 1, {}, {}, {}});
        in = f;
    }
    std::uint64_t seed = 100;
    for (Product& p : products) {
        p.a = pb::random_tensor<float>(Shape{p.m, p.k}, seed++);
        p.b = pb::random_tensor<float>(Shape{p.k, p.n}, seed++);
        p.c = Tensor<float>(Shape{p.m, p.ldc});
    }
    for (auto _ : state) {
        for (Product& p : products)
            for (Index i = 0; i < p.calls; ++i)
                polytag::gemm_with<float>(backend, polytag::Trans::No, polytag::Trans::No, 1.0f, p.a.mref(), p.b.mref(),
                                          0.0f, polytag::MatrixRef<float>(p.c.data(), p.m, p.n, p.ldc));
        benchmark::DoNotOptimize(products.back().c.data());
    }
    set_rates(state, batch);
}
void BM_vggish_gemm_floor(benchmark::State& state) { gemm_floor(state, polytag::GemmBackend::Auto); }
BENCHMARK(BM_vggish_gemm_floor)->ArgName("batch")->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond);
#if defined(POLYTAG_USE_BLAS)
void BM_vggish_gemm_floor_openblas(benchmark::State& state) { gemm_floor(state, polytag::GemmBackend::Blas); }
BENCHMARK(BM_vggish_gemm_floor_openblas)->ArgName("batch")->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond);
#endif

// fc1_1 (12288 -> 4096) on 10 patches with its weight as column panels of `width` columns
// (width 4096: the plain (in, out) matrix in one product): the choice of kVggishFcPanel. The
// product reads 201 MB of weights per call, so it measures how well each layout streams them.
void BM_vggish_fc_panel(benchmark::State& state) {
    const Index width = state.range(0), m = 10, in = 12288, out = 4096;
    const Tensor<float> x = pb::random_tensor<float>(Shape{m, in}, 1);
    const Tensor<float> panels = pb::random_tensor<float>(Shape{in * out}, 2);
    Tensor<float> y(Shape{m, out});
    for (auto _ : state) {
        for (Index j0 = 0; j0 < out; j0 += width) {
            const Index w = std::min(width, out - j0);
            polytag::gemm<float>(polytag::Trans::No, polytag::Trans::No, 1.0f, x.mref(),
                                 polytag::MatrixRef<const float>(panels.data() + j0 * in, in, w), 0.0f,
                                 polytag::MatrixRef<float>(y.data() + j0, m, w, out));
        }
        benchmark::DoNotOptimize(y.data());
    }
    state.counters["GB/s"] = benchmark::Counter(double(in * out) * 4e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_vggish_fc_panel)->ArgName("width")->Arg(16)->Arg(32)->Arg(64)->Arg(256)->Arg(4096)->Unit(benchmark::kMillisecond);

// Throughput with POLYTAG_BENCH_THREADS workers, each embedding its own batch with its own
// workspace on one shared model (polytag-embed's way of using several cores: one file per
// worker, one BLAS thread each): patches per wall second.
void BM_vggish_embed_workers(benchmark::State& state) {
    const Index batch = state.range(0);
    const int workers = pb::bench_threads();
    const pa::Vggish& v = model();
    const Tensor<float> x = pb::random_tensor<float>(Shape{batch, 96, 64}, 7, -4.0, 3.0);
    std::vector<Tensor<float>> out(std::size_t(workers), Tensor<float>(Shape{batch, 128}));
    std::vector<pa::VggishWorkspace> ws(static_cast<std::size_t>(workers));
    polytag::set_num_threads(1);
    auto run = [&] {
        std::vector<std::thread> pool;
        for (int t = 0; t < workers; ++t)
            pool.emplace_back([&, t] { v.embed(x.view(), out[std::size_t(t)].view(), ws[std::size_t(t)]); });
        for (auto& t : pool) t.join();
    };
    run();  // size the workspaces
    for (auto _ : state) {
        run();
        benchmark::DoNotOptimize(out[0].data());
    }
    polytag::set_num_threads(workers);
    set_rates(state, batch * workers);
}
BENCHMARK(BM_vggish_embed_workers)->ArgName("batch")->Arg(10)->UseRealTime()->Unit(benchmark::kMillisecond);

std::string torch_script() {
    if (const char* s = std::getenv("POLYTAG_VGGISH_TORCH_SCRIPT")) return s;
    return (std::filesystem::path(__FILE__).parent_path().parent_path() / "peers" / "vggish_torch.py").string();
}

/// Runs a peer (one process per benchmark, timed by itself for >= 2 s) and reports its CPU time
/// per call as manual time, its wall time as the counter wall_ms.
void run_peer(benchmark::State& state, const std::string& what, const std::string& cmd) {
    const Index batch = state.range(0);
    for (auto _ : state) {
        std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd.c_str(), "r"), ::pclose);
        std::string out;
        char buf[512];
        while (pipe && std::fgets(buf, sizeof buf, pipe.get())) out += buf;
        auto field = [&](const std::string& name) {
            const std::string key = "\"" + name + "\": ";
            const std::size_t at = out.find(key);
            return at == std::string::npos ? -1.0 : std::stod(out.substr(at + key.size()));
        };
        const double wall = field("seconds_per_call"), cpu = field("cpu_seconds_per_call");
        if (wall < 0 || cpu < 0) {
            state.SkipWithError((what + " peer failed: " + cmd + ": " + out.substr(0, 200)).c_str());
            break;
        }
        state.SetIterationTime(cpu);
        state.counters["wall_ms"] = wall * 1e3;
        const double rss = field("peak_rss_mb");
        if (rss >= 0) state.counters["peak_rss_mb"] = rss;
    }
    set_rates(state, batch);
}

// PyTorch in a child process.
void BM_vggish_torch(benchmark::State& state) {
    const char* py = std::getenv("POLYTAG_BENCH_PYTHON");
    run_peer(state, "torch",
             std::string(py ? py : "/usr/bin/python3") + " '" + torch_script() + "' --threads " +
                 std::to_string(pb::bench_threads()) + " --batch " + std::to_string(state.range(0)) + " 2>&1");
}
BENCHMARK(BM_vggish_torch)->ArgName("batch")->Arg(1)->Arg(10)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

// LibTorch C++ in a child process.
void BM_vggish_libtorch(benchmark::State& state) {
    std::string exe;
    if (const char* e = std::getenv("POLYTAG_VGGISH_LIBTORCH")) exe = e;
#if defined(POLYTAG_VGGISH_LIBTORCH)
    if (exe.empty()) exe = POLYTAG_VGGISH_LIBTORCH;
#endif
    if (exe.empty() || ::access(exe.c_str(), X_OK) != 0) {
        state.SkipWithError("vggish_libtorch not built (configure with -DPOLYTAG_BUILD_PEERS=ON and libtorch-dev)");
        for (auto _ : state) break;
        return;
    }
    run_peer(state, "libtorch",
             "'" + exe + "' --threads " + std::to_string(pb::bench_threads()) + " --batch " +
                 std::to_string(state.range(0)) + " 2>&1");
}
BENCHMARK(BM_vggish_libtorch)->ArgName("batch")->Arg(1)->Arg(10)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
