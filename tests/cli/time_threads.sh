#!/usr/bin/env bash
# time_threads.sh: scorch's own recordings keep each sample's time and its thread's name
# (issue 11, item 1). tests/programs/phases.c: a thread that names itself "worker" runs
# phase_one, then phase_two (equal work), while main waits.
#
#   report --by thread        worker has ~100% of the samples, and its first/last times
#   --comm worker, --tid worker   keep them all (names, not numbers)
#   --from/--to               the first half of worker's time is phase_one, the second phase_two
#                             (the cut comes from the recording's own times, not the clock)
#   --format chrome           a track named worker, phase_one's slices before phase_two's
#   --backend signal          the same names from the preloaded sampler
# Shares have wide tolerances; nothing depends on how long anything took.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf

PHASES=$(prog phases)
record "$TMP/rec" "$PHASES" 0.5
[ "$RC" -eq 0 ] || fail "scorch record exited $RC"
P="$TMP/rec/profile.pb.gz"

# json_rows FILE: "name pct samples first_s last_s" of each row of a scorch.threads document.
json_rows()
{
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "scorch.threads", d["schema"]
for r in d["rows"]:
    print(r["name"] or "?", r["pct"], r["samples"], r.get("first_s", "-"), r.get("last_s", "-"))
' "$1" || fail "cannot read $1"
}

"$SCORCH" report --by thread --format json --sample-type samples "$P" >"$TMP/threads.json" ||
	fail "report --by thread failed"
json_rows "$TMP/threads.json" >"$TMP/threads.rows"
read -r name share nsamples first last <"$TMP/threads.rows"
[ "$name" = worker ] || fail "the heaviest thread is '$name', not worker: $(cat "$TMP/threads.rows")"
[ "$nsamples" -ge 200 ] || fail "only $nsamples samples of worker (need 200 to judge shares)"
near "$share" 100 5 "worker's share by thread"
[ "$first" != - ] || fail "the rows have no times: profile.pb.gz lost them"
"$SCORCH" report --by thread "$P" | grep -Eq '^ *[0-9.]+%.* worker$' ||
	fail "the text table has no worker row"
"$SCORCH" report --by process --format json "$P" | grep -q '"name":"phases"' ||
	fail "report --by process does not name the process phases"
ok "by thread: worker $share% of $nsamples samples, from ${first}s to ${last}s"

# samples FILTER...: the samples the filters keep (the total of the top view).
samples()
{
	"$SCORCH" report --format json --sample-type samples "$@" "$P" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])' ||
		fail "report $* failed"
}
all=$(samples)
for f in "--comm worker" "--tid worker" "--comm phases"; do
	# shellcheck disable=SC2086
	kept=$(samples $f)
	near "$(python3 -c "print(100.0 * $kept / $all)")" 100 5 "share kept by $f"
done
kept=$(samples --comm nosuchthread 2>/dev/null)
[ "$kept" -eq 0 ] || fail "--comm nosuchthread kept $kept samples"
ok "--comm nosuchthread keeps nothing"

# The two halves of worker's time, a tenth of it left out around the middle.
read -r a1 a2 b1 b2 < <(python3 -c "
f, l = $first, $last
m, g = (f + l) / 2, (l - f) / 10
print('%.6f %.6f %.6f %.6f' % (f, m - g, m + g, l + g))")
report_json_window()
{
	"$SCORCH" report --format json --top 500 --sample-type samples --from "$1" --to "$2" "$P" \
		>"$3" || fail "report --from $1 --to $2 failed"
}
report_json_window "$a1" "$a2" "$TMP/first.json"
report_json_window "$b1" "$b2" "$TMP/second.json"
at_least_samples "$TMP/first.json" 50
at_least_samples "$TMP/second.json" 50
near "$(pct "$TMP/first.json" phase_one self)" 100 15 "phase_one in --from $a1 --to $a2"
near "$(pct "$TMP/first.json" phase_two self)" 0 15 "phase_two in --from $a1 --to $a2"
near "$(pct "$TMP/second.json" phase_two self)" 100 15 "phase_two in --from $b1 --to $b2"
near "$(pct "$TMP/second.json" phase_one self)" 0 15 "phase_one in --from $b1 --to $b2"

# Chrome: a track named worker, whose phase_one slices start before its phase_two slices.
"$SCORCH" report --format chrome -o "$TMP/trace.json" "$P" || fail "report --format chrome failed"
python3 - "$TMP/trace.json" <<'PY' || fail "the chrome trace is not as expected"
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
names = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev
         if e["ph"] == "M" and e["name"] == "thread_name"}
workers = [k for k, v in names.items() if v == "worker"]
assert len(workers) == 1, "thread_name events: %r" % names
one = [e["ts"] for e in ev if e["ph"] == "X" and e["name"] == "phase_one"
       and (e["pid"], e["tid"]) == workers[0]]
two = [e["ts"] for e in ev if e["ph"] == "X" and e["name"] == "phase_two"
       and (e["pid"], e["tid"]) == workers[0]]
assert one and two, "no phase slices on the worker track"
assert max(one) < min(two), "phase_one does not end before phase_two starts"
PY
ok "chrome: a track named worker, phase_one before phase_two"
"$SCORCH" report --format speedscope "$P" | grep -q '"name":"worker (pid [0-9]* tid [0-9]*)"' ||
	fail "the speedscope profile is not named after the worker thread"
ok "speedscope: a profile named after worker"

# The signal backend's agent names threads too (it needs LD_PRELOAD, not perf).
RC=0
"$SCORCH" record --backend signal -F 1000 -o "$TMP/sig" -- "$PHASES" 0.3 >"$TMP/sig.log" 2>&1 ||
	RC=$?
[ "$RC" -eq 0 ] || { sed 's/^/  | /' "$TMP/sig.log" >&2; fail "record --backend signal exited $RC"; }
"$SCORCH" report --by thread --format json "$TMP/sig/profile.pb.gz" >"$TMP/sig.json" ||
	fail "report --by thread on the signal recording failed"
json_rows "$TMP/sig.json" >"$TMP/sig.rows"
read -r name share _ <"$TMP/sig.rows"
[ "$name" = worker ] || fail "signal backend: the heaviest thread is '$name', not worker"
ok "signal backend: worker $share%"
