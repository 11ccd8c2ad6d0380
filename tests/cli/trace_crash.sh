#!/usr/bin/env bash
# trace_crash.sh: scorch trace keeps what a command wrote when it dies, and follows forks.
#   kill   trace_known kill completes 3 "before" spans, then SIGKILLs itself inside "doomed":
#          scorch exits 137, says so, and trace.json (valid JSON) holds the 3 spans; "doomed" is
#          counted open.
#   duration  trace_known forever stopped by --duration 0.3: exit 143, outputs written.
#   fork   trace_known fork: a "parent" span in the command's process and 2 "child" spans in its
#          child, each process named, the child's spans under its own pid.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
command -v python3 >/dev/null || skip "python3 is needed to read the JSON outputs"
P=$(prog trace_known)

"$SCORCH" trace -q -o "$TMP/kill" -- "$P" kill >"$TMP/kill.out" 2>"$TMP/kill.err"
rc=$?
[ "$rc" = 137 ] || fail "scorch trace exited $rc for a command killed by SIGKILL, want 137"
grep -q "killed by signal 9" "$TMP/kill.err" || fail "no word of the kill: $(cat "$TMP/kill.err")"
"$SCORCH" trace -o "$TMP/kill2" -- "$P" kill >"$TMP/kill.out" 2>/dev/null
grep -q '^still open at the end: 1 spans, 0 async spans' "$TMP/kill.out" ||
	fail "the summary does not count the open span: $(cat "$TMP/kill.out")"
python3 - "$TMP/kill" <<'PY' || fail "the killed command's spans were not kept"
import json, sys
t = json.load(open(sys.argv[1] + "/trace.json"))["traceEvents"]
xs = [e for e in t if e["ph"] == "X"]
assert len([e for e in xs if e["name"] == "before" and "open" not in e["args"]]) == 3, xs
assert [e["args"].get("open") for e in xs if e["name"] == "doomed"] == [True], xs
s = json.load(open(sys.argv[1] + "/spans.json"))
sp = {x["name"]: x for x in s["spans"]}
assert sp["before"]["count"] == 3 and sp["before"]["open"] == 0, sp
assert sp["doomed"]["open"] == 1, sp
assert s["open_spans"] == 1, s["open_spans"]
PY
ok "a command killed mid-span leaves its completed spans"

"$SCORCH" trace -q -o "$TMP/fork" -- "$P" fork 2>"$TMP/fork.err" || fail "scorch trace failed on fork: $(cat "$TMP/fork.err")"
python3 - "$TMP/fork" <<'PY' || fail "the forked child's spans are wrong"
import json, sys
t = json.load(open(sys.argv[1] + "/trace.json"))["traceEvents"]
xs = [e for e in t if e["ph"] == "X"]
parent = [e for e in xs if e["name"] == "parent"]
child = [e for e in xs if e["name"] == "child"]
assert len(parent) == 1 and len(child) == 2, xs
assert {e["pid"] for e in child} != {parent[0]["pid"]} and len({e["pid"] for e in child}) == 1, xs
procs = {e["pid"] for e in t if e["ph"] == "M" and e["name"] == "process_name"}
assert procs == {parent[0]["pid"], child[0]["pid"]}, procs
PY
ok "a forked child's spans are its own process's"

# --duration: a command that never ends is stopped (SIGTERM, status 143 as scorch record's) and
# its outputs written: the ticks so far completed, "forever" and the last tick open.
"$SCORCH" trace -q --duration 0.3 -o "$TMP/dur" -- "$P" forever 2>"$TMP/dur.err"
rc=$?
[ "$rc" = 143 ] || fail "--duration: exit $rc, want 143 (the command stopped by SIGTERM)"
grep -q 'killed by signal' "$TMP/dur.err" && fail "a stop by --duration reported as a crash"
python3 - "$TMP/dur" <<'PY' || fail "--duration: the outputs of the stopped command are wrong"
import json, sys
s = json.load(open(sys.argv[1] + "/spans.json"))
sp = {x["name"]: x for x in s["spans"]}
assert sp["forever"]["count"] == 1 and sp["forever"]["open"] == 1, sp
assert sp["tick"]["count"] >= 2 and sp["tick"]["open"] <= 1, sp
assert sp["tick"]["min_ns"] >= 5000000 or sp["tick"]["open"] == 1, sp
json.load(open(sys.argv[1] + "/trace.json"))
PY
ok "--duration stops the command and keeps its spans"
