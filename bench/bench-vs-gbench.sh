#!/usr/bin/env bash
# bench/bench-vs-gbench.sh: the same C function timed by libscorch-bench and by Google Benchmark.
#
# The function is memgraph's find_similar over 1000 candidates of dimension 768 (cosine
# similarity, top 10): `bench_memgraph memgraph/similarity/1000` on our side, bench/
# gbench_similarity.cc (same data, same library build) on Google Benchmark's (Debian's
# libbenchmark-dev). Each tool runs RUNS times (default 10), alternating, in each condition
# ("quiet", then "loaded": a busy loop competing for one CPU). Printed per condition:
#   - per run, two like-for-like pairs of estimates with 95% intervals, and whether they overlap:
#     the minimum CPU time per iteration (ours: the headline, min_cpu, over 50 batches of
#     1.5-75 ms; Google Benchmark's: the smallest of its REPS repetitions of MIN_TIME s, default
#     50 of 0.04 s, with a bootstrap interval), and the mean CPU time per iteration (ours: the
#     slope of CPU time against iterations, pairs bootstrap; Google Benchmark's: the mean of its
#     repetitions, mean +- t * sd / sqrt(REPS), what it reports by default);
#   - the same two comparisons with each tool's RUNS estimates taken as replicates (mean +- t *
#     sd / sqrt(RUNS)): the interval that includes the run-to-run variation a single run's
#     interval cannot see;
#   - each tool's relative spread across runs: the coefficient of variation of our headline and
#     of Google Benchmark's mean CPU (its default estimate), and for reference of its wall-clock
#     mean and its minimum.
# Both tools get about the same measurement time per run (2 s).
#
# Usage: bench/bench-vs-gbench.sh [BUILD_DIR]
# Environment: RUNS (10), REPS (50), MIN_TIME (0.04), CONDITIONS ("quiet loaded").
# Needs g++, Google Benchmark (apt-get install libbenchmark-dev) and python3; skips without them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init bench-vs-gbench "${1:-build}"
bench="$top/$build/examples/memgraph/bench/bench_memgraph"
lib="$top/$build/examples/memgraph/libmemgraph.a"
runs=${RUNS:-10}
reps=${REPS:-50}
min_time=${MIN_TIME:-0.04}
conditions=${CONDITIONS:-quiet loaded}
[ -x "$bench" ] && [ -f "$lib" ] || bench_die "build first ($bench, $lib)"
for t in g++ python3; do
	bench_skip_without $t
done
[ -f /usr/include/benchmark/benchmark.h ] || {
	echo "bench-vs-gbench: Google Benchmark is missing (apt-get install libbenchmark-dev); skipping" >&2
	exit 0
}
bench_tmpdir
g++ -O2 -std=c++17 -I"$top/examples/memgraph" -o "$tmp/gbench_similarity" \
	"$here/gbench_similarity.cc" "$lib" -lbenchmark -lpthread -lm

for cond in $conditions; do
	if [ "$cond" = loaded ]; then
		bench_load_start
	fi
	load0=$(bench_loadavg)
	for i in $(seq "$runs"); do
		"$bench" -q --format none --json "$tmp/ours.$cond.$i.json" '^memgraph/similarity/1000$'
		"$tmp/gbench_similarity" --benchmark_repetitions="$reps" --benchmark_min_time="$min_time" \
			--benchmark_format=json >"$tmp/gb.$cond.$i.json" 2>/dev/null
	done
	echo "$cond: load average $load0 -> $(bench_loadavg)" >&2
	bench_load_stop
done

python3 - "$tmp" "$runs" $conditions <<'EOF'
import json, math, random, statistics as st, sys
tmp, runs, conds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rng = random.Random(1)
scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
def t975(df):  # Student's t, two-sided 95%; close to normal beyond 30 degrees of freedom
    T = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
    return T[df - 1] if df <= 30 else 1.96 + 2.4 / df
def boot(f, n, k=2000):  # percentile bootstrap of f(indices) over n items
    v = sorted(f([rng.randrange(n) for _ in range(n)]) for _ in range(k))
    return v[int(0.025 * k)], v[int(0.975 * k) - 1]
def cv(v):
    return st.stdev(v) / st.mean(v) * 100
def us(x):
    return "%.2f" % (x / 1e3)
