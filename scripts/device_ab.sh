#!/usr/bin/env bash
# A same-run A/B of this tree against an earlier one on a GPU machine (issue 13's "no
# slowdown"): builds this tree for sm_90 and runs its GPU tests (ctest label gpu, all
# but the 100,000-bar ones), builds the baseline's bench_cuda and bench_streams, then
# runs both trees' fused kernels (bench_cuda, grid and walk prices) and streamed pipeline
# (bench_streams --quick) alternately, $ROUNDS times each (default 2), and last, when
# the run has taken less than $PYTHON_BEFORE_S seconds (default 600), the Python
# package's host-input benchmark of this tree. Prints each table as it is done.
#   scripts/device_ab.sh BASELINE_DIR     (e.g. git archive <commit> | tar -x -C .baseline)
# Carry .devdeps (scripts/device_deps.sh), .testdata and the baseline directory.
set -uo pipefail
cd "$(dirname "$0")/.."
baseline=${1:?usage: $0 BASELINE_DIR}
out=${OUT:-out}
mkdir -p "$out"
source scripts/device_env.sh
[[ -d .testdata ]] && export ATC_TEST_DATA_DIR="$PWD/.testdata"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader | tee "$out/gpu.txt"
status=0
t0=$SECONDS
build=build-device-ab
cmake --preset device -B "$build" >"$out/build.log" 2>&1 &&
  cmake --build "$build" -j"$(nproc)" >>"$out/build.log" 2>&1 ||
  { grep -E "error|FAILED" -A5 "$out/build.log" | head -40; exit 1; }
# By hand: a baseline tree may predate the device preset.
cmake -S "$baseline" -B "$build-baseline" -G Ninja -DATC_CUDA=ON -DATC_CUDA_ARCHITECTURES=90 -DATC_BUILD_CLI=OFF \
  -DCMAKE_BUILD_TYPE=Release "${prefix[@]}" >"$out/build-baseline.log" 2>&1 &&
  cmake --build "$build-baseline" -j"$(nproc)" --target bench_cuda bench_streams >>"$out/build-baseline.log" 2>&1 ||
  { tail -30 "$out/build-baseline.log"; exit 1; }
echo "builds: $((SECONDS - t0)) s"

t0=$SECONDS
ctest --test-dir "$build" -L gpu -E "100000|LongSeries" --timeout 600 --output-on-failure >"$out/ctest_gpu.log" 2>&1 || status=1
echo "GPU tests: $(grep -E 'tests passed' "$out/ctest_gpu.log") ($((SECONDS - t0)) s)"
grep -E "\*\*\*(Failed|Skipped)" "$out/ctest_gpu.log" | head -8

t0=$SECONDS
: >"$out/bench.log"
: >"$out/streams.log"
for round in $(seq "${ROUNDS:-2}"); do
  for prices in grid walk; do
    for side in baseline "this tree"; do
      dir=$build-baseline
      [[ $side == "this tree" ]] && dir=$build
      echo "== round $round, $prices prices, $side ==" >>"$out/bench.log"
      "$dir/bench/cuda/bench_cuda" --prices $prices >>"$out/bench.log" 2>&1 || status=1
    done
  done
  for side in baseline "this tree"; do
    dir=$build-baseline
    [[ $side == "this tree" ]] && dir=$build
    echo "== round $round, $side ==" >>"$out/streams.log"
    "$dir/bench/cuda/bench_streams" --quick >>"$out/streams.log" 2>&1 || status=1
  done
done
echo "benchmarks: $((SECONDS - t0)) s"

echo "== fused kernels, median ms over the rounds =="
python3 scripts/bench_ab.py "$out/bench.log"
echo "== bench_streams --quick, direct transfers, 1,000 x 1,000 (ms per round) =="
python3 scripts/bench_ab.py --streams "$out/streams.log"

t0=$SECONDS
if ((SECONDS > ${PYTHON_BEFORE_S:-600})); then
  echo "python: skipped (the run has taken $SECONDS s)"
elif python3 -m pip install -q --no-build-isolation --no-deps -C cmake.define.ATC_CUDA_ARCHITECTURES=90 . \
    >"$out/pip.log" 2>&1; then
  python3 -m atc.bench --host-input --repeats 9 --json "$out/atc_bench_host.json" >"$out/atc_bench.log" 2>&1 || status=1
  ATC_BENCH_BACKEND=cuda python3 scripts/py_overhead.py overhead 1000:1000:scan:numpy:9 1000:1000:scan:frame:9 \
    >>"$out/atc_bench.log" 2>&1 || status=1
else
  status=1
  tail -20 "$out/pip.log"
fi
echo "python: $((SECONDS - t0)) s"

echo "== python -m atc.bench --host-input, py_overhead =="
[[ -f $out/atc_bench.log ]] && grep -E "ms|x " "$out/atc_bench.log" | tail -14
tar czf "$out/logs.tgz" -C "$out" $(cd "$out" && ls *.log *.txt)
exit $status
