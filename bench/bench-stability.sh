#!/usr/bin/env bash
# bench/bench-stability.sh: how much the memgraph benchmarks' estimates move between runs.
#
# Runs build/examples/memgraph/bench/bench_memgraph RUNS times in a row (default 10) in each of two
# conditions, "quiet" (nothing else started by this script) and "loaded" (a busy loop, `sh -c
# 'while :; do :; done'`, competing for one of the CPUs for the whole condition), and prints, per
# benchmark and condition, the coefficient of variation (sample stddev / mean) across the runs of
# the headline estimate (min_cpu) and, for reference, of the wall-clock slope, median, mean and
# minimum. The goal of issue #3: headline CV below 5% in both conditions.
#
# Usage: bench/bench-stability.sh [BUILD_DIR]
# Environment: RUNS (default 10), CONDITIONS (default "quiet loaded"), ARGS (extra options for the
# benchmark program, e.g. "--quick"; default none), KEEP=DIR (keep the JSON reports there).
# Needs python3. Prints a Markdown table; the machine's load average is printed per condition.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init bench-stability "${1:-build}"
bench="$top/$build/examples/memgraph/bench/bench_memgraph"
runs=${RUNS:-10}
conditions=${CONDITIONS:-quiet loaded}
bench_need "$bench" "build first ($bench missing)"
bench_skip_without python3
bench_tmpdir "${KEEP:-}"

read -r -a extra <<<"${ARGS:-}"
for cond in $conditions; do
	if [ "$cond" = loaded ]; then
		bench_load_start
	fi
	load0=$(bench_loadavg)
	start=$(date +%s)
	for i in $(seq "$runs"); do
		"$bench" -q --format none --json "$tmp/$cond.$i.json" "${extra[@]}"
	done
	load1=$(bench_loadavg)
	echo "$cond: $runs runs in $(($(date +%s) - start)) s, load average $load0 -> $load1" >&2
	bench_load_stop
done

python3 - "$tmp" "$runs" $conditions <<'EOF'
import json, statistics, sys
tmp, runs, conds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
cols = [("headline (min_cpu)", lambda b: b["estimates"]["headline"]["point"]),
        ("slope", lambda b: b["estimates"]["slope"]["point"]),
        ("median", lambda b: b["estimates"]["median"]["point"]),
        ("mean", lambda b: b["estimates"]["mean"]["point"]),
        ("min (wall)", lambda b: b["estimates"]["min"])]
print("| benchmark | condition | " + " | ".join("CV " + c for c, _ in cols) + " | headline mean |")
print("|---" * (len(cols) + 3) + "|")
worst = {}
for cond in conds:
    reports = [json.load(open("%s/%s.%d.json" % (tmp, cond, i))) for i in range(1, runs + 1)]
    for k, b0 in enumerate(reports[0]["benchmarks"]):
        cells = []
        for name, get in cols:
            v = [get(r["benchmarks"][k]) for r in reports]
            cv = statistics.stdev(v) / statistics.mean(v) * 100
            cells.append("%.2f%%" % cv)
            if name.startswith("headline"):
                worst[cond] = max(worst.get(cond, 0), cv)
                mean = statistics.mean(v)
        print("| %s | %s | %s | %.4g ns |" % (b0["id"], cond, " | ".join(cells), mean))
print()
for cond in conds:
    print("%s: largest headline CV %.2f%% (%s the 5%% goal)" %
          (cond, worst[cond], "within" if worst[cond] < 5 else "ABOVE"))
EOF
