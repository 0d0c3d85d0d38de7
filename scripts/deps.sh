#!/usr/bin/env bash
# Installs what building and testing atc needs, when it is missing: Debian packages
# (as root, through apt-get) and Python packages (through pip).
#   scripts/deps.sh [--cpp-only] [PACKAGE...]
# --cpp-only: no Python packages (the demo needs none); PACKAGEs: more Debian packages
# (scripts/fuzz.sh asks for clang this way).
set -euo pipefail
cpp_only=0
if [[ ${1:-} == --cpp-only ]]; then cpp_only=1; shift; fi

debian_packages=(build-essential cmake libgtest-dev libbenchmark-dev libcli11-dev
                 nlohmann-json3-dev libtomlplusplus-dev libfast-float-dev "$@")
missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "deps: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "deps: please install these Debian packages: ${missing[*]}" >&2
    exit 1
  fi
fi

((cpp_only)) && exit 0
python3 -m pip install -q --disable-pip-version-check -r "$(dirname "$0")/../requirements-dev.txt"
