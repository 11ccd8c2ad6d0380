#!/usr/bin/env bash
# deps.sh: installs the Debian packages scorch builds and tests with, when any is missing.
# Run by `make deps` (and so by `make check` and `make demo`). Prints nothing when all are there.
set -euo pipefail
pkgs=(meson ninja-build pkg-config gcc clang libdw-dev libelf-dev libprotobuf-c-dev
      protobuf-c-compiler zlib1g-dev libcmocka-dev libiberty-dev golang-go linux-perf g++ python3
      valgrind chromium libbenchmark-dev libgoogle-perftools-dev heaptrack libuv1-dev tmux
      libcurl4-openssl-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q >/dev/null
	$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
# The browser tests drive Debian's chromium with playwright-core, pinned by tests/browser's lock
# file. Node and npm come with the machine (or Debian's nodejs/npm); without them the browser
# suite skips with a reason.
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$top/tests/browser/package-lock.json" ] && [ ! -d "$top/tests/browser/node_modules" ]; then
	if command -v npm >/dev/null; then
		echo "deps: npm ci in tests/browser"
		(cd "$top/tests/browser" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	else
		echo "deps: npm is missing; the browser tests will be skipped"
	fi
fi
