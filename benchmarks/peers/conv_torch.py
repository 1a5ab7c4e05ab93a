#!/usr/bin/python3
"""torch peer of benchmarks/kernels/conv2d.cpp: the six VGGish 3x3 convs (NCHW, padding 1,
which equals TF SAME for 3x3 stride 1) at batch 1 and 10, the conv/pool stack and the full
VGGish network (with the FC 4096, 4096, 128 layers), forward under no_grad, one thread by
default (--threads). Prints ms per call and GFLOP/s per layer, and patches/s.

Run: /usr/bin/python3 benchmarks/peers/conv_torch.py [--threads 1] [--min-time 1.0]
"""
import argparse
import time

import torch
import torch.nn.functional as F

LAYERS = [(96, 64, 1, 64), (48, 32, 64, 128), (24, 16, 128, 256), (24, 16, 256, 256), (12, 8, 256, 512),
          (12, 8, 512, 512)]


def timed(f, min_time):
    """(wall, cpu) seconds per call. CPU time is what Google Benchmark's rates use: on a loaded
    machine the wall time also counts the time other processes held the core."""
    f()
    start, cpu0, n = time.perf_counter(), time.process_time(), 0
    while time.perf_counter() - start < min_time or n < 3:
        f()
        n += 1
    return (time.perf_counter() - start) / n, (time.process_time() - cpu0) / n


def vggish(features_only):
    layers, c = [], 1
    for stage in ([64], [128], [256, 256], [512, 512]):
        for out in stage:
            layers += [torch.nn.Conv2d(c, out, 3, padding=1), torch.nn.ReLU()]
            c = out
        layers.append(torch.nn.MaxPool2d(2, 2))
    if not features_only:
        layers += [torch.nn.Flatten(), torch.nn.Linear(512 * 6 * 4, 4096), torch.nn.ReLU(),
                   torch.nn.Linear(4096, 4096), torch.nn.ReLU(), torch.nn.Linear(4096, 128)]
    return torch.nn.Sequential(*layers).eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=1.0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), mkldnn {torch.backends.mkldnn.is_available()}")
    with torch.no_grad():
        for batch in (1, 10):
            for h, w, cin, cout in LAYERS:
                x, wt, b = torch.randn(batch, cin, h, w), torch.randn(cout, cin, 3, 3), torch.randn(cout)
                wall, cpu = timed(lambda: F.conv2d(x, wt, b, padding=1), args.min_time)
                flops = 2 * 9 * batch * h * w * cin * cout
                print(f"conv batch={batch:2d} {h}x{w}x{cin}->{cout}: wall {wall * 1e3:8.3f} ms, cpu {cpu * 1e3:8.3f} ms "
                      f"{flops / cpu / 1e9:6.1f} GFLOP/s (cpu)")
        for features_only in (True, False):
            net = vggish(features_only)
            for batch in (1, 10):
                x = torch.randn(batch, 1, 96, 64)
                wall, cpu = timed(lambda: net(x), args.min_time)
                what = "conv/pool stack" if features_only else "full VGGish    "
                print(f"{what} batch={batch:2d}: wall {wall * 1e3:8.3f} ms, cpu {cpu * 1e3:8.3f} ms, "
                      f"{batch / cpu:7.2f} patches/s (cpu)")


if __name__ == "__main__":
    main()
