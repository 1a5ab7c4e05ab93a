// The reference workload of benchmarks/README.md in polytag, and the GEMM floor.
//
//   train_bench [--threads T] [--epochs N] [--seed S]      polytag: one JSON line on stdout
//   train_bench --model openmic ...                        the same workload, default OpenMIC model
//   train_bench --model openmic-train ...                  the default OpenMIC model through openmic::train
//   train_bench --gemm-floor [--threads T] [--epochs N]    only the GEMMs of an epoch, via cblas_sgemm
//   train_bench --predict-chunk 0 ...                      batch-1024 inference as one forward per batch
//
// Per-epoch losses go to stderr. The training loop allocates nothing after the first step:
// batch buffers are sized for the largest batch up front and every layer reuses its buffers.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "polytag/loss/masked_mse.hpp"
#include "polytag/openmic/relevance_net.hpp"
#include "polytag/openmic/trainer.hpp"
#include "polytag/nn/activation.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/multi_head.hpp"
#include "polytag/nn/predict.hpp"
#include "polytag/nn/sequential.hpp"
#include "polytag/optim/adam.hpp"
#include "polytag/tensor/random.hpp"
#include "polytag/tensor/threads.hpp"

#if defined(POLYTAG_BENCH_HAVE_CBLAS)
#include <cblas.h>
#endif

