#!/usr/bin/python3
"""np.load of openmic-2018.npz from a warm page cache, the figure bench_npz_load is compared
with: open the archive and materialise every array (X, Y_true, Y_mask, and sample_key,
which needs allow_pickle=True). Prints the median time and GB/s of file bytes.

    /usr/bin/python3 benchmarks/npz_load_numpy.py [FILE] [--repeat N]

FILE defaults to $POLYTAG_NPZ, else ../shared/data/openmic-like/openmic-2018.npz next to the
repository."""
import argparse
import os
import statistics
import time

import numpy as np


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.environ.get("POLYTAG_NPZ", os.path.join(here, "..", "..", "shared", "data", "openmic-like", "openmic-2018.npz"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", default=default)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    size = os.path.getsize(args.file)

    def load():
        with np.load(args.file, allow_pickle=True) as z:
            return [z[name] for name in z.files]

    load()  # warm the page cache
    wall, cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        arrays = load()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        del arrays
    # Google Benchmark's rate counters use CPU time; both are printed so the two compare.
    w, c = statistics.median(wall), statistics.median(cpu)
    print("np.load %s (numpy %s), %d file bytes, median of %d runs: wall %.2f ms = %.2f GB/s, cpu %.2f ms = %.2f GB/s"
          % (os.path.basename(args.file), np.__version__, size, args.repeat, w * 1e3, size / w / 1e9, c * 1e3, size / c / 1e9))


if __name__ == "__main__":
    main()
