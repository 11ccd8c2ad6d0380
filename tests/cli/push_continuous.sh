#!/usr/bin/env bash
# push_continuous.sh: scorch record --continuous --push URL on a command that runs for about
# 2.5 s with --interval 1: one upload per interval to the loopback stand-in (push_server.py),
# each a pprof profile of the program with from/until where the next interval's from is the
# previous until; the first upload refused (400) is reported, the next intervals go on, and the
# exit status is 1. Then -p PID on a process that ends: the last interval is uploaded and
# scorch stops; a command that cannot run (127, nothing sent); usage errors (exit 2).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/push_lib.sh"
make_tmp

# Usage errors, before anything runs.
"$SCORCH" record --continuous -p 1 2>"$TMP/e1"
[ $? -eq 2 ] && grep -q "needs --push URL or --parca URL" "$TMP/e1" || fail "$(cat "$TMP/e1")"
"$SCORCH" record --continuous --push http://127.0.0.1:9 --interval 0.5 -p 1 2>"$TMP/e2"
[ $? -eq 2 ] && grep -q "interval '0.5'" "$TMP/e2" || fail "$(cat "$TMP/e2")"
"$SCORCH" record --continuous --push http://127.0.0.1:9 2>"$TMP/e3"
[ $? -eq 2 ] && grep -q "give -p PID or a command" "$TMP/e3" || fail "$(cat "$TMP/e3")"
ok "usage errors: no server, a bad interval, no target"

require_perf

check_intervals()
{
	python3 - "$1" "$2" <<'PY' || exit 1
import json, os, sys
d, app = sys.argv[1], sys.argv[2]
reqs = sorted(int(f[4:-5]) for f in os.listdir(d) if f.startswith("req-") and f.endswith(".json"))
if len(reqs) < 2:
    sys.exit("FAIL push_continuous: %d uploads, expected at least 2" % len(reqs))
prev = None
for n in reqs:
    q = json.load(open("%s/req-%d.json" % (d, n)))["query"]
    if not q["name"][0].startswith(app + "{service=" + app + ","):
        sys.exit("FAIL push_continuous: upload %d: name %s" % (n, q["name"][0]))
    f, u = int(q["from"][0]), int(q["until"][0])
    if u <= f or (prev is not None and f != prev):
        sys.exit("FAIL push_continuous: upload %d covers %d-%d after one ending at %s"
                 % (n, f, u, prev))
    prev = u
print("ok: %d uploads with consecutive from/until" % len(reqs))
PY
}

hot=$(prog hot)
start_server "$TMP/s1" "400:not now"
"$SCORCH" record --continuous --push "http://127.0.0.1:$PORT" --app hotapp --interval 1s \
	-- "$hot" 1.5 >"$TMP/out1" 2>"$TMP/err1"
rc=$?
[ "$rc" -eq 1 ] || fail "record --continuous exited $rc with one upload refused, expected 1: $(cat "$TMP/err1")"
grep -q "answered HTTP 400: \"not now\"" "$TMP/err1" || fail "the refusal is not reported: $(cat "$TMP/err1")"
grep -q "interval 1 (.*) not uploaded; going on" "$TMP/err1" || fail "$(cat "$TMP/err1")"
check_intervals "$TMP/s1" hotapp
# Every upload after the refused one is a profile scorch reads; together they hold hot_a.
for f in "$TMP"/s1/req-*.profile; do
	[ "$f" = "$TMP/s1/req-1.profile" ] && continue
	"$SCORCH" report --format json -n 20 "$f" >>"$TMP/top.json" 2>"$TMP/report.err" ||
		fail "scorch report cannot read the uploaded $f: $(cat "$TMP/report.err")"
done
grep -q '"name": *"hot_a"' "$TMP/top.json" || fail "no upload holds hot_a"
ok "the uploads are profiles of the program (hot_a among their functions)"

# -p PID: the process ends during the second interval; the last interval is uploaded.
start_server "$TMP/s2"
"$hot" 1.2 >/dev/null &
pid=$!
"$SCORCH" record --continuous --push "http://127.0.0.1:$PORT" -p "$pid" --interval 1 \
	>"$TMP/out2" 2>"$TMP/err2" || fail "record --continuous -p exited $?: $(cat "$TMP/err2")"
wait "$pid"
check_intervals "$TMP/s2" hot

# A command that cannot run: its status, and nothing uploaded.
start_server "$TMP/s3"
"$SCORCH" record --continuous --push "http://127.0.0.1:$PORT" --interval 1 -- "$TMP/nonexistent" \
	2>"$TMP/err3"
rc=$?
[ "$rc" -eq 127 ] || fail "a command that does not exist: exit $rc, expected 127: $(cat "$TMP/err3")"
[ "$(requests "$TMP/s3")" -eq 0 ] || fail "an upload without a process"
ok "a command that does not exist: exit 127, nothing uploaded"
