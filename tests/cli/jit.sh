#!/usr/bin/env bash
# jit.sh: code in anonymous executable memory named by the process's /tmp/perf-PID.map, as
# node --perf-basic-prof, LuaJIT or a Java agent write it. tests/programs/jit.c runs three copies
# of a loop for 6:2:2 units of work; its map names two of them. Expected (within 12 and 10 points,
# by total so that kernel frames on top of the loops do not matter; the copies run one after
# another, so a busy host that slows one phase more than another moves the shares: 68.9% for the
# first was seen once under load):
#   "JIT:hot_loop [tier 2]" 60%   jit_warm 20%   [anon] (the copy the map leaves out) 20%
# and the summary says which share of the samples has no symbol and that the map does not name it.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
jit=$(prog jit)
# jit prints the map it wrote; remove it whatever happens (a runtime's map outlives it).
trap 'rm -rf "$TMP"; [ -z "${MAP:-}" ] || rm -f "$MAP"' EXIT
MAP=
"$jit" 0.01 >"$TMP/probe.out" || {
	[ $? -eq 77 ] && skip "$(cat "$TMP/probe.out")"
	fail "jit 0.01 failed: $(cat "$TMP/probe.out")"
}
MAP=$(cat "$TMP/probe.out")
rm -f "$MAP"
MAP=
record "$TMP/out" "$jit" 1
MAP=$(grep -m1 '^/tmp/perf-[0-9]*\.map$' "$TMP/out.log")
[ -n "$MAP" ] || fail "jit printed no perf map path; log: $(cat "$TMP/out.log")"
[ "$RC" -eq 0 ] || fail "scorch record exited $RC, jit exits 0"
report_json "$TMP/out/profile.pb.gz" >"$TMP/top.json"
at_least_samples "$TMP/top.json" 200
near "$(pct "$TMP/top.json" 'JIT:hot_loop [tier 2]' total)" 60 12 "JIT:hot_loop [tier 2] total"
near "$(pct "$TMP/top.json" jit_warm total)" 20 10 "jit_warm total"
near "$(pct "$TMP/top.json" '[anon]' total)" 20 10 "[anon] total (the unnamed copy)"
# the unnamed copy is one row, whatever the number of sampled addresses in it
rows=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(sum(1 for r in d["by_self"] if "anon" in r.get("module", "") and r["name"] not in ("JIT:hot_loop [tier 2]", "jit_warm")))' "$TMP/top.json")
[ "$rows" -eq 1 ] || fail "$rows rows for the unnamed anonymous code, expected 1"
ok "one row for the unnamed anonymous code"
grep -q "^scorch record: [0-9]*% of samples have no symbol$" "$TMP/out.log" ||
	fail "no 'N% of samples have no symbol' line: $(cat "$TMP/out.log")"
grep -q "of samples in \[anon\] have no symbol (generated code not named in /tmp/perf-[0-9]*\.map" \
	"$TMP/out.log" || fail "the summary does not name the anonymous code: $(cat "$TMP/out.log")"
ok "summary names the unnamed JIT code"
