#!/bin/bash
# local-preload.sh: src/agent/unwind_local inside real programs' signal handlers, per walker.
#
# Preloads build/bench/unwind/liblocal-preload.so (read local-preload.c) into distribution
# programs built without frame pointers: python3 serializing JSON, xz -9 and gzip -9 on 5 MB of
# random bytes, gcc -O2 -c (its cc1), find over /usr. Each runs once per walker (auto, dwarf
# without cache, fp, glibc's backtrace()); prints one row per (program, walker): samples, frames
# per sample, the share that reached the outermost frame, ns per walk and per frame (CLOCK_MONOTONIC
# inside the handler), rule-cache hits and misses. Timing output only; no test depends on it.
#
# Usage: bash bench/unwind/local-preload.sh [BUILD_DIR]   (default build)
set -euo pipefail
build=${1:-build}
lib=$(realpath "$build/bench/unwind/liblocal-preload.so")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 5000000 /dev/urandom >"$tmp/rnd"
cat >"$tmp/dumps.py" <<'PY'
import json
d = [{'a': i, 'b': [str(j) for j in range(20)]} for i in range(3000)]
for k in range(60):
    json.loads(json.dumps(d))
PY
src=$(realpath "$(dirname "$0")/../../src/agent/unwind_local.c")
for walker in auto dwarf fp backtrace; do
	run() { LOCAL_PRELOAD_OUT="$tmp/out" LOCAL_PRELOAD_MODE=$walker LD_PRELOAD="$lib" "$@"; }
	run /usr/bin/python3 "$tmp/dumps.py"
	run xz -9 -T1 -c "$tmp/rnd" >/dev/null
	run gzip -9 -c "$tmp/rnd" >/dev/null
	run gcc -O2 -c "$src" -I"$(dirname "$src")/.." -o "$tmp/o.o"
	run find /usr -name '*.h' >/dev/null
done
printf '%-8s %-14s %8s %8s %10s %9s %9s %8s %7s\n' program walker samples frames outermost \
	ns/walk ns/frame hits misses
awk '/^ / { next } { printf "%-8s %-14s %8d %8.1f %9.0f%% %9d %9.1f %8d %7d\n", $1, $2, $4, $6, 100 * $8 / $4,
       $18, $20, $22, $24 }' "$tmp/out"
grep '^ ' "$tmp/out" || true # the first walk of a run that did not reach the outermost frame
