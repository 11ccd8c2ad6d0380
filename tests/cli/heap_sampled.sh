#!/usr/bin/env bash
# heap_sampled.sh: scorch heap --sample on tests/programs/heap_sampled.c, whose exact numbers its
# comments give (1.2 M allocations, 604 MB): unsampled, scorch reports them exactly; sampled, the
# byte estimates fall within a statistical bound, every site allocating far more than the
# sample period appears, and (exactly) the free of every recorded block is recorded.
#
# The bound. --sample S records an allocation of s bytes with probability p = 1 - exp(-s/S) (each
# byte is a point of a Poisson process of rate 1/S; the distances are memoryless, so allocations
# are sampled independently) and counts it as w = s/p bytes. A site of n allocations of s bytes is
# estimated by the sum of w over its sampled ones: unbiased, with variance n * s^2 * (1-p)/p. The
# checks allow 5 standard deviations, per site and for the total (variances add): a false failure
# has a chance below 1e-6 per check. On top of that the sampler's seed is fixed
# (SCORCH_HEAP_SAMPLE_SEED, read by scorch for tests), so a run is reproducible: two runs with the
# same seed must give the same numbers, and the test cannot flake.
. "$(dirname "$0")/heap_lib.sh"
make_tmp
prog_path=$(prog heap_sampled)

heap_run "$TMP/all" -- "$prog_path"
[ "$RC" -eq 0 ] || fail "unsampled: status $RC: $(cat "$TMP/all.log")"
heap_expect "$TMP/all/heap.json" '{
 "totals": {"allocs": 1200110, "frees": 1100110, "bytes_allocated": 604057760,
            "leaked_bytes": 25600000, "leaked_blocks": 100000, "largest": 1048576,
            "peak_bytes": 25600016, "peak_blocks": 100001},
 "functions": {
   "churn_small": {"allocs": 1000000, "bytes": 64000000},
   "churn_medium": {"allocs": 100000, "bytes": 409600000},
   "churn_large": {"allocs": 100, "bytes": 104857600, "peak_blocks": 0},
   "keep_leaks": {"allocs": 100000, "bytes": 25600000, "leaked_blocks": 100000,
                  "leaked_bytes": 25600000, "peak_blocks": 100000, "peak_bytes": 25600000},
   "churn_tiny": {"allocs": 10, "bytes": 160, "peak_blocks": 1, "peak_bytes": 16}},
 "other": "any"}'
ok "unsampled: the program's exact numbers"

export SCORCH_HEAP_SAMPLE_SEED=20261202
for period in 64K 512K; do
	heap_run "$TMP/s$period" --sample "$period" -- "$prog_path"
	[ "$RC" -eq 0 ] || fail "--sample $period: status $RC: $(cat "$TMP/s$period.log")"
	heap_need "$TMP/s$period" heap.json
	python3 - "$TMP/s$period/heap.json" "$period" <<'EOF' || fail "--sample $period: the estimates are off"
import json, math, sys
doc = json.load(open(sys.argv[1]))
S = int(sys.argv[2][:-1]) * 1024
# (function, allocations, size): heap_sampled.c's comments
sites = [("churn_small", 1000000, 64), ("churn_medium", 100000, 4096),
         ("churn_large", 100, 1 << 20), ("keep_leaks", 100000, 256)]
def var(n, s):
    p = 1 - math.exp(-s / S)
    return n * s * s * (1 - p) / p
def owner(stack):
    for f in stack:
        for fn, _, _ in sites + [("churn_tiny", 10, 16)]:
            if f == fn:
                return fn
    return None
got = {}
for e in doc["sites"]:
    fn = owner(e["stack"])
    got[fn] = got.get(fn, 0) + e["bytes"]
bad = False
for fn, n, s in sites:
    true, sd = n * s, math.sqrt(var(n, s))
    if fn not in got:
        print("FAIL: %s (%d bytes, %.0fx the period) is not among the sampled sites" % (fn, true, true / S))
        bad = True
        continue
    dev = (got[fn] - true) / sd if sd else (0 if got[fn] == true else math.inf)
    print("%s: estimate %d, true %d, sd %.0f: %+.2f sd" % (fn, got[fn], true, sd, dev))
    if abs(dev) > 5 and abs(got[fn] - true) > 1e-6 * true:
        print("FAIL: %s is off by more than 5 standard deviations" % fn)
        bad = True
true = 604057760
sd = math.sqrt(sum(var(n, s) for _, n, s in sites) + var(10, 16))
est = doc["totals"]["bytes_allocated"]
print("total: estimate %d, true %d, sd %.0f: %+.2f sd" % (est, true, sd, (est - true) / sd))
bad |= abs(est - true) > 5 * sd
lsd = math.sqrt(var(100000, 256))
leak = doc["totals"]["leaked_bytes"]
print("leaked: estimate %d, true 25600000, sd %.0f: %+.2f sd" % (leak, lsd, (leak - 25600000) / lsd))
bad |= abs(leak - 25600000) > 5 * lsd
# Exact, not statistical: the free of every recorded block is recorded (the agent's set of sampled
# addresses and the filter in front of it lose none), and no other free is. A lost free shows as a
# block replaced by a later sampled allocation at its address (churn_small's blocks all reuse one).
t = doc["totals"]
print("replaced blocks %d, frees of unknown blocks %d" % (t["replaced_blocks"], t["frees_unknown"]))
if t["replaced_blocks"] or t["frees_unknown"]:
    print("FAIL: a recorded block's free was lost, or an unrecorded block's free recorded")
    bad = True
sys.exit(1 if bad else 0)
EOF
	ok "--sample $period: every large site appears, estimates within 5 standard deviations, no free lost"
done

# The seed makes a sampled run reproducible.
heap_run "$TMP/again" --sample 64K -- "$prog_path"
python3 - "$TMP/s64K/heap.json" "$TMP/again/heap.json" <<'EOF' || fail "two runs with the same seed differ"
import json, sys
a, b = (json.load(open(p))["totals"] for p in sys.argv[1:])
keys = ("allocs", "frees", "bytes_allocated", "leaked_bytes", "leaked_blocks")
sys.exit(0 if all(a[k] == b[k] for k in keys) else 1)
EOF
ok "the same seed, the same sample"
