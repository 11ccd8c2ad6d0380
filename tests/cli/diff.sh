#!/usr/bin/env bash
# diff.sh: `scorch diff` on two folded profiles with known shares (tests/data/diff/README.md):
#   a 50% -> 30% (-20 pts, -40%), b 30% -> 50% (+20 pts, +66.67%), c 20% -> 20%, and the new run
#   has twice the samples, so only normalized shares (--normalize) give these numbers (the
#   absolute comparison is diff_time.sh's). Also: the text summary,
#   --fail-above's exit status, the differential flamegraph, pprof against folded input, errors.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
D="$SRCDIR/tests/data/diff"

"$SCORCH" diff --normalize --format json "$D/base.folded" "$D/new.folded" >"$TMP/diff.json" ||
	fail "scorch diff --format json exited $?"
check=$(python3 - "$TMP/diff.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
errs = []
def want(what, got, exp):
    if got != exp:
        errs.append("%s: got %r, expected %r" % (what, got, exp))
want("schema", (d["schema"], d["version"]), ("scorch.diff", 2))
want("comparison", (d["comparison"], d["normalized_by"], d["scale"]), ("shares", "request", 2))
want("totals", (d["base"]["total"], d["new"]["total"]), (100, 200))
want("slower names", [r["name"] for r in d["slower"]], ["b"])
want("faster names", [r["name"] for r in d["faster"]], ["a"])
b, a = d["slower"][0], d["faster"][0]
want("b self %", (b["base_self_pct"], b["new_self_pct"]), (30.0, 50.0))
want("b self pts/rel", (b["self_pts"], b["self_rel"]), (20.0, 66.67))
want("b total pts", b["total_pts"], 20.0)
want("a self %", (a["base_self_pct"], a["new_self_pct"]), (50.0, 30.0))
want("a self pts/rel", (a["self_pts"], a["self_rel"]), (-20.0, -40.0))
want("max growth", (d["max_self_growth"]["name"], d["max_self_growth"]["self_pts"]), ("b", 20.0))
want("functions", d["functions"], 5)
print("; ".join(errs) if errs else "ok")
PY
)
[ "$check" = ok ] || fail "diff JSON: $check"
ok "JSON: b +20.00 pts (+66.67%), a -20.00 pts (-40.00%), c and work unchanged"

text=$("$SCORCH" diff --normalize "$D/base.folded" "$D/new.folded") || fail "scorch diff exited $?"
grep -q '^largest self growth: b +20.00 pts (30.00% -> 50.00%)$' <<<"$text" ||
	fail "text summary lacks the largest growth line: $text"
grep -qE '^ +\+20\.00 +\+66\.7% +30\.00% -> +50\.00% .* b$' <<<"$text" ||
	fail "text table lacks b's row: $text"
grep -qE '^ +-20\.00 +-40\.0% +50\.00% -> +30\.00% .* a$' <<<"$text" ||
	fail "text table lacks a's row: $text"
! grep -qE ' c$' <<<"$text" || fail "c did not change but is listed: $text"
ok "text summary"

rc=0
"$SCORCH" diff --normalize --fail-above 25 "$D/base.folded" "$D/new.folded" >/dev/null || rc=$?
[ "$rc" -eq 0 ] || fail "--fail-above 25 exited $rc (largest growth is 20 points)"
rc=0
err=$("$SCORCH" diff --normalize --fail-above 19.5 "$D/base.folded" "$D/new.folded" 2>&1 >/dev/null) || rc=$?
[ "$rc" -eq 3 ] || fail "--fail-above 19.5 exited $rc, expected 3"
grep -q "b's self share grew by 20.00 points" <<<"$err" || fail "--fail-above message: $err"
ok "--fail-above: 0 under the threshold, 3 over it"

"$SCORCH" diff -o "$TMP/d.html" "$D/base.folded" "$D/new.folded" || fail "-o d.html exited $?"
"$SCORCH" diff --html "$TMP/d2.html" "$D/base.folded" "$D/new.folded" >/dev/null ||
	fail "--html exited $?"
for f in d.html d2.html; do
	grep -q '"diff":true,"base_total":100,' "$TMP/$f" || fail "$f is not a differential page"
	grep -q '"total":200,' "$TMP/$f" || fail "$f lacks the new total"
done
ok "differential flamegraph via -o FILE.html and --html FILE"

# pprof against folded of the same profile: nothing changed.
"$SCORCH" report --format folded "$SRCDIR/tests/data/go-cpu.pb.gz" >"$TMP/go.folded" ||
	fail "cannot convert the Go profile to folded"
out=$("$SCORCH" diff --fail-above 0 "$SRCDIR/tests/data/go-cpu.pb.gz" "$TMP/go.folded") ||
	fail "pprof vs folded of the same profile: exit $?: $out"
grep -q "^no function's self share grew$" <<<"$out" || fail "pprof vs folded: $out"
grep -qF "compared: shares (the base scaled to the new total, x1), as the profiles measure different things (base: cpu (nanoseconds), new: samples (count))" <<<"$out" ||
	fail "pprof vs folded: the comparison and its reason are not named: $out"
ok "pprof against folded of the same profile: no change"

rc=0
"$SCORCH" diff "$D/base.folded" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "one input: exit $rc, expected 2"
rc=0
"$SCORCH" diff --format xml "$D/base.folded" "$D/new.folded" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "--format xml: exit $rc, expected 2"
rc=0
err=$("$SCORCH" diff "$D/base.folded" "$TMP/nosuch" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "missing input: exit $rc, expected 1"
grep -q "^scorch diff: cannot read '$TMP/nosuch': No such file or directory$" <<<"$err" ||
	fail "missing input message: $err"
ok "usage errors exit 2, unreadable input 1"
