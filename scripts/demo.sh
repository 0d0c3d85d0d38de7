#!/usr/bin/env bash
# Builds the atc command-line program and scans the bundled default market.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target atc_cli
./build/cli/atc demo "$@"
