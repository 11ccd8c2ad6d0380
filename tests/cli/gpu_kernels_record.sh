#!/usr/bin/env bash
# gpu_kernels_record.sh: scorch record --gpu's kernel trace on gpu_app against the stand-ins of
# tests/fake/cuda (gpu_kernels.script), with each sampling backend (perf where it may be used,
# and the signal backend, whose own agent keeps SCORCH_AGENT_FILE: the kernel trace's file is
# named by SCORCH_CUPTI_FILE):
#   - kernels.txt exact (as gpu_kernels.sh), gpu.pb.gz's GPU time by call site;
#   - trace.json: the CPU profile's slices, the API calls and the kernels per stream in one
#     document, on one clock (every event within the run's few seconds of every other; CUPTI's
#     own clock is 1000 s away in the stand-in);
#   - no NVML: the metrics' line, and the rest goes on.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
FAKE=$BUILD/tests/fake/cuda
[ -f "$FAKE/libcupti.so" ] || skip "no CUDA headers at build time: libscorch-cupti.so and the stand-ins are not built"
APP=$BUILD/tests/programs/gpu_app
export SCORCH_FAKE_CUDA="$SRCDIR/tests/cli/gpu_kernels.script"
export SCORCH_CUPTI_LIB="$FAKE/libcupti.so"
export SCORCH_NVML_LIB="$TMP/no-nvml.so"

check() { # DIR CPU: the outputs of one recording; CPU 1: it must have CPU slices
	local d=$1 want_cpu=$2
	grep -q '^     10.000  62.5%      2     5.000     5.000     5.000    32  64x1x1 x 256x1x1    reduce$' "$d/kernels.txt" &&
		grep -q '^      6.000  37.5%      3     2.000     2.000     2.000    16  256x1x1 x 128x1x1   axpy$' "$d/kernels.txt" ||
		fail "$d/kernels.txt: $(cat "$d/kernels.txt")"
	"$SCORCH" report "$d/gpu.pb.gz" --format folded --root none >"$d.folded" || fail "$d/gpu.pb.gz"
	grep -q 'main;step_a;cuLaunchKernel;axpy 6000000$' "$d.folded" &&
		grep -q 'main;step_b;cuLaunchKernel;reduce 10000000$' "$d.folded" ||
		fail "$d/gpu.pb.gz by call site: $(cat "$d.folded")"
	python3 - "$d/trace.json" "$want_cpu" <<'PY' || fail "$d/trace.json"
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e.get("ph") == "X"]
api = [e for e in ev if e.get("cat") == "cuda_api"]
kern = [e for e in ev if e.get("cat") == "kernel"]
cpu = [e for e in ev if e.get("cat") not in ("cuda_api", "kernel", "memcpy", "memset", "sync")]
assert len(kern) == 5 and sum(e["name"] == "cuLaunchKernel" for e in api) == 5, (len(kern), len(api))
# The signal backend samples CPU time: the program runs too briefly for a sure sample.
assert cpu or sys.argv[2] == "0", "no CPU slices"
assert sorted(e["dur"] for e in kern) == [2000.0] * 3 + [5000.0] * 2
ts = [e["ts"] for e in api + kern + cpu]
assert max(ts) - min(ts) < 10e6, (min(ts), max(ts))  # one clock: within the run
assert not cpu or {e["pid"] for e in kern} <= {e["pid"] for e in cpu}, "kernels off the program"
PY
}

"$SCORCH" record --gpu -o "$TMP/auto" -- "$APP" >"$TMP/auto.out" 2>"$TMP/auto.err" ||
	fail "record --gpu: $(cat "$TMP/auto.err")"
grep -q '^scorch record: --gpu: NVML (libnvidia-ml.so.1) not found' "$TMP/auto.err" || fail "no NVML line: $(cat "$TMP/auto.err")"
perf=1
grep -q 'with the signal backend instead' "$TMP/auto.err" && perf=0 # perf refused here
check "$TMP/auto" $perf
ok "record --gpu: the kernel trace beside the CPU profile, one clock"

"$SCORCH" record --gpu --backend signal -o "$TMP/sig" -- "$APP" >"$TMP/sig.out" 2>"$TMP/sig.err" ||
	fail "record --gpu --backend signal: $(cat "$TMP/sig.err")"
check "$TMP/sig" 0
ok "record --gpu --backend signal: its agent and the kernel trace, each its own file"
