#!/usr/bin/python3
"""torchvggish's VGGish network in PyTorch (Debian python3-torch), random weights, timed.

The peer of benchmarks/kernels/vggish.cpp, which runs it in the same program run: the same
layout as torchvggish (features Conv2d/ReLU/MaxPool2d, the NCHW -> NHWC permute before the
flatten, embeddings Linear/ReLU), full widths, eval mode under torch.inference_mode(), raw
embeddings (no post-processor). Prints one JSON line per batch size on stdout, with wall and
process CPU time per call (on a loaded machine the CPU time is the comparable figure):
  {"peer": "torch", "batch": 10, "threads": 1, "seconds_per_call": ..., "cpu_seconds_per_call": ...,
   "patches_per_second": ..., "patches_per_cpu_second": ...}
"""
import argparse
import json
import os
import sys
import time


def parse():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, nargs="+", default=[1, 10])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--min-seconds", type=float, default=2.0, help="time each batch size for at least this long")
    return p.parse_args()


def main():
    args = parse()
    t = str(args.threads)
    # Before torch initialises its pools: one thread everywhere, no spinning.
    os.environ.update(OMP_NUM_THREADS=t, MKL_NUM_THREADS=t, OPENBLAS_NUM_THREADS=t)
    try:
        import torch
    except ImportError as e:
        print(f"vggish_torch: {sys.executable} cannot import torch ({e})", file=sys.stderr)
        return 77
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    layers, c_in = [], 1
    for v in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M"]:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c_in, v, 3, padding=1), nn.ReLU(inplace=True)]
            c_in = v
    features = nn.Sequential(*layers).eval()
    embeddings = nn.Sequential(nn.Linear(512 * 4 * 6, 4096), nn.ReLU(True), nn.Linear(4096, 4096), nn.ReLU(True),
                               nn.Linear(4096, 128), nn.ReLU(True)).eval()

    def forward(x):
        x = features(x)
        x = torch.transpose(x, 1, 3)
        x = torch.transpose(x, 1, 2)
        x = x.contiguous().view(x.size(0), -1)
        return embeddings(x)

    for batch in args.batch:
        x = torch.randn(batch, 1, 96, 64)
        with torch.inference_mode():
            for _ in range(3):
                forward(x)
            calls, start, cpu_start = 0, time.perf_counter(), time.process_time()
            while True:
                forward(x)
                calls += 1
                elapsed = time.perf_counter() - start
                if elapsed >= args.min_seconds and calls >= 3:
                    break
            cpu = time.process_time() - cpu_start
        per, cpu_per = elapsed / calls, cpu / calls
        print(json.dumps({"peer": "torch", "torch": torch.__version__, "batch": batch, "threads": args.threads,
                          "calls": calls, "seconds_per_call": per, "cpu_seconds_per_call": cpu_per,
                          "patches_per_second": batch / per, "patches_per_cpu_second": batch / cpu_per}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
