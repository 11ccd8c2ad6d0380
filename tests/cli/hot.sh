#!/usr/bin/env bash
# hot.sh: tests/programs/hot.c spends 50% / 30% / 20% in hot_a / hot_b / hot_c; scorch must say so
# within 5 points, by self time, and show each under main in the folded stacks.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
record "$TMP/out" "$(prog hot)" 0.7
[ "$RC" -eq 0 ] || fail "scorch record exited $RC, hot exits 0"
report_json "$TMP/out/profile.pb.gz" >"$TMP/top.json"
at_least_samples "$TMP/top.json" 300
near "$(pct "$TMP/top.json" hot_a self)" 50 5 "hot_a self"
near "$(pct "$TMP/top.json" hot_b self)" 30 5 "hot_b self"
near "$(pct "$TMP/top.json" hot_c self)" 20 5 "hot_c self"
# hot_a.. are frameless leaves: main shows only if the recorder restores a leaf's caller.
near "$(pct "$TMP/top.json" main total)" 100 5 "main total"
for f in hot_a hot_b hot_c; do
	share=$(folded_share "$TMP/out/stacks.folded" "main;$f")
	python3 -c "import sys; sys.exit(0 if $share > 10 else 1)" ||
		fail "stacks.folded: main;$f has $share% of samples"
done
ok "hot: main;hot_a, main;hot_b, main;hot_c in stacks.folded"
