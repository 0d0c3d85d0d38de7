#!/usr/bin/env bash
# The CPU test suite under AddressSanitizer and UndefinedBehaviorSanitizer: a separate
# build of the library, the CLI and the GoogleTest programs (no benchmarks, no CUDA);
# any finding aborts its test, so the run fails.
#   scripts/sanitize.sh [build-dir]   (default build-sanitize)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

build=${1:-build-sanitize}
ATC_TEST_DATA_DIR=$(python3 -c "import backtesting, os; print(os.path.join(os.path.dirname(backtesting.__file__), 'test'))")
export ATC_TEST_DATA_DIR

# The asan presets (CMakePresets.json) hold the flags, and the ASAN_OPTIONS and
# UBSAN_OPTIONS under which a finding (leaks included) ends its test with an error.
cmake --preset asan -B "$build"
cmake --build "$build" -j"$(nproc)"
ctest --preset asan --test-dir "$build" -j"$(nproc)"
