# Sourced by the device scripts: build dependencies unpacked in ./.devdeps (see
# scripts/device_deps.sh) become a CMake prefix. Sets the array `prefix`.
prefix=()
if [[ -d .devdeps ]]; then
  prefix=(-DCMAKE_PREFIX_PATH="$PWD/.devdeps")
  export LD_LIBRARY_PATH="$PWD/.devdeps/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
fi
