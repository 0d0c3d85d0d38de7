#!/usr/bin/env bash
# The CPU test suite under AddressSanitizer and UndefinedBehaviorSanitizer: a separate
# build of the library, the CLI and the GoogleTest programs (no benchmarks, no CUDA);
# any finding aborts its test, so the run fails.
#   scripts/sanitize.sh [build-dir]   (default build-sanitize)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

build=${1:-build-sanitize}
data_dir=$(python3 -c "import backtesting, os; print(os.path.join(os.path.dirname(backtesting.__file__), 'test'))")
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -g"

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DATC_CUDA=OFF -DATC_BUILD_BENCH=OFF \
  -DATC_TEST_DATA_DIR="$data_dir" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_CXX_FLAGS_DEBUG="" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"
cmake --build "$build" -j"$(nproc)"

# halt_on_error: a finding ends the test with an error; leaks count as findings too.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" -LE gpu
