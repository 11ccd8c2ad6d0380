#!/usr/bin/env bash
# overflow.sh: sums of sample values saturate instead of wrapping (issue 8, item 8). Two folded
# lines of count 2^63-1 printed "total: -2 samples"; the same with pprof values. Every view and
# format of report (text, json, --by line, --modules, --group, --butterfly, folded, speedscope,
# html, --all) and diff must show no negative number and no share outside 0..100%.
. "$(dirname "$0")/lib.sh"
make_tmp
MAX=9223372036854775807
printf 'main;a %s\nmain;b %s\n' $MAX $MAX >"$TMP/big.folded"
printf 'main;a 3\nmain;b 2\n' >"$TMP/small.folded"
cat >"$TMP/big.txt" <<EOF2
types samples/count cpu/nanoseconds
ns $MAX
default cpu
mapping app /usr/bin/app 400000 500000 0
loc main app 401000 main@app.c:10
loc work app 402000 work@app.c:20
sample 3 100 101 0 main work
sample 2 100 101 10 main
EOF2
python3 "$SRCDIR/tests/data/views/mkpprof.py" "$TMP/big.txt" "$TMP/big.pb" ||
	fail "mkpprof.py could not encode the profile"

# check FILE...: every JSON number (in .json files and the JSON inside html pages) is >= 0, every
# *pct <= 100, and text files show no negative count or share.
check()
{
	python3 - "$@" <<'PY' || fail "$(basename "$1"): a sum wrapped (see above)"
import json, re, sys

def walk(x, path, key=""):
    if isinstance(x, dict):
        for k, v in x.items():
            walk(v, path, k)
    elif isinstance(x, list):
        for v in x:
            walk(v, path, key)
    elif isinstance(x, (int, float)) and not isinstance(x, bool):
        if key in ("self_pts", "total_pts", "self_rel", "total_rel", "self_change",
                   "total_change", "tree", "base"):
            return  # signed by design (changes), or the flamegraph's mixed arrays
        if x < 0:
            sys.exit("%s: %s = %r is negative" % (path, key, x))
        if key.endswith("pct") and x > 100:
            sys.exit("%s: %s = %r is above 100" % (path, key, x))

for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    if path.endswith(".json"):
        walk(json.loads(text), path)
    m = re.search(r"(total|samples)[: ]+-\d", text)
    if m:
        sys.exit("%s: negative total: %s" % (path, m.group(0)))
    m = re.search(r"(?<![\w.])-\d+(\.\d+)?%", text)
    if m and not path.endswith("diff.txt"):
        sys.exit("%s: negative share: %s" % (path, m.group(0)))
    for n in re.findall(r"(?<![\w.])(\d+(?:\.\d+)?)%", text):
        if float(n) > 100:
            sys.exit("%s: share above 100%%: %s%%" % (path, n))
    for n in re.findall(r'"(?:total|base_total|value|endValue)":(-?\d+)', text):
        if int(n) < 0:
            sys.exit("%s: negative value %s" % (path, n))
PY
}

for in in big.folded big.pb; do
	src="$TMP/$in"
	o="$TMP/$in"
	"$SCORCH" report "$src" >"$o.top.txt" || fail "report $in failed"
	"$SCORCH" report --format json "$src" >"$o.top.json" || fail "report --format json $in"
	grep -q "\"total\":$MAX,\"functions\"" "$o.top.json" || fail "report $in: the total is not $MAX: $(head -1 "$o.top.json")"
	"$SCORCH" report --by line --format json "$src" >"$o.line.json" || fail "report --by line $in"
	"$SCORCH" report --modules --format json "$src" >"$o.mod.json" || fail "report --modules $in"
	"$SCORCH" report --modules "$src" >"$o.mod.txt" || fail "report --modules $in"
	"$SCORCH" report --group w='a|work' --format json "$src" >"$o.grp.json" || fail "report --group $in"
	"$SCORCH" report --group w='a|work' "$src" >"$o.grp.txt" || fail "report --group $in"
	"$SCORCH" report --butterfly main --format json "$src" >"$o.bf.json" || fail "report --butterfly $in"
	"$SCORCH" report --butterfly main "$src" >"$o.bf.txt" || fail "report --butterfly $in"
	"$SCORCH" report --format speedscope "$src" >"$o.speedscope.json" || fail "speedscope $in"
	"$SCORCH" report --format folded "$src" >"$o.folded.txt" || fail "report --format folded $in"
	"$SCORCH" report --format html "$src" >"$o.fg.html" || fail "report --format html $in"
	"$SCORCH" report --all -o "$o.set" "$src" >/dev/null || fail "report --all $in"
	"$SCORCH" diff --format json "$src" "$TMP/small.folded" >"$o.diff.json" || fail "diff $in"
	"$SCORCH" diff "$src" "$TMP/small.folded" >"$o.diff.txt" || fail "diff $in"
	check "$o".*.txt "$o".*.json "$o.fg.html" "$o.set/summary.txt" "$o.set/hotspots.json" \
		"$o.set/report.md" "$o.set/flamegraph.html"
	ok "$in: totals saturate at $MAX in every view"
done
