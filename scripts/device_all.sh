#!/usr/bin/env bash
# The whole project on a GPU machine, as CI cannot run it: builds every target for
# sm_90, runs all C++ tests (CPU and GPU, with the real market data in ./.testdata),
# compute-sanitizer on the fused kernel and the streamed pipeline, the Python package's
# tests (GPU ones included) and `python -m atc.bench`, and the CUDA benchmarks. Logs
# are packed into $OUT/logs.tgz (default ./out) beside the benchmark JSON files (the
# device tool returns at most 8 files); a short summary is printed last.
#   scripts/device_all.sh [--skip-bench | --quick]
# --quick: the CTest suite without the 100,000-bar tests, compute-sanitizer on the
# streamed pipeline and the sweep only, and of the benchmarks `python -m atc.bench
# --host-input` and `bench_streams --quick` (one call of the device tool).
# Carry .devdeps (scripts/device_deps.sh) and .testdata (GOOG/EURUSD/BTCUSD CSVs).
set -uo pipefail
cd "$(dirname "$0")/.."
results=${OUT:-out}
mkdir -p "$results"
out=$(mktemp -d)
skip_bench=0 quick=0
case ${1:-} in
  --skip-bench) skip_bench=1 ;;
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: $0 [--skip-bench | --quick]" >&2; exit 2 ;;
esac

source scripts/device_env.sh
export ATC_TEST_DATA_DIR="$PWD/.testdata"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader | tee "$out/gpu.txt"
status=0
step() { echo "$1: $2 ($((SECONDS - t0)) s)" | tee -a "$out/summary.txt"; }

t0=$SECONDS
build=build-device-all
cmake --preset device -B "$build" >"$out/build.log" 2>&1 &&
  cmake --build "$build" -j"$(nproc)" >>"$out/build.log" 2>&1 ||
  { grep -E "error|FAILED" -A5 "$out/build.log" | head -40; exit 1; }
step build ok

t0=$SECONDS
long_tests=()
((quick)) && long_tests=(-E "100000|LongSeries")
if ctest --test-dir "$build" -j8 --timeout 600 --output-on-failure "${long_tests[@]}" >"$out/ctest.log" 2>&1; then r=ok; else r=FAILED; status=1; fi
step "ctest (CPU and GPU)" "$r, $(grep -E 'tests passed' "$out/ctest.log")"
grep -E "\*\*\*(Skipped|Failed)" "$out/ctest.log" | head -8

t0=$SECONDS
tests=$build/tests/cuda
{
  # All fused tests but the 100,000-bar one (hours under the sanitizers).
  small_fused=--gtest_filter=-FusedKernel.PathsAgreeOnLongSeries*
  if ((!quick)); then
    compute-sanitizer --tool memcheck --leak-check full "$tests/test_cuda_fused" "$small_fused"
    compute-sanitizer --tool racecheck "$tests/test_cuda_fused" "$small_fused"
  fi
  compute-sanitizer --tool memcheck --leak-check full "$tests/test_cuda_streams" --gtest_filter=CudaStreams.SmallBatchAllPaths
  compute-sanitizer --tool memcheck --leak-check full "$tests/test_cuda_sweep" \
    --gtest_filter=CudaSweep.ChunkedDeviceMemory*:CudaSweep.AnEquityOverflow*
  compute-sanitizer --tool racecheck "$tests/test_cuda_sweep" --gtest_filter=CudaSweep.ChunkedDeviceMemory*
} >"$out/sanitizer.log" 2>&1 || status=1
step compute-sanitizer "$(grep -hE 'ERROR SUMMARY|RACECHECK SUMMARY|LEAK SUMMARY' "$out/sanitizer.log" | tr '\n' ';')"

t0=$SECONDS
if python3 -m pip install -q --no-build-isolation --no-deps -C cmake.define.ATC_CUDA_ARCHITECTURES=90 . \
    >"$out/pip.log" 2>&1; then
  ATC_CLI_PATH="$PWD/$build/cli/atc" python3 -m pytest tests/python -q -rs >"$out/pytest.log" 2>&1 || status=1
  step pytest "$(tail -1 "$out/pytest.log")"
  grep -E "^SKIPPED" "$out/pytest.log" | head -8
else
  status=1
  step pip-install FAILED
  tail -20 "$out/pip.log"
fi

"$build/cli/atc" demo --backend cuda >"$out/demo_cuda.txt" 2>&1 || status=1
step "atc demo --backend cuda" "$(tail -1 "$out/demo_cuda.txt")"

if ((quick)); then
  t0=$SECONDS
  python3 -m atc.bench --host-input --repeats 7 --json "$out/atc_bench_host.json" >"$out/atc_bench.log" 2>&1 || status=1
  "$build/bench/cuda/bench_streams" --quick >"$out/bench_streams.log" 2>&1 || status=1
  step "python -m atc.bench --host-input, bench_streams --quick" done
elif ((!skip_bench)); then
  t0=$SECONDS
  python3 -m atc.bench --symbols 1000 --bars 1000 --use-cuda-kernels --use-streams \
    --json "$out/atc_bench_1000.json" >"$out/atc_bench.log" 2>&1 || status=1
  # The same with glibc keeping freed result columns for the next call instead of
  # returning them to the kernel: on this VM first-touching fresh pages is slow.
  echo "== MALLOC_MMAP_THRESHOLD_=32 MiB, MALLOC_TRIM_THRESHOLD_=16 GiB ==" >>"$out/atc_bench.log"
  MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184 \
    python3 -m atc.bench --symbols 1000 --bars 1000 --use-cuda-kernels --use-streams \
    --json "$out/atc_bench_1000_heap.json" >>"$out/atc_bench.log" 2>&1 || status=1
  python3 -m atc.bench --sweep --use-cuda-kernels --use-streams \
    --json "$out/atc_bench_sweep.json" >>"$out/atc_bench.log" 2>&1 || status=1
  echo "== atc.sweep against a loop of compute_atc_batch ==" >>"$out/atc_bench.log"
  python3 -m atc.bench --param-sweep 1000 --symbols 500 --bars 1000 \
    --json "$out/atc_bench_param_sweep.json" >>"$out/atc_bench.log" 2>&1 || status=1
  step "python -m atc.bench" done
  t0=$SECONDS
  "$build/bench/bench_cpu" --benchmark_filter='cpu/symbols:(1000|10000)/bars:1000/' \
    >"$out/bench_cpu.log" 2>&1 || status=1
  for prices in grid walk; do
    "$build/bench/cuda/bench_cuda" --prices $prices --json "$out/bench_cuda_$prices.json" \
      >"$out/bench_cuda_$prices.log" 2>&1 || status=1
  done
  "$build/bench/cuda/bench_streams" --json "$out/bench_streams.json" >"$out/bench_streams.log" 2>&1 || status=1
  step "C++ benchmarks" done
fi

tar czf "$results/logs.tgz" -C "$out" $(cd "$out" && ls *.log *.txt)
cp "$out"/*.json "$out/summary.txt" "$results/" 2>/dev/null
echo "== summary =="
cat "$out/summary.txt"
if [[ -f "$out/atc_bench.log" ]]; then
  echo "== python -m atc.bench =="
  cat "$out/atc_bench.log" | tail -40
fi
if ((quick)); then
  echo "== bench_streams --quick, direct transfers =="
  grep -E "^ *symbols|direct +on +(repeat|entry|prepare)" "$out/bench_streams.log" | head -30
fi
exit $status
