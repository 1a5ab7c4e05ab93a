// Conv2d at the VGGish layer shapes (96x64x1 log-mel patches; six 3x3 SAME stride-1 convs, each
// pair of stages separated by a 2x2/2 max pool), batch 1 and 10 patches, float:
//   BM_conv2d_forward     polytag::Conv2d forward
//   BM_conv2d_backward    backward with dx (dW, dbias, dx)
//   BM_conv2d_im2col_sgemm the same forward as im2col + one cblas_sgemm (the GEMM floor)
//   BM_vggish_features    the whole conv/pool stack, 96x64x1 -> 6x4x512
//   BM_vggish             the whole network: the stack, Flatten, Dense 4096, 4096, 128
// FLOP/s counts 2 * B * H * W * Cin * Cout * 9 per conv (pools are not counted). Compare with
// torch at one thread: /usr/bin/python3 benchmarks/peers/conv_torch.py (same shapes, NCHW).
#include <vector>

#include "polytag/nn/activation.hpp"
#include "polytag/nn/conv2d.hpp"
#include "polytag/nn/dense.hpp"
#include "polytag/nn/flatten.hpp"
#include "polytag/nn/max_pool2d.hpp"
#include "polytag/nn/sequential.hpp"
#include "support/bench_util.hpp"

#if defined(POLYTAG_BENCH_HAVE_CBLAS)
#include <cblas.h>
#endif

namespace {

using polytag::Index;
using polytag::Mode;
using polytag::Shape;
namespace pb = polytag::bench;

const pb::ThreadSetup thread_setup;

// batch, H, W, Cin, Cout: the six VGGish convs.
void vggish_layers(benchmark::internal::Benchmark* b) {
    b->ArgNames({"batch", "h", "w", "cin", "cout"});
    for (Index batch : {1, 10}) {
        b->Args({batch, 96, 64, 1, 64});
        b->Args({batch, 48, 32, 64, 128});
        b->Args({batch, 24, 16, 128, 256});
        b->Args({batch, 24, 16, 256, 256});
        b->Args({batch, 12, 8, 256, 512});
        b->Args({batch, 12, 8, 512, 512});
    }
}

double conv_flops(const benchmark::State& s) {
    return 2.0 * 9.0 * double(s.range(0) * s.range(1) * s.range(2) * s.range(3) * s.range(4));
}

void BM_conv2d_forward(benchmark::State& state) {
    const Index batch = state.range(0), h = state.range(1), w = state.range(2), cin = state.range(3),
                cout = state.range(4);
    polytag::Conv2d<float> conv(cin, cout, {3, 3});
    polytag::Rng rng(1);
    conv.init(rng);
    auto x = pb::random_tensor<float>({batch, h, w, cin}, 2);
    conv.forward(x, Mode::Eval);  // sizes the buffers
    for (auto _ : state) benchmark::DoNotOptimize(conv.forward(x, Mode::Eval).data());
    pb::set_flops(state, conv_flops(state));
}
BENCHMARK(BM_conv2d_forward)->Apply(vggish_layers)->Unit(benchmark::kMillisecond);

void BM_conv2d_backward(benchmark::State& state) {
    const Index batch = state.range(0), h = state.range(1), w = state.range(2), cin = state.range(3),
                cout = state.range(4);
    polytag::Conv2d<float> conv(cin, cout, {3, 3});
    polytag::Rng rng(1);
    conv.init(rng);
    auto x = pb::random_tensor<float>({batch, h, w, cin}, 2);
    auto dy = pb::random_tensor<float>({batch, h, w, cout}, 3);
    conv.forward(x, Mode::Train);
    conv.backward(dy, true);
    for (auto _ : state) benchmark::DoNotOptimize(conv.backward(dy, true).data());
    pb::set_flops(state, 2.0 * conv_flops(state));
}
BENCHMARK(BM_conv2d_backward)->Apply(vggish_layers)->Unit(benchmark::kMillisecond);

#if defined(POLYTAG_BENCH_HAVE_CBLAS)
void BM_conv2d_im2col_sgemm(benchmark::State& state) {
    const Index batch = state.range(0), h = state.range(1), w = state.range(2), cin = state.range(3),
                cout = state.range(4);
    auto x = pb::random_tensor<float>({batch, h, w, cin}, 2);
    auto wt = pb::random_tensor<float>({9 * cin, cout}, 4);
    polytag::Tensor<float> cols(Shape{batch * h * w, 9 * cin}), y(Shape{batch * h * w, cout});
    const polytag::detail::ConvGeometry g{h, w, h, w, 1, 1};
    for (auto _ : state) {
        polytag::detail::im2col(x.data(), 0, batch * h * w, cin, g, {3, 3}, {1, 1}, cols.data());
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(batch * h * w), int(cout), int(9 * cin), 1.0f,
                    cols.data(), int(9 * cin), wt.data(), int(cout), 0.0f, y.data(), int(cout));
        benchmark::DoNotOptimize(y.data());
    }
    pb::set_flops(state, conv_flops(state));
}
BENCHMARK(BM_conv2d_im2col_sgemm)->Apply(vggish_layers)->Unit(benchmark::kMillisecond);
#endif

