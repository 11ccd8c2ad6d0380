#!/usr/bin/env bash
# threads.sh: tests/programs/threads.c runs thread_work_0..3 in four threads with equal work;
# each must have 25% of the samples (within 5 points) whatever the scheduling.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
record "$TMP/out" "$(prog threads)" 1.0
[ "$RC" -eq 0 ] || fail "scorch record exited $RC, threads exits 0"
report_json "$TMP/out/profile.pb.gz" >"$TMP/top.json"
at_least_samples "$TMP/top.json" 300
for i in 0 1 2 3; do
	near "$(pct "$TMP/top.json" "thread_work_$i" self)" 25 5 "thread_work_$i self"
done
