#!/usr/bin/env bash
# Builds everything and runs every test: GoogleTest (CTest) and pytest. GPU tests run
# when a CUDA device is present and are skipped, with the reason printed, otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

data_dir=$(python3 -c "import backtesting, os; print(os.path.join(os.path.dirname(backtesting.__file__), 'test'))")
export ATC_TEST_DATA_DIR="$data_dir"
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DATC_TEST_DATA_DIR="$data_dir"
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" -LE gpu
if [[ -n "$(ctest --test-dir build -N -L gpu | grep -E '^ *Test *#')" ]]; then
  echo "== GPU tests (each prints its skip reason when no device is usable) =="
  ctest --test-dir build --output-on-failure -L gpu -V | grep -E 'SKIPPED|Skipped|PASSED|FAILED|Passed|Failed|tests passed' || true
  ctest --test-dir build --output-on-failure -L gpu
fi

python3 -m pip install -q --disable-pip-version-check .
python3 -m pytest tests/python -q -rs
