#!/usr/bin/env bash
# Builds the benchmarks in Release (-march=native, LibTorch peer on) and runs the reference
# workload for polytag, the GEMM floor, LibTorch and PyTorch (tuned and default), at each
# thread count, interleaved over several rounds (the order rotates every round), then prints
# one table (benchmarks/table.py). See benchmarks/README.md.
#
#   benchmarks/run.sh [--rounds N] [--default-rounds N] [--threads "1 2"] [--epochs N]
#                     [--build-dir DIR] [--no-build] [--only "polytag libtorch-tuned ..."] [--vggish]
# --vggish adds the VGGish benchmark (bench_vggish: polytag's Vggish, its GEMM floors, the
# LibTorch peer vggish_libtorch and the PyTorch peer, in one program run per thread count and
# round) and its table; --only vggish runs it alone.
# The peers' "default" configurations run only in the first --default-rounds rounds (default 1):
# at 2 threads one of their epochs takes 1 to 2 minutes here, and each run still reports the
# median of --epochs timed epochs.
# Environment: JOBS (build parallelism, default 2). Needs libtorch-dev and python3-torch.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build-bench"
rounds=3
default_rounds=1
threads_list="1 2"
epochs=3
do_build=1
only=""
vggish=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --default-rounds) default_rounds=$2; shift 2 ;;
    --threads) threads_list=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --only) only=$2; shift 2 ;;
    --vggish) vggish=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

python=/usr/bin/python3  # the python3 first on PATH may lack numpy/torch
if [[ $do_build == 1 ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DPOLYTAG_NATIVE=ON -DPOLYTAG_BUILD_BENCHMARKS=ON \
        -DPOLYTAG_BUILD_PEERS=ON >/dev/null
  targets="train_bench libtorch_bench bench_fma_peak"
  if [[ $vggish == 1 || " $only " == *" vggish "* ]]; then targets="$targets bench_vggish vggish_libtorch"; fi
  cmake --build "$build" --target $targets -j"${JOBS:-2}"
fi
bench="$build/benchmarks"

# One core's FMA peak (bench_fma_peak, the faster of its AVX2 and AVX-512 loops), measured on
# the spot: once here for the header, and again right before every program run, into that
# run's JSON line ("fma_peak_gflops"), because this machine's speed drifts between rounds.
# The reference epoch's bound at a peak: 65.5 GFLOP per epoch (the 8 products of 233 batches
# of 64, docs/speed.md).
measure_peak() {
  [[ -x "$bench/bench_fma_peak" ]] || return 0
  "$bench/bench_fma_peak" --benchmark_filter=BM_fma_peak "$@" 2>/dev/null |
    awk '/BM_fma_peak/ && /FLOP\/s=/ {v=$NF; sub("FLOP/s=","",v); sub("G/s","",v); if (v+0 > best) best=v+0} END {if (best) print best}'
}
peak=$(measure_peak)

stamp=$(date -u +%Y%m%dT%H%M%SZ)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
results="$bench/results-$stamp.jsonl"
log="$bench/results-$stamp.log"
: >"$results"

# name -> command (the thread count is appended)
declare -A cmd=(
  [gemm_floor]="$bench/train_bench --gemm-floor --epochs $epochs --threads"
  [polytag]="$bench/train_bench --epochs $epochs --threads"
  [libtorch-tuned]="$bench/libtorch_bench --config tuned --epochs $epochs --threads"
  [libtorch-default]="$bench/libtorch_bench --config default --epochs $epochs --threads"
  [pytorch-tuned]="$python $root/benchmarks/peers/torch_bench.py --config tuned --epochs $epochs --threads"
  [pytorch-default]="$python $root/benchmarks/peers/torch_bench.py --config default --epochs $epochs --threads"
  [polytag-openmic]="$bench/train_bench --model openmic --epochs $epochs --threads"
  [libtorch-openmic-tuned]="$bench/libtorch_bench --model openmic --config tuned --epochs $epochs --threads"
)
names=(gemm_floor polytag libtorch-tuned pytorch-tuned libtorch-default pytorch-default polytag-openmic libtorch-openmic-tuned)
if [[ -n $only ]]; then read -r -a names <<<"$only"; fi
if [[ $vggish == 1 && " ${names[*]} " != *" vggish "* ]]; then names+=(vggish); fi
vggish_json=()
if [[ " ${names[*]} " == *" libtorch-"* ]]; then
  [[ -x "$bench/libtorch_bench" ]] || { echo "run.sh: $bench/libtorch_bench missing (install libtorch-dev)" >&2; exit 1; }
fi
if [[ " ${names[*]} " == *" vggish "* && ! -x "$bench/bench_vggish" ]]; then
  echo "run.sh: $bench/bench_vggish missing" >&2; exit 1
fi

echo "run.sh: $rounds rounds ($default_rounds for the default configurations) x threads {$threads_list} x ${#names[@]} programs; JSON lines in $results" >&2
for ((round = 0; round < rounds; ++round)); do
  n=${#names[@]}
  for ((i = 0; i < n; ++i)); do
    name=${names[$(((i + round) % n))]}  # rotate the order every round
    if [[ $name == *-default && $round -ge $default_rounds ]]; then continue; fi
    for t in $threads_list; do
      echo "== round $((round + 1)) $name threads $t" | tee -a "$log" >&2
      if [[ $name == vggish ]]; then
        # Google Benchmark JSON, one file per round and thread count (table.py --vggish).
        out="$bench/vggish-$stamp-r$((round + 1))-t$t.json"
        if POLYTAG_BENCH_THREADS=$t "$bench/bench_vggish" --benchmark_min_time=2 --benchmark_format=json \
             --benchmark_context=polytag_threads="$t" >"$out" 2>>"$log"; then
          vggish_json+=("$out")
        else
          echo "run.sh: bench_vggish threads $t failed (see $log)" >&2
        fi
        continue
      fi
      run_peak=$(measure_peak --benchmark_min_time=0.2)
      if line=$(${cmd[$name]} "$t" 2>>"$log" | grep '^{'); then
        [[ -n $run_peak ]] && line="${line%\}},\"fma_peak_gflops\":$run_peak}"
        echo "$line" | tee -a "$log" >>"$results"
      else
        echo "run.sh: $name --threads $t failed (see $log)" >&2
      fi
    done
  done
done

cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $cpu, $(nproc) CPUs, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-auto}, $rounds rounds ($default_rounds for default configurations), load average before: $load_before"
if [[ -n $peak ]]; then
  echo "FMA peak of one core: $peak GFLOP/s (bench_fma_peak); reference epoch bound at that peak: $(awk -v p="$peak" 'BEGIN {printf "%.3f", 65.5 / p}') s"
fi
if [[ -s $results ]]; then "$python" "$root/benchmarks/table.py" ${peak:+--peak "$peak"} "$results"; fi
if [[ ${#vggish_json[@]} -gt 0 ]]; then "$python" "$root/benchmarks/table.py" --vggish "${vggish_json[@]}"; fi
