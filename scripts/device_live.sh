#!/usr/bin/env bash
# The live engine on a GPU machine: builds for sm_90 (Ninja) every GPU test and
# bench_live, runs all GPU tests (ctest label gpu) and the host live tests,
# compute-sanitizer (memcheck, racecheck) on the cuda live engine and bench_live; prints
# a short table last. Logs go to
# $OUT (default ./out). Carry .devdeps (scripts/device_deps.sh) and .testdata.
#   scripts/device_live.sh [--skip-sanitizer] [--quick] [--live-only] [--baseline DIR]
# --live-only: of the GPU tests only test_cuda_live.
# --baseline DIR: also builds bench_live from the source tree in DIR (an earlier commit,
# e.g. `git archive` into the ignored .baseline/, carried) and runs both `--quick`,
# alternately, twice each: a same-run A/B.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-out}
mkdir -p "$out"
skip_sanitizer=0 quick=() live_only=0 baseline=
while (($#)); do
  case $1 in
    --skip-sanitizer) skip_sanitizer=1 ;;
    --quick) quick=(--quick) ;;
    --live-only) live_only=1 ;;
    --baseline) baseline=$2; shift ;;
    *) echo "usage: $0 [--skip-sanitizer] [--quick] [--live-only] [--baseline DIR]" >&2; exit 2 ;;
  esac
  shift
done
source scripts/device_env.sh
[[ -d .testdata ]] && export ATC_TEST_DATA_DIR="$PWD/.testdata"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader | tee "$out/gpu.txt"
status=0
build=build-device-live
t0=$SECONDS
gpu_tests=$(ls tests/cuda/test_*.cpp tests/cuda/test_*.cu | xargs -n1 basename | sed -E 's/\.(cpp|cu)$//' | tr '\n' ' ')
((live_only)) && gpu_tests=test_cuda_live
cmake --preset device -B "$build" -DATC_BUILD_CLI=OFF >"$out/build.log" 2>&1 &&
  cmake --build "$build" -j"$(nproc)" --target $gpu_tests test_live bench_live >>"$out/build.log" 2>&1 ||
  { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
if [[ -n $baseline ]]; then
  # By hand: a baseline tree may predate the device preset.
  cmake -S "$baseline" -B "$build-baseline" -G Ninja -DATC_CUDA=ON -DATC_CUDA_ARCHITECTURES=90 -DATC_BUILD_CLI=OFF \
    "${prefix[@]}" >"$out/build-baseline.log" 2>&1 &&
    cmake --build "$build-baseline" -j"$(nproc)" --target bench_live >>"$out/build-baseline.log" 2>&1 ||
    { grep -E "error|FAILED" -A5 "$out/build-baseline.log" | head -40; exit 1; }
fi
echo "build: $((SECONDS - t0)) s"

t0=$SECONDS
"$build/tests/test_live" >"$out/tests.log" 2>&1 || status=1
if ((live_only)); then
  "$build/tests/cuda/test_cuda_live" >"$out/ctest_gpu.log" 2>&1 || status=1
else
  ctest --test-dir "$build" -L gpu --timeout 900 --output-on-failure >"$out/ctest_gpu.log" 2>&1 || status=1
fi
echo "tests: $((SECONDS - t0)) s"
if ((!skip_sanitizer)); then
  small=--gtest_filter=CudaLive.TickGrids*:CudaLive.EquityOverflow*:CudaLive.CutoutStrategy*
  for tool in memcheck racecheck; do
    extra=()
    [[ $tool == memcheck ]] && extra=(--leak-check full)
    echo "== $tool ==" >>"$out/sanitizer.log"
    compute-sanitizer --tool $tool "${extra[@]}" "$build/tests/cuda/test_cuda_live" "$small" \
      >>"$out/sanitizer.log" 2>&1 || status=1
  done
fi
"$build/bench/cuda/bench_live" "${quick[@]}" >"$out/bench.log" 2>&1 || status=1
if [[ -n $baseline ]]; then
  for round in 1 2; do
    for side in baseline this; do
      dir=$build
      [[ $side == baseline ]] && dir=$build-baseline
      { echo "== A/B round $round: $side =="; "$dir/bench/cuda/bench_live" --quick | tail -2; } >>"$out/ab.log" 2>&1 || status=1
    done
  done
fi
echo "== tests =="
grep -hE "^\[  (PASSED|FAILED|SKIPPED) |FAILED TEST|Failure|seed" "$out/tests.log" | head -20
grep -hE "tests passed|Failed|\*\*\*Skipped|Not Run|^\[  (PASSED|FAILED|SKIPPED) |Failure|seed" "$out/ctest_gpu.log" | head -30
if [[ -f "$out/sanitizer.log" ]]; then
  echo "== compute-sanitizer =="
  grep -hE "^== |ERROR SUMMARY|RACECHECK SUMMARY|LEAK SUMMARY|Hazard" "$out/sanitizer.log" | head -20
fi
echo "== bench_live =="
cat "$out/bench.log"
[[ -f "$out/ab.log" ]] && { echo "== bench_live --quick, A/B against $baseline =="; cat "$out/ab.log"; }
exit $status