// The VGGish feature extractor up to the last pool: 1.58 GFLOP per patch.
void BM_vggish_features(benchmark::State& state) {
    using C = polytag::Conv2d<float>;
    using R = polytag::Relu<float>;
    using P = polytag::MaxPool2d<float>;
    const Index batch = state.range(0);
    polytag::Sequential net(Shape{96, 64, 1}, C(1, 64, {3, 3}), R(), P({2, 2}), C(64, 128, {3, 3}), R(), P({2, 2}),
                            C(128, 256, {3, 3}), R(), C(256, 256, {3, 3}), R(), P({2, 2}), C(256, 512, {3, 3}), R(),
                            C(512, 512, {3, 3}), R(), P({2, 2}));
    polytag::Rng rng(1);
    net.init(rng);
    auto x = pb::random_tensor<float>({batch, 96, 64, 1}, 2);
    net.forward(x, Mode::Eval);
    for (auto _ : state) benchmark::DoNotOptimize(net.forward(x, Mode::Eval).data());
    const double flops = 2.0 * 9.0 *
                         (96 * 64 * 1 * 64 + 48 * 32 * 64 * 128 + 24 * 16 * (128 * 256 + 256 * 256) +
                          12 * 8 * (256 * 512 + 512 * 512));
    pb::set_flops(state, flops * double(batch));
    state.counters["patches/s"] = benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_vggish_features)->ArgName("batch")->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond);

// The whole VGGish network: the stack above, then Flatten, FC 4096, 4096 and 128 (ReLU between).
void BM_vggish(benchmark::State& state) {
    using C = polytag::Conv2d<float>;
    using R = polytag::Relu<float>;
    using P = polytag::MaxPool2d<float>;
    using D = polytag::Dense<float>;
    const Index batch = state.range(0);
    polytag::Sequential net(Shape{96, 64, 1}, C(1, 64, {3, 3}), R(), P({2, 2}), C(64, 128, {3, 3}), R(), P({2, 2}),
                            C(128, 256, {3, 3}), R(), C(256, 256, {3, 3}), R(), P({2, 2}), C(256, 512, {3, 3}), R(),
                            C(512, 512, {3, 3}), R(), P({2, 2}), polytag::Flatten<float>(), D(6 * 4 * 512, 4096), R(),
                            D(4096, 4096), R(), D(4096, 128));
    polytag::Rng rng(1);
    net.init(rng);
    auto x = pb::random_tensor<float>({batch, 96, 64, 1}, 2);
    net.forward(x, Mode::Eval);
    for (auto _ : state) benchmark::DoNotOptimize(net.forward(x, Mode::Eval).data());
    state.counters["patches/s"] = benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_vggish)->ArgName("batch")->Arg(1)->Arg(10)->Unit(benchmark::kMillisecond);

}  // namespace

namespace {
// MaxPool2d 2x2/2 forward and backward at the VGGish pool inputs (batch, H, W, C).
void pool_layers(benchmark::internal::Benchmark* b) {
    b->ArgNames({"batch", "h", "w", "c"});
    for (Index batch : {1, 10}) b->Args({batch, 96, 64, 64})->Args({batch, 24, 16, 256});
}

void BM_max_pool2d_forward(benchmark::State& state) {
    const Index batch = state.range(0), h = state.range(1), w = state.range(2), c = state.range(3);
    polytag::MaxPool2d<float> pool({2, 2}, {2, 2});
    auto x = pb::random_tensor<float>({batch, h, w, c}, 2);
    pool.forward(x, Mode::Eval);
    for (auto _ : state) benchmark::DoNotOptimize(pool.forward(x, Mode::Eval).data());
    pb::set_bytes(state, double(x.size()) * sizeof(float));
}
BENCHMARK(BM_max_pool2d_forward)->Apply(pool_layers)->Unit(benchmark::kMicrosecond);

void BM_max_pool2d_backward(benchmark::State& state) {
    const Index batch = state.range(0), h = state.range(1), w = state.range(2), c = state.range(3);
    polytag::MaxPool2d<float> pool({2, 2}, {2, 2});
    auto x = pb::random_tensor<float>({batch, h, w, c}, 2);
    auto dy = pb::random_tensor<float>({batch, h / 2, w / 2, c}, 3);
    pool.forward(x, Mode::Train);
    pool.backward(dy, true);
    for (auto _ : state) benchmark::DoNotOptimize(pool.backward(dy, true).data());
    pb::set_bytes(state, double(x.size()) * sizeof(float));
}
BENCHMARK(BM_max_pool2d_backward)->Apply(pool_layers)->Unit(benchmark::kMicrosecond);
}  // namespace
