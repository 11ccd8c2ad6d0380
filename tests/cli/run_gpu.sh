#!/usr/bin/env bash
# run_gpu.sh: scorch run's gpu mode on gpu_app (tests/programs/gpu_app.c) with the stand-ins of
# gpu_kernels.sh (libcuda.so.1 and libcupti.so of tests/fake/cuda, whose script
# gpu_kernels.script fixes every GPU time) and of gpu_metrics.sh (libnvidia-ml.so.1 of
# tests/fake/nvml):
#   - NVML and CUPTI: the mode ok; gpu/ holds what scorch gpu writes, index.html links it,
#     report.md's GPU section names reduce (2 calls, 10.000 ms) and axpy (3 calls, 6.000 ms),
#     session.json says ok;
#   - the gpu mode beside the others (all, or memory,gpu where perf events are not allowed);
#   - no NVML: the kernels still, the mode ok with a note naming NVML;
#   - neither NVML nor CUPTI: the mode skipped with both reasons, the session still passes;
#   - --compare of two GPU sessions (axpy 2 ms a launch, then 3 ms): the kernels' GPU time diffed.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
FAKE=$BUILD/tests/fake/cuda
[ -f "$FAKE/libcupti.so" ] || skip "no CUDA headers at build time: libscorch-cupti.so and the stand-ins are not built"
APP=$(prog gpu_app)
P="$TMP/profiles"
export SCORCH_FAKE_CUDA="$SRCDIR/tests/cli/gpu_kernels.script"
export SCORCH_CUPTI_LIB="$FAKE/libcupti.so"
echo "devices 1" >"$TMP/nvml.script"
export SCORCH_FAKE_NVML="$TMP/nvml.script"
export SCORCH_NVML_LIB="$BUILD/tests/fake/nvml/libnvidia-ml.so.1"

# check_mode SESSION MODE STATUS REASON-REGEX: session.json's entry for MODE.
check_mode()
{
	python3 - "$1/session.json" "$2" "$3" "$4" <<'PY'
import json, re, sys
s = json.load(open(sys.argv[1]))
m = {x["mode"]: x for x in s["modes"]}[sys.argv[2]]
assert m["status"] == sys.argv[3], m
assert re.fullmatch(sys.argv[4], m["reason"]), m
assert s["result"] == "pass", s["result"]
PY
}

"$SCORCH" run --mode gpu -o "$P" --name full -- "$APP" >"$TMP/o1" 2>"$TMP/e1" ||
	fail "run --mode gpu exited $? ($(cat "$TMP/e1"))"
S=$(readlink -f "$P/latest")
grep -q '^scorch run: gpu: ok$' "$TMP/e1" || fail "no 'gpu: ok' line: $(cat "$TMP/e1")"
check_mode "$S" gpu ok '' || fail "session.json: $(cat "$S/session.json")"
for f in metrics.csv gpu.svg trace.json kernels.txt kernels.json gpu.pb.gz flamegraph.html summary.txt; do
	[ -s "$S/gpu/$f" ] || fail "no gpu/$f"
	grep -q "<a href=\"gpu/$f\">$f</a>" "$S/index.html" || fail "index.html does not link gpu/$f"
done
grep -q '^[0-9.]*,0,Fake GPU 0,GPU-fake-0,' "$S/gpu/metrics.csv" ||
	fail "metrics.csv has no sample of the stand-in NVML's GPU: $(head -3 "$S/gpu/metrics.csv")"
sed -n '/^## GPU$/,/^## /p' "$S/report.md" >"$TMP/gpu.md"
grep -q '^     10.000  62.5%      2     5.000 .*reduce$' "$TMP/gpu.md" &&
	grep -q '^      6.000  37.5%      3     2.000 .*axpy$' "$TMP/gpu.md" &&
	grep -q '^GPU kernels: 5 launches of 2 kernels, 16.000 ms of GPU time; 3 copies, 0.850 ms$' "$TMP/gpu.md" &&
	grep -q '^| reduce | 10 ms | 59.3% |' "$TMP/gpu.md" && grep -q '^| axpy | 6 ms | 35.6% |' "$TMP/gpu.md" ||
	fail "report.md's GPU section: $(cat "$TMP/gpu.md")"
grep -q 'Not measured' "$TMP/gpu.md" && fail "a note on a run with NVML and CUPTI: $(cat "$TMP/gpu.md")"
ok "gpu: the files, index.html's links, the kernels' totals in report.md, session.json"

