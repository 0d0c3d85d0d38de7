#!/usr/bin/env bash
# The CUDA backend's run on a GPU machine: builds for sm_90 (Ninja), runs the GPU tests,
# compute-sanitizer (memcheck, racecheck, synccheck) on small tests, the kernel benchmark and an
# Nsight Compute summary of the fused kernel, then prints a short table. Logs go to
# $OUT (default ./out). Build dependencies missing on the machine may be supplied as a
# prefix in ./.devdeps (headers, static libraries, CMake package files).
#   scripts/device_cuda.sh [--skip-tests] [--skip-bench] [--skip-ncu] [--compare NAME=VALUE]
#                          [--baseline DIR]
# The benchmark runs on cent-grid prices (decimal ticks) and on full-double random walks
# (binary ticks).
# --compare NAME=VALUE also builds with that CMake cache setting (e.g.
# CMAKE_CUDA_FLAGS=-Xptxas=-O2; the kernels' tiles and register targets are launch
# policies in src/cuda/launch_policy.hpp, compared with --baseline), runs
# test_cuda_backend with it and times both builds' fused kernel.
# --baseline DIR also builds bench_cuda from the source tree in DIR (e.g. an earlier
# commit: git archive <commit> | tar -x -C DIR, carried to the device; its bench_cuda
# must take --prices, and --fused-only where it has other rows), times both fused kernels in the same call,
# $ROUNDS times each (default 2), interleaved, and profiles both with Nsight Compute.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-out}
mkdir -p "$out"
skip_tests=0 skip_bench=0 skip_ncu=0 compare= baseline=
while (($#)); do
  case $1 in
    --skip-tests) skip_tests=1 ;;
    --skip-bench) skip_bench=1 ;;
    --skip-ncu) skip_ncu=1 ;;
    --compare) compare=$2; shift ;;
    --baseline) baseline=$2; shift ;;
    *) echo "usage: $0 [--skip-tests] [--skip-bench] [--skip-ncu] [--compare NAME=VALUE] [--baseline DIR]" >&2; exit 2 ;;
  esac
  shift
done

source scripts/device_env.sh
[[ -d .testdata ]] && export ATC_TEST_DATA_DIR="$PWD/.testdata"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv | tee "$out/gpu.txt"

build=build-device
t0=$SECONDS
cmake --preset device -B "$build" -DATC_CUDA_PTXAS_VERBOSE=ON -DATC_BUILD_CLI=OFF >"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" --target test_cuda_backend test_cuda_fused test_cuda_streams bench_cuda \
  >>"$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $((SECONDS - t0)) s"
# Registers, stack and spills of every kernel, from ptxas.
grep -E "Compiling entry|Used [0-9]+ registers|spill" "$out/build.log" |
  sed -E 's/.*entry function .(_Z[^ ]*)./\1/' | paste - - - |
  sed -E 's/^_ZN3atc4cuda[0-9A-Za-z_]*_(cu|ILb)[0-9a-f_]*//' >"$out/ptxas.txt"

if [[ -n $compare ]]; then
  cmake --preset device -B "$build-compare" -DATC_CUDA_PTXAS_VERBOSE=ON -D"$compare" -DATC_BUILD_CLI=OFF \
    >>"$out/build.log" 2>&1 &&
    cmake --build "$build-compare" -j"$(nproc)" --target bench_cuda test_cuda_backend \
      >>"$out/build.log" 2>&1 || exit 1
  grep -A3 -E "chain_kernelILb0|layer2_kernel" "$out/build.log" | grep -E "Used|spill" >>"$out/ptxas.txt"
fi

if [[ -n $baseline ]]; then
  # By hand: a baseline tree may predate the device preset.
  cmake -S "$baseline" -B "$build-baseline" -G Ninja -DATC_CUDA=ON -DATC_CUDA_ARCHITECTURES=90 \
    -DATC_CUDA_PTXAS_VERBOSE=ON -DATC_BUILD_CLI=OFF "${prefix[@]}" >"$out/build-baseline.log" 2>&1 &&
    cmake --build "$build-baseline" -j"$(nproc)" --target bench_cuda >>"$out/build-baseline.log" 2>&1 ||
    { tail -30 "$out/build-baseline.log"; exit 1; }
  grep -A3 "fused_kernelILb0" "$out/build-baseline.log" | grep -E "Used|spill" | sed 's/^/baseline: /' >>"$out/ptxas.txt"
fi

status=0
tests=$build/tests/cuda
: >"$out/tests.log"
: >"$out/sanitizer.log"
((skip_tests)) || for t in test_cuda_backend test_cuda_fused test_cuda_streams; do
  "$tests/$t" --gtest_color=no >>"$out/tests.log" 2>&1 || status=1
