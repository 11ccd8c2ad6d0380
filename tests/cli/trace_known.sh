#!/usr/bin/env bash
# trace_known.sh: scorch trace on tests/programs/trace_known.c, whose comments state the answers.
# Counts are exact; each duration is at least its nominal time and below a generous bound (the
# program's sleeps and spins set the floor; a loaded machine only adds); self = total minus the
# children. The Chrome trace is parsed with python3's json: every X event's fields, thread
# names for every tid, the async pair (one id, two threads), and its values agree with
# spans.json. `scorch report --format json spans.pb.gz` gives the span tree.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
command -v python3 >/dev/null || skip "python3 is needed to read the JSON outputs"
P=$(prog trace_known)

"$SCORCH" trace -o "$TMP/out" -- "$P" >"$TMP/stdout" 2>"$TMP/stderr" ||
	fail "scorch trace exited $? ($(cat "$TMP/stderr"))"
for f in trace.json spans.txt spans.json spans.pb.gz flamegraph.html butterfly.html summary.txt \
	hotspots.json report.md; do
	[ -s "$TMP/out/$f" ] || fail "$f was not written"
done
grep -q '^outer  *3 ' "$TMP/stdout" || fail "the summary lacks 'outer 3': $(cat "$TMP/stdout")"
grep -q 'wrote .*trace.json' "$TMP/stdout" || fail "the summary does not say what was written"

python3 - "$TMP/out" "$P" <<'EOF' || fail "the outputs disagree with trace_known.c (above)"
import json, sys, os
out, prog = sys.argv[1], sys.argv[2]
MS = 1000000
errors = []
def check(cond, what):
    if not cond:
        errors.append(what)

s = json.load(open(os.path.join(out, "spans.json")))
check(s["schema"] == "scorch.spans" and s["version"] == 1, "schema/version")
spans = {(x["name"], x["async"]): x for x in s["spans"]}
# name: (count, nominal ms per span, threads)
want = {("run", False): (1, 159, 1), ("outer", False): (3, 40, 1), ("inner", False): (6, 10, 1),
        ("spin", False): (4, 5, 1), ("work", False): (10, 2, 2), ("request", True): (1, 10, 2)}
