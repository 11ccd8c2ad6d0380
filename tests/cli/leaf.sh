#!/usr/bin/env bash
# leaf.sh: the frameless leaf fix. tests/programs/leaf.c calls the frameless leaf_work from
# caller_one, caller_two and caller_three with 1:2:3 of the work; each caller must be leaf_work's
# direct parent in stacks.folded, with 16.7% / 33.3% / 50% of the samples (within 5 points).
# A frame-pointer walk that ignores leaves would report main;leaf_work instead.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
leaf=$(prog leaf)
if command -v objdump >/dev/null &&
	objdump -d --no-show-raw-insn "$leaf" | grep -A3 '<leaf_work>:' | grep -q 'push.*%rbp'; then
	echo "note: leaf_work has a frame pointer in this build; the test then checks less"
fi
record "$TMP/out" "$leaf" 0.8
[ "$RC" -eq 0 ] || fail "scorch record exited $RC, leaf exits 0"
folded="$TMP/out/stacks.folded"
near "$(folded_share "$folded" 'caller_one;leaf_work')" 16.7 5 "caller_one;leaf_work"
near "$(folded_share "$folded" 'caller_two;leaf_work')" 33.3 5 "caller_two;leaf_work"
near "$(folded_share "$folded" 'caller_three;leaf_work')" 50 5 "caller_three;leaf_work"
near "$(folded_share "$folded" 'main;leaf_work')" 0 2 "main;leaf_work (caller lost)"
report_json "$TMP/out/profile.pb.gz" >"$TMP/top.json"
near "$(pct "$TMP/top.json" leaf_work self)" 100 5 "leaf_work self"
near "$(pct "$TMP/top.json" caller_three total)" 50 5 "caller_three total"
