#!/usr/bin/env bash
# run_filters.sh: scorch run applies scorch.toml's [filters] (docs/config.md) to the CPU profile
# of the session: on hot.c (hot_a 50%, hot_b 30%, hot_c 20% self), exclude_functions = hot_b
# folds hot_b into main (no hot_b in cpu/hotspots.json, cpu/summary.txt or report.md; the raw
# cpu/profile.pb.gz still has it); include_functions = hot_a keeps only hot_a's samples;
# exclude_system removes the libc and kernel frames the raw profile has. [reporting] format
# json/text/html: report.json (in output_directory, parsed and checked), report.txt, report.html;
# [output] format speedscope and chrome: cpu/profile.speedscope.json (filtered), .chrome.json.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
command -v python3 >/dev/null || skip "python3 is needed to read hotspots.json"
HOT=$(prog hot)

# session NAME TOML: a cpu session of hot with that config; prints the session folder.
session()
{
	printf '%b' "$2" >"$TMP/$1.toml"
	"$SCORCH" run --mode cpu --config "$TMP/$1.toml" -o "$TMP/$1" -- "$HOT" 0.3 \
		>"$TMP/$1.out" 2>"$TMP/$1.err" || fail "scorch run with $1.toml exited $? ($(cat "$TMP/$1.err"))"
	readlink -f "$TMP/$1/latest"
}

# names FILE [self|all]: the function names (with self > 0, or all of both tables) of a
# hotspots.json, one per line as NAME<TAB>MODULE.
names()
{
	python3 - "$1" "$2" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
assert h["schema"] == "scorch.hotspots"
rows = h["functions"] + ([] if sys.argv[2] == "self" else h["by_total"])
for f in rows:
    if sys.argv[2] != "self" or f["self"] > 0:
        print("%s\t%s\t%s" % (f["name"], f.get("module", ""), f["self_pct"]))
PY
}

# The raw names: the report set of the unfiltered profile.
"$SCORCH" report --all -o "$TMP/raw" "$(session none '')/cpu/profile.pb.gz" >/dev/null 2>"$TMP/raw.err" ||
	fail "scorch report --all on the raw profile: $(cat "$TMP/raw.err")"
names "$TMP/raw/hotspots.json" all >"$TMP/raw.names"
grep -q '^hot_b	' "$TMP/raw.names" || fail "the raw profile has no hot_b: $(cat "$TMP/raw.names")"
grep -q '	libc' "$TMP/raw.names" || fail "the raw profile has no libc frame: $(cat "$TMP/raw.names")"

S=$(session exfn '[filters]\nexclude_functions = ["hot?b"]\n')
[ -s "$S/cpu/filtered.pb.gz" ] || fail "no cpu/filtered.pb.gz"
names "$S/cpu/hotspots.json" all >"$TMP/exfn.names"
grep -q '^hot_b	' "$TMP/exfn.names" && fail "exclude_functions: hot_b is still in hotspots.json"
grep -q '^hot_a	' "$TMP/exfn.names" || fail "exclude_functions: hot_a is gone too"
grep -q ' hot_b ' "$S/cpu/summary.txt" && fail "exclude_functions: hot_b is in summary.txt"
grep -q '^| hot_b |' "$S/report.md" && fail "exclude_functions: hot_b is in report.md"
grep -q '^| hot_a |' "$S/report.md" || fail "exclude_functions: report.md lost hot_a: $(cat "$S/report.md")"
"$SCORCH" report --all -o "$TMP/exfn-raw" "$S/cpu/profile.pb.gz" >/dev/null 2>&1 ||
	fail "scorch report --all on the kept raw profile"
names "$TMP/exfn-raw/hotspots.json" all | grep -q '^hot_b	' ||
	fail "exclude_functions: the raw cpu/profile.pb.gz lost hot_b"
# hot_b's 30% is main's self time now (folded into the caller, docs/config.md).
m=$(sed -n 's/^main	[^	]*	\(.*\)/\1/p' "$TMP/exfn.names" | head -1)
[ -n "$m" ] || fail "exclude_functions: no main row"
near "$m" 30 8 "exclude_functions: main's self (hot_b folded into it)"

S=$(session infn '[filters]\ninclude_functions = ["hot_a"]\n')
names "$S/cpu/hotspots.json" all >"$TMP/infn.names"
grep -qE '^hot_[bc]	' "$TMP/infn.names" && fail "include_functions: hot_b or hot_c kept: $(cat "$TMP/infn.names")"
a=$(sed -n 's/^hot_a	[^	]*	\(.*\)/\1/p' "$TMP/infn.names" | head -1)
[ -n "$a" ] || fail "include_functions: no hot_a row"
near "$a" 100 8 "include_functions: hot_a's share of what is kept"

