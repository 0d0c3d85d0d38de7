#!/usr/bin/env bash
# Per-kernel Nsight Compute summary of the fused path on a GPU machine: builds bench_cuda
# for sm_90, then profiles one launch_fused (both kernels, after a warm-up) per size;
# with --times, times the fused rows of bench_cuda per size instead (e.g. to place the
# per-symbol / per-family crossover).
#   scripts/device_profile.sh [--times] SYMBOLS:BARS...
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-out}
mkdir -p "$out"
source scripts/device_env.sh
build=build-device
cmake --preset device -B "$build" -DATC_BUILD_CLI=OFF >"$out/build.log" 2>&1 && cmake --build "$build" -j"$(nproc)" --target bench_cuda >>"$out/build.log" 2>&1 ||
  { tail -30 "$out/build.log"; exit 1; }
if [[ ${1:-} == --times ]]; then
  shift
  for size in "$@"; do
    "$build/bench/cuda/bench_cuda" --size "$size" | grep -E "^fused_(standard|average_only)"
  done
  exit 0
fi
for size in "$@"; do
  log="$out/ncu_${size/:/x}.log"
  ncu --clock-control none -k regex:"chain_kernel|layer2_kernel|fused_kernel" --launch-skip 2 --launch-count 2 \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section SchedulerStats \
    --metrics 'regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio' \
    "$build/bench/cuda/bench_cuda" --size "$size" --repeats 1 >"$log" 2>&1
  echo "== $size =="
  grep -E "^  [a-z_0-9]*kernel|Duration|Issue Slots Busy|Achieved Occupancy|Registers Per|Grid Size" "$log" |
    sed -E 's/\(atc::cuda::.*//' | tr -s ' '
  grep -E "smsp__average_warps_issue_stalled_(barrier|wait|long_scoreboard|short_scoreboard|no_instruction|math_pipe_throttle|mio_throttle|lg_throttle)_per" "$log" |
    awk '{print $1, $NF}' | sed 's/smsp__average_warps_issue_stalled_//; s/_per_issue_active.ratio//' | paste -sd' '
done
