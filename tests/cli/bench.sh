#!/usr/bin/env bash
# bench.sh: the benchmark library end to end: the memgraph benchmark program (a libscorch-bench
# program) run twice in a short mode, a saved baseline, `scorch bench compare`, the JSON format,
# and the instruction-count mode under callgrind (deterministic: two runs, identical counts).
#
# Nothing here depends on timing: two real runs are only compared for the shape of the output and
# the exit status; verdicts are checked on a run compared with itself (change exactly 0) and on
# the crafted pair tests/data/bench-base.json / bench-slower.json, whose second file is the first
# with every batch 20% slower.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp

BENCH="$BUILD/examples/memgraph/bench/bench_memgraph"
[ -x "$BENCH" ] || fail "$BENCH is not built"
DATA="$SRCDIR/tests/data"
short=(-q -w 0.02 -t 0.1 -n 10 --resamples 1000 'similarity/250')

# 1. Two short runs: the first saved as a baseline, the second compared with it.
"$BENCH" "${short[@]}" --format none --json "$TMP/a.json" --save-baseline base \
	--baseline-dir "$TMP/bl" || fail "first benchmark run exited $?"
[ -s "$TMP/bl/base.json" ] || fail "--save-baseline wrote no $TMP/bl/base.json"
cmp -s "$TMP/a.json" "$TMP/bl/base.json" || fail "the baseline differs from --json's file"
"$BENCH" "${short[@]}" --json "$TMP/b.json" --baseline base --baseline-dir "$TMP/bl" \
	>"$TMP/b.txt" || fail "second run (with --baseline) exited $?"
grep -q '^  min cpu .*headline' "$TMP/b.txt" || fail "the table shows no headline line"
grep -q '^  change .*vs .*: \(no change\|improved\|regressed\)$' "$TMP/b.txt" ||
	fail "the table of a run with --baseline shows no verdict"
ok "two runs, baseline saved and compared"

# 2. The JSON format: schema, version, headline, samples.
python3 - "$TMP/a.json" <<'EOF' || fail "a.json does not follow the scorch.bench v1 format"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "scorch.bench" and r["version"] == 1, (r["schema"], r["version"])
assert r["headline"] == "min_cpu", r["headline"]
assert r["config"]["measure"] == "time" and r["config"]["samples"] == 10
assert "ncpus" in r["environment"] and isinstance(r["environment"]["warnings"], list)
(b,) = r["benchmarks"]
assert b["id"] == "memgraph/similarity/250" and b["arg"] == 250 and b["unit"] == "ns"
e = b["estimates"]
assert 0 < e["headline"]["lo"] <= e["headline"]["point"] <= e["headline"]["hi"], e["headline"]
for k in ("slope", "mean", "median"):
    assert e[k]["lo"] <= e[k]["point"] <= e[k]["hi"], (k, e[k])
s = b["samples"]
assert len(s["iters"]) == len(s["wall"]) == len(s["cpu"]) == 10
# the batch sizes are d, 2d, ..., 10d
assert all(s["iters"][i] == (i + 1) * s["iters"][0] for i in range(10)), s["iters"]
# the headline is the smallest CPU time per iteration among the batches
assert e["headline"]["point"] == min(c / n for c, n in zip(s["cpu"], s["iters"]))
EOF
ok "JSON: scorch.bench v1 with the headline and the samples"

# 3. scorch bench compare on the two real runs (any verdict), then a run against itself.
"$SCORCH" bench compare "$TMP/a.json" "$TMP/b.json" >"$TMP/ab.txt" ||
	fail "bench compare of two runs exited $? without --fail-on-regression"
grep -q '^summary: [0-9]* improved, [0-9]* regressed, [0-9]* no change' "$TMP/ab.txt" ||
	fail "bench compare printed no summary: $(cat "$TMP/ab.txt")"
"$SCORCH" bench compare --fail-on-regression 0 "$TMP/a.json" "$TMP/a.json" >"$TMP/aa.txt" ||
	fail "a run compared with itself exited $? (expected 0: no change)"
grep -q '^memgraph/similarity/250 .* +0.00% .* no change$' "$TMP/aa.txt" ||
	fail "a run compared with itself is not 'no change' at +0.00%: $(cat "$TMP/aa.txt")"
ok "bench compare: two runs, and a run against itself is no change (exit 0)"

# 4. The crafted pair: B is 20% slower.
"$SCORCH" bench compare --fail-on-regression 5 "$DATA/bench-base.json" "$DATA/bench-slower.json" \
	>"$TMP/slow.txt" 2>"$TMP/slow.err"
