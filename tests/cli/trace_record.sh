#!/usr/bin/env bash
# trace_record.sh: scorch record --trace on trace_known: CPU samples and spans on one time axis.
# trace.json holds the CPU profile's slices (each thread's track) and the spans (a track
# "THREAD spans" per thread) with the same counts as spans.json; every "spin" span (4, each
# >= 5 ms of CPU spun in spin_ms) overlaps CPU slices of spin_ms of the same thread, and no
# spin_ms slice lies outside them, which can only be when both use one clock. profile.pb.gz
# keeps the spans: `scorch report --format chrome|speedscope` of it show them (X events on span
# tracks; evented profiles, balanced). Refusals: --trace without a command, with the signal
# backend.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
command -v python3 >/dev/null || skip "python3 is needed to read the JSON outputs"
P=$(prog trace_known)

"$SCORCH" record --trace -F 1000 -o "$TMP/rec" -- "$P" >"$TMP/out" 2>"$TMP/err" ||
	fail "scorch record --trace failed: $(cat "$TMP/err")"
for f in profile.pb.gz flamegraph.html trace.json spans.txt spans.json spans.pb.gz; do
	[ -s "$TMP/rec/$f" ] || fail "$f was not written"
done
grep -q 'scorch record: --trace: 25 spans of 6 names' "$TMP/err" || fail "summary: $(cat "$TMP/err")"
python3 - "$TMP/rec" <<'PY' || fail "trace.json does not put samples and spans on one axis"
import json, sys
d = sys.argv[1]
t = json.load(open(d + "/trace.json"))["traceEvents"]
s = {x["name"]: x for x in json.load(open(d + "/spans.json"))["spans"] if not x["async"]}
OFF = 1 << 30
spans = [e for e in t if e["ph"] == "X" and e.get("cat") == "span"]
cpu = [e for e in t if e["ph"] == "X" and e.get("cat") != "span"]
assert spans and cpu, "no spans or no CPU slices"
assert all(e["tid"] >= OFF for e in spans), "a span on a CPU track"
assert all(e["tid"] < OFF for e in cpu), "a CPU slice on a span track"
for n, x in s.items():
    assert len([e for e in spans if e["name"] == n]) == x["count"], n
names = {e["tid"]: e["args"]["name"] for e in t if e["ph"] == "M" and e["name"] == "thread_name"}
assert sorted(v for k, v in names.items() if k >= OFF) == ["main spans", "worker-1 spans", "worker-2 spans"], names
spins = [e for e in spans if e["name"] == "spin"]
assert len(spins) == 4
for sp in spins:
    # Slices of consecutive samples merge across spans: overlap, not containment.
    inside = [c for c in cpu if c["name"] == "spin_ms" and c["tid"] == sp["tid"] - OFF and
              c["ts"] < sp["ts"] + sp["dur"] and c["ts"] + c["dur"] > sp["ts"]]
    assert inside, "no spin_ms CPU slice during the spin span at %s" % sp["ts"]
    # Nor does spin_ms run on that thread outside the spin spans (the loop is only there).
for c in cpu:
    if c["name"] == "spin_ms":
        assert any(sp["tid"] - OFF == c["tid"] and c["ts"] + c["dur"] > sp["ts"] and
                   c["ts"] < sp["ts"] + sp["dur"] for sp in spins), "spin_ms outside the spans"
PY
ok "CPU samples and spans share the time axis"

# profile.pb.gz keeps the spans (as the profile's intervals): scorch report's Chrome trace and
# speedscope file of it carry them, on tracks of their own.
"$SCORCH" report --format chrome -o "$TMP/c.json" "$TMP/rec/profile.pb.gz" || fail "report --format chrome"
"$SCORCH" report --format speedscope -o "$TMP/s.json" "$TMP/rec/profile.pb.gz" || fail "report --format speedscope"
"$SCORCH" report -n 3 "$TMP/rec/profile.pb.gz" >"$TMP/top" || fail "report"
grep -q 'spin_ms' "$TMP/top" || fail "the CPU profile lost its samples: $(cat "$TMP/top")"
python3 - "$TMP" <<'PY' || fail "the spans did not survive profile.pb.gz"
import json, sys
d = sys.argv[1]
c = json.load(open(d + "/c.json"))["traceEvents"]
sp = [e for e in c if e["ph"] == "X" and e.get("cat") == "span"]
assert len(sp) == 24 and all(e["tid"] >= 1 << 30 for e in sp), len(sp)
assert len([e for e in sp if e["name"] == "inner"]) == 6
s = json.load(open(d + "/s.json"))
ev = [p for p in s["profiles"] if p["type"] == "evented"]
assert sorted(p["name"].split(" spans")[0] for p in ev) == ["main", "worker-1", "worker-2"], [p["name"] for p in ev]
frames = s["shared"]["frames"]
n = 0
for p in ev:
    depth, last = 0, 0
    for e in p["events"]:
        assert e["at"] >= last, "events out of order"
        last = e["at"]
        depth += 1 if e["type"] == "O" else -1
        assert depth >= 0
        n += e["type"] == "O"
    assert depth == 0, "unbalanced O/C"
assert n == 24, n
main = [p for p in ev if p["name"].startswith("main spans")][0]
opened = [frames[e["frame"]]["name"] for e in main["events"] if e["type"] == "O"]
assert opened.count("outer") == 3 and opened.count("inner") == 6 and opened[0] == "run", opened
PY
ok "profile.pb.gz keeps the spans: report's Chrome and speedscope outputs show them"

"$SCORCH" record --trace -o "$TMP/x" -p 1 2>"$TMP/err"
[ $? = 2 ] || fail "--trace with -p: want exit 2"
"$SCORCH" record --trace --backend signal -o "$TMP/x" -- "$P" 2>"$TMP/err"
[ $? = 2 ] || fail "--trace with the signal backend: want exit 2"
grep -q -- '--trace needs a command it starts (-- COMMAND) and the perf backend' "$TMP/err" || fail "$(cat "$TMP/err")"
ok "--trace refuses what it cannot do"
