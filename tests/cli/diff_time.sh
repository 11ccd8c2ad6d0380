#!/usr/bin/env bash
# diff_time.sh: the known answer of issue 11 item 4. Two folded profiles of the same measure
# (samples, same period) where only f's time fell, one function is gone and one is new:
#
#   base (110): main;f 50  main;g 30  main;h 20  main;old 10
#   new   (65): main;f 10  main;g 30  main;h 20  main;fresh 5
#
# `scorch diff` compares values: slower lists fresh (+5, new) alone; faster lists f (-40, -80%),
# old (-10, gone), then main (its total alone, -45); g and h did not move and are not listed.
# `--normalize` gives the share answer: g +18.88 pts and h +12.59 pts "grew" as f shrank.
# The --fail-above gate follows the comparison made; inputs are labelled by command and path.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
printf 'main;f 50\nmain;g 30\nmain;h 20\nmain;old 10\n' >"$TMP/base.folded"
printf 'main;f 10\nmain;g 30\nmain;h 20\nmain;fresh 5\n' >"$TMP/new.folded"
B="$TMP/base.folded" N="$TMP/new.folded"

check_json()
{
	python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
errs = []
def want(what, got, exp):
    if got != exp:
        errs.append("%s: got %r, expected %r" % (what, got, exp))
rows = {r["name"]: r for r in d["slower"] + d["faster"]}
if sys.argv[2] == "absolute":
    want("comparison", (d["comparison"], d["normalized_by"], d["scale"]), ("absolute", "none", 1))
    want("slower", [r["name"] for r in d["slower"]], ["fresh"])
    want("faster", [r["name"] for r in d["faster"]], ["f", "old", "main"])
    want("f", (rows["f"]["self_change"], rows["f"]["self_rel"], rows["f"]["status"]),
         (-40.0, -80.0, "both"))
    want("old", (rows["old"]["self_change"], rows["old"]["self_rel"], rows["old"]["status"]),
         (-10.0, -100.0, "gone"))
    want("fresh", (rows["fresh"]["self_change"], rows["fresh"]["self_rel"],
                   rows["fresh"]["status"]), (5.0, None, "new"))
    want("main", (rows["main"]["self_change"], rows["main"]["total_change"]), (0.0, -45.0))
    want("max", (d["max_self_growth"]["name"], d["max_self_growth"]["self_pts"]), ("fresh", 4.55))
else:
    want("comparison", (d["comparison"], d["normalized_by"]), ("shares", "request"))
    want("slower", [r["name"] for r in d["slower"]], ["g", "h", "fresh"])
    want("faster", [r["name"] for r in d["faster"]], ["f", "old"])
    want("g", (rows["g"]["self_pts"], rows["g"]["self_rel"]), (18.88, 69.23))
    want("f", rows["f"]["self_pts"], -30.07)
want("new/gone", (d["new_functions"], d["gone_functions"]), (1, 1))
want("base label (no command: the path)", (d["base"]["name"], d["base"]["command"]),
     (d["base"]["path"], None))
print("; ".join(errs) if errs else "ok")
PY
}

"$SCORCH" diff --format json -n 0 "$B" "$N" >"$TMP/abs.json" || fail "diff --format json exited $?"
r=$(check_json "$TMP/abs.json" absolute)
[ "$r" = ok ] || fail "absolute JSON: $r"
ok "values compared: slower fresh (new); faster f -40 (-80%), old (gone), main's total; g, h absent"

text=$("$SCORCH" diff -n 0 "$B" "$N") || fail "diff exited $?"
grep -qxF "base: $B, total 110 samples (count)" <<<"$text" || fail "base label: $text"
grep -qxF "new:  $N, total 65 samples (count)" <<<"$text" || fail "new label: $text"
grep -q '^compared: absolute values, as both profiles measure samples (count) at the same period' \
	<<<"$text" || fail "the comparison is not named: $text"
