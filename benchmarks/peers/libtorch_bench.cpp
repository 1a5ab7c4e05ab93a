// The reference workload of benchmarks/README.md in LibTorch (Debian libtorch-dev).
// Prints one JSON line on stdout; per-epoch losses go to stderr.
//   --config tuned:   one thread pool, passive OpenMP waiting, heap kept (see README).
//   --config default: the library as a user gets it; only torch::set_num_threads(T).
//   --heads stacked (default): the 20 heads as one Linear(256, 640) and a batched dot;
//   --heads list: 20 separate Sequential(Linear, ReLU, Linear, Sigmoid), for reference.
//   --model openmic: instead of the reference network, polytag's default OpenMIC model
//     (openmic::ModelConfig{}): input Dropout(0.2), per frame Dense(128 -> 256) + ReLU +
//     Dropout(0.5), per-task attention pooling over the 10 frames, 20 linear heads, Sigmoid.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include "peer_util.hpp"

namespace {

constexpr int64_t kClips = 14915, kFrames = 10, kBands = 128, kTasks = 20, kFeatures = kFrames * kBands;
constexpr int64_t kBatch = 64, kInferB1Calls = 2000, kInferBigBatch = 1024;

struct StackedHeadsImpl : torch::nn::Module {
    StackedHeadsImpl(int64_t in, int64_t hidden, int64_t heads) : heads(heads), hidden(hidden) {
        first = register_module("first", torch::nn::Linear(in, heads * hidden));
        std::vector<torch::Tensor> w, b;
        for (int64_t h = 0; h < heads; ++h) {  // the same initialisation as separate heads
            torch::nn::Linear second(hidden, 1);
            w.push_back(second->weight.detach());
            b.push_back(second->bias.detach());
        }
        w2 = register_parameter("w2", torch::cat(w, 0));  // (heads, hidden)
        b2 = register_parameter("b2", torch::cat(b, 0));  // (heads)
    }
    torch::Tensor forward(torch::Tensor h) {
        auto z = torch::relu(first->forward(h)).view({-1, heads, hidden});
        return torch::sigmoid(torch::einsum("bhk,hk->bh", {z, w2}) + b2);
    }
    int64_t heads, hidden;
    torch::nn::Linear first{nullptr};
    torch::Tensor w2, b2;
};
TORCH_MODULE(StackedHeads);

struct ListHeadsImpl : torch::nn::Module {
    ListHeadsImpl(int64_t in, int64_t hidden, int64_t heads) {
        for (int64_t h = 0; h < heads; ++h)
            list->push_back(torch::nn::Sequential(torch::nn::Linear(in, hidden), torch::nn::ReLU(),
                                                  torch::nn::Linear(hidden, 1), torch::nn::Sigmoid()));
        register_module("heads", list);
    }
    torch::Tensor forward(torch::Tensor h) {
        std::vector<torch::Tensor> outs;
        for (auto& m : *list) outs.push_back(m->as<torch::nn::Sequential>()->forward(h));
        return torch::cat(outs, 1);
    }
    torch::nn::ModuleList list;
};
TORCH_MODULE(ListHeads);

struct NetImpl : torch::nn::Module {
    explicit NetImpl(bool stacked) {
        fc1 = register_module("fc1", torch::nn::Linear(kFeatures, 512));
        fc2 = register_module("fc2", torch::nn::Linear(512, 256));
        if (stacked) stacked_heads = register_module("heads", StackedHeads(256, 32, kTasks));
        else list_heads = register_module("heads", ListHeads(256, 32, kTasks));
    }
    torch::Tensor forward(torch::Tensor x) {
        auto h = torch::relu(fc2->forward(torch::relu(fc1->forward(x))));
        return stacked_heads ? stacked_heads->forward(h) : list_heads->forward(h);
    }
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
    StackedHeads stacked_heads{nullptr};
    ListHeads list_heads{nullptr};
};
TORCH_MODULE(Net);

// polytag's default OpenMIC model (model/relevance_net.hpp with ModelConfig{}), written as a
// LibTorch user would: attention pooling as one Linear for the scores, softmax over frames and
// one bmm; the 20 linear heads as a batched dot.
struct OpenMicNetImpl : torch::nn::Module {
    OpenMicNetImpl() {
        trunk = register_module("trunk", torch::nn::Linear(kBands, 256));
        // No bias, as polytag: the softmax over frames would cancel it.
        score = register_module("score", torch::nn::Linear(torch::nn::LinearOptions(256, kTasks).bias(false)));
        input_dropout = register_module("input_dropout", torch::nn::Dropout(0.2));
        dropout = register_module("dropout", torch::nn::Dropout(0.5));
        w_out = register_parameter("w_out", torch::randn({kTasks, 256}) * 0.1);
        b_out = register_parameter("b_out", torch::zeros({kTasks}));
    }
    torch::Tensor forward(torch::Tensor x) {  // x (B, 10, 128)
        auto h = dropout->forward(torch::relu(trunk->forward(input_dropout->forward(x))));  // (B, 10, 256)
        auto a = torch::softmax(score->forward(h), 1);                                      // (B, 10, 20)
        auto pooled = torch::bmm(a.transpose(1, 2), h);                                     // (B, 20, 256)
        return torch::sigmoid((pooled * w_out).sum(-1) + b_out);                            // (B, 20)
    }
    torch::nn::Linear trunk{nullptr}, score{nullptr};
    torch::nn::Dropout input_dropout{nullptr}, dropout{nullptr};
    torch::Tensor w_out, b_out;
};
TORCH_MODULE(OpenMicNet);

torch::Tensor masked_mse(const torch::Tensor& p, const torch::Tensor& y, const torch::Tensor& m) {
    return (m * (p - y).pow(2)).sum() / m.sum().clamp_min(1.0);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"The polytag reference workload in LibTorch"};
    int threads = 1, epochs = 3;
    std::uint64_t seed = 1;
    std::string config = "tuned", heads = "stacked", model_kind = "reference";
    app.add_option("--threads", threads, "threads")->check(CLI::PositiveNumber);
    app.add_option("--epochs", epochs, "timed epochs (after one warm-up epoch)")->check(CLI::PositiveNumber);
    app.add_option("--seed", seed, "random seed");
    app.add_option("--config", config, "tuned or default")->check(CLI::IsMember({"tuned", "default"}));
    app.add_option("--heads", heads, "stacked or list")->check(CLI::IsMember({"stacked", "list"}));
    app.add_option("--model", model_kind, "reference or openmic")->check(CLI::IsMember({"reference", "openmic"}));
    CLI11_PARSE(app, argc, argv);

