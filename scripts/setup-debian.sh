#!/usr/bin/env bash
# Installs the Debian packages crmkit needs to build, test and benchmark.
# Only packages that are missing are installed; nothing is downloaded outside apt. Boost is 1.81
# (Debian 12 ships it beside the default 1.74) for boost::unordered_flat_map.
set -euo pipefail

packages=(
  build-essential cmake make pkg-config g++ git tzdata
  libboost1.81-dev libboost-date-time1.81-dev libboost-serialization1.81-dev libboost-math1.81-dev libical-dev
  libfmt-dev doctest-dev nlohmann-json3-dev libsqlite3-dev libcli11-dev libbenchmark-dev
  python3 python3-numpy python3-pandas python3-pytest python3-jsonschema python3-pip python3-dask python3-distributed
)
if [[ "${CRMKIT_FUZZ:-0}" == "1" ]]; then
  packages+=(clang libclang-rt-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "crmkit setup: installing missing Debian packages: ${missing[*]}" >&2
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "crmkit setup: not root and no sudo; install these packages first: ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