done
if [[ -n $compare ]]; then
  echo "== test_cuda_backend, $compare ==" >>"$out/tests.log"
  "$build-compare/tests/cuda/test_cuda_backend" --gtest_color=no >>"$out/tests.log" 2>&1 || status=1
fi

small=(--gtest_filter=CudaBackend.SmallChunksGiveTheSameBits:CudaBackend.EquityOverflow*)
((skip_tests)) || for tool in memcheck racecheck synccheck; do
  extra=()
  [[ $tool == memcheck ]] && extra=(--leak-check full)
  [[ $tool == racecheck ]] && extra=(--racecheck-report all)
  for t in "test_cuda_backend ${small[*]}" "test_cuda_fused --gtest_filter=FusedKernel.Hundredths*:FusedKernel.PathsAndSeries*:FusedKernel.PathsName*:FusedKernel.WideKernels*"; do
    echo "== $tool: $t ==" >>"$out/sanitizer.log"
    # shellcheck disable=SC2086
    compute-sanitizer --tool $tool "${extra[@]}" $tests/$t >>"$out/sanitizer.log" 2>&1 || status=1
  done
done

if ((!skip_bench)) && [[ -z $baseline ]]; then
  for prices in grid walk; do
    echo "== fused kernels, $prices prices ==" >>"$out/bench.log"
    "$build/bench/cuda/bench_cuda" --prices $prices --json "$out/bench_cuda_$prices.json" >>"$out/bench.log" 2>&1 || status=1
  done
fi
if [[ -n $compare ]]; then
  for b in "$build" "$build-compare"; do
    echo "== fused kernel, $b ==" >>"$out/bench.log"
    "$b/bench/cuda/bench_cuda" >>"$out/bench.log" 2>&1 || status=1
  done
fi
if [[ -n $baseline ]]; then
  baseline_args=()
  "$build-baseline/bench/cuda/bench_cuda" --help 2>&1 | grep -q -- --fused-only && baseline_args=(--fused-only)
  for round in $(seq "${ROUNDS:-2}"); do
    for prices in grid walk; do
      echo "== round $round, $prices prices, baseline ==" >>"$out/bench.log"
      "$build-baseline/bench/cuda/bench_cuda" "${baseline_args[@]}" --prices $prices >>"$out/bench.log" 2>&1 || status=1
      echo "== round $round, $prices prices, this tree ==" >>"$out/bench.log"
      "$build/bench/cuda/bench_cuda" --prices $prices --json "$out/bench_cuda_${prices}_$round.json" \
        >>"$out/bench.log" 2>&1 || status=1
    done
  done
fi
ncu_run() {  # label, bench_cuda binary, its arguments
  echo "== ncu: $1 ==" >>"$out/ncu.log"
  ncu --clock-control none -k regex:"chain_kernel|layer2_kernel|fused_kernel" --launch-skip 2 --launch-count 2 \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section ComputeWorkloadAnalysis \
    --section SchedulerStats --metrics 'regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio' \
    "$2" --size 10000:1000 --repeats 1 "${@:3}" >>"$out/ncu.log" 2>&1 || status=1
}
if ((!skip_ncu)); then
  : >"$out/ncu.log"
  [[ -n $baseline ]] && ncu_run "baseline, grid prices" "$build-baseline/bench/cuda/bench_cuda" "${baseline_args[@]}" --prices grid
  ncu_run "this tree, grid prices" "$build/bench/cuda/bench_cuda" --prices grid
  [[ -z $baseline ]] && ncu_run "this tree, walk prices" "$build/bench/cuda/bench_cuda" --prices walk
fi

echo "== ptxas (registers / spills) =="
cat "$out/ptxas.txt"
echo "== tests =="
grep -hE "^\[  (PASSED|FAILED|SKIPPED) |FAILED TEST|bit for bit|Failure|seed|MISMATCH" \
  "$out/tests.log" | head -80
echo "== compute-sanitizer =="
grep -hE "^== |ERROR SUMMARY|RACECHECK SUMMARY|LEAK SUMMARY|Hazard" "$out/sanitizer.log" | head -30
if [[ -f "$out/ncu.log" ]]; then
  echo "== ncu (fused kernels, 10000 symbols x 1000 bars) =="
  grep -E "== ncu|  [a-z_]*kernel|Achieved Occupancy|Theoretical Occupancy|DRAM Throughput|Compute \(SM\) Throughput|Memory Throughput|Duration|Registers Per|Block Limit Registers|Issue Slots Busy|Executed Ipc A|Dynamic Shared|No Eligible" "$out/ncu.log" | head -90
fi
if [[ -f "$out/bench.log" ]]; then
  echo "== benchmark =="
  if [[ -n $baseline ]]; then
    grep -E "^device|^float32" "$out/bench.log" | sort | uniq -c | head -12
    python3 scripts/bench_ab.py "$out/bench.log"
  else
    cat "$out/bench.log"
  fi
fi
exit $status
