#!/usr/bin/env bash
# The streamed pipeline's run on a GPU machine: builds for sm_90 (Ninja), runs the GPU
# tests of the CUDA backend (streams and backend-vs-reference), compute-sanitizer
# memcheck on a small streams test, and the streams benchmark; prints a short table
# last. Logs go to $OUT (default ./out). Build dependencies missing on the machine may
# be supplied as a prefix in ./.devdeps (see scripts/device_deps.sh).
#   scripts/device_streams.sh [--skip-bench] [--bench-args "ARGS"]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-out}
mkdir -p "$out"
skip_bench=0 bench_args=""
while (($#)); do
  case $1 in
    --skip-bench) skip_bench=1 ;;
    --bench-args) bench_args=$2; shift ;;
    *) echo "usage: $0 [--skip-bench] [--bench-args \"ARGS\"]" >&2; exit 2 ;;
  esac
  shift
done

source scripts/device_env.sh
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,pcie.link.gen.current,pcie.link.width.current \
  --format=csv | tee "$out/gpu.txt"

build=build-device-streams
t0=$SECONDS
cmake --preset device -B "$build" -DATC_BUILD_CLI=OFF >"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" --target test_cuda_streams test_cuda_backend test_pinned bench_streams \
  >>"$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $((SECONDS - t0)) s"

status=0
tests=$build/tests/cuda
for t in cuda/test_cuda_streams cuda/test_cuda_backend test_pinned; do
  t1=$SECONDS
  timeout 300 "$build/tests/$t" --gtest_color=no >>"$out/tests.log" 2>&1 || status=1
  echo "$t: $((SECONDS - t1)) s"
done

compute-sanitizer --tool memcheck --leak-check full "$tests/test_cuda_streams" \
  --gtest_filter=CudaStreams.SmallBatchAllPaths:CudaStreams.DirectTransfers* >"$out/sanitizer.log" 2>&1 || status=1

if ((!skip_bench)); then
  # shellcheck disable=SC2086
  "$build/bench/cuda/bench_streams" --json "$out/bench_streams.json" $bench_args >"$out/bench.log" 2>&1 || status=1
fi

echo "== tests =="
grep -hE "^\[  (PASSED|FAILED|SKIPPED) |FAILED TEST|Failure|seed|chunks|halvings|cache:|max relative error" \
  "$out/tests.log" | head -60
echo "== compute-sanitizer memcheck (CudaStreams.SmallBatchAllPaths, DirectTransfers*) =="
grep -hE "ERROR SUMMARY|LEAK SUMMARY|PASSED|FAILED" "$out/sanitizer.log" | head
if [[ -f "$out/bench.log" ]]; then
  echo "== streams benchmark =="
  cat "$out/bench.log"
fi
exit $status
