#!/usr/bin/env bash
# fork.sh: tests/programs/fork.c forks; the child's child_work is 60% of all samples (within 7
# points) and the parent's parent_work 40%. With --no-children the child is not profiled.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
fork=$(prog fork)
record "$TMP/out" "$fork" 1.0
[ "$RC" -eq 0 ] || fail "scorch record exited $RC, fork exits 0"
report_json "$TMP/out/profile.pb.gz" >"$TMP/top.json"
at_least_samples "$TMP/top.json" 300
near "$(pct "$TMP/top.json" child_work self)" 60 7 "child_work self"
near "$(pct "$TMP/top.json" parent_work self)" 40 7 "parent_work self"

RC=0
"$SCORCH" record -F 1000 --no-children -o "$TMP/solo" -- "$fork" 0.5 >"$TMP/solo.log" 2>&1 || RC=$?
[ "$RC" -eq 0 ] || fail "scorch record --no-children exited $RC"
report_json "$TMP/solo/profile.pb.gz" >"$TMP/solo.json"
near "$(pct "$TMP/solo.json" child_work self)" 0 1 "child_work self with --no-children"
