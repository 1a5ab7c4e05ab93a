#!/usr/bin/python3
"""Summarises the JSON lines written by benchmarks/run.sh into one Markdown table
(`table.py --vggish FILE...`: the VGGish table from bench_vggish's JSON files, vggish() below).

Each input line is one program run: {"impl", ["config"], ["model"], "threads", "epoch_s", ...}.
Per (model, implementation, threads): epoch seconds = median of all timed epochs of all rounds;
"x polytag" and "x GEMM floor" = median over rounds of the ratio within the round;
inference = median over rounds; peak RSS = maximum over rounds, at the end of training and at
the end of the process (after inference). The reference workload's epochs also as multiples of
their FMA-peak bound (its 65.5 GFLOP at one core's FMA peak): the median over rounds of each
run's epoch against the peak measured right before it ("fma_peak_gflops", which run.sh adds to
every line), or, for lines without it, against `--peak GFLOPS`.
"""
import collections
import json
import statistics
import sys


def key_of(r):
    name = r["impl"] + (" " + r["config"] if r.get("config") else "")
    return r.get("model", "reference"), name, r["threads"]


REFERENCE_EPOCH_GFLOP = 65.5  # the 8 products of 233 batches of 64 (docs/speed.md)


def main(path, peak=None):
    runs = collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                r = json.loads(line)
                runs[key_of(r)].append(r)
    if not runs:
        sys.exit("table.py: no results in " + path)

    def epoch(k):
        return statistics.median([t for r in runs[k] for t in r["epoch_s"]])

    def ratio(k, ref):
        """Median over rounds of (epoch median / reference's epoch median in the same round):
        robust when the machine's load changes between rounds."""
        pairs = zip(runs[k], runs[ref])
        return statistics.median(statistics.median(a["epoch_s"]) / statistics.median(b["epoch_s"]) for a, b in pairs)

    models = sorted({k[0] for k in runs}, key=lambda m: (m != "reference", m))
    order = ["gemm_floor", "polytag", "libtorch tuned", "libtorch default", "pytorch tuned", "pytorch default"]
    for model in models:
        keys = sorted((k for k in runs if k[0] == model),
                      key=lambda k: (k[2], order.index(k[1]) if k[1] in order else len(order), k[1]))
        print(f"\nModel: {model}. Epoch = median of all timed epochs over {max(len(runs[k]) for k in keys)} rounds; "
              "ratios = median over rounds of the ratio within a round.\n")
        run_peaks = [r["fma_peak_gflops"] for k in keys for r in runs[k] if "fma_peak_gflops" in r]
        has_bound = model == "reference" and (peak or run_peaks)

        def x_bound(k):
            """Median over rounds of the run's epoch median / its bound."""
            xs = []
            for r in runs[k]:
                p = r.get("fma_peak_gflops", peak)
                if not p:
                    return None
                xs.append(statistics.median(r["epoch_s"]) / (REFERENCE_EPOCH_GFLOP / p))
            return statistics.median(xs)

        if has_bound and run_peaks:
            lo, hi = min(run_peaks), max(run_peaks)
            print(f"x FMA-peak bound: each run's epoch / {REFERENCE_EPOCH_GFLOP} GFLOP at the FMA peak measured right "
                  f"before it ({lo:.1f} to {hi:.1f} GFLOP/s per core over the runs: bound "
                  f"{REFERENCE_EPOCH_GFLOP / hi:.3f} to {REFERENCE_EPOCH_GFLOP / lo:.3f} s), median over rounds; "
                  "a 2-thread epoch against one core's bound.\n")
        elif has_bound:
            print(f"x FMA-peak bound: epoch / {REFERENCE_EPOCH_GFLOP / peak:.3f} s ({REFERENCE_EPOCH_GFLOP} GFLOP at "
                  f"{peak:.1f} GFLOP/s per core; a 2-thread epoch against one core's bound).\n")
        print("| implementation | threads | epoch s | x FMA-peak bound | x polytag | x GEMM floor | infer b1 clips/s | "
              "infer b1024 clips/s | peak RSS MB (training / with inference) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for k in keys:
            _, name, threads = k
            e = epoch(k)
            pt = (model, "polytag", threads)
            fl = ("reference", "gemm_floor", threads)
            x_polytag = f"{ratio(k, pt):.2f}" if pt in runs else "-"
            floor = f"{ratio(k, fl):.2f}" if fl in runs and model == "reference" else "-"
            xb = x_bound(k) if has_bound else None
            x_peak = f"{xb:.2f}" if xb is not None else "-"
            if name == "gemm_floor":
                print(f"| GEMM floor (cblas_sgemm only) | {threads} | {e:.3f} | {x_peak} | {x_polytag} | 1.00 | - | - | - |")
                continue
            b1 = statistics.median(r["infer_b1_clips_per_s"] for r in runs[k])
            b1024 = statistics.median(r["infer_b1024_clips_per_s"] for r in runs[k])
            rss = max(r["peak_rss_mb"] for r in runs[k])
            rss_all = max(r.get("peak_rss_with_inference_mb", r["peak_rss_mb"]) for r in runs[k])
            print(f"| {name} | {threads} | {e:.3f} | {x_peak} | {x_polytag} | {floor} | {b1:,.0f} | {b1024:,.0f} | "
                  f"{rss:.0f} / {rss_all:.0f} |")

        # 2 threads against 1, round by round (each round ran both thread counts).
        names = sorted({k[1] for k in keys if k[1] != "gemm_floor"}, key=lambda n: order.index(n) if n in order else 99)
        lines = []
        for name in names:
            one, two = runs.get((model, name, 1)), runs.get((model, name, 2))
            if not one or not two:
                continue
            ratios = [statistics.median(a["epoch_s"]) / statistics.median(b["epoch_s"]) for a, b in zip(one, two)]
            lines.append(f"{name}: 1-thread / 2-thread epoch time = {statistics.median(ratios):.2f} "
                         f"(min {min(ratios):.2f}, max {max(ratios):.2f}, {len(ratios)} rounds)")
        if lines:
            print("\nSpeed-up from a second thread (> 1 means 2 threads are faster):\n")
            for l in lines:
                print("- " + l)


def vggish(paths):
    """The VGGish table from bench_vggish's Google Benchmark JSON files (run.sh --vggish writes
    one per round and thread count, POLYTAG_BENCH_THREADS in its context): per benchmark, batch
    and thread count, the median over rounds of the CPU time per call (the peers' manual time
    is their own process CPU time) and of patches per CPU second; LibTorch's and the GEMM
    floor's ratios to polytag's embed are medians of the ratios within each round."""
    runs = collections.defaultdict(list)  # (name, batch, threads) -> [(ms, patches/s, wall ms)]
    for path in paths:
        with open(path) as f:
            doc = json.load(f)
        threads = int(doc.get("context", {}).get("polytag_threads", 0)) or int(path.rsplit("-t", 1)[-1].split(".")[0])
        for b in doc.get("benchmarks", []):
            if b.get("error_occurred") or b.get("run_type", "iteration") != "iteration":
                continue
            parts = b["name"].split("/")
            if len(parts) < 2 or not parts[1].startswith("batch:"):
                continue  # not per batch (fc_panel: the panel-width choice, docs/vggish.md)
            name, batch = parts[0].replace("BM_vggish_", ""), int(parts[1].split(":")[1])
            ms = b["real_time"] if "manual_time" in b["name"] else b["cpu_time"]
            runs[(name, batch, threads)].append((ms, b.get("patches/s", 0.0), b.get("wall_ms", b["real_time"])))
    if not runs:
        sys.exit("table.py: no VGGish results in " + " ".join(paths))
    order = ["embed", "embed_uint8", "embed_workers", "gemm_floor", "gemm_floor_openblas", "libtorch", "torch"]
    rounds = max(len(v) for v in runs.values())
    print(f"\nVGGish (full width, random weights; bench_vggish), median over {rounds} rounds. "
          "ms = CPU time per call; x polytag = median over rounds of the ratio of polytag's embed patches/s "
          "to this one's, within the round (> 1: polytag faster); embed_workers: one embed per thread at once, "
          "patches per wall second.\n")
    print("| benchmark | batch | threads | CPU ms per call | patches/s | x polytag | wall ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for k in sorted(runs, key=lambda k: (k[2], k[1], order.index(k[0]) if k[0] in order else 99)):
        name, batch, threads = k
        ms = statistics.median(r[0] for r in runs[k])
        rate = statistics.median(r[1] for r in runs[k])
        wall = statistics.median(r[2] for r in runs[k])
        ref = runs.get(("embed", batch, threads))
        x = "-"
        if ref and name != "embed":
            x = f"{statistics.median(a[1] / b[1] for a, b in zip(ref, runs[k]) if b[1] > 0):.2f}"
        print(f"| {name} | {batch} | {threads} | {ms:.1f} | {rate:.1f} | {x} | {wall:.0f} |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--vggish":
        vggish(sys.argv[2:])
    else:
        args = sys.argv[1:]
        peak = None
        if len(args) >= 2 and args[0] == "--peak":
            peak = float(args[1])
            args = args[2:]
        main(args[0] if args else "/dev/stdin", peak)
