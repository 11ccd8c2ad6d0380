#!/usr/bin/env bash
# gpu_counters.sh: scorch record --gpu's GPU metrics on flamegraph.html's timeline, below the
# threads, in headless Chromium (gpu_counters.test.js): scorch record --gpu of tests/programs/hot
# with the fake libnvidia-ml.so.1 (tests/fake/nvml/) replaying a script whose values the test
# knows (utilization 42 %, memory 1 then 3 GiB, power 90 W, SM activity 75 % from the second
# sample). Needs what run.sh needs; skips with exit 77 and the reason.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${SCORCH:?SCORCH must name the scorch executable}"
: "${HOT:?HOT must name tests/programs/hot}"
: "${FAKE_NVML:?FAKE_NVML must name the fake libnvidia-ml.so.1}"
. "$here/lib.sh"
browser_setup gpu_counters
cat >"$tmp/script" <<'S'
name 0 Fake GPU
util 0 42
mem 0 1073741824 3221225472
power 0 90000
gpm 0 75
S
if ! SCORCH_NVML_LIB="$FAKE_NVML" SCORCH_FAKE_NVML="$tmp/script" \
	"$SCORCH" record -q --gpu -o "$tmp/rec" -- "$HOT" >"$tmp/log" 2>&1; then
	echo "FAIL: scorch record --gpu failed:"
	cat "$tmp/log"
	exit 1
fi
CHROMIUM="$CHROMIUM" node "$here/gpu_counters.test.js" "$tmp"