check(set(spans) == set(want), "span names %s" % sorted(spans))
for k, (count, nominal, threads) in want.items():
    x = spans.get(k)
    if not x:
        continue
    check(x["count"] == count, "%s count %d, want %d" % (k, x["count"], count))
    check(x["threads"] == threads, "%s threads %d, want %d" % (k, x["threads"], threads))
    check(x["open"] == 0, "%s open" % (k,))
    lo, hi = nominal * MS, (nominal * 20 + 2000) * MS
    check(x["min_ns"] >= lo, "%s min %d below its nominal %d ms" % (k, x["min_ns"], nominal))
    check(x["max_ns"] <= hi, "%s max %d above %d ms" % (k, x["max_ns"], hi // MS))
    check(x["total_ns"] >= count * lo, "%s total" % (k,))
    check(x["mean_ns"] == x["total_ns"] // x["count"], "%s mean" % (k,))
    check(x["min_ns"] <= x["p50_ns"] <= x["p90_ns"] <= x["p99_ns"] <= x["max_ns"],
          "%s percentiles out of order" % (k,))
    check(x["file"].endswith("trace_known.c") and x["line"] > 0, "%s file:line" % (k,))
# Self times: leaves and async spans have self = total; parents total minus their children.
for k in [("inner", False), ("spin", False), ("work", False), ("request", True)]:
    check(spans[k]["self_ns"] == spans[k]["total_ns"], "%s self != total" % (k,))
o, i, r, sp = (spans[(n, False)] for n in ("outer", "inner", "run", "spin"))
check(o["self_ns"] == o["total_ns"] - i["total_ns"], "outer self != total - inner")
check(o["self_ns"] >= 3 * 20 * MS, "outer self below 3 x 20 ms")
check(r["self_ns"] == r["total_ns"] - o["total_ns"] - sp["total_ns"],
      "run self != total - outer - spin")
c = {x["name"]: x for x in s["counters"]}
check(c.get("queue") == {"name": "queue", "count": 5, "min": 0, "mean": 2, "max": 4, "last": 4},
      "counter queue %s" % c.get("queue"))
mk = {x["name"]: x for x in s["marks"]}
check(mk.get("tick", {}).get("count") == 2 and mk["tick"]["kind"] == "mark", "mark tick")
check(mk.get("frame", {}).get("count") == 4 and mk["frame"]["kind"] == "frame", "frame marks")
lp = {x["name"]: x for x in s["loops"]}
ev = lp.get("ev", {})
check(ev.get("iterations") == 3, "loop ev iterations %s" % ev.get("iterations"))
check(ev.get("lag_max_ns", 0) >= 2 * MS and ev.get("lag_p50_ns", 0) >= 2 * MS * 0.98,
      "loop ev lag below 2 ms: %s" % ev)
th = {x["name"]: x for x in s["threads"]}
check({"main", "worker-1", "worker-2"} <= set(th), "thread names %s" % sorted(th))
for k in ("lost_events", "open_spans", "unmatched_ends", "async_open", "async_unmatched_ends",
          "corrupt_records", "unknown_sites"):
    check(s[k] == 0, "%s = %d" % (k, s[k]))

# The Chrome trace.
t = json.load(open(os.path.join(out, "trace.json")))
ev = t["traceEvents"]
check(t.get("displayTimeUnit") in ("ms", "ns"), "displayTimeUnit")
xs = [e for e in ev if e["ph"] == "X"]
check(len(xs) == 24, "%d X events, want 24" % len(xs))
for e in xs:
    check(set(e) >= {"name", "cat", "pid", "tid", "ts", "dur", "args"}, "X fields %s" % e)
    check(isinstance(e["ts"], (int, float)) and e["dur"] >= 0, "X times %s" % e)
    check(":" in e["args"]["file"], "X args.file %s" % e)
tids = {(e["pid"], e["tid"]) for e in ev if e["ph"] != "M"}
named = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev
         if e["ph"] == "M" and e["name"] == "thread_name"}
check(tids <= set(named), "tids without thread_name: %s" % (tids - set(named)))
check(sorted(named.values()) == ["main", "worker-1", "worker-2"], "thread names %s" % named)
procs = [e for e in ev if e["ph"] == "M" and e["name"] == "process_name"]
check(len(procs) == 1 and procs[0]["args"]["name"] == os.path.basename(prog),
      "process_name %s" % procs)
bs = [e for e in ev if e["ph"] in "BE"]
check(len([e for e in bs if e["ph"] == "B"]) == len([e for e in bs if e["ph"] == "E"]),
      "B/E unbalanced")
b = [e for e in ev if e["ph"] == "b"]
e_ = [e for e in ev if e["ph"] == "e"]
check(len(b) == 1 and len(e_) == 1, "async b/e: %s %s" % (b, e_))
if b and e_:
    check(b[0]["id"] == e_[0]["id"] and b[0]["name"] == e_[0]["name"] == "request",
          "async pair id/name")
    check(b[0]["tid"] != e_[0]["tid"], "the async span begins and ends on one thread")
    check(named.get((b[0]["pid"], b[0]["tid"])) == "main", "async begun on main")
    check(named.get((e_[0]["pid"], e_[0]["tid"])) == "worker-1", "async ended on worker-1")
    dur = (e_[0]["ts"] - b[0]["ts"]) * 1000
    check(abs(dur - spans[("request", True)]["total_ns"]) < 2, "async duration disagrees")
# X values agree with spans.json: per name, count and total duration (ns, rounding of us).
for (name, asy), x in spans.items():
    if asy:
        continue
    mine = [e for e in xs if e["name"] == name]
    check(len(mine) == x["count"], "%s: %d X events, spans.json %d" % (name, len(mine), x["count"]))
    tot = sum(round(e["dur"] * 1000) for e in mine)
    check(abs(tot - x["total_ns"]) <= len(mine), "%s: X total %d, spans.json %d" % (name, tot, x["total_ns"]))
    mx = max(round(e["dur"] * 1000) for e in mine)
    check(abs(mx - x["max_ns"]) <= 1, "%s: X max" % name)
# Nesting: every inner X lies within an outer X of its thread.
outs = [e for e in xs if e["name"] == "outer"]
for e in (e for e in xs if e["name"] == "inner"):
    check(any(o["tid"] == e["tid"] and o["ts"] <= e["ts"] and
              e["ts"] + e["dur"] <= o["ts"] + o["dur"] + 0.001 for o in outs), "inner outside outer")
cs = [e for e in ev if e["ph"] == "C" and e["name"] == "queue"]
check([e["args"]["value"] for e in cs] == [0, 1, 2, 3, 4], "counter events %s" % cs)
check(len([e for e in ev if e["ph"] == "i" and e["name"] == "tick"]) == 2, "tick marks")
check(len([e for e in ev if e["ph"] == "i" and e["name"] == "frame"]) == 4, "frame marks")
check(len([e for e in ev if e["ph"] == "C" and e["name"] == "loop ev"]) == 3, "loop counters")
for m in errors:
    print("mismatch:", m)
sys.exit(1 if errors else 0)
EOF
ok "spans.json and trace.json agree with trace_known.c"

# The profile of spans: the tree run -> outer -> inner, counts as spans, time as self.
"$SCORCH" report --format json "$TMP/out/spans.pb.gz" >"$TMP/report.json" ||
	fail "scorch report cannot read spans.pb.gz"
"$SCORCH" report --format folded --sample-type spans "$TMP/out/spans.pb.gz" >"$TMP/folded" ||
	fail "scorch report --format folded failed"
grep -qx 'run;outer;inner 6' "$TMP/folded" || fail "no run;outer;inner 6 in $(cat "$TMP/folded")"
grep -qx 'run;outer 3' "$TMP/folded" || fail "no run;outer 3"
grep -qx 'run;spin 4' "$TMP/folded" || fail "no run;spin 4"
grep -qx 'work 10' "$TMP/folded" || fail "no work 10"
grep -qx 'async;request 1' "$TMP/folded" || fail "no async;request 1"
python3 - "$TMP/report.json" "$TMP/out/spans.json" <<'EOF' || fail "report's JSON disagrees with spans.json"
import json, sys
r = json.load(open(sys.argv[1]))
s = {x["name"]: x for x in json.load(open(sys.argv[2]))["spans"] if not x["async"]}
text = json.dumps(r)
assert "span_time" in text, "the report is not of span_time"
rows = {x["name"]: x for x in r["by_self"]}
for n in ("inner", "outer", "work", "spin", "run"):
    assert n in rows, "%s missing from the report" % n
    assert rows[n]["self"] == s[n]["self_ns"], "%s self %s vs %s" % (n, rows[n]["self"], s[n]["self_ns"])
EOF
grep -q '^sample type: span_time (nanoseconds)' "$TMP/out/summary.txt" ||
	fail "summary.txt is not the report of spans.pb.gz: $(head -3 "$TMP/out/summary.txt")"
grep -q '"name":"inner"' "$TMP/out/hotspots.json" || fail "hotspots.json lacks the span inner"
ok "spans.pb.gz holds the span tree; its report set is written"
