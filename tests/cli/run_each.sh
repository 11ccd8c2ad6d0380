#!/usr/bin/env bash
# run_each.sh: scorch run --each (one session per command line of a file, a table at the end,
# the worst exit status) and --compare (two sessions: the CPU profiles as scorch diff compares
# them, heap_basic.c's heap totals side by side).
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
HOT=$(prog hot)
HB=$(prog heap_basic)
LOOPS=$(prog loops)
P="$TMP/profiles"

cat >"$TMP/cmds.txt" <<TXT
# the programs of a suite, one per line

$HB
sh -c 'echo "a b" >"$TMP/said"; exit 4'
$HB  extra-arg
TXT
rc=0
"$SCORCH" run --each "$TMP/cmds.txt" --mode memory -o "$P" --set thresholds.max_peak_usage_mb=1 \
	>"$TMP/o1" 2>"$TMP/e1" || rc=$?
[ "$rc" -eq 1 ] || fail "--each with a failing line exited $rc, not 1 ($(cat "$TMP/e1"))"
[ "$(cat "$TMP/said")" = "a b" ] || fail "the quoted command line was not split as a shell does"
grep -q "^scorch run --each $TMP/cmds.txt: 3 sessions$" "$TMP/o1" || fail "no summary: $(cat "$TMP/o1")"
for l in "^0 .*/heap_basic-[0-9-]* .*heap_basic\$" "^1 .*/sh-[0-9-]* .*exit 4'\$" \
	"^0 .*/heap_basic-[0-9-]* .*heap_basic  extra-arg\$"; do
	grep -qE "$l" "$TMP/o1" || fail "the table lacks a row matching $l: $(cat "$TMP/o1")"
done
grep -q '^scorch run: --each: line 4: sh -c' "$TMP/e1" || fail "line numbers count blank lines"
[ "$(ls -d "$P"/*-*/ | wc -l)" -eq 3 ] || fail "expected 3 session folders: $(ls "$P")"
ok "--each: 3 sessions, a table, exit 1 for the failing line"

printf '%s --peak\n' "$HB" >"$TMP/gate.txt"
rc=0
"$SCORCH" run --each "$TMP/gate.txt" --mode memory -o "$TMP/g" --set thresholds.max_peak_usage_mb=0.05 \
	>"$TMP/o2" 2>"$TMP/e2" || rc=$?
[ "$rc" -eq 3 ] || fail "--each with a failing gate exited $rc, not 3"
grep -qE '^3 ' "$TMP/o2" || fail "the table does not show the gate's status 3"
printf "%s 'unclosed\n" "$HB" >"$TMP/bad.txt"
rc=0
"$SCORCH" run --each "$TMP/bad.txt" --mode memory -o "$TMP/b" >/dev/null 2>"$TMP/e3" || rc=$?
[ "$rc" -eq 2 ] && grep -q "unclosed quote" "$TMP/e3" || fail "an unclosed quote: exit $rc"
[ ! -e "$TMP/b" ] || fail "a bad --each file ran something"
ok "--each: a gate's exit 3; a bad line refused before anything runs"

# --compare: two CPU sessions of different programs, two memory sessions of the same.
"$SCORCH" run --mode cpu,memory -o "$P" --name a -- "$HOT" 0.3 >/dev/null 2>&1 || fail "session a"
A=$(readlink -f "$P/latest")
"$SCORCH" run --mode cpu,memory -o "$P" --name b -- "$LOOPS" 0.3 >/dev/null 2>&1 || fail "session b"
B=$(readlink -f "$P/latest")
"$SCORCH" run --compare "$A" "$B" >"$TMP/cmp" 2>"$TMP/ecmp" || fail "--compare exited $? ($(cat "$TMP/ecmp"))"
grep -q '^largest self growth: loops_a ' "$TMP/cmp" || fail "the CPU diff lacks loops_a: $(cat "$TMP/cmp")"
grep -q 'hot_a .*(gone)' "$TMP/cmp" || fail "the CPU diff lacks hot_a gone"
grep -q '^gpu: in neither session$' "$TMP/cmp" || fail "gpu is not said to be in neither session"
# gpu/gpu.pb.gz is compared as the CPU profiles are (a stand-in: each session's CPU profile).
mkdir -p "$A/gpu" "$B/gpu" && cp "$A/cpu/profile.pb.gz" "$A/gpu/gpu.pb.gz" && cp "$B/cpu/profile.pb.gz" "$B/gpu/gpu.pb.gz"
"$SCORCH" run --compare "$A" "$B" >"$TMP/cmp3" 2>&1 || fail "--compare with gpu/ exited $?"
[ "$(grep -c '^largest self growth: loops_a ' "$TMP/cmp3")" -eq 2 ] && grep -q '^gpu:$' "$TMP/cmp3" ||
	fail "gpu/gpu.pb.gz was not compared: $(cat "$TMP/cmp3")"
"$SCORCH" run --mode memory -o "$P" --name c -- "$HB" >/dev/null 2>&1 || fail "session c"
C=$(readlink -f "$P/latest")
"$SCORCH" run --mode memory -o "$P" --name d -- "$HB" >/dev/null 2>&1 || fail "session d"
D=$(readlink -f "$P/latest")
"$SCORCH" run --compare "$C" "$D" >"$TMP/cmp2" || fail "--compare of two memory sessions failed"
grep -qE '^  peak +104 KiB +104 KiB +\+0\.0%$' "$TMP/cmp2" &&
	grep -qE '^  leaked +4\.09 KiB +4\.09 KiB +\+0\.0%$' "$TMP/cmp2" &&
	grep -qE '^  allocations +22 +22 +\+0\.0%$' "$TMP/cmp2" ||
	fail "the heap totals side by side: $(cat "$TMP/cmp2")"
grep -q '^cpu: in neither session$' "$TMP/cmp2" || fail "cpu is not said to be in neither"
rc=0
"$SCORCH" run --compare "$C" "$TMP" >/dev/null 2>"$TMP/e4" || rc=$?
[ "$rc" -eq 2 ] && grep -q "is not a session folder" "$TMP/e4" || fail "--compare of a non-session: exit $rc"
ok "--compare: the CPU diff, the heap totals side by side, a non-session refused"