rc=$?
[ $rc -eq 3 ] || fail "a 20% regression with --fail-on-regression 5 exited $rc, expected 3"
[ "$(grep -c ' +20.00% .* regressed$' "$TMP/slow.txt")" = 2 ] ||
	fail "expected two rows regressed by +20.00%: $(cat "$TMP/slow.txt")"
grep -q 'scorch bench: 2 benchmarks regressed by more than 5%' "$TMP/slow.err" ||
	fail "no message on stderr: $(cat "$TMP/slow.err")"
"$SCORCH" bench compare --fail-on-regression 25 "$DATA/bench-base.json" \
	"$DATA/bench-slower.json" >/dev/null || fail "a 20% regression failed a 25% threshold"
"$SCORCH" bench compare --noise 30 "$DATA/bench-base.json" "$DATA/bench-slower.json" |
	grep -q '^summary: 0 improved, 0 regressed, 2 no change' ||
	fail "--noise 30 does not make a 20% change 'no change'"
"$SCORCH" bench compare --format json "$DATA/bench-slower.json" "$DATA/bench-base.json" \
	>"$TMP/fast.json" || fail "the improvement direction exited $?"
python3 - "$TMP/fast.json" <<'EOF' || fail "bench compare --format json: wrong comparison"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "scorch.bench" and r["baseline"].endswith("bench-slower.json")
for b in r["benchmarks"]:
    c = b["comparison"]
    assert c["verdict"] == "improved", c
    assert abs(c["change"]["point"] - (1 / 1.2 - 1)) < 1e-9, c
    assert abs(c["new"] / c["base"] - 1 / 1.2) < 1e-9, c
EOF
ok "crafted 20% regression: regressed, exit 3; reversed: improved"

# 5. Errors.
"$SCORCH" bench compare "$TMP/a.json" "$TMP/none.json" 2>"$TMP/err.txt"
[ $? -eq 1 ] || fail "a missing file did not exit 1"
grep -q "none.json" "$TMP/err.txt" || fail "the message does not name the missing file"
"$SCORCH" bench compare "$TMP/a.json" "$DATA/go-cpu.go" 2>"$TMP/err.txt"
[ $? -eq 1 ] || fail "a file that is not a report did not exit 1"
"$SCORCH" bench compare "$TMP/a.json" 2>/dev/null
[ $? -eq 2 ] || fail "one file did not exit 2 (usage)"
"$SCORCH" bench frobnicate 2>/dev/null
[ $? -eq 2 ] || fail "an unknown subcommand did not exit 2"
for bad in x -1 1.5 10; do
	"$BENCH" --confirm "$bad" --list >/dev/null 2>&1
	[ $? -eq 2 ] || fail "--confirm $bad did not exit 2 (usage)"
done
"$BENCH" --confirm 0 --list >/dev/null || fail "--confirm 0 was refused"
"$BENCH" --help | grep -q -- '--confirm N' || fail "--help does not document --confirm"
ok "errors: missing file 1, not a report 1, usage 2 (bench compare, --confirm)"

# 6. Instruction counts under callgrind: identical in two runs.
if ! command -v valgrind >/dev/null; then
	echo "SKIP part 6: valgrind is not installed (instruction counting under callgrind)"
	exit 0
fi
if ldd "$BENCH" 2>/dev/null | grep -q libasan; then
	echo "SKIP part 6: the bench program is built with AddressSanitizer, which valgrind cannot run"
	exit 0
fi
for i in 1 2; do
	"$BENCH" -q --measure callgrind --format none --json "$TMP/cg$i.json" 'similarity/250' ||
		fail "--measure callgrind run $i exited $?"
done
python3 - "$TMP/cg1.json" "$TMP/cg2.json" <<'EOF' || fail "callgrind counts differ between two runs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["headline"] == "slope" and a["config"]["measure"] == "instructions"
(x,), (y,) = a["benchmarks"], b["benchmarks"]
assert x["unit"] == "instructions" and x["estimates"]["headline"]["point"] > 1000
assert x["samples"] == y["samples"], (x["samples"], y["samples"])
assert x["estimates"]["headline"] == y["estimates"]["headline"]
print("instructions per iteration: %.1f" % x["estimates"]["headline"]["point"])
EOF
"$SCORCH" bench compare --fail-on-regression 0 "$TMP/cg1.json" "$TMP/cg2.json" |
	grep -q ' +0.00% .* no change$' || fail "two callgrind runs are not 'no change'"
ok "callgrind: two runs count the same instructions"