grep -qxF 'functions matched by name; 1 new, 1 gone' <<<"$text" || fail "new/gone count: $text"
grep -qE '^ +-40 +-80\.0% +50 -> 10 .* f$' <<<"$text" || fail "f's row: $text"
grep -qE '^ +-10 +-100\.0% +10 -> 0 .* old  \(gone\)$' <<<"$text" || fail "old's row: $text"
grep -qE '^ +\+5 +new +0 -> 5 .* fresh  \(new\)$' <<<"$text" || fail "fresh's row: $text"
! grep -qE ' (g|h)$' <<<"$text" || fail "g or h listed though their time did not move: $text"
[ "$(grep -nE ' f$' <<<"$text" | cut -d: -f1)" -lt "$(grep -nE ' old  \(gone\)$' <<<"$text" |
	cut -d: -f1)" ] || fail "f (-40) is not before old (-10): $text"
ok "text: labels, the comparison made, rows with changes and percentages, largest first"

"$SCORCH" diff --normalize --format json -n 0 "$B" "$N" >"$TMP/norm.json" ||
	fail "diff --normalize exited $?"
r=$(check_json "$TMP/norm.json" shares)
[ "$r" = ok ] || fail "--normalize JSON: $r"
"$SCORCH" diff --normalize "$B" "$N" | grep -q '^compared: shares (the base scaled to the new total, x0.5909), as asked (--normalize)$' ||
	fail "--normalize text does not say so"
ok "--normalize: shares, g +18.88 pts and h grew, f and old shrank"

# The issue's case without new functions: an optimisation of f fails no gate on values.
printf 'main;f 50\nmain;g 30\nmain;h 20\n' >"$TMP/b2.folded"
printf 'main;f 10\nmain;g 30\nmain;h 20\n' >"$TMP/n2.folded"
out=$("$SCORCH" diff --fail-above 0 "$TMP/b2.folded" "$TMP/n2.folded") ||
	fail "--fail-above 0 on an optimisation exited $?: $out"
grep -qxF "no function's self grew" <<<"$out" || fail "optimisation summary: $out"
rc=0
err=$("$SCORCH" diff --normalize --fail-above 5 "$TMP/b2.folded" "$TMP/n2.folded" 2>&1 >/dev/null) ||
	rc=$?
[ "$rc" -eq 3 ] || fail "--normalize --fail-above 5 exited $rc, expected 3 (g's share grew)"
grep -qF "g's self share grew by 20.00 points (30.00% -> 50.00%)" <<<"$err" ||
	fail "--normalize gate message: $err"
rc=0
err=$("$SCORCH" diff --fail-above 4 "$B" "$N" 2>&1 >/dev/null) || rc=$?
[ "$rc" -eq 3 ] || fail "--fail-above 4 exited $rc, expected 3 (fresh: 4.55 points)"
grep -qxF "scorch diff: fresh's self grew by 4.55 points of the base total (0 -> 5 samples), more than --fail-above 4" \
	<<<"$err" || fail "gate message: $err"
"$SCORCH" diff --fail-above 5 "$B" "$N" >/dev/null || fail "--fail-above 5 exited $?"
ok "--fail-above follows the comparison: values by default, shares with --normalize"

# Labels from the recordings' "command:" comments (needs perf events to record).
if "$SCORCH" record -o "$TMP/r1" -- true >/dev/null 2>&1 &&
	"$SCORCH" record -o "$TMP/r2" -- true --second >/dev/null 2>&1; then
	text=$("$SCORCH" diff "$TMP/r1/profile.pb.gz" "$TMP/r2/profile.pb.gz") ||
		fail "diff of two recordings exited $?"
	grep -q "^base: true ($TMP/r1/profile.pb.gz), total " <<<"$text" ||
		fail "base not labelled by its command: $text"
	grep -q "^new:  true --second ($TMP/r2/profile.pb.gz), total " <<<"$text" ||
		fail "new not labelled by its command: $text"
	"$SCORCH" diff --format json "$TMP/r1/profile.pb.gz" "$TMP/r2/profile.pb.gz" |
		grep -qF '"command":"true --second","total":' || fail "JSON lacks the command"
	ok "recordings labelled by their command and path"
else
	echo "note: scorch record cannot run here; the command labels were not checked"
fi