S=$(session sys '[filters]\nexclude_system = true\n')
names "$S/cpu/hotspots.json" all >"$TMP/sys.names"
grep -qE '	(libc|\[kernel)' "$TMP/sys.names" && fail "exclude_system: system frames left: $(cat "$TMP/sys.names")"
grep -q '^hot_a	' "$TMP/sys.names" || fail "exclude_system: hot_a is gone"
ok "exclude_system: no libc or kernel frame"

# [reporting] format = "json" into output_directory: report.json with report.md's content as
# data (its CPU table filtered too); report.md stays in the session folder.
S=$(session json "[filters]\nexclude_functions = [\"hot_b\"]\n[reporting]\nformat = \"json\"\noutput_directory = \"$TMP/rep\"\n")
[ -s "$S/report.md" ] || fail "reporting.format json: no report.md in the session folder"
[ -s "$TMP/rep/report.json" ] || fail "reporting.format json: no $TMP/rep/report.json"
python3 - "$TMP/rep/report.json" "$S" <<'PY' || fail "report.json disagrees (above)"
import json, sys
r = json.load(open(sys.argv[1]))
ok = True
def check(c, msg):
    global ok
    if not c:
        print("  " + msg, file=sys.stderr); ok = False
check(r["schema"] == "scorch.run-report" and r["version"] == 1, "schema")
check(r["name"] == "hot" and r["folder"] == sys.argv[2], "name/folder %s %s" % (r["name"], r["folder"]))
check([m["mode"] + "=" + m["status"] for m in r["modes"]] == ["cpu=ok"], "modes %s" % r["modes"])
c = r["cpu"]
check(c["filtered"] is True and c["profile"] == "cpu/filtered.pb.gz", "cpu profile %s" % c)
names = {f["name"]: f for f in c["functions"]}
check("hot_b" not in names, "hot_b is in report.json")
check("hot_a" in names and abs(names["hot_a"]["self_pct"] - 50) <= 8, "hot_a %s" % names.get("hot_a"))
check(all(f["self"] <= c["total"] for f in c["functions"]), "a self above the total")
check(r["gates"] == [], "gates %s" % r["gates"])
h = r["cpu_hot_stack"]
check(h is not None and h["frames"][-1] in ("main", "hot_a") and "main" in h["frames"], "cpu_hot_stack %s" % h)
sys.exit(0 if ok else 1)
PY
ok "reporting.format json: report.json in output_directory, hot_b folded"

# text and html: report.txt is report.md's text, report.html a page of it. include_call_stacks
# (default true) adds the hottest call stack; false leaves it out.
S=$(session txt '[reporting]\nformat = "text"\ninclude_call_stacks = false\n')
cmp -s "$S/report.txt" "$S/report.md" || fail "reporting.format text: report.txt differs from report.md"
grep -q 'Hottest call stack' "$S/report.md" && fail "include_call_stacks = false: report.md has a stack"
S=$(session html '[reporting]\nformat = "html"\n')
grep -q '^| hot_a |' "$S/report.html" && grep -q '<pre>' "$S/report.html" ||
	fail "reporting.format html: report.html lacks hot_a's row"
grep -q 'Hottest call stack' "$S/report.md" && grep -q '^   main$' "$S/report.md" ||
	fail "include_call_stacks: report.md has no hottest stack through main: $(cat "$S/report.md")"
ok "reporting.format text and html, include_call_stacks"

# [output] format speedscope (with [filters]): cpu/profile.speedscope.json of the filtered
# profile; chrome: cpu/profile.chrome.json.
S=$(session speed '[output]\nformat = "speedscope"\n[filters]\nexclude_functions = ["hot_b"]\n')
python3 - "$S/cpu/profile.speedscope.json" <<'PY' || fail "output.format speedscope: bad cpu/profile.speedscope.json"
import json, sys
d = json.load(open(sys.argv[1]))
names = {f["name"] for f in d["shared"]["frames"]}
assert "speedscope" in d["$schema"] and "hot_a" in names and "hot_b" not in names, names
PY
S=$(session chrome '[output]\nformat = "chrome"\n')
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); e = d["traceEvents"] if isinstance(d, dict) else d; assert any(x.get("name") == "hot_b" for x in e)' \
	"$S/cpu/profile.chrome.json" || fail "output.format chrome: bad cpu/profile.chrome.json"
ok "output.format speedscope (filtered) and chrome"
