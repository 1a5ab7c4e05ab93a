#!/bin/sh
# Builds polytag's libFuzzer target with clang (ASan + UBSan), replays the committed corpus
# and every saved crasher as regression inputs, then fuzzes for a while.
#
#   tests/fuzz/run.sh [SECONDS] [BUILD_DIR]      default 60 s, build-fuzz
#
# New crashers land in BUILD_DIR/fuzz-artifacts/; copy them into tests/fuzz/crashers/
# once fixed. Fuzzing works on a scratch copy of the corpus, so the committed corpus only
# changes when you merge into it deliberately (see docs/npz.md).
set -eu
SECS=${1:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${2:-$ROOT/build-fuzz}
JOBS=${JOBS:-2}

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_CXX_COMPILER="${CXX_FUZZ:-clang++}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPOLYTAG_BUILD_FUZZERS=ON -DPOLYTAG_BUILD_TESTS=OFF -DPOLYTAG_BUILD_EXAMPLES=OFF \
  -DPOLYTAG_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$BUILD" --target polytag_fuzz_io -j"$JOBS"
FUZZ="$BUILD/tests/fuzz/polytag_fuzz_io"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "== replaying the corpus"
"$FUZZ" -runs=0 -rss_limit_mb=2048 "$HERE/corpus/io"
CRASHERS=$(find "$HERE/crashers" -type f ! -name README.md | sort)
if [ -n "$CRASHERS" ]; then
  echo "== replaying $(echo "$CRASHERS" | wc -l) saved crashers"
  # shellcheck disable=SC2086  # file names are ours and have no spaces
  "$FUZZ" -rss_limit_mb=2048 -timeout=10 $CRASHERS
fi

if [ "$SECS" -gt 0 ]; then
  echo "== fuzzing for $SECS s"
  WORK="$BUILD/fuzz-corpus"
  mkdir -p "$WORK" "$BUILD/fuzz-artifacts"
  cp "$HERE"/corpus/io/* "$WORK"/
  "$FUZZ" -max_total_time="$SECS" -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -dict="$HERE/io.dict" -artifact_prefix="$BUILD/fuzz-artifacts/" "$WORK"
fi
