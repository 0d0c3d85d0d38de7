#!/usr/bin/env bash
# Builds the libFuzzer programs of fuzz/ (clang-14, ASan and UBSan, no CUDA) and runs
# each for SECONDS (default 60) over a copy of its seeds in fuzz/corpus/<target>/ (the
# committed corpus is left as it is). Fails when a target finds a crash or a violated
# property; the input that did it is kept under BUILD-DIR/artifacts/.
#   scripts/fuzz.sh [seconds] [build-dir]   (default 60 and build-fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${2:-build-fuzz}
# libclang-rt-14-dev holds libFuzzer and the sanitizer runtimes of clang-14.
bash scripts/deps.sh clang-14 libclang-rt-14-dev

# The fuzz preset (CMakePresets.json): clang-14, Debug (the assertions kept) at -O2 for
# the executions per second, the fuzz programs alone.
cmake --preset fuzz -B "$build"
targets=(csv config compute)
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/artifacts"
artifacts=$(cd "$build/artifacts" && pwd)
failed=()
for target in "${targets[@]}"; do
  echo "== fuzz_$target: $seconds s =="
  cp -r "fuzz/corpus/$target" "$work/$target"
  options=(-max_total_time="$seconds" -timeout=20 -print_final_stats=1 -artifact_prefix="$artifacts/$target-")
  [[ -f fuzz/$target.dict ]] && options+=(-dict="fuzz/$target.dict")
  [[ $target == compute ]] && options+=(-max_len=8192)  # 99 header bytes and up to 2000 bars
  if "$build/fuzz/fuzz_$target" "${options[@]}" "$work/$target" 2>"$work/$target.log"; then
    grep -E '^Done' "$work/$target.log"
  else
    tail -n 60 "$work/$target.log"
    failed+=("$target")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: findings in ${failed[*]}; reproducers in $artifacts" >&2
  exit 1
fi
echo "fuzz: no findings"
