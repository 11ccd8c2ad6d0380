#!/usr/bin/env bash
# deps.sh: installs the Debian packages scorch builds and tests with, when any is missing.
# Run by `make deps` (and so by `make check` and `make demo`). Prints nothing when all are there.
set -euo pipefail
pkgs=(meson ninja-build pkg-config gcc clang libdw-dev libelf-dev libprotobuf-c-dev
      protobuf-c-compiler zlib1g-dev libcmocka-dev libiberty-dev golang-go linux-perf g++ python3)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0
echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
