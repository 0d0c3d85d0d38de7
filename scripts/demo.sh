#!/usr/bin/env bash
# Builds the atc command-line program and scans the bundled default market. The CUDA
# backend is built only where a GPU can run it (ATC_CUDA=ON builds it anyway).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --cpp-only
source scripts/cuda_choice.sh
((gpu_usable)) || [[ ${ATC_CUDA:-} == ON ]] || cuda_flags=(-DATC_CUDA=OFF)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${cuda_flags[@]}" >/dev/null
cmake --build build -j"$(nproc)" --target atc_cli
./build/cli/atc demo "$@"
