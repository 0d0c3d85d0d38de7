# Sourced by the device scripts: build dependencies unpacked in ./.devdeps (see
# scripts/device_deps.sh) become a CMake prefix (the device preset of CMakePresets.json
# names it too) and their shared libraries loadable. Sets the array `prefix`, for the
# configure lines of other source trees (an A/B baseline).
prefix=()
if [[ -d .devdeps ]]; then
  prefix=(-DCMAKE_PREFIX_PATH="$PWD/.devdeps")
  export LD_LIBRARY_PATH="$PWD/.devdeps/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
fi
