#!/usr/bin/env bash
# gpu_kernels_errors.sh: what scorch gpu says when the kernel trace cannot be whole, against the
# stand-ins of tests/fake/cuda (gpu_kernels.script, plus one line per case):
#   - no CUPTI library: one clear line naming where it looked, the run and the metrics part go on;
#   - another tool holds CUPTI (cuptiSubscribe: MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED): its line;
#   - CUPTI dropped records: a warning with the count (also in kernels.json);
#   - the program crashes (abort) after step_b's launches: what was handed over is kept (axpy's
#     3 kernels, every API call and launch stack), reduce's kernels are lost, and it says so;
#   - a command that never starts CUDA: its line; no CUDA driver at all: its line.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
FAKE=$BUILD/tests/fake/cuda
[ -f "$FAKE/libcupti.so" ] || skip "no CUDA headers at build time: libscorch-cupti.so and the stand-ins are not built"
APP=$BUILD/tests/programs/gpu_app
SCRIPT="$SRCDIR/tests/cli/gpu_kernels.script"
export SCORCH_CUPTI_LIB="$FAKE/libcupti.so"
export SCORCH_NVML_LIB="$TMP/no-nvml.so"

run() { # NAME EXTRA-SCRIPT-LINE [ARGS...]: scorch gpu on gpu_app
	local name=$1 extra=$2
	shift 2
	{ cat "$SCRIPT"; echo "$extra"; } >"$TMP/$name.script"
	SCORCH_FAKE_CUDA="$TMP/$name.script" "$SCORCH" gpu -q -o "$TMP/$name" -- "$APP" "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err"
}

SCORCH_CUPTI_LIB="$TMP/none/libcupti.so" run nolib ""
rc=$?
[ "$rc" = 0 ] || fail "no CUPTI: exit $rc: $(cat "$TMP/nolib.err")"
grep -q "^scorch gpu: CUPTI (libcupti.so) not found: no kernel trace (SCORCH_CUPTI_LIB=$TMP/none/libcupti.so" "$TMP/nolib.err" ||
	fail "no CUPTI: $(cat "$TMP/nolib.err")"
grep -q '^scorch gpu: NVML' "$TMP/nolib.err" || fail "no CUPTI: the metrics part did not run"
[ -s "$TMP/nolib/metrics.csv" ] && [ -s "$TMP/nolib/trace.json" ] || fail "no CUPTI: no metrics.csv or trace.json"
grep -q '^GPU kernels: 0 launches' "$TMP/nolib/kernels.txt" || fail "no CUPTI: kernels.txt"
grep -q '^gpu_app: done' "$TMP/nolib.out" || fail "no CUPTI: the program did not run to its end"
ok "no CUPTI library: one line, the rest runs"

run held "subscribe 39"
[ $? = 0 ] || fail "CUPTI held: exit status: $(cat "$TMP/held.err")"
grep -q '^scorch gpu: CUPTI is held by another tool .*CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED' "$TMP/held.err" ||
	fail "CUPTI held: $(cat "$TMP/held.err")"
[ "$(grep -c '^scorch gpu: ' "$TMP/held.err")" = 2 ] || fail "CUPTI held: more than its line and NVML's: $(cat "$TMP/held.err")"
ok "CUPTI held by another subscriber: its line"

run dropped "dropped 5"
[ $? = 0 ] || fail "dropped: exit status: $(cat "$TMP/dropped.err")"
grep -q '^scorch gpu: CUPTI dropped 5 activity records' "$TMP/dropped.err" ||
	fail "dropped: $(cat "$TMP/dropped.err")"
python3 -c '
import json, sys
w = json.load(open(sys.argv[1]))["warnings"]
assert len(w) == 1 and w[0].startswith("CUPTI dropped 5 activity records"), w
' "$TMP/dropped/kernels.json" || fail "dropped: kernels.json's warnings"
ok "dropped records: a warning with the count"

run crash "" crash
rc=$?
[ "$rc" = 134 ] || fail "crash: exit $rc, want 134 (SIGABRT): $(cat "$TMP/crash.err")"
grep -q '^scorch gpu: the command was killed by signal 6' "$TMP/crash.err" || fail "crash: $(cat "$TMP/crash.err")"
grep -q '^scorch gpu: the command did not exit normally: the GPU activity CUPTI had not handed over then is lost' "$TMP/crash.err" ||
	fail "crash: no word of what is lost: $(cat "$TMP/crash.err")"
grep -q '^      6.000 100.0%      3     2.000 .* axpy$' "$TMP/crash/kernels.txt" || fail "crash: axpy's kernels: $(cat "$TMP/crash/kernels.txt")"
grep -q reduce "$TMP/crash/kernels.txt" && fail "crash: reduce's kernels were never handed over"
python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
n = sum(1 for e in ev if e.get("cat") == "cuda_api" and e["name"] == "cuLaunchKernel")
assert n == 5, n
' "$TMP/crash/trace.json" || fail "crash: the API calls of step_b are not all kept"
"$SCORCH" report "$TMP/crash/gpu.pb.gz" --format folded --root none | grep -q 'main;step_a;cuLaunchKernel;axpy 6000000$' ||
	fail "crash: the profile lost step_a's kernels"
ok "a crash: what was handed over is kept, the rest named as lost"

LD_LIBRARY_PATH="$FAKE" "$SCORCH" gpu -q -o "$TMP/nocuda" -- true >/dev/null 2>"$TMP/nocuda.err"
[ $? = 0 ] || fail "no CUDA: exit status"
grep -q '^scorch gpu: no process of the command started CUDA with libscorch-cupti.so' "$TMP/nocuda.err" ||
	fail "no CUDA: $(cat "$TMP/nocuda.err")"
ok "a command without CUDA: its line"

# No driver at all (this machine's case; not where a real libcuda.so.1 is installed).
if ! ls /usr/lib/x86_64-linux-gnu/libcuda.so.1 /usr/lib64/libcuda.so.1 /usr/lib/libcuda.so.1 \
	/lib/x86_64-linux-gnu/libcuda.so.1 /lib64/libcuda.so.1 /usr/lib/wsl/lib/libcuda.so.1 \
	/usr/local/nvidia/lib64/libcuda.so.1 /usr/lib/nvidia/libcuda.so.1 >/dev/null 2>&1; then
	LD_LIBRARY_PATH= "$SCORCH" gpu -q -o "$TMP/nodrv" -- true >/dev/null 2>"$TMP/nodrv.err"
	grep -q '^scorch gpu: no CUDA driver (libcuda.so.1) on this machine' "$TMP/nodrv.err" ||
		fail "no driver: $(cat "$TMP/nodrv.err")"
	ok "no CUDA driver: its line"
fi