    if (config == "tuned") {
        polytag::peers::reexec_with_tuned_environment(threads, argv, "libtorch_bench");
        // Keep freed activation buffers in the heap instead of returning them to the kernel:
        // otherwise every step page-faults its megabytes of activations in again.
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
        mallopt(M_TOP_PAD, 64 << 20);
    }
    torch::set_num_threads(threads);
    if (config == "tuned") torch::set_num_interop_threads(1);
    torch::manual_seed(seed);

    auto x_u8 = torch::randint(0, 256, {kClips, kFrames, kBands}, torch::kUInt8);
    auto y = torch::rand({kClips, kTasks});
    auto mask = (torch::rand({kClips, kTasks}) < 0.1).to(torch::kFloat32);

    const bool openmic = model_kind == "openmic";
    Net reference(heads == "stacked");
    OpenMicNet openmic_net;
    torch::nn::Module& model_module = openmic ? static_cast<torch::nn::Module&>(*openmic_net) : *reference;
    // The network's input: flat 1280 features, or (10 frames, 128 bands) for the OpenMIC model.
    const std::vector<int64_t> sample = openmic ? std::vector<int64_t>{kFrames, kBands} : std::vector<int64_t>{kFeatures};
    auto input_shape = [&](int64_t n) {
        std::vector<int64_t> s{n};
        s.insert(s.end(), sample.begin(), sample.end());
        return s;
    };
    auto forward = [&](const torch::Tensor& x) { return openmic ? openmic_net->forward(x) : reference->forward(x); };
    torch::optim::Adam opt(model_module.parameters(), torch::optim::AdamOptions(1e-3).betas({0.9, 0.999}).eps(1e-8));

    auto epoch = [&] {
        model_module.train();
        double total = 0;
        auto perm = torch::randperm(kClips, torch::kInt64);
        for (int64_t start = 0; start < kClips; start += kBatch) {
            auto idx = perm.slice(0, start, std::min(start + kBatch, kClips));
            auto xb = x_u8.index_select(0, idx).to(torch::kFloat32).div_(255.0).view(input_shape(-1));
            auto loss = masked_mse(forward(xb), y.index_select(0, idx), mask.index_select(0, idx));
            opt.zero_grad();
            loss.backward();
            opt.step();
            total += loss.item<double>() * double(idx.size(0));
        }
        return total / double(kClips);
    };

    std::vector<double> times;
    for (int e = 0; e <= epochs; ++e) {
        auto t0 = std::chrono::steady_clock::now();
        const double loss = epoch();
        const double dt = seconds_since(t0);
        std::fprintf(stderr, "epoch %d%s loss %.6f time %.3fs\n", e, e == 0 ? " (warm-up)" : "", loss, dt);
        if (e > 0) times.push_back(dt);
    }

    const double train_rss_mb = polytag::peers::peak_rss_mb();  // the README's "peak RSS": training only
    model_module.eval();
    double b1 = 0, b1024 = 0;
    {
        torch::NoGradGuard no_grad;
        auto t0 = std::chrono::steady_clock::now();
        for (int64_t i = 0; i < kInferB1Calls; ++i)
            forward(x_u8.slice(0, i, i + 1).to(torch::kFloat32).div_(255.0).view(input_shape(1)));
        b1 = double(kInferB1Calls) / seconds_since(t0);
        t0 = std::chrono::steady_clock::now();
        for (int64_t start = 0; start < kClips; start += kInferBigBatch) {
            auto xb = x_u8.slice(0, start, std::min(start + kInferBigBatch, kClips))
                          .to(torch::kFloat32)
                          .div_(255.0)
                          .view(input_shape(-1));
            forward(xb);
        }
        b1024 = double(kClips) / seconds_since(t0);
    }

    std::vector<double> s = times;
    std::sort(s.begin(), s.end());
    const std::size_t n = s.size();
    const double median = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    std::string list;
    for (std::size_t i = 0; i < times.size(); ++i) list += (i ? "," : "") + std::to_string(times[i]);
    const std::string cfg = heads == "stacked" ? config : config + "-listheads";
    std::printf("{\"impl\":\"libtorch\",\"config\":\"%s\",\"model\":\"%s\",\"threads\":%d,\"epoch_s_median\":%.4f,\"epoch_s\":[%s],"
                "\"infer_b1_clips_per_s\":%.1f,\"infer_b1024_clips_per_s\":%.1f,\"peak_rss_mb\":%.1f,"
                "\"peak_rss_with_inference_mb\":%.1f}\n",
                cfg.c_str(), model_kind.c_str(), threads, median, list.c_str(), b1, b1024, train_rss_mb, polytag::peers::peak_rss_mb());
    return 0;
}
