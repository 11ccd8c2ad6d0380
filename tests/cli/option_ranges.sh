#!/usr/bin/env bash
# option_ranges.sh: numeric options are checked by the option parser (issue 8, item 10). inf and
# nan are never numbers (nan switched --from/--to/--duration gates off, inf kept everything or
# nothing), and each numeric option of report, diff and record has a range: a value outside it
# exits 2 with a message naming the option and the range, before any input is read or any
# command is run.
. "$(dirname "$0")/lib.sh"
make_tmp
timed="$SRCDIR/tests/data/perfscript/hot-callchain.txt"
folded="$SRCDIR/tests/data/diff/base.folded"

# refused "EXPECTED MESSAGE" scorch ARGS...: exits 2 and prints the message.
refused()
{
	local want=$1 rc=0
	shift
	"$SCORCH" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
	[ "$rc" -eq 2 ] || fail "scorch $* exited $rc, expected 2 ($(cat "$TMP/err"))"
	grep -qF -- "$want" "$TMP/err" || fail "scorch $*: expected '$want', got: $(cat "$TMP/err")"
	[ ! -s "$TMP/out" ] || fail "scorch $* wrote to standard output"
	ok "scorch $*: $(head -1 "$TMP/err")"
}

secs='must be a number of seconds between 0 and 1000000000'
for v in inf -inf nan NaN 1e308 -1 infinity; do
	refused "scorch report: --from $secs, not '$v'" report --from "$v" "$timed"
	refused "scorch report: --to $secs, not '$v'" report --to "$v" "$timed"
	refused "scorch record: --duration $secs, not '$v'" record --duration "$v" -- true
done
refused "--from $secs, not 'inf'" report --from=inf "$timed"
refused "scorch report: --top must be an integer between 0 and 1000000, not '-1'" \
	report -n -1 "$folded"
refused "scorch diff: --top must be an integer between 0 and 1000000, not '-3'" \
	diff --top -3 "$folded" "$folded"
refused "scorch diff: --fail-above must be a number of points between 0 and 100, not '-1'" \
	diff --fail-above -1 "$folded" "$folded"
refused "scorch diff: --fail-above must be a number of points between 0 and 100, not 'nan'" \
	diff --fail-above nan "$folded" "$folded"
refused "scorch record: --top must be an integer between 0 and 1000000, not '-1'" \
	record -n -1 -- true
refused "scorch record: --frequency must be an integer between 1 and 100000, not '0'" \
	record -F 0 -- true
refused "scorch record: --depth must be an integer between 1 and 1024, not '2000'" \
	record --depth 2000 -- true
refused "scorch record: --pid must be an integer between 1 and 4194304, or a comma-separated list of them, not '-5'" \
	record -p -5
refused "scorch record: --tid must be an integer between 1 and 4194304, or a comma-separated list of them, not '1,,2'" \
	record -t 1,,2
refused "scorch record: --pid must be an integer between 1 and 4194304, or a comma-separated list of them, not '12,x'" \
	record -p 12,x
refused "scorch record: --count must be an integer between 1 and 2147483647, not '0'" \
	record -c 0 -- true
refused "scorch record: --leaf-stack must be a whole number of bytes between 0 and 65528" \
	record --leaf-stack 70000 -- true
refused "scorch report: --top must be an integer between 0 and 1000000, not 'ten'" \
	report --top ten "$folded"
# bench compare's gates: nan and inf never turn them off.
refused "scorch bench: --noise must be a number between 0 and 1000, not 'nan'" bench compare --noise nan a b
refused "scorch bench: --fail-on-regression must be a number between 0 and 1000, not 'inf'" \
	bench compare --fail-on-regression inf a b

# The bounds themselves and ordinary values are accepted.
"$SCORCH" report --from 0.001 --to 1e9 "$timed" >/dev/null || fail "report --from 0.001 --to 1e9 refused"
"$SCORCH" report -n 0 "$folded" >/dev/null || fail "report -n 0 refused"
"$SCORCH" diff --fail-above 100 "$folded" "$folded" >/dev/null || fail "diff --fail-above 100 refused"
ok "values inside the ranges are accepted"
