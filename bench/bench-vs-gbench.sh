#!/usr/bin/env bash
# bench/bench-vs-gbench.sh: the same C function timed by libscorch-bench and by Google Benchmark.
#
# The function is memgraph's find_similar over 1000 candidates of dimension 768 (cosine
# similarity, top 10): `bench_memgraph memgraph/similarity/1000` on our side, bench/
# gbench_similarity.cc (same data, same library build) on Google Benchmark's (Debian's
# libbenchmark-dev). Each tool runs RUNS times (default 10), alternating, in each condition
# ("quiet", then "loaded": a busy loop competing for one CPU). Printed per condition:
#   - each run's estimate with its 95% interval: ours is the headline, min_cpu, with its
#     bootstrap interval; Google Benchmark's is the mean CPU time of its repetitions
#     (REPS, default 10, of MIN_TIME s each) with a t interval (mean +- t * sd / sqrt(REPS));
#   - whether the two intervals overlap in that run;
#   - each tool's relative spread across runs: the coefficient of variation of its estimate, and
#     for reference of Google Benchmark's wall-clock mean and minimum over repetitions.
# Both tools get about the same measurement time per run (2 s).
#
# Usage: bench/bench-vs-gbench.sh [BUILD_DIR]
# Environment: RUNS (10), REPS (10), MIN_TIME (0.2), CONDITIONS ("quiet loaded").
# Needs g++, Google Benchmark (apt-get install libbenchmark-dev) and python3; skips without them.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
bench="$top/$build/examples/memgraph/bench/bench_memgraph"
lib="$top/$build/examples/memgraph/libmemgraph.a"
runs=${RUNS:-10}
reps=${REPS:-10}
min_time=${MIN_TIME:-0.2}
conditions=${CONDITIONS:-quiet loaded}
[ -x "$bench" ] && [ -f "$lib" ] || { echo "bench-vs-gbench: build first ($bench, $lib)" >&2; exit 1; }
for t in g++ python3; do
	command -v $t >/dev/null || { echo "bench-vs-gbench: $t is missing; skipping" >&2; exit 0; }
done
[ -f /usr/include/benchmark/benchmark.h ] || {
	echo "bench-vs-gbench: Google Benchmark is missing (apt-get install libbenchmark-dev); skipping" >&2
	exit 0
}
tmp=$(mktemp -d)
spinner=
cleanup()
{
	[ -n "$spinner" ] && kill "$spinner" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
g++ -O2 -std=c++17 -I"$top/examples/memgraph" -o "$tmp/gbench_similarity" \
	"$here/gbench_similarity.cc" "$lib" -lbenchmark -lpthread -lm

for cond in $conditions; do
	if [ "$cond" = loaded ]; then
		sh -c 'while :; do :; done' &
		spinner=$!
	fi
	load0=$(cut -d' ' -f1 /proc/loadavg)
	for i in $(seq "$runs"); do
		"$bench" -q --format none --json "$tmp/ours.$cond.$i.json" '^memgraph/similarity/1000$'
		"$tmp/gbench_similarity" --benchmark_repetitions="$reps" --benchmark_min_time="$min_time" \
			--benchmark_format=json >"$tmp/gb.$cond.$i.json" 2>/dev/null
	done
	echo "$cond: load average $load0 -> $(cut -d' ' -f1 /proc/loadavg)" >&2
	if [ -n "$spinner" ]; then
		kill "$spinner"
		wait "$spinner" 2>/dev/null || true
		spinner=
	fi
done

python3 - "$tmp" "$runs" $conditions <<'EOF'
import json, math, statistics as st, sys
tmp, runs, conds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
# two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom
T = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
     2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
     2.052, 2.048, 2.045, 2.042]
scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
def cv(v):
    return st.stdev(v) / st.mean(v) * 100
for cond in conds:
    ours, gcpu, greal, gmin, overlap = [], [], [], [], 0
    print("## %s\n" % cond)
    print("| run | scorch min_cpu [95% CI] | Google Benchmark mean CPU [95% CI] | overlap |")
    print("|---|---|---|---|")
    for i in range(1, runs + 1):
        (b,) = json.load(open("%s/ours.%s.%d.json" % (tmp, cond, i)))["benchmarks"]
        h = b["estimates"]["headline"]
        g = json.load(open("%s/gb.%s.%d.json" % (tmp, cond, i)))["benchmarks"]
        it = [x for x in g if x.get("run_type") == "iteration"]
        cpu = [x["cpu_time"] * scale[x["time_unit"]] for x in it]
        real = [x["real_time"] * scale[x["time_unit"]] for x in it]
        m, sd = st.mean(cpu), st.stdev(cpu)
        half = T[min(len(cpu) - 1, 30) - 1] * sd / math.sqrt(len(cpu))
        lo, hi = m - half, m + half
        ok = h["lo"] <= hi and lo <= h["hi"]
        overlap += ok
        ours.append(h["point"]); gcpu.append(m); greal.append(st.mean(real)); gmin.append(min(cpu))
        print("| %d | %.2f µs [%.2f, %.2f] | %.2f µs [%.2f, %.2f] | %s |" % (
            i, h["point"] / 1e3, h["lo"] / 1e3, h["hi"] / 1e3, m / 1e3, lo / 1e3, hi / 1e3,
            "yes" if ok else "no"))
    print()
    print("%s: intervals overlap in %d of %d runs; mean of the estimates: scorch %.2f µs, "
          "Google Benchmark %.2f µs (%+.2f%%)" % (cond, overlap, runs, st.mean(ours) / 1e3,
          st.mean(gcpu) / 1e3, (st.mean(ours) / st.mean(gcpu) - 1) * 100))
    print("%s: spread across runs (CV): scorch min_cpu %.2f%%; Google Benchmark mean CPU %.2f%%, "
          "mean wall %.2f%%, min CPU of the repetitions %.2f%%\n" % (cond, cv(ours), cv(gcpu),
          cv(greal), cv(gmin)))
EOF
