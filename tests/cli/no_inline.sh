#!/usr/bin/env bash
# no_inline.sh: `report --no-inline` and `diff --no-inline` fold inlined frames into the function
# they were inlined into (pprof's -noinlines), on a recording of tests/programs/loops.c, whose
# loops_b (40% of the samples) spends nearly all of its time in the always-inlined loops_mix
# (loops_mix.h). Without the flag loops_mix has most of loops_b's samples as its self cost; with
# it loops_mix is gone from every view (top, by line, folded, focus, diff) and its self cost is
# loops_b's.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
record "$TMP/out" "$(prog loops)" 0.6
[ "$RC" -eq 0 ] || fail "scorch record exited $RC, loops exits 0"
P="$TMP/out/profile.pb.gz"
report_json "$P" >"$TMP/with.json"
at_least_samples "$TMP/with.json" 300
"$SCORCH" report --no-inline --format json --top 500 --sample-type samples "$P" >"$TMP/without.json" ||
	fail "report --no-inline --format json failed"

# With inlined frames (the default), loops_mix is there and holds loops_b's time.
mix=$(pct "$TMP/with.json" loops_mix self)
b_total=$(pct "$TMP/with.json" loops_b total)
near "$b_total" 40 10 "loops_b total, inlined frames shown"
python3 -c "import sys; sys.exit(0 if $mix >= 0.6 * $b_total else 1)" ||
	fail "loops_mix self $mix%: expected most of loops_b's $b_total% without --no-inline"
ok "loops_mix self $mix% of loops_b's $b_total% (inlined frames shown)"

# --no-inline: loops_mix gone, its samples are loops_b's self time.
grep -q '"loops_mix' "$TMP/without.json" && fail "--no-inline still lists loops_mix"
b_self=$(pct "$TMP/without.json" loops_b self)
b_self_with=$(pct "$TMP/with.json" loops_b self)
near "$b_self" "$(python3 -c "print($b_self_with + $mix)")" 0.02 \
	"--no-inline: loops_b self = its self + loops_mix's self with inlines"
b_total_without=$(pct "$TMP/without.json" loops_b total)
[ "$b_total_without" = "$b_total" ] ||
	fail "--no-inline changed loops_b's total: $b_total% -> $b_total_without%"
a_with=$(pct "$TMP/with.json" loops_a self)
a_without=$(pct "$TMP/without.json" loops_a self)
[ "$a_with" = "$a_without" ] || fail "--no-inline changed loops_a (no inlines): $a_with -> $a_without"
ok "--no-inline: no loops_mix, loops_b's total and loops_a unchanged"

# Text, by line: loops_b's inlined lines become its own line that calls loops_mix (in loops.c).
"$SCORCH" report --no-inline --by line -n 0 --sample-type samples "$P" >"$TMP/lines.txt" ||
	fail "report --no-inline --by line failed"
grep -q 'loops_mix' "$TMP/lines.txt" && fail "--no-inline --by line still shows loops_mix"
grep -E '^ .* loops_b +loops +loops\.c:[0-9]+' "$TMP/lines.txt" >/dev/null ||
	fail "--no-inline --by line: no loops_b row at a line of loops.c"
ok "--by line: loops_b's samples on loops.c lines"

# Folded stacks: loops_mix is no frame, loops_b is a leaf with the same share as its total.
"$SCORCH" report --no-inline --format folded --sample-type samples "$P" >"$TMP/s.folded" ||
	fail "report --no-inline --format folded failed"
grep -q 'loops_mix' "$TMP/s.folded" && fail "--no-inline folded output has loops_mix frames"
leaf=$(folded_share "$TMP/s.folded" 'loops_b' leaf)
near "$leaf" "$b_self" 0.01 "--no-inline folded: loops_b as the leaf"
"$SCORCH" report --format folded --sample-type samples "$P" | grep -q 'loops_b;loops_mix' ||
	fail "without --no-inline the folded stacks have no loops_b;loops_mix"

# A filter on the inlined function finds nothing once inlines are folded.
"$SCORCH" report --no-inline --focus '^loops_mix$' "$P" >/dev/null 2>"$TMP/focus.err" ||
	fail "report --no-inline --focus loops_mix failed"
grep -q 'the filters leave no samples' "$TMP/focus.err" ||
	fail "--no-inline --focus loops_mix kept samples"
ok "--focus on the inlined function keeps nothing with --no-inline"

# diff --no-inline: against a profile of loops_a alone, loops_b is new and loops_mix nowhere.
"$SCORCH" report --format folded --focus '^loops_a$' "$P" >"$TMP/a.folded" || fail "focus failed"
"$SCORCH" diff --format json "$TMP/a.folded" "$P" | grep -q '"name":"loops_mix"' ||
	fail "diff without --no-inline does not list loops_mix"
"$SCORCH" diff --no-inline --format json "$TMP/a.folded" "$P" >"$TMP/diff.json" ||
	fail "diff --no-inline failed"
grep -q '"loops_mix' "$TMP/diff.json" && fail "diff --no-inline lists loops_mix"
grep -q '"name":"loops_b","module":"loops","status":"new"' "$TMP/diff.json" ||
	fail "diff --no-inline: loops_b is not a new function: $(head -c 600 "$TMP/diff.json")"
ok "diff --no-inline: loops_b new, loops_mix folded into it"
