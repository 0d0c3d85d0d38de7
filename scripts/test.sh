#!/usr/bin/env bash
# Builds everything and runs every test: GoogleTest (CTest) and pytest. GPU tests run
# when a CUDA device is present and are skipped, with the reason printed, otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

data_dir=$(python3 -c "import backtesting, os; print(os.path.join(os.path.dirname(backtesting.__file__), 'test'))")
export ATC_TEST_DATA_DIR="$data_dir"
export ATC_CLI_PATH="$PWD/build/cli/atc"
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DATC_TEST_DATA_DIR="$data_dir"
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" -LE gpu
echo "== GPU tests (CTest label gpu) =="
if ! ctest --test-dir build -L gpu --output-on-failure -V >build/gpu-tests.log 2>&1; then
  cat build/gpu-tests.log
  exit 1
fi
# Each skipped GPU test prints its reason on the line after "Skipped": show them.
grep -E -A1 ': Skipped$' build/gpu-tests.log | grep -vE ': Skipped$|^--$' |
  sed -E 's/^[0-9]+: //' | sort | uniq -c | sed 's/^/skipped: /'
grep -E 'tests passed|tests failed' build/gpu-tests.log

python3 -m pip install -q --disable-pip-version-check .
python3 -m pytest tests/python -q -rs
