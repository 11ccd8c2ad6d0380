#!/usr/bin/env bash
# gpu_metrics.sh: scorch gpu --metrics-only against the fake libnvidia-ml.so.1 (tests/fake/nvml/),
# whose script says exactly what each sample sees (gpu_check.py checks metrics.csv, trace.json and
# the summary against it):
#   - the current API: every metric, GPM's SM activity from the second sample on, the command's
#     processes (the fake's children of scorch) counted and pid 1's memory not, a device without
#     most metrics (NOT_SUPPORTED: empty cells, no message), an error code named once;
#   - an old driver's library (no _v2/_v3 entry points, no GPM, no energy): the fallbacks give the
#     same values, the missing functions named in one line;
#   - a library without nvmlDeviceGetCount, an nvmlInit that fails, no library: clear lines, exit
#     1 with --metrics-only and no output folder; without --metrics-only the run goes on;
#   - the command's exit status is scorch's; bad --interval values are refused.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
FAKE=$BUILD/tests/fake/nvml
[ -f "$FAKE/libnvidia-ml.so.1" ] || fail "the fake NVML is not built: $FAKE/libnvidia-ml.so.1"
CHECK="$SRCDIR/tests/cli/gpu_check.py"

cat >"$TMP/script" <<'S'
devices 2
name 0 Fake H100, 80GB     # a comma: quoted in metrics.csv
uuid 0 GPU-fake-0
util 0 50
memutil 0 20
mem 0 1073741824 3221225472
memtotal 0 8589934592
power 0 150000
energy 0 1000 2500
clock_sm 0 1500
clock_mem 0 5000
temp 0 60
pcie_tx 0 100
pcie_rx 0 200
gpm 0 75
procmem 0 104857600
procutil 0 30
foreign 0 1 4096
util 1 10
mem 1 0
power 1 30000
error nvmlDeviceGetTemperature 15
S
export SCORCH_FAKE_NVML="$TMP/script"

run() { # LIB OUT: scorch gpu --metrics-only on a command that runs 0.6 s and exits 3
	SCORCH_NVML_LIB="$1" "$SCORCH" gpu --metrics-only -i 50ms -o "$2" -- \
		sh -c 'sleep 0.6; exit 3' >"$2.out" 2>"$2.err"
}

run "$FAKE/libnvidia-ml.so.1" "$TMP/new"
rc=$?
[ "$rc" = 3 ] || fail "exit $rc, want the command's 3: $(cat "$TMP/new.err")"
python3 "$CHECK" "$TMP/new" "$TMP/new.out" new || fail "the current API's outputs"
n=$(grep -c 'nvmlDeviceGetTemperature (GPU 0): GPU is lost (NVML error 15)' "$TMP/new.err")
[ "$n" = 1 ] || fail "the error code named $n times, want once: $(cat "$TMP/new.err")"
[ "$(wc -l <"$TMP/new.err")" = 1 ] || fail "more on stderr than the error: $(cat "$TMP/new.err")"
grep -q 'Not Supported' "$TMP/new.err" && fail "NOT_SUPPORTED was named"
ok "current API: values, absent metrics, one error named"

run "$FAKE/old/libnvidia-ml.so.1" "$TMP/old"
rc=$?
[ "$rc" = 3 ] || fail "old API: exit $rc: $(cat "$TMP/old.err")"
python3 "$CHECK" "$TMP/old" "$TMP/old.out" old || fail "the old API's outputs"
grep -q 'libnvidia-ml.so.1 lacks nvmlDeviceGetTotalEnergyConsumption, nvmlGpmQueryDeviceSupport' \
	"$TMP/old.err" || fail "old API: missing functions not named: $(cat "$TMP/old.err")"
ok "old API: the fallbacks give the scripted values"

SCORCH_NVML_LIB="$FAKE/nocount/libnvidia-ml.so.1" "$SCORCH" gpu --metrics-only -o "$TMP/nc" -- true \
	2>"$TMP/nc.err"
rc=$?
[ "$rc" = 1 ] || fail "no nvmlDeviceGetCount: exit $rc, want 1"
grep -q "^scorch gpu: NVML: .*libnvidia-ml.so.1 has no nvmlDeviceGetCount_v2; GPU metrics are off$" \
	"$TMP/nc.err" || fail "no nvmlDeviceGetCount: $(cat "$TMP/nc.err")"
[ ! -e "$TMP/nc" ] || fail "an output folder was left"

echo "error nvmlInit 9" >"$TMP/initfail"
SCORCH_FAKE_NVML="$TMP/initfail" SCORCH_NVML_LIB="$FAKE/libnvidia-ml.so.1" \
	"$SCORCH" gpu --metrics-only -o "$TMP/if" -- true 2>"$TMP/if.err"
rc=$?
[ "$rc" = 1 ] || fail "nvmlInit failing: exit $rc, want 1"
grep -q "^scorch gpu: NVML: nvmlInit_v2 failed: Driver Not Loaded (NVML error 9); GPU metrics are off$" \
	"$TMP/if.err" || fail "nvmlInit failing: $(cat "$TMP/if.err")"
ok "a missing function and a failing nvmlInit are named"

msg="scorch gpu: NVML (libnvidia-ml.so.1) not found: no NVIDIA driver on this machine; GPU metrics are off"
SCORCH_NVML_LIB="$TMP/none/libnvidia-ml.so.1" "$SCORCH" gpu --metrics-only -o "$TMP/nl" -- true \
	>"$TMP/nl.out" 2>"$TMP/nl.err"
rc=$?
[ "$rc" = 1 ] || fail "no library, --metrics-only: exit $rc, want 1"
[ "$(cat "$TMP/nl.err")" = "$msg" ] || fail "no library: $(cat "$TMP/nl.err")"
[ ! -e "$TMP/nl" ] || fail "no library: an output folder was left"
SCORCH_NVML_LIB="$TMP/none/libnvidia-ml.so.1" "$SCORCH" gpu -o "$TMP/nl2" -- sh -c 'exit 4' \
	>"$TMP/nl2.out" 2>"$TMP/nl2.err"
rc=$?
[ "$rc" = 4 ] || fail "no library, without --metrics-only: exit $rc, want the command's 4"
grep -qxF "$msg" "$TMP/nl2.err" || fail "no library: $(cat "$TMP/nl2.err")"
ok "no library: the clear line, exit 1 with --metrics-only, the run goes on without"

for i in 0 1x -5ms 0.5us 2h inf; do
	"$SCORCH" gpu -i "$i" -- true 2>"$TMP/err"
	rc=$?
	[ "$rc" = 2 ] || fail "-i $i: exit $rc, want 2"
	grep -q -- "--interval" "$TMP/err" || fail "-i $i: $(cat "$TMP/err")"
done
for i in 50ms 0.5s 1s 1; do
	SCORCH_NVML_LIB="$FAKE/libnvidia-ml.so.1" "$SCORCH" gpu -q --metrics-only -i "$i" \
		-o "$TMP/i$i" -- true 2>"$TMP/err" || fail "-i $i refused: $(cat "$TMP/err")"
done
grep -q "every 500 ms" <(SCORCH_NVML_LIB="$FAKE/libnvidia-ml.so.1" "$SCORCH" gpu --metrics-only \
	-i 0.5s -o "$TMP/half" -- true 2>/dev/null) || fail "-i 0.5s is not 500 ms"
"$SCORCH" gpu 2>"$TMP/err"
[ $? = 2 ] || fail "no command: want exit 2"
ok "intervals: 50ms, 0.5s, 1s accepted; bad ones refused"
