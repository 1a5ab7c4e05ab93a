// A user's own two-input multi-task network: per-clip audio frames and a per-clip side
// stream, fused late, three tasks with missing labels. Trains with fit, saves, loads, predicts.
//   two_input [model.npz]
#include <cstdio>
#include <string>

#include "polytag/io/network_file.hpp"
#include "polytag/polytag.hpp"

using namespace polytag;

int main(int argc, char** argv) {
    const std::string path = argc > 1 ? argv[1] : "two_input.npz";
    // Synthetic data: task 0 is in the frames, task 1 in the side stream, task 2 needs both.
    const Index n = 600, frames = 5, dims = 8, side = 4;
    Rng rng(1);
    Tensor<float> x(Shape{n, frames, dims}), s(Shape{n, side}), y(Shape{n, 3}), mask(Shape{n, 3});
    for (auto& v : x) v = float(rng.uniform(-1, 1));
    for (auto& v : s) v = float(rng.uniform(-1, 1));
    for (Index i = 0; i < n; ++i) {
        float fx = 0;
        for (Index f = 0; f < frames; ++f) fx += x(i, f, 0);
        y(i, 0) = fx > 0, y(i, 1) = s(i, 1) > 0, y(i, 2) = fx + s(i, 1) > 0;
        for (Index k = 0; k < 3; ++k) mask(i, k) = rng.uniform(0, 1) < 0.7;  // 30% unlabelled
    }
    TensorSource<float> data({x, s}, y, mask);

    // frames -> per-frame Dense + ReLU -> attention pooling; side -> Dense; concat; 3 heads.
    Network<float> net;
    auto in_x = net.input("frames", Shape{frames, dims});
    auto in_s = net.input("side", Shape{side});
    auto h = net.add("trunk", Dense<float>(dims, 16), in_x);
    h = net.add("act", Relu<float>(), h);
    auto p = net.add("pool", AttentionPool<float>(16), h);
    auto e = net.add("side_fc", Dense<float>(side, 8), in_s);
    auto z = net.add("fuse", Concat<float>(), {p, e});
    net.add("head", MultiHead<float>(3, 24, {16}), z);
    net.add("out", Sigmoid<float>());
    Rng init(7);
    net.init(init);

    // Track-free data, so plain k-fold: fold 0 held out for testing, a tenth of the rest validates.
    const RowSplit fold = kfold(n, 5, 0)[0];
    std::vector<Index> groups(n);
    for (Index i = 0; i < n; ++i) groups[std::size_t(i)] = i;
    const RowSplit inner = group_holdout(groups, fold.train, 0.1, 0);

    MaskedBce<float> loss;
    AnyOptimizer<float> opt(net.parameters(), OptimizerConfig{optimizer_kind_from_string("adamw"), 3e-3, 1e-4});
    FitOptions<float> options;
    options.epochs = 40;
    options.batch = 32;
    options.patience = 6;
    options.schedule = LrSchedule<float>::warmup_cosine(3e-3f, 10, 40 * steps_per_epoch(Index(inner.train.size()), 32));
    const FitHistory history = fit(net, loss, opt, data, inner.train, inner.held_out, options);
    std::printf("%zu epochs, best %d (validation loss %.4f)\n", history.epochs.size(), history.best_epoch, history.best_metric);

    io::save_network(path, net);
    Network<float> loaded = io::load_network(path);
    Batch<float> test;
    data.fill(fold.held_out.data(), Index(fold.held_out.size()), test);
    Tensor<float> pred;
    predict(loaded, {test.inputs[0], test.inputs[1]}, pred);  // Mode::Eval, 64 rows per forward call
    for (Index k = 0; k < 3; ++k) {
        int right = 0, seen = 0;
        for (Index i = 0; i < pred.dim(0); ++i)
            if (test.mask(i, k) != 0) right += (pred(i, k) > 0.5f) == (test.target(i, k) > 0.5f), ++seen;
        std::printf("task %ld: test accuracy %.3f on %d labels\n", long(k), double(right) / seen, seen);
    }
    return 0;
}
