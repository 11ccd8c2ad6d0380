#!/usr/bin/env bash
# chrome_times.sh: `report --format chrome` is a timeline and needs per-sample times. A profile
# without them (folded stacks, perf script text read as an aggregate) used to get every slice at
# ts 0; now it is refused as bad usage, naming what is missing, and -o FILE is left alone
# (issue 8, item 16). perf script text with times still gives a trace at its real times.
. "$(dirname "$0")/lib.sh"
make_tmp
printf 'main;a 3\nmain;b 2\n' >"$TMP/in.folded"
echo previous >"$TMP/trace.json"

rc=0
"$SCORCH" report --format chrome -o "$TMP/trace.json" "$TMP/in.folded" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 2 ] || fail "--format chrome on folded stacks exited $rc, expected 2"
grep -qF "scorch report: --format chrome is a timeline and needs per-sample times, which '$TMP/in.folded' does not have" "$TMP/err" ||
	fail "the message does not say what is missing: $(cat "$TMP/err")"
[ "$(cat "$TMP/trace.json")" = previous ] || fail "-o trace.json was replaced"
ok "folded input: exit 2, $(cat "$TMP/err")"

rc=0
"$SCORCH" report --format chrome - <"$TMP/in.folded" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 2 ] || fail "--format chrome on standard input exited $rc, expected 2"
[ ! -s "$TMP/out" ] || fail "a trace was written to standard output"
ok "standard input: exit 2"

"$SCORCH" report --format chrome "$SRCDIR/tests/data/perfscript/hot-callchain.txt" >"$TMP/t.json" ||
	fail "--format chrome on perf script text failed"
python3 - "$TMP/t.json" <<'PY' || fail "the trace of perf script text has slices at ts 0"
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"] == "X"]
assert ev and all(e["ts"] > 0 for e in ev), "ts 0"
PY
ok "perf script text: every slice at its sample's time"
