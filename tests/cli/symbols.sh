#!/usr/bin/env bash
# symbols.sh: a stripped program, then the same program with its debug file found through
# .gnu_debuglink. tests/programs/hot.c gives hot_a, hot_b and hot_c 50% / 30% / 20% of the time.
#  - Stripped (objcopy --strip-all: no .symtab, no DWARF; .eh_frame stays): each function's
#    addresses collapse into one row named after the function's start, "hot-stripped+0xOFFSET",
#    so the three rows under main carry 50/30/20 of the total (within 5 points) and the module
#    has a handful of rows, not one per sampled address. The summary says most samples have no
#    symbol, in hot-stripped, because it is stripped.
#  - With its debug file in .debug/ beside it (objcopy --only-keep-debug + --add-gnu-debuglink,
#    found by libdwfl's default path ":.debug:/usr/lib/debug"): hot_a/hot_b/hot_c by name again,
#    and no "no symbol" line.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
command -v objcopy >/dev/null || skip "needs binutils' objcopy to strip a copy of tests/programs/hot"
hot=$(prog hot)
mkdir -p "$TMP/bin/.debug"
objcopy --strip-all "$hot" "$TMP/bin/hot-stripped" || fail "objcopy --strip-all failed"

record "$TMP/stripped" "$TMP/bin/hot-stripped" 1
[ "$RC" -eq 0 ] || fail "scorch record exited $RC"
report_json "$TMP/stripped/profile.pb.gz" >"$TMP/stripped.json"
at_least_samples "$TMP/stripped.json" 300
read -r rows top3 < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
mine = [r for r in d["by_total"] if r.get("module") == "hot-stripped"]
# by total, so that kernel frames over the loops (interrupts) still count; main and the entry
# code hold (nearly) everything and are left out
shares = sorted((r["total_pct"] for r in mine if r["total_pct"] < 90), reverse=True)[:3]
print(len(mine), ",".join("%.1f" % s for s in shares))' "$TMP/stripped.json") ||
	fail "cannot read $TMP/stripped.json"
[ "$rows" -ge 3 ] && [ "$rows" -le 8 ] ||
	fail "$rows rows for hot-stripped, expected one per hot function (3 to 8)"
ok "hot-stripped shows as $rows rows"
IFS=, read -r a b c <<<"$top3"
near "$a" 50 5 "hottest unnamed function (hot_a)"
near "$b" 30 5 "second unnamed function (hot_b)"
near "$c" 20 5 "third unnamed function (hot_c)"
python3 -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
bad = [r["name"] for r in d["by_self"] if r.get("module") == "hot-stripped"
       and not re.fullmatch(r"hot-stripped\+0x[0-9a-f]+|\[hot-stripped\]|.*@plt|main|_start", r["name"])]
sys.exit("unexpected row names: %s" % bad if bad else 0)' "$TMP/stripped.json" || fail "row names"
grep -q '^scorch record: [0-9]*% of samples have no symbol$' "$TMP/stripped.log" ||
	fail "no 'N% of samples have no symbol' line: $(cat "$TMP/stripped.log")"
grep -q '^scorch record:   [0-9]*% of samples in hot-stripped have no symbol (stripped: ' \
	"$TMP/stripped.log" || fail "the summary does not blame hot-stripped: $(cat "$TMP/stripped.log")"
ok "summary: hot-stripped is stripped"

objcopy --only-keep-debug "$hot" "$TMP/bin/.debug/hot-linked.debug" &&
	objcopy --strip-all --add-gnu-debuglink="$TMP/bin/.debug/hot-linked.debug" "$hot" \
		"$TMP/bin/hot-linked" || fail "objcopy (debug file and link) failed"
record "$TMP/linked" "$TMP/bin/hot-linked" 1
[ "$RC" -eq 0 ] || fail "scorch record exited $RC"
report_json "$TMP/linked/profile.pb.gz" >"$TMP/linked.json"
near "$(pct "$TMP/linked.json" hot_a total)" 50 5 "hot_a total (from the debuglink file)"
near "$(pct "$TMP/linked.json" hot_c total)" 20 5 "hot_c total (from the debuglink file)"
! grep -q 'have no symbol' "$TMP/linked.log" || fail "unexpected 'no symbol' line: $(cat "$TMP/linked.log")"
ok "no 'no symbol' line with the debug file"
