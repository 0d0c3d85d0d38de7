#!/usr/bin/env bash
# Device prices on a GPU machine (atc/device.hpp, the Python device path): builds for
# sm_90, runs the device-input GPU tests (the warp price walk against the sequential one
# included) and the fused-kernel ones, compute-sanitizer on compute_device and the price
# walk, the Python GPU tests, `python -m atc.bench --device-input --sweep`, and bench_cuda
# at 1,000 x 1,000 and 10,000 x 10,000 (the fused kernel alone, the price walk alone and
# the whole compute_device), then prints short tables. Logs go to $OUT.
# Carry .devdeps and .testdata.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-out}
mkdir -p "$out"
source scripts/device_env.sh
[[ -d .testdata ]] && export ATC_TEST_DATA_DIR="$PWD/.testdata"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$out/gpu.txt"
status=0
build=build-device
t0=$SECONDS
cmake --preset device -B "$build" -DATC_BUILD_CLI=OFF >"$out/build.log" 2>&1 &&
  cmake --build "$build" -j"$(nproc)" --target test_cuda_price_walk test_cuda_device test_cuda_fused \
    test_cuda_backend test_cuda_sweep bench_cuda >>"$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $((SECONDS - t0)) s"
(python3 -m pip install -q --no-build-isolation --no-deps -C cmake.define.ATC_CUDA_ARCHITECTURES=90 . \
  >"$out/pip.log" 2>&1 || echo "pip install FAILED" >>"$out/pip.log") &
pip_job=$!
tests=$build/tests/cuda
for t in test_cuda_price_walk test_cuda_device test_cuda_sweep test_cuda_backend "test_cuda_fused --gtest_filter=-FusedKernel.PathsAgreeOnLongSeries*"; do
  echo "== $t ==" >>"$out/tests.log"
  # shellcheck disable=SC2086
  $tests/$t >>"$out/tests.log" 2>&1 || status=1
done
for tool in memcheck racecheck; do
  extra=()
  [[ $tool == memcheck ]] && extra=(--leak-check full)
  echo "== $tool ==" >>"$out/sanitizer.log"
  compute-sanitizer --tool $tool "${extra[@]}" "$tests/test_cuda_device" \
    --gtest_filter=CudaDevice.ANonDefaultStream*:CudaDevice.BadArguments*:CudaDevice.RowMajor* >>"$out/sanitizer.log" 2>&1 || status=1
done
echo "== memcheck (price walk) ==" >>"$out/sanitizer.log"
compute-sanitizer --tool memcheck "$tests/test_cuda_price_walk" --gtest_filter=CudaPriceWalk.WarpWalk* \
  >>"$out/sanitizer.log" 2>&1 || status=1
wait $pip_job
tail -3 "$out/pip.log"
python3 -m pytest -q tests/python/test_device.py tests/python/test_gpu.py >"$out/pytest.log" 2>&1 || status=1
python3 -m atc.bench --device-input --sweep --repeats 5 --json "$out/device_input.json" >"$out/bench.log" 2>&1 || status=1
for size in 1000:1000 10000:10000; do
  "$build/bench/cuda/bench_cuda" --prices grid --size $size >>"$out/kernel.log" 2>&1 || status=1
done

echo "== tests =="
grep -hE "^== |^\[  (PASSED|FAILED|SKIPPED) |FAILED TEST|Failure|seed|MISMATCH" "$out/tests.log" | head -40
echo "== compute-sanitizer =="
grep -hE "^== |ERROR SUMMARY|RACECHECK SUMMARY|LEAK SUMMARY|Hazard" "$out/sanitizer.log" | head -12
echo "== pytest =="
tail -15 "$out/pytest.log"
echo "== python -m atc.bench --device-input =="
cat "$out/bench.log"
echo "== fused kernel alone (grid prices) =="
grep -E "^device|fused_(scan|average_only|standard) " "$out/kernel.log" | head -12
echo "== compute_device on a column-major table in device memory (grid prices, scan outputs; median ms) =="
awk '$1 == "fused_scan" || $1 == "price_walk" || $1 == "device_scan" {
    size = $2 " " $3; ms[$1 " " size] = $4
    if (!(size in seen)) { seen[size] = 1; order[++n] = size }
  }
  END {
    printf "%8s %7s %12s %12s %12s %22s\n", "symbols", "bars", "fused_scan", "price_walk", "device_scan", "device_scan/fused_scan"
    for (i = 1; i <= n; ++i) {
      split(order[i], k, " ")
      f = ms["fused_scan " order[i]]; d = ms["device_scan " order[i]]
      ratio = 0
      if (f != 0) ratio = d / f  # (a ">" in printf arguments would redirect the output)
      printf "%8d %7d %12.4f %12.4f %12.4f %21.3fx\n", k[1], k[2], f, ms["price_walk " order[i]], d, ratio
    }
  }' "$out/kernel.log"
exit $status
