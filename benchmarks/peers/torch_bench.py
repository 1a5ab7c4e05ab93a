#!/usr/bin/python3
"""The reference workload of benchmarks/README.md in PyTorch (Debian python3-torch).

Prints one JSON line on stdout; per-epoch losses go to stderr.
--config tuned:   one thread pool, passive waiting, heap kept (see README).
--config default: the library as a user gets it; only torch.set_num_threads(T).
--heads stacked (default): the 20 heads as one Linear(256, 640) and a batched dot;
--heads list: a ModuleList of 20 Sequential(Linear, ReLU, Linear, Sigmoid), for reference.
"""
import argparse
import json
import os
import resource
import sys
import time

N_CLIPS, FRAMES, BANDS, TASKS = 14915, 10, 128, 20
FEATURES = FRAMES * BANDS
BATCH = 64
INFER_B1_CALLS = 2000
INFER_BIG_BATCH = 1024


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--epochs", type=int, default=3, help="timed epochs (after one warm-up epoch)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--config", choices=["tuned", "default"], default="tuned")
    p.add_argument("--heads", choices=["stacked", "list"], default="stacked")
    return p.parse_args()


args = parse_args()
if args.config == "tuned":
    # Must be in the environment before libgomp and OpenBLAS initialise, i.e. before `import torch`.
    t = str(args.threads)
    os.environ.update(OMP_NUM_THREADS=t, OMP_WAIT_POLICY="PASSIVE", OPENBLAS_NUM_THREADS=t, MKL_NUM_THREADS=t)
    # Keep freed activation buffers in the heap instead of returning them to the kernel:
    # otherwise every step page-faults its megabytes of activations in again.
    import ctypes
    libc = ctypes.CDLL("libc.so.6")
    M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
    libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)
    libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)
    libc.mallopt(M_TOP_PAD, 64 << 20)

import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(args.threads)
if args.config == "tuned":
    torch.set_num_interop_threads(1)
torch.manual_seed(args.seed)


class StackedHeads(nn.Module):
    """20 heads Dense(256->32)+ReLU, Dense(32->1)+Sigmoid as one Linear(256, 640) and a batched dot."""

    def __init__(self, inp, hidden, heads):
        super().__init__()
        self.heads, self.hidden = heads, hidden
        self.first = nn.Linear(inp, heads * hidden)
        second = [nn.Linear(hidden, 1) for _ in range(heads)]  # same init as 20 separate heads
        self.w2 = nn.Parameter(torch.cat([l.weight.data for l in second], 0))  # (heads, hidden)
        self.b2 = nn.Parameter(torch.cat([l.bias.data for l in second], 0))  # (heads,)

    def forward(self, h):
        z = torch.relu(self.first(h)).view(-1, self.heads, self.hidden)
        return torch.sigmoid(torch.einsum("bhk,hk->bh", z, self.w2) + self.b2)


class ListHeads(nn.Module):
    def __init__(self, inp, hidden, heads):
        super().__init__()
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Linear(inp, hidden), nn.ReLU(), nn.Linear(hidden, 1), nn.Sigmoid()) for _ in range(heads))

    def forward(self, h):
        return torch.cat([head(h) for head in self.heads], 1)


def make_model(heads_kind):
    heads = StackedHeads(256, 32, TASKS) if heads_kind == "stacked" else ListHeads(256, 32, TASKS)
    return nn.Sequential(nn.Linear(FEATURES, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), heads)


def masked_mse(p, y, m):
    return (m * (p - y) ** 2).sum() / m.sum().clamp(min=1.0)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def main():
    g = torch.Generator().manual_seed(args.seed)
    x_u8 = torch.randint(0, 256, (N_CLIPS, FRAMES, BANDS), dtype=torch.uint8, generator=g)
    y = torch.rand(N_CLIPS, TASKS, generator=g)
    mask = (torch.rand(N_CLIPS, TASKS, generator=g) < 0.1).float()

    model = make_model(args.heads)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    set_to_none = args.config == "tuned"

    def epoch():
        model.train()
        total = 0.0
        perm = torch.randperm(N_CLIPS, generator=g)
        for start in range(0, N_CLIPS, BATCH):
            idx = perm[start:start + BATCH]
            xb = x_u8[idx].to(torch.float32).div_(255.0).view(-1, FEATURES)
            loss = masked_mse(model(xb), y[idx], mask[idx])
            opt.zero_grad(set_to_none=set_to_none)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        return total / N_CLIPS

    times = []
    for e in range(args.epochs + 1):
        t0 = time.perf_counter()
        loss = epoch()
        dt = time.perf_counter() - t0
        print(f"epoch {e}{' (warm-up)' if e == 0 else ''} loss {loss:.6f} time {dt:.3f}s", file=sys.stderr)
        if e > 0:
            times.append(dt)

    train_rss_mb = peak_rss_mb()  # the README's "peak RSS": training only
    model.eval()
    with torch.no_grad():
        t0 = time.perf_counter()
        for i in range(INFER_B1_CALLS):
            model(x_u8[i:i + 1].to(torch.float32).div_(255.0).view(1, FEATURES))
        b1 = INFER_B1_CALLS / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        for start in range(0, N_CLIPS, INFER_BIG_BATCH):
            xb = x_u8[start:start + INFER_BIG_BATCH].to(torch.float32).div_(255.0).view(-1, FEATURES)
            model(xb)
        b1024 = N_CLIPS / (time.perf_counter() - t0)

    s = sorted(times)
    median = s[len(s) // 2] if len(s) % 2 else 0.5 * (s[len(s) // 2 - 1] + s[len(s) // 2])
    config = args.config if args.heads == "stacked" else args.config + "-listheads"
    print(json.dumps({"impl": "pytorch", "config": config, "threads": args.threads,
                      "epoch_s_median": round(median, 4), "epoch_s": [round(t, 4) for t in times],
                      "infer_b1_clips_per_s": round(b1, 1), "infer_b1024_clips_per_s": round(b1024, 1),
                      "peak_rss_mb": round(train_rss_mb, 1),
                      "peak_rss_with_inference_mb": round(peak_rss_mb(), 1)}), flush=True)


if __name__ == "__main__":
    main()
