#!/usr/bin/env bash
# run_bench.sh: scorch run --bench on the memgraph benchmark program (a libscorch-bench program):
# its CPU profile and its own measurement in one session, and the gate bench.regression through
# scorch bench compare. No timing is trusted: the baselines are a real run's report with every
# batch made 10 times faster (the new run must be "regressed": exit 3, the benchmark named) or
# 10 times slower ("improved": the gate passes).
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
command -v python3 >/dev/null || skip "python3 is needed to craft the baselines"
BENCH="$BUILD/examples/memgraph/bench/bench_memgraph"
[ -x "$BENCH" ] || fail "$BENCH is not built"
short=(-q -w 0.02 -t 0.1 -n 10 --resamples 1000 'similarity/250')
P="$TMP/profiles"

"$BENCH" "${short[@]}" --format none --json "$TMP/base.json" || fail "the benchmark exited $?"
python3 - "$TMP" <<'PY' || fail "cannot craft the baselines"
import json, sys
for name, f in (("fast.json", 0.1), ("slow.json", 10)):
    d = json.load(open(sys.argv[1] + "/base.json"))
    for b in d["benchmarks"]:
        for k in ("wall", "cpu"):
            b["samples"][k] = [v * f for v in b["samples"][k]]
    json.dump(d, open(sys.argv[1] + "/" + name, "w"))
PY

rc=0
"$SCORCH" run --bench "$BENCH" --bench-baseline "$TMP/fast.json" -o "$P" -- "${short[@]}" \
	>"$TMP/o1" 2>"$TMP/e1" || rc=$?
[ "$rc" -eq 3 ] || fail "a 10x regression exited $rc, not 3 ($(cat "$TMP/e1"))"
grep -qxF "gate bench.regression: memgraph/similarity/250 regressed by more than 5% against $TMP/fast.json (bench/compare.txt)" \
	"$TMP/e1" || fail "no gate line naming the benchmark: $(cat "$TMP/e1")"
S=$(readlink -f "$P/latest")
[ -s "$S/cpu/profile.pb.gz" ] && [ -s "$S/bench/bench.json" ] || fail "the session lacks cpu/ or bench/"
grep -q 'memgraph/similarity/250 .* regressed$' "$S/bench/compare.txt" || fail "compare.txt"
grep -q '^## Benchmarks' "$S/report.md" && grep -q '^| bench.regression | FAIL ' "$S/report.md" ||
	fail "report.md lacks the benchmarks or the gate"
ok "--bench against a faster baseline: regressed, exit 3"

"$SCORCH" run --bench "$BENCH" --bench-baseline "$TMP/slow.json" --bench-fail 20 -o "$P" -- \
	"${short[@]}" >"$TMP/o2" 2>"$TMP/e2" || fail "an improvement exited $? ($(cat "$TMP/e2"))"
grep -q 'improved$' "$(readlink -f "$P/latest")/bench/compare.txt" || fail "not 'improved'"
rc=0
"$SCORCH" run --bench-baseline "$TMP/slow.json" -- true >/dev/null 2>"$TMP/e3" || rc=$?
[ "$rc" -eq 2 ] && grep -q -- '--bench-baseline needs --bench' "$TMP/e3" || fail "--bench-baseline alone: $rc"
ok "--bench against a slower baseline passes; --bench-baseline alone refused"
