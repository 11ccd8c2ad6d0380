#!/usr/bin/env bash
# bench/bench-baseline.sh: identical code compared with its own baseline, RUNS times.
#
# Saves one run of build/examples/memgraph/bench/bench_memgraph as a baseline, then runs it RUNS
# more times (default 10), each compared with that baseline (--baseline, the library's statistical
# test and noise threshold), and counts the runs whose summary is "0 improved, 0 regressed", i.e.
# "no change" for every benchmark. The goal of issue #3: at least 9 of 10. Also counts the
# individual benchmark verdicts and prints the largest change seen.
#
# Usage: bench/bench-baseline.sh [BUILD_DIR]
# Environment: RUNS (default 10), ARGS (extra options for the benchmark program, e.g. "--noise 3"
# or "--quick"), LOAD=1 (keep a busy loop competing for one CPU during the runs).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init bench-baseline "${1:-build}"
bench="$top/$build/examples/memgraph/bench/bench_memgraph"
runs=${RUNS:-10}
bench_need "$bench" "build first ($bench missing)"
bench_skip_without python3
bench_tmpdir
read -r -a extra <<<"${ARGS:-}"
if [ "${LOAD:-0}" = 1 ]; then
	bench_load_start
fi

load0=$(bench_loadavg)
"$bench" -q --format none --save-baseline self --baseline-dir "$tmp/bl" "${extra[@]}"
for i in $(seq "$runs"); do
	"$bench" -q --format json --baseline self --baseline-dir "$tmp/bl" "${extra[@]}" >"$tmp/run.$i.json"
done
echo "load average $load0 -> $(bench_loadavg)${LOAD:+, with a busy loop on one CPU}" >&2

python3 - "$tmp" "$runs" <<'EOF'
import json, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
clean, verdicts, worst = 0, {}, (0, "")
for i in range(1, runs + 1):
    r = json.load(open("%s/run.%d.json" % (tmp, i)))
    vs = [b["comparison"]["verdict"] for b in r["benchmarks"]]
    for b in r["benchmarks"]:
        c = b["comparison"]["change"]["point"]
        if abs(c) > abs(worst[0]):
            worst = (c, b["id"])
    for v in vs:
        verdicts[v] = verdicts.get(v, 0) + 1
    ok = all(v == "no change" for v in vs)
    clean += ok
    print("run %2d: %s" % (i, ", ".join("%s %+.2f%% %s" % (b["id"].split("/", 1)[-1],
          b["comparison"]["change"]["point"] * 100, b["comparison"]["verdict"])
          for b in r["benchmarks"])))
noise = r["config"]["noise"] * 100
print()
print("%d of %d runs report no change for every benchmark (goal: at least 9 of 10)" % (clean, runs))
print("verdicts: " + ", ".join("%s %d" % kv for kv in sorted(verdicts.items())) +
      "; largest change %+.2f%% (%s); noise threshold %.1f%%; headline %s" %
      (worst[0] * 100, worst[1], noise, r["headline"]))
EOF
