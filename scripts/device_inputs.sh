#!/usr/bin/env bash
# Device prices on a GPU machine (atc/device.hpp, the Python device path): builds for
# sm_90, runs the device-input GPU tests and the fused-kernel ones, compute-sanitizer on
# compute_device, the Python GPU tests, `python -m atc.bench --device-input --sweep` and
# the fused kernel alone at the same sizes, then prints a short table. Logs go to $OUT.
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
cmake -S . -B "$build" -G Ninja -DATC_CUDA=ON -DATC_CUDA_ARCHITECTURES=90 -DATC_BUILD_CLI=OFF "${prefix[@]}" \
  >"$out/build.log" 2>&1 &&
  cmake --build "$build" -j"$(nproc)" --target test_cuda_device test_cuda_fused test_cuda_backend test_cuda_sweep \
    bench_cuda >>"$out/build.log" 2>&1 || { grep -E "error|FAILED" -A5 "$out/build.log" | head -60; exit 1; }
echo "build: $((SECONDS - t0)) s"
(python3 -m pip install -q --no-build-isolation --no-deps -C cmake.define.ATC_CUDA_ARCHITECTURES=90 . \
  >"$out/pip.log" 2>&1 || echo "pip install FAILED" >>"$out/pip.log") &
pip_job=$!
tests=$build/tests/cuda
for t in test_cuda_device test_cuda_sweep test_cuda_backend "test_cuda_fused --gtest_filter=-FusedKernel.PathsAgreeOnLongSeries*"; do
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
wait $pip_job
tail -3 "$out/pip.log"
python3 -m pytest -q tests/python/test_device.py tests/python/test_gpu.py >"$out/pytest.log" 2>&1 || status=1
python3 -m atc.bench --device-input --sweep --repeats 5 --json "$out/device_input.json" >"$out/bench.log" 2>&1 || status=1
for size in 1000:1000 10000:10000; do
  "$build/bench/cuda/bench_cuda" --prices grid --size $size >>"$out/kernel.log" 2>&1 || status=1
done

echo "== tests =="
grep -hE "^\[  (PASSED|FAILED|SKIPPED) |FAILED TEST|Failure|seed|MISMATCH" "$out/tests.log" | head -30
echo "== compute-sanitizer =="
grep -hE "^== |ERROR SUMMARY|RACECHECK SUMMARY|LEAK SUMMARY|Hazard" "$out/sanitizer.log" | head -12
echo "== pytest =="
tail -15 "$out/pytest.log"
echo "== python -m atc.bench --device-input =="
cat "$out/bench.log"
echo "== fused kernel alone (grid prices) =="
grep -E "^device|fused_(scan|average_only|standard) " "$out/kernel.log" | head -12
exit $status
