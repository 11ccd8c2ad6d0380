#!/usr/bin/env bash
# run_gates.sh: scorch run's CI gates and its configuration. heap_basic.c peaks at 106300 bytes
# and leaks 4192: a peak gate of 0.05 MiB fails with its one line and exit 3, one of 1 MiB passes;
# a leak gate of 4000 bytes fails. A CPU baseline of hot.c (hot_a 50%): loops.c (loops_a 60%, no
# hot_a) fails the per-function gate, hot.c again passes it. scorch.toml's values reach the
# session and --set overrides them; a bad file is refused with file:line and key, exit 2, and no
# folder is left.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
command -v python3 >/dev/null || skip "python3 is needed to read session.json"
HOT=$(prog hot)
HB=$(prog heap_basic)
LOOPS=$(prog loops)
P="$TMP/profiles"

# jq_py FILE EXPR: prints a Python expression over session.json's document `s`.
jq_py()
{
	python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print($2)" "$1"
}

rc=0
"$SCORCH" run --mode memory -o "$P" --set thresholds.max_peak_usage_mb=0.05 -- "$HB" \
	>"$TMP/o1" 2>"$TMP/e1" || rc=$?
[ "$rc" -eq 3 ] || fail "a failing peak gate exited $rc, not 3 ($(cat "$TMP/e1"))"
grep -qxF 'gate memory.peak: 104 KiB > 51.2 KiB (max_peak_usage_mb = 0.05)' "$TMP/e1" ||
	fail "no gate line for the peak: $(cat "$TMP/e1")"
S=$(readlink -f "$P/latest")
[ "$(jq_py "$S/session.json" 's["result"], s["gates"][0]["name"], s["gates"][0]["value"]')" = \
	"fail memory.peak 106300" ] || fail "session.json's gates: $(cat "$S/session.json")"
grep -q '^| memory.peak | FAIL | gate memory.peak: 104 KiB > 51.2 KiB' "$S/report.md" ||
	fail "report.md does not list the failed gate"
ok "peak gate fails: exit 3, its line, session.json and report.md"

cat >"$TMP/ok.toml" <<'TOML'
[profiling]
sample_rate_hz = 250

[thresholds]
max_peak_usage_mb = 1
max_allocation_size_mb = 1
leak_detection_threshold_bytes = 8192
TOML
"$SCORCH" run --mode memory -o "$P" --config "$TMP/ok.toml" -- "$HB" >"$TMP/o2" 2>"$TMP/e2" ||
	fail "passing gates exited $? ($(cat "$TMP/e2"))"
S=$(readlink -f "$P/latest")
[ "$(jq_py "$S/session.json" 's["result"], len(s["gates"]), s["config"]["sample_rate_hz"]')" = \
	"pass 3 250" ] || fail "session.json: $(cat "$S/session.json")"
grep -q '^gate' "$TMP/e2" && fail "a passing gate printed a line: $(cat "$TMP/e2")"
ok "gates within their limits pass; the file's sample_rate_hz reaches session.json"

rc=0
"$SCORCH" run --mode memory -o "$P" --config "$TMP/ok.toml" \
	--set thresholds.leak_detection_threshold_bytes=4000 --set profiling.sample_rate_hz=300 \
	-- "$HB" >"$TMP/o3" 2>"$TMP/e3" || rc=$?
[ "$rc" -eq 3 ] || fail "a failing leak gate exited $rc, not 3"
grep -qxF 'gate memory.leaks: 4.09 KiB > 3.91 KiB (leak_detection_threshold_bytes = 4000)' \
	"$TMP/e3" || fail "no gate line for the leaks: $(cat "$TMP/e3")"
[ "$(grep -c '^gate' "$TMP/e3")" -eq 1 ] || fail "more than the leak gate failed"
[ "$(jq_py "$(readlink -f "$P/latest")/session.json" 's["config"]["sample_rate_hz"]')" = 300 ] ||
	fail "--set did not override the file's sample_rate_hz"
ok "leak gate fails; --set overrides the file"

# CPU baseline: a session of hot, then loops against it (fails), then hot against it (passes).
"$SCORCH" run --mode cpu -o "$P" --name base -- "$HOT" 0.4 >"$TMP/o4" 2>"$TMP/e4" ||
	fail "the baseline run exited $?"
BASE=$(readlink -f "$P/latest")
rc=0
"$SCORCH" run --mode cpu -o "$P" --baseline "$BASE" -- "$LOOPS" 0.4 >"$TMP/o5" 2>"$TMP/e5" ||
	rc=$?
[ "$rc" -eq 3 ] || fail "loops against hot's baseline exited $rc, not 3 ($(cat "$TMP/e5"))"
grep -qE '^gate cpu.function: loops_a self \+[0-9.]+ points over the baseline > 5 \(cpu_regression_function_pct = 5\)$' \
	"$TMP/e5" || fail "no cpu.function gate line: $(cat "$TMP/e5")"
rc=0
"$SCORCH" run --mode cpu -o "$P" --baseline "$BASE/cpu/profile.pb.gz" \
	--set thresholds.cpu_regression_function_pct=15 -- "$HOT" 0.4 >"$TMP/o6" 2>"$TMP/e6" || rc=$?
[ "$rc" -eq 0 ] || fail "hot against its own baseline exited $rc ($(cat "$TMP/e6"))"
[ "$(jq_py "$(readlink -f "$P/latest")/session.json" 's["gates"][0]["name"], s["gates"][0]["failed"]')" = \
	"cpu.function False" ] || fail "session.json lacks the passing cpu.function gate"
ok "CPU baseline: loops fails the function gate, hot passes it"

# A bad configuration: file:line and key, exit 2, nothing written.
printf '[profiling]\nsample_rate = 5\n' >"$TMP/bad.toml"
rc=0
"$SCORCH" run --mode cpu -o "$TMP/none" --config "$TMP/bad.toml" -- "$HOT" 0.01 \
	>"$TMP/o7" 2>"$TMP/e7" || rc=$?
[ "$rc" -eq 2 ] || fail "a bad config exited $rc, not 2"
grep -q "bad.toml:2:[0-9]*: .*sample_rate" "$TMP/e7" || fail "the error lacks file:line and key: $(cat "$TMP/e7")"
[ ! -e "$TMP/none" ] || fail "a bad config left $TMP/none"
rc=0
"$SCORCH" run --mode cpu,bogus -o "$TMP/none" -- "$HOT" >/dev/null 2>"$TMP/e8" || rc=$?
[ "$rc" -eq 2 ] && grep -q "unknown mode 'bogus'" "$TMP/e8" || fail "--mode bogus: exit $rc"
[ ! -e "$TMP/none" ] || fail "a bad --mode left $TMP/none"
ok "a bad config and a bad mode: exit 2, named, no folder"
rc=0
"$SCORCH" run --mode memory -o "$TMP/none" --set thresholds.max_peak_usage_mb=abc -- "$HB" \
	>/dev/null 2>"$TMP/e9" || rc=$?
[ "$rc" -eq 2 ] && grep -qF "scorch run: --set 'thresholds.max_peak_usage_mb=abc': thresholds.max_peak_usage_mb: 'abc' is not a number" "$TMP/e9" ||
	fail "a bad --set value: exit $rc, $(cat "$TMP/e9")"
[ ! -e "$TMP/none" ] || fail "a bad --set left $TMP/none"
ok "a bad --set value: exit 2, named, no folder"
