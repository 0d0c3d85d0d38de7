#!/usr/bin/env bash
# Parameter sweeps on a GPU machine: builds the sweep tests and benchmark for sm_90
# (Ninja), runs the host and CUDA sweep tests, compute-sanitizer (memcheck, racecheck) on
# the CUDA sweep, and bench_sweep, then prints a short table. Logs go to $OUT (default
# ./out). Carry .devdeps (scripts/device_deps.sh) and .testdata.
#   scripts/device_sweep.sh [--skip-sanitizer] [--quick]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-out}
mkdir -p "$out"
skip_sanitizer=0 quick=()
for arg in "$@"; do
  case $arg in
    --skip-sanitizer) skip_sanitizer=1 ;;
    --quick) quick=(--quick) ;;
    *) echo "usage: $0 [--skip-sanitizer] [--quick]" >&2; exit 2 ;;
  esac
done
source scripts/device_env.sh
[[ -d .testdata ]] && export ATC_TEST_DATA_DIR="$PWD/.testdata"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader | tee "$out/gpu.txt"
status=0
build=build-device
t0=$SECONDS
cmake --preset device -B "$build" -DATC_BUILD_CLI=OFF >"$out/build.log" 2>&1 &&
  cmake --build "$build" -j"$(nproc)" --target test_cuda_sweep test_sweep bench_sweep >>"$out/build.log" 2>&1 ||
  { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $((SECONDS - t0)) s"

"$build/tests/test_sweep" >"$out/tests.log" 2>&1 || status=1
"$build/tests/cuda/test_cuda_sweep" >>"$out/tests.log" 2>&1 || status=1
if ((!skip_sanitizer)); then
  small=--gtest_filter=CudaSweep.ChunkedDeviceMemory*:CudaSweep.AnEquityOverflow*
  for tool in memcheck racecheck; do
    extra=()
    [[ $tool == memcheck ]] && extra=(--leak-check full)
    echo "== $tool ==" >>"$out/sanitizer.log"
    compute-sanitizer --tool $tool "${extra[@]}" "$build/tests/cuda/test_cuda_sweep" "$small" \
      >>"$out/sanitizer.log" 2>&1 || status=1
  done
fi
"$build/bench/cuda/bench_sweep" "${quick[@]}" >"$out/bench.log" 2>&1 || status=1

echo "== tests =="
grep -hE "^\[  (PASSED|FAILED|SKIPPED) |FAILED TEST|Failure|seed|MISMATCH|row [0-9]+ \(" "$out/tests.log" | head -40
if [[ -f "$out/sanitizer.log" ]]; then
  echo "== compute-sanitizer =="
  grep -hE "^== |ERROR SUMMARY|RACECHECK SUMMARY|LEAK SUMMARY|Hazard" "$out/sanitizer.log" | head -20
fi
echo "== bench_sweep =="
cat "$out/bench.log"
exit $status
