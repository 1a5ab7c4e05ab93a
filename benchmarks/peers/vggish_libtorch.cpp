// torchvggish's VGGish network in LibTorch (Debian libtorch-dev), random weights, timed: the C++
// peer of benchmarks/kernels/vggish.cpp (which runs it in the same program run, as it runs the
// PyTorch peer benchmarks/peers/vggish_torch.py) and of polytag::audio::Vggish.
//
// The same network as vggish_torch.py and torchvggish: features = Conv2d(3x3, padding 1) + ReLU
// and MaxPool2d(2, 2) for 64, M, 128, M, 256, 256, M, 512, 512, M on (N, 1, 96, 64) log-mel
// patches; the NCHW -> NHWC permute of torchvggish's forward before the flatten; embeddings =
// Linear(12288, 4096), ReLU, Linear(4096, 4096), ReLU, Linear(4096, 128), ReLU. Eval mode under
// c10::InferenceMode, raw embeddings (no post-processor), torch's default (Kaiming-uniform)
// random initialisation.
//
// Run as libtorch_bench's "tuned" configuration: OMP/OpenBLAS/MKL thread counts set to --threads
// and passive OpenMP waiting before the libraries load (the program re-executes itself once),
// one inter-op thread, and the freed activation buffers kept in the heap (mallopt) so that every
// call does not page-fault its tens of megabytes of activations in again.
//
// Prints one JSON line per batch size on stdout, the fields of vggish_torch.py:
//   {"peer": "libtorch", "torch": "1.13.1", "batch": 10, "threads": 1, "calls": ..,
//    "seconds_per_call": .., "cpu_seconds_per_call": .., "patches_per_second": ..,
//    "patches_per_cpu_second": .., "peak_rss_mb": ..}
// CPU time is the process's (all threads): on a loaded machine it is the comparable figure.
//   vggish_libtorch --threads 1 --batch 1 10 [--min-seconds 2]
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include "peer_util.hpp"
#include <torch/version.h>

namespace {

struct VggishImpl : torch::nn::Module {
    VggishImpl() {
        int64_t in = 1;
        const std::vector<int64_t> widths{64, -1, 128, -1, 256, 256, -1, 512, 512, -1};  // -1: max pool
        for (int64_t w : widths) {
            if (w < 0) {
                features->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2).stride(2)));
            } else {
                features->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, w, 3).padding(1)));
                features->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
                in = w;
            }
        }
        embeddings->push_back(torch::nn::Linear(512 * 4 * 6, 4096));
        embeddings->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
        embeddings->push_back(torch::nn::Linear(4096, 4096));
        embeddings->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
        embeddings->push_back(torch::nn::Linear(4096, 128));
        embeddings->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
        register_module("features", features);
        register_module("embeddings", embeddings);
    }
    torch::Tensor forward(torch::Tensor x) {  // x (N, 1, 96, 64)
        x = features->forward(x);               // (N, 512, 6, 4)
        x = torch::transpose(x, 1, 3);          // (N, 4, 6, 512)
        x = torch::transpose(x, 1, 2);          // (N, 6, 4, 512): NHWC, TensorFlow's flatten order
        x = x.contiguous().view({x.size(0), -1});
        return embeddings->forward(x);
    }
    torch::nn::Sequential features, embeddings;
};
TORCH_MODULE(Vggish);

double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"torchvggish's VGGish network in LibTorch, timed (the peer of bench_vggish)"};
    int threads = 1;
    std::vector<int64_t> batches{1, 10};
    double min_seconds = 2.0;
    app.add_option("--threads", threads, "intra-op threads")->check(CLI::PositiveNumber);
    app.add_option("--batch", batches, "batch sizes (patches per call)")->check(CLI::PositiveNumber);
    app.add_option("--min-seconds", min_seconds, "time each batch size for at least this long")
        ->check(CLI::NonNegativeNumber);
    CLI11_PARSE(app, argc, argv);

    polytag::peers::reexec_with_tuned_environment(threads, argv, "vggish_libtorch");
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
    torch::set_num_threads(threads);
    torch::set_num_interop_threads(1);
    torch::manual_seed(1);

    Vggish net;
    net->eval();
    for (int64_t batch : batches) {
        const torch::Tensor x = torch::randn({batch, 1, 96, 64});
        c10::InferenceMode guard;
        for (int i = 0; i < 3; ++i) net->forward(x);  // warm-up: kernels chosen, heap grown
        int calls = 0;
        double elapsed = 0;
        const auto start = std::chrono::steady_clock::now();
        const double cpu_start = cpu_seconds();
        torch::Tensor y;
        do {
            y = net->forward(x);
            ++calls;
            elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        } while (elapsed < min_seconds || calls < 3);
        const double cpu = cpu_seconds() - cpu_start;
        if (y.size(0) != batch || y.size(1) != 128) {
            std::fprintf(stderr, "vggish_libtorch: unexpected output shape\n");
            return 1;
        }
        const double per = elapsed / calls, cpu_per = cpu / calls;
        std::printf("{\"peer\": \"libtorch\", \"torch\": \"%s\", \"batch\": %lld, \"threads\": %d, \"calls\": %d, "
                    "\"seconds_per_call\": %.6g, \"cpu_seconds_per_call\": %.6g, \"patches_per_second\": %.6g, "
                    "\"patches_per_cpu_second\": %.6g, \"peak_rss_mb\": %.1f}\n",
                    TORCH_VERSION, static_cast<long long>(batch), threads, calls, per, cpu_per, double(batch) / per,
                    double(batch) / cpu_per, polytag::peers::peak_rss_mb());
        std::fflush(stdout);
    }
    return 0;
}
