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
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
bench="$top/$build/examples/memgraph/bench/bench_memgraph"
runs=${RUNS:-10}
conditions=${CONDITIONS:-quiet loaded}
[ -x "$bench" ] || { echo "bench-stability: build first ($bench missing)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench-stability: python3 is missing; skipping" >&2; exit 0; }
tmp=${KEEP:-$(mktemp -d)}
mkdir -p "$tmp"
spinner=
cleanup()
{
	[ -n "$spinner" ] && kill "$spinner" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

read -r -a extra <<<"${ARGS:-}"
for cond in $conditions; do
	if [ "$cond" = loaded ]; then
		sh -c 'while :; do :; done' &
		spinner=$!
	fi
	load0=$(cut -d' ' -f1 /proc/loadavg)
	start=$(date +%s)
	for i in $(seq "$runs"); do
		"$bench" -q --format none --json "$tmp/$cond.$i.json" "${extra[@]}"
	done
	load1=$(cut -d' ' -f1 /proc/loadavg)
	echo "$cond: $runs runs in $(($(date +%s) - start)) s, load average $load0 -> $load1" >&2
	if [ -n "$spinner" ]; then
		kill "$spinner"
		wait "$spinner" 2>/dev/null || true
		spinner=
	fi
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
