#!/usr/bin/env bash
# perf_shapes.sh: `perf script` texts of the shapes of FlameGraph's own test files
# (tests/data/peers/, hand-written) read as FlameGraph reads them (issue 8, items 16, 19, 20, 21):
# sniffed as perf script (not folded stacks) even when the first sample has no frames or the
# frames are not indented; each event its own sample type; `--format folded` gives the lines of
# FlameGraph's stackcollapse-perf.pl, with the process name as root frame and --root pid/tid.
. "$(dirname "$0")/lib.sh"
make_tmp
data=$SRCDIR/tests/data/peers

# folded INPUT EXPECTED [ROOT]: scorch's folded output of INPUT equals EXPECTED.
folded()
{
	local in=$1 want=$2 root=${3:-}
	"$SCORCH" report --format folded ${root:+--root "$root"} "$data/$in" >"$TMP/out" 2>"$TMP/err" ||
		fail "report --format folded ${root:+--root $root} $in failed: $(cat "$TMP/err")"
	diff -u "$data/$want" "$TMP/out" >"$TMP/diff" ||
		fail "folded output of $in ${root:+(--root $root) }differs from $want: $(cat "$TMP/diff")"
	ok "$in ${root:+--root $root }-> $want"
}

folded java-jit.txt java-jit.folded
folded java-jit.txt java-jit.folded comm
folded java-jit.txt java-jit-tid.folded tid
folded java-unindented.txt java-unindented-pid.folded pid
folded events-mix.txt events-mix.folded
folded noframes.txt noframes.folded
# The same through standard input (the streamed path).
"$SCORCH" report --format folded - <"$data/java-unindented.txt" >"$TMP/stdin.out" 2>&1 ||
	fail "reading java-unindented.txt from stdin failed: $(cat "$TMP/stdin.out")"
grep -qx 'java;start_thread;java/io/PrintStream:::print;native_write_msr_safe 1' "$TMP/stdin.out" ||
	fail "stdin: unexpected output: $(cat "$TMP/stdin.out")"
ok "stdin reads the same"
# --root none: no process names.
"$SCORCH" report --format folded --root none "$data/events-mix.txt" >"$TMP/none.out"
printf 'main 2\nmain;cksum 1\n' | diff -u - "$TMP/none.out" || fail "--root none kept a root"
ok "--root none"
rc=0
"$SCORCH" report --root bogus "$data/events-mix.txt" >/dev/null 2>"$TMP/err" || rc=$?
[ $rc = 2 ] && grep -q "unknown --root 'bogus' (valid: comm, pid, tid, none)" "$TMP/err" ||
	fail "--root bogus: exit $rc, $(cat "$TMP/err")"
ok "--root bogus is a usage error"

# Item 20: instructions and cycles are never added up; the first event is shown by default.
"$SCORCH" report "$data/events-mix.txt" >"$TMP/report.txt" 2>&1 || fail "report events-mix.txt failed"
grep -q '^total: 3 instructions (count)' "$TMP/report.txt" ||
	fail "expected 'total: 3 instructions': $(head -1 "$TMP/report.txt")"
"$SCORCH" report --sample-type cycles "$data/events-mix.txt" >"$TMP/cycles.txt" 2>&1
grep -q '^total: 1 cycles (count)' "$TMP/cycles.txt" ||
	fail "expected 'total: 1 cycles': $(head -1 "$TMP/cycles.txt")"
rc=0
"$SCORCH" report --sample-type samples "$data/events-mix.txt" >/dev/null 2>"$TMP/err" || rc=$?
[ $rc = 2 ] && grep -q "this profile has: instructions, cycles" "$TMP/err" ||
	fail "a 'samples' type adding events up exists: exit $rc $(cat "$TMP/err")"
ok "events are separate sample types: $(head -1 "$TMP/report.txt"); $(head -1 "$TMP/cycles.txt")"
"$SCORCH" report --format json "$data/events-mix.txt" >"$TMP/r.json" || fail "json report failed"
grep -q '"instructions"' "$TMP/r.json" || fail "the JSON report does not name instructions"
ok "json names the event"
