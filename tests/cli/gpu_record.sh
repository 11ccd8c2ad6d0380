#!/usr/bin/env bash
# gpu_record.sh: scorch record --gpu against the fake libnvidia-ml.so.1: the NVML counters in
# trace.json beside the CPU slices, on one time axis (the sampler starts before the command and
# stops after it, so its first and last samples bracket every CPU slice: only when both use one
# clock), metrics.csv and gpu.svg beside the profile; with --trace (perf backend) the spans and
# the counters in one trace.json; without NVML one line and the recording goes on.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
command -v python3 >/dev/null || skip "python3 is needed to read the JSON outputs"
FAKE=$BUILD/tests/fake/nvml
cat >"$TMP/script" <<'S'
name 0 Fake GPU
util 0 42
mem 0 1000 2000
power 0 90000
S
export SCORCH_FAKE_NVML="$TMP/script" SCORCH_NVML_LIB="$FAKE/libnvidia-ml.so.1"
P=$(prog hot)

check() { # DIR [spans]: trace.json has CPU slices inside the GPU samples' range, and counters
	python3 - "$@" <<'PY'
import csv, json, sys
d = sys.argv[1]
t = json.load(open(d + "/trace.json"))["traceEvents"]
G = 0x40000000
cpu = [e for e in t if e["ph"] == "X" and e.get("cat") != "span"]
util = [e for e in t if e["ph"] == "C" and e["pid"] == G and e["name"] == "utilization (%)"]
assert cpu, "no CPU slices"
assert len(util) >= 2 and all(e["args"]["value"] == 42 for e in util), util[:3]
names = [e["args"]["name"] for e in t if e["ph"] == "M" and e["name"] == "process_name" and e["pid"] == G]
assert names == ["GPU 0: Fake GPU"], names
first, last = util[0]["ts"], util[-1]["ts"]
lo, hi = min(e["ts"] for e in cpu), max(e["ts"] + e["dur"] for e in cpu)
assert first <= lo and hi <= last + 1000, f"CPU slices {lo}..{hi} outside the GPU samples {first}..{last}"
rows = list(csv.DictReader(open(d + "/metrics.csv")))
assert len(rows) == len(util), (len(rows), len(util))
assert rows[0]["mem_used_bytes"] == "1000" and {r["mem_used_bytes"] for r in rows[1:]} == {"2000"}
if len(sys.argv) > 2:
    assert any(e["ph"] == "X" and e.get("cat") == "span" for e in t), "no spans"
PY
}

"$SCORCH" record --gpu -o "$TMP/rec" -- "$P" >"$TMP/out" 2>"$TMP/err" ||
	fail "scorch record --gpu failed: $(cat "$TMP/err")"
for f in profile.pb.gz flamegraph.html trace.json metrics.csv gpu.svg; do
	[ -s "$TMP/rec/$f" ] || fail "$f was not written"
done
grep -qE '^scorch record: --gpu: [0-9]+ samples of 1 GPU; wrote ' "$TMP/err" || fail "summary: $(cat "$TMP/err")"
check "$TMP/rec" || fail "record --gpu: trace.json and metrics.csv"
ok "record --gpu: counters beside the CPU slices on one axis"

SCORCH_NVML_LIB="$TMP/none/libnvidia-ml.so.1" "$SCORCH" record --gpu -o "$TMP/nl" -- "$P" \
	>/dev/null 2>"$TMP/err" || fail "record --gpu without NVML failed: $(cat "$TMP/err")"
grep -qxF "scorch record: --gpu: NVML (libnvidia-ml.so.1) not found: no NVIDIA driver on this machine; GPU metrics are off" \
	"$TMP/err" || fail "no NVML: $(cat "$TMP/err")"
[ -s "$TMP/nl/profile.pb.gz" ] || fail "no NVML: no profile"
[ ! -e "$TMP/nl/metrics.csv" ] || fail "no NVML: a metrics.csv"
ok "record --gpu without NVML: one line, the profile all the same"

require_perf
T=$(prog trace_known)
"$SCORCH" record --gpu --trace -o "$TMP/both" -- "$T" >/dev/null 2>"$TMP/err" ||
	fail "record --gpu --trace failed: $(cat "$TMP/err")"
check "$TMP/both" spans || fail "record --gpu --trace: trace.json"
ok "record --gpu --trace: spans and counters in one trace.json"
