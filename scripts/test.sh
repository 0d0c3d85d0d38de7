#!/usr/bin/env bash
# Builds everything and runs every test: GoogleTest (CTest) and pytest. GPU tests run
# when a CUDA device is present and are skipped, with the reason printed, otherwise.
# The CUDA code is compiled once: for the GPU present, or (to prove it compiles) for
# sm_90 alone in the C++ build; the Python package then leaves it out where no GPU is.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

data_dir=$(python3 -c "import backtesting, os; print(os.path.join(os.path.dirname(backtesting.__file__), 'test'))")
export ATC_TEST_DATA_DIR="$data_dir"
export ATC_CLI_PATH="$PWD/build/cli/atc"
jobs=$(nproc)
source scripts/cuda_choice.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DATC_TEST_DATA_DIR="$data_dir" "${cuda_flags[@]}"
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" -LE gpu
echo "== GPU tests (CTest label gpu) =="
if ! ctest --test-dir build -L gpu --output-on-failure -V >build/gpu-tests.log 2>&1; then
  cat build/gpu-tests.log
  exit 1
fi
# Each skipped GPU test prints its reason on the line after "Skipped": show them, and
# count what ran (CTest counts a skipped test as passed).
total=$(grep -oE 'out of [0-9]+' build/gpu-tests.log | grep -oE '[0-9]+$' || echo 0)
skipped=$(grep -cE '\(Skipped\)$' build/gpu-tests.log || true)
echo "GPU tests: $((total - skipped)) ran and passed, $skipped skipped"
grep -E -A1 ': Skipped$' build/gpu-tests.log | grep -vE ': Skipped$|^--$' |
  sed -E 's/^[0-9]+: //' | sort | uniq -c | sed 's/^ *\([0-9]*\) /skipped: \1 tests: /'

if ((gpu_usable)); then package_cuda=(-C cmake.define.ATC_CUDA_ARCHITECTURES=native)
else package_cuda=(-C cmake.define.ATC_CUDA=OFF); fi
python3 -m pip install -q --disable-pip-version-check "${package_cuda[@]}" .
python3 -m pytest tests/python -q -rs
