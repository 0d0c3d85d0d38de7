#!/usr/bin/env bash
# Prepares ./.devdeps: the Debian build dependencies (headers, libraries, CMake package
# files) unpacked into a prefix, for GPU machines that have a compiler but no package
# registry. Device scripts pass it as CMAKE_PREFIX_PATH; carry it with the call.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(libgtest-dev libbenchmark-dev libbenchmark1debian libfast-float-dev
          nlohmann-json3-dev libtomlplusplus-dev libtomlplusplus3 libcli11-dev)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download "${packages[@]}" >/dev/null 2>&1)
rm -rf .devdeps
mkdir -p "$work/root" .devdeps
for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/root"; done
cp -a "$work/root/usr/." .devdeps/
rm -rf .devdeps/share/doc
du -sh .devdeps