for cond in conds:
    est = {k: [] for k in ("ours_min", "ours_slope", "gb_mean", "gb_wall", "gb_min")}
    agree_min = agree_mean = 0
    print("## %s\n" % cond)
    print("| run | scorch min_cpu | Google Benchmark min CPU | agree | scorch CPU slope | "
          "Google Benchmark mean CPU | agree |")
    print("|---|---|---|---|---|---|---|")
    for i in range(1, runs + 1):
        (b,) = json.load(open("%s/ours.%s.%d.json" % (tmp, cond, i)))["benchmarks"]
        h = b["estimates"]["headline"]
        x, c = b["samples"]["iters"], b["samples"]["cpu"]
        slope = sum(a * y for a, y in zip(x, c)) / sum(a * a for a in x)
        s_lo, s_hi = boot(lambda ix: sum(x[j] * c[j] for j in ix) / sum(x[j] ** 2 for j in ix),
                          len(x))
        g = json.load(open("%s/gb.%s.%d.json" % (tmp, cond, i)))["benchmarks"]
        it = [r for r in g if r.get("run_type") == "iteration"]
        cpu = [r["cpu_time"] * scale[r["time_unit"]] for r in it]
        real = [r["real_time"] * scale[r["time_unit"]] for r in it]
        m = st.mean(cpu)
        half = t975(len(cpu) - 1) * st.stdev(cpu) / math.sqrt(len(cpu))
        g_lo, g_hi = boot(lambda ix: min(cpu[j] for j in ix), len(cpu))
        ok_min = h["lo"] <= g_hi and g_lo <= h["hi"]
        ok_mean = s_lo <= m + half and m - half <= s_hi
        agree_min += ok_min
        agree_mean += ok_mean
        for k, v in (("ours_min", h["point"]), ("ours_slope", slope), ("gb_mean", m),
                     ("gb_wall", st.mean(real)), ("gb_min", min(cpu))):
            est[k].append(v)
        print("| %d | %s [%s, %s] | %s [%s, %s] | %s | %s [%s, %s] | %s [%s, %s] | %s |" % (
            i, us(h["point"]), us(h["lo"]), us(h["hi"]), us(min(cpu)), us(g_lo), us(g_hi),
            "yes" if ok_min else "no", us(slope), us(s_lo), us(s_hi), us(m), us(m - half),
            us(m + half), "yes" if ok_mean else "no"))
    print()
    print("%s: minimum CPU time per iteration: intervals overlap in %d of %d runs (means of the "
          "estimates: scorch %s µs, Google Benchmark %s µs)" % (cond, agree_min, runs,
          us(st.mean(est["ours_min"])), us(st.mean(est["gb_min"]))))
    print("%s: mean CPU time per iteration (scorch: CPU slope): intervals overlap in %d of %d "
          "runs (scorch %s µs, Google Benchmark %s µs)" % (cond, agree_mean, runs,
          us(st.mean(est["ours_slope"])), us(st.mean(est["gb_mean"]))))
    # Across runs: each tool's 10 estimates as replicates, mean +- t * sd / sqrt(runs).
    def across(v):
        half = t975(len(v) - 1) * st.stdev(v) / math.sqrt(len(v))
        return st.mean(v) - half, st.mean(v) + half
    for what, a, b in (("minimum CPU", "ours_min", "gb_min"), ("mean CPU", "ours_slope", "gb_mean")):
        (alo, ahi), (blo, bhi) = across(est[a]), across(est[b])
        print("%s: %s across the %d runs, 95%% t intervals: scorch [%s, %s] µs, Google Benchmark "
              "[%s, %s] µs: %s" % (cond, what, runs, us(alo), us(ahi), us(blo), us(bhi),
              "overlap" if alo <= bhi and blo <= ahi else "no overlap"))
    print("%s: spread across runs (CV): scorch headline (min_cpu) %.2f%%; Google Benchmark's "
          "mean CPU %.2f%%, mean wall-clock %.2f%%, min CPU %.2f%%; scorch CPU slope %.2f%%\n" % (
          cond, cv(est["ours_min"]), cv(est["gb_mean"]), cv(est["gb_wall"]), cv(est["gb_min"]),
          cv(est["ours_slope"])))
EOF