# Beside the other modes (the cpu mode needs perf events).
if "$SCORCH" record -o "$TMP/probe" -- true >/dev/null 2>&1; then modes=all; else modes=memory,gpu; fi
"$SCORCH" run --mode "$modes" -o "$P" --name both -- "$APP" >"$TMP/o2" 2>"$TMP/e2" ||
	fail "run --mode $modes exited $? ($(cat "$TMP/e2"))"
S=$(readlink -f "$P/latest")
check_mode "$S" gpu ok '' && check_mode "$S" memory ok '' || fail "$modes: $(cat "$S/session.json")"
if [ "$modes" = all ]; then
	check_mode "$S" cpu ok '' && check_mode "$S" trace skipped '.*gpu_app does not link libscorch.*' ||
		fail "all: $(cat "$S/session.json")"
fi
diff -u "$TMP/profiles/full-"*/gpu/kernels.txt "$S/gpu/kernels.txt" || fail "$modes: kernels.txt differs"
[ -s "$S/memory/heap.json" ] || fail "$modes: no memory/heap.json"
ok "$modes: gpu and memory ok, the same kernels"

# No NVML: the kernel trace alone is a result; the note names NVML.
SCORCH_NVML_LIB="$TMP/no-nvml.so" "$SCORCH" run --mode gpu -o "$P" --name nonvml -- "$APP" \
	>"$TMP/o3" 2>"$TMP/e3" || fail "run without NVML exited $? ($(cat "$TMP/e3"))"
S=$(readlink -f "$P/latest")
nvml='NVML \(libnvidia-ml.so.1\) not found: no NVIDIA driver on this machine; GPU metrics are off'
check_mode "$S" gpu ok "$nvml" || fail "without NVML: $(cat "$S/session.json")"
grep -q '^     10.000  62.5%      2 .*reduce$' "$S/report.md" && grep -qE "^Not measured: $nvml\.$" "$S/report.md" ||
	fail "without NVML, report.md: $(cat "$S/report.md")"
ok "no NVML: gpu ok with the kernels, the note names NVML"

# Neither NVML nor CUPTI: skipped with both reasons, the session passes (exit 0).
SCORCH_NVML_LIB="$TMP/no-nvml.so" SCORCH_CUPTI_LIB="$TMP/no-cupti.so" \
	"$SCORCH" run --mode gpu -o "$P" --name none -- "$APP" >"$TMP/o4" 2>"$TMP/e4" ||
	fail "run without NVML and CUPTI exited $? ($(cat "$TMP/e4"))"
S=$(readlink -f "$P/latest")
check_mode "$S" gpu skipped "$nvml; CUPTI .*no kernel trace.*" || fail "neither: $(cat "$S/session.json")"
grep -qE "^scorch run: gpu: skipped \($nvml; CUPTI .*no kernel trace" "$TMP/e4" ||
	fail "no skipped line: $(cat "$TMP/e4")"
grep -qE "^Skipped: $nvml; CUPTI " "$S/report.md" || fail "report.md: $(cat "$S/report.md")"
ok "neither NVML nor CUPTI: skipped, both reasons, exit 0"

# --compare: axpy 3 ms a launch in the second session (9 ms, was 6 ms).
sed 's/^kernel axpy 2000000/kernel axpy 3000000/' "$SCORCH_FAKE_CUDA" >"$TMP/slow.script"
SCORCH_FAKE_CUDA="$TMP/slow.script" "$SCORCH" run --mode gpu -o "$P" --name slow -- "$APP" \
	>/dev/null 2>"$TMP/e5" || fail "the slow session: $(cat "$TMP/e5")"
"$SCORCH" run --compare "$P"/full-* "$(readlink -f "$P/latest")" >"$TMP/cmp" 2>"$TMP/ecmp" ||
	fail "--compare exited $? ($(cat "$TMP/ecmp"))"
sed -n '/^gpu:$/,$p' "$TMP/cmp" >"$TMP/cmp.gpu"
grep -q '^largest self growth: axpy +3.00ms (6.00ms -> 9.00ms),' "$TMP/cmp.gpu" &&
	grep -qE '^ +\+3\.00ms +\+50\.0% +6\.00ms -> 9\.00ms .* axpy$' "$TMP/cmp.gpu" ||
	fail "--compare's gpu part: $(cat "$TMP/cmp")"
grep -q 'reduce$' "$TMP/cmp.gpu" && fail "reduce (10 ms in both) is listed as changed: $(cat "$TMP/cmp.gpu")"
ok "--compare: axpy 6 ms -> 9 ms in the gpu part, reduce unchanged"