namespace {

using polytag::Index;
using polytag::Shape;
using polytag::Tensor;
using polytag::TensorView;

constexpr Index kClips = 14915, kFrames = 10, kBands = 128, kTasks = 20, kFeatures = kFrames * kBands;
constexpr Index kBatch = 64, kInferB1Calls = 2000, kInferBigBatch = 1024;

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// CPU time of the whole process: a second opinion when other programs share the cores.
double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;  // KiB on Linux
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string json_list(const std::vector<double>& v) {
    std::string s;
    char buf[32];
    for (std::size_t i = 0; i < v.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%s%.4f", i ? "," : "", v[i]);
        s += buf;
    }
    return s;
}

/// The synthetic data set: uint8 clips, targets uniform in [0, 1], about 10% observed.
struct Data {
    explicit Data(std::uint64_t seed) : x(std::size_t(kClips * kFeatures)), y(Shape{kClips, kTasks}), mask(Shape{kClips, kTasks}) {
        polytag::Rng rng(seed);
        for (auto& v : x) v = std::uint8_t(rng.below(256));
        for (auto& v : y) v = float(rng.uniform());
        for (auto& v : mask) v = rng.uniform() < 0.1 ? 1.0f : 0.0f;
    }
    std::vector<std::uint8_t> x;  // (clips, 10 * 128)
    Tensor<float> y, mask;        // (clips, 20)
};

/// x / 255 of clips idx[0..n) into out (n, 1280): the gather and conversion of one batch.
void gather_clips(const Data& d, const Index* idx, Index n, float* out) {
    for (Index i = 0; i < n; ++i) {
        const std::uint8_t* src = d.x.data() + idx[i] * kFeatures;
        float* dst = out + i * kFeatures;
        for (Index j = 0; j < kFeatures; ++j) dst[j] = float(src[j]) / 255.0f;
    }
}
void gather_rows(const Tensor<float>& t, const Index* idx, Index n, float* out) {
    const Index w = t.shape().cols();
    for (Index i = 0; i < n; ++i) std::copy_n(t.data() + idx[i] * w, w, out + i * w);
}

using Net = polytag::Sequential<polytag::Dense<float>, polytag::Relu<float>, polytag::Dense<float>, polytag::Relu<float>,
                                polytag::MultiHead<float, kTasks>, polytag::Sigmoid<float>>;

Net make_net() {
    return Net(Shape{kFeatures}, polytag::Dense<float>(kFeatures, 512), polytag::Relu<float>(),
               polytag::Dense<float>(512, 256), polytag::Relu<float>(), polytag::MultiHead<float, kTasks>(256, {32}),
               polytag::Sigmoid<float>());
}

/// Seconds of one epoch spent in each phase of the training step (steady_clock around each).
struct Phases {
    double gather = 0, forward = 0, backward = 0, step = 0;  // forward includes the loss
};

struct Result {
    std::vector<double> epoch_s;
    std::vector<Phases> phases;       // per timed epoch (run_workload only)
    std::vector<double> epoch_cpu_s;  // process CPU time per epoch (--model openmic-train only)
    double infer_b1 = 0, infer_b1024 = 0;
    double train_rss_mb = 0;  // peak RSS when training ends (the README's "peak RSS")
};

/// The OpenMIC model as benchmarks/peers/libtorch_bench.cpp (--model openmic) builds it.
polytag::openmic::ModelConfig openmic_config() {
    polytag::openmic::ModelConfig c;  // the library's default model
    if (c.trunk != std::vector<int>{256} || c.activation != polytag::openmic::ActivationKind::Relu ||
        c.pool != polytag::openmic::PoolKind::Attention || !c.head.empty() || c.input_dropout != 0.2 ||
        c.dropout != 0.5)
        std::fprintf(stderr, "train_bench: WARNING: the default OpenMIC model changed; the LibTorch peer "
                             "(--model openmic) still builds trunk {256} relu, dropout 0.2/0.5, attention, linear heads\n");
    return c;
}

/// Trains `net` on the reference workload; `sample` is the per-clip input shape the net takes.
/// Batch-1024 inference runs polytag::predict, `predict_chunk` clips per forward call (0: one
/// forward over the whole batch, as the peers run it).
template <typename Net>
Result run_workload(Net& net, Shape sample, int epochs, std::uint64_t seed, Index predict_chunk) {
    const Data data(seed);
    polytag::Rng rng(seed + 1);
    net.init(rng);
    polytag::MaskedMse<float> loss_fn;
    polytag::Adam<float> adam(net.parameters(), polytag::AdamOptions<float>{1e-3f, 0.9f, 0.999f, 1e-8f});

    std::vector<Index> order(kClips);
    std::iota(order.begin(), order.end(), Index(0));
    auto batch_shape = [&](Index n) { return sample.rank() == 1 ? Shape{n, sample[0]} : Shape{n, sample[0], sample[1]}; };
    Tensor<float> xb(batch_shape(kBatch)), yb(Shape{kBatch, kTasks}), mb(Shape{kBatch, kTasks});

    auto epoch = [&](Phases& ph) {
        double total = 0;
        polytag::shuffle(order.begin(), order.end(), rng);
        for (Index start = 0; start < kClips; start += kBatch) {
            const Index n = std::min(kBatch, kClips - start);
            const Index* idx = order.data() + start;
            const auto t0 = Clock::now();
            xb.resize(batch_shape(n));
            yb.resize(Shape{n, kTasks});
            mb.resize(Shape{n, kTasks});
            gather_clips(data, idx, n, xb.data());
            gather_rows(data.y, idx, n, yb.data());
            gather_rows(data.mask, idx, n, mb.data());
            const auto t1 = Clock::now();
            const float loss = loss_fn.forward(net.forward(xb, polytag::Mode::Train), yb, mb);
            const auto t2 = Clock::now();
            net.backward(loss_fn.backward(), false);
            const auto t3 = Clock::now();
            adam.step();
            const auto t4 = Clock::now();
            ph.gather += std::chrono::duration<double>(t1 - t0).count();
            ph.forward += std::chrono::duration<double>(t2 - t1).count();
            ph.backward += std::chrono::duration<double>(t3 - t2).count();
            ph.step += std::chrono::duration<double>(t4 - t3).count();
            total += double(loss) * double(n);
        }
        return total / double(kClips);
    };

    Result r;
    for (int e = 0; e <= epochs; ++e) {
        const auto t0 = Clock::now();
        const double c0 = cpu_seconds();
        Phases ph;
        const double loss = epoch(ph);
        const double dt = seconds_since(t0);
        std::fprintf(stderr,
                     "epoch %d%s loss %.6f time %.3fs cpu %.3fs (gather %.3f forward %.3f backward %.3f step %.3f)\n",
                     e, e == 0 ? " (warm-up)" : "", loss, dt, cpu_seconds() - c0, ph.gather, ph.forward, ph.backward,
                     ph.step);
        if (e > 0) {
            r.epoch_s.push_back(dt);
            r.phases.push_back(ph);
        }
    }
    r.train_rss_mb = peak_rss_mb();

    // Inference: batch 1 (one clip per call), then all clips in batches of 1024.
    Tensor<float> x1(batch_shape(1));
    float sink = 0;
    auto t0 = Clock::now();
    for (Index i = 0; i < kInferB1Calls; ++i) {
        gather_clips(data, &i, 1, x1.data());
        sink += net.forward(x1, polytag::Mode::Eval)[0];
    }
    r.infer_b1 = double(kInferB1Calls) / seconds_since(t0);
    Tensor<float> scores(Shape{kInferBigBatch, kTasks});
    t0 = Clock::now();
    for (Index start = 0; start < kClips; start += kInferBigBatch) {
        const Index n = std::min(kInferBigBatch, kClips - start);
        xb.resize(batch_shape(n));
        for (Index i = 0; i < n; ++i) {
            const Index clip = start + i;
            gather_clips(data, &clip, 1, xb.data() + i * kFeatures);
        }
        if (predict_chunk == 0) {
            sink += net.forward(xb, polytag::Mode::Eval)[0];
        } else {
            polytag::predict(net, xb, scores, predict_chunk);
            sink += scores[0];
        }
    }
    r.infer_b1024 = double(kClips) / seconds_since(t0);
    if (sink == 12345.0f) std::fprintf(stderr, " ");  // keeps the inference from being optimised away
    return r;
}

/// The default OpenMIC model trained by openmic::train (the library's trainer, its loop,
/// normalisation, per-epoch validation and best-weight keeping) on the reference data as a
/// Dataset: every clip trains, the first 1,000 also validate (as train() requires).
/// Adam 1e-3, batch 64, no early stop; epoch times are train()'s (validation included), the
/// first epoch is the warm-up. Inference is not measured (0).
Result run_openmic_train(int epochs, std::uint64_t seed) {
    namespace om = polytag::openmic;
    const Data data(seed);
    Tensor<std::uint8_t> x(Shape{kClips, kFrames, kBands});
    std::copy(data.x.begin(), data.x.end(), x.data());
    Tensor<float> y = Tensor<float>::copy_of(data.y), mask = Tensor<float>::copy_of(data.mask);
    for (Index i = 0; i < y.size(); ++i)
        if (mask[i] == 0.0f) y[i] = 0.5f;
    std::vector<std::string> keys, names;
    std::vector<Index> all(kClips), validation(1000);
    for (Index i = 0; i < kClips; ++i) keys.push_back(std::to_string(100000 + i) + "_0");
    for (const auto& n : om::release_instrument_names()) names.push_back(n);
    std::iota(all.begin(), all.end(), Index(0));
    std::iota(validation.begin(), validation.end(), Index(0));
    const om::Dataset d = om::Dataset::from_arrays(std::move(x), std::move(y), std::move(mask), std::move(keys),
                                                   std::move(names), std::vector<Index>(all.begin(), all.end() - 1),
                                                   {kClips - 1}, "train_bench");
    om::TrainConfig tc;
    tc.optimizer = om::OptimizerKind::Adam;
    tc.weight_decay = 0;
    tc.lr = 1e-3;
    tc.batch = int(kBatch);
    tc.epochs = epochs + 1;
    tc.patience = 0;
    tc.seed = seed;
    tc.threads = polytag::num_threads();
    om::RelevanceModel model(openmic_config(), seed);
    // CPU time per epoch, from the progress hook: on a machine shared with other work the wall
    // times swing, the process's CPU time much less.
    struct CpuClock : om::TrainObserver {
        double last = cpu_seconds();
        std::vector<double> per_epoch;
        void epoch(const om::EpochStats&, int, bool) override {
            const double now = cpu_seconds();
            per_epoch.push_back(now - last);
            last = now;
        }
    } cpu;
    om::TrainHooks hooks;
    hooks.progress = &cpu;
    const om::TrainingHistory h = om::train(model, d, all, validation, tc, hooks);
    Result r;
    for (const auto& e : h.epochs) {
        const double c = cpu.per_epoch.at(std::size_t(e.epoch - 1));
        std::fprintf(stderr, "epoch %d%s loss %.6f val %.6f time %.3fs cpu %.3fs\n", e.epoch - 1,
                     e.epoch == 1 ? " (warm-up)" : "", e.train_loss, e.val_loss, e.seconds, c);
        if (e.epoch > 1) {
            r.epoch_s.push_back(e.seconds);
            r.epoch_cpu_s.push_back(c);
        }
    }
    r.train_rss_mb = peak_rss_mb();
    return r;
}

#if defined(POLYTAG_BENCH_HAVE_CBLAS)
/// Only the GEMMs of one training epoch of the reference network, at the same shapes and on
/// buffers of the same sizes: the floor of any BLAS-based implementation.
Result run_gemm_floor(int epochs) {
    enum Kind { Forward, WeightGrad, InputGrad };
    struct Product {
        Kind kind;
        Index out, in;  // of the layer
        std::vector<float> a, b, c;
    };
    // (out, in) of the three GEMM layers; the per-head output dot products are not GEMMs.
    const Index layers[3][2] = {{512, kFeatures}, {256, 512}, {20 * 32, 256}};
    std::vector<Product> ps;
    polytag::Rng rng(7);
    auto fill = [&](std::size_t n) {
        std::vector<float> v(n);
        for (auto& x : v) x = float(rng.uniform(-1, 1));
        return v;
    };
    for (int l = 0; l < 3; ++l) {
        const Index out = layers[l][0], in = layers[l][1];
        const std::size_t io = std::size_t(out * in), bi = std::size_t(kBatch * in), bo = std::size_t(kBatch * out);
        ps.push_back({Forward, out, in, fill(bi), fill(io), fill(bo)});
        ps.push_back({WeightGrad, out, in, fill(bo), fill(bi), fill(io)});
        if (l > 0) ps.push_back({InputGrad, out, in, fill(bo), fill(io), fill(bi)});  // layer 0 needs no dx
    }
    Result r;
    float sink = 0;
    for (int e = 0; e <= epochs; ++e) {
        const auto t0 = Clock::now();
        const double c0 = cpu_seconds();
        for (Index start = 0; start < kClips; start += kBatch) {
            const Index batch = std::min(kBatch, kClips - start);
            for (auto& p : ps) {
                const int b = int(batch), o = int(p.out), i = int(p.in);
                switch (p.kind) {
                    case Forward:  // y (batch, out) = x (batch, in) W^T, W (out, in)
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, o, i, 1.0f, p.a.data(), i,
                                    p.b.data(), i, 0.0f, p.c.data(), o);
                        break;
                    case WeightGrad:  // dW (out, in) = dy^T x, dy (batch, out), x (batch, in)
                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, o, i, b, 1.0f, p.a.data(), o,
                                    p.b.data(), i, 0.0f, p.c.data(), i);
                        break;
                    case InputGrad:  // dx (batch, in) = dy (batch, out) W
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, i, o, 1.0f, p.a.data(), o,
                                    p.b.data(), i, 0.0f, p.c.data(), i);
                        break;
                }
            }
        }
        const double dt = seconds_since(t0);
        for (auto& p : ps) sink += p.c[0];
        std::fprintf(stderr, "gemm floor epoch %d%s time %.3fs cpu %.3fs\n", e, e == 0 ? " (warm-up)" : "", dt,
                     cpu_seconds() - c0);
        if (e > 0) r.epoch_s.push_back(dt);
    }
    r.train_rss_mb = peak_rss_mb();
    if (sink == 12345.0f) std::fprintf(stderr, " ");
    return r;
}
#endif

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"polytag reference training workload (benchmarks/README.md)"};
    int threads = 1, epochs = 3;
    std::uint64_t seed = 1;
    bool gemm_floor = false;
    std::string model = "reference";
    Index predict_chunk = polytag::kDefaultPredictChunk;
    app.add_option("--threads", threads, "threads (BLAS pool)")->check(CLI::PositiveNumber);
    app.add_option("--epochs", epochs, "timed epochs, after one warm-up epoch")->check(CLI::PositiveNumber);
    app.add_option("--seed", seed, "random seed (data, initialisation, shuffles)");
    app.add_option("--model", model,
                   "reference (benchmarks/README.md), openmic (the default OpenMIC model) or openmic-train "
                   "(that model through openmic::train)")
        ->check(CLI::IsMember({"reference", "openmic", "openmic-train"}));
    app.add_flag("--gemm-floor", gemm_floor, "time only the GEMMs of an epoch, through cblas_sgemm");
    app.add_option("--predict-chunk", predict_chunk,
                   "clips per forward call of the batch-1024 inference (polytag::predict); 0: one forward per batch")
        ->check(CLI::NonNegativeNumber);
    CLI11_PARSE(app, argc, argv);

    polytag::set_num_threads(threads);
    Result r;
    const char* impl = "polytag";
    if (gemm_floor) {
#if defined(POLYTAG_BENCH_HAVE_CBLAS)
        r = run_gemm_floor(epochs);
        impl = "gemm_floor";
#else
        std::fprintf(stderr, "train_bench: --gemm-floor needs OpenBLAS (cblas_sgemm)\n");
        return 2;
#endif
    } else if (model == "openmic-train") {
        r = run_openmic_train(epochs, seed);
    } else if (model == "openmic") {
        polytag::openmic::RelevanceNet<float> net(openmic_config());
        r = run_workload(net, Shape{kFrames, kBands}, epochs, seed, predict_chunk);
    } else {
        Net net = make_net();
        r = run_workload(net, Shape{kFeatures}, epochs, seed, predict_chunk);
    }
    // Medians over the timed epochs of each phase's seconds (run_workload only).
    std::string phases;
    if (!r.phases.empty()) {
        auto med = [&](double Phases::*f) {
            std::vector<double> v;
            for (const auto& p : r.phases) v.push_back(p.*f);
            return median(v);
        };
        char buf[160];
        std::snprintf(buf, sizeof buf,
                      ",\"phase_s_median\":{\"gather\":%.4f,\"forward\":%.4f,\"backward\":%.4f,\"step\":%.4f}",
                      med(&Phases::gather), med(&Phases::forward), med(&Phases::backward), med(&Phases::step));
        phases = buf;
    }
    std::printf("{\"impl\":\"%s\",\"model\":\"%s\",\"threads\":%d,\"epoch_s_median\":%.4f,\"epoch_s\":[%s],"
                "\"infer_b1_clips_per_s\":%.1f,\"infer_b1024_clips_per_s\":%.1f,\"peak_rss_mb\":%.1f,"
                "\"peak_rss_with_inference_mb\":%.1f%s%s}\n",
                impl, gemm_floor ? "reference" : model.c_str(), threads, median(r.epoch_s), json_list(r.epoch_s).c_str(), r.infer_b1, r.infer_b1024,
                r.train_rss_mb, peak_rss_mb(), phases.c_str(),
                r.epoch_cpu_s.empty() ? "" : (",\"epoch_cpu_s_median\":" + std::to_string(median(r.epoch_cpu_s))).c_str());
    return 0;
}
