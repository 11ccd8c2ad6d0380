#!/usr/bin/env bash
# attach.sh: attaching as perf does (issue 9): -p PID1,PID2 records several processes until all have
# exited, -t TID only that thread, a recording with no end of its own says "recording PID ...,
# Ctrl-C to stop" and makes a whole profile of a Ctrl-C, and a missing pid is named.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
hot=$(prog hot)
threads=$(prog threads)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; rm -rf "$TMP"' EXIT

# wait_exec PID NAME: until the background process PID runs NAME (it starts as a copy of bash).
wait_exec()
{
	for _ in $(seq 1 200); do
		[ "$(cat /proc/"$1"/comm 2>/dev/null)" = "$2" ] && return
		sleep 0.05
	done
	fail "process $1 never became $2"
}

# Two processes: recorded until both have exited (hot runs about 2 s).
"$hot" 1 >/dev/null &
a=$!
"$hot" 1 >/dev/null &
b=$!
PIDS+=("$a" "$b")
wait_exec "$a" hot
wait_exec "$b" hot
RC=0
"$SCORCH" record -o "$TMP/two" -p "$a,$b" >"$TMP/two.log" 2>&1 || RC=$?
[ "$RC" -eq 0 ] || fail "scorch record -p $a,$b exited $RC: $(cat "$TMP/two.log")"
grep -qF "scorch record: recording PIDs $a (hot), $b (hot), Ctrl-C to stop" "$TMP/two.log" ||
	fail "no 'recording PIDs' line: $(cat "$TMP/two.log")"
grep -qE "samples in .*, 2 processes, 2 threads" "$TMP/two.log" ||
	fail "the summary does not count both processes: $(cat "$TMP/two.log")"
for p in "$a" "$b"; do
	"$SCORCH" report --format json --pid "$p" --sample-type samples "$TMP/two/profile.pb.gz" \
		>"$TMP/p$p.json" || fail "no samples of process $p"
	[ "$(pct "$TMP/p$p.json" hot_a self)" != 0.00 ] || fail "process $p has no hot_a"
done
grep -qF "wrote $TMP/two/{profile.pb.gz" "$TMP/two.log" || fail "the output folder is not named"
ok "-p $a,$b recorded both until they exited"
wait "$a" "$b" 2>/dev/null

# One thread of four: only its samples.
"$threads" 3 >/dev/null &
t=$!
PIDS+=("$t")
for _ in $(seq 1 200); do
	[ "$(ls /proc/"$t"/task 2>/dev/null | wc -l)" -ge 5 ] && break
	sleep 0.05
done
tid=$(ls /proc/"$t"/task | sort -n | tail -1)
[ "$tid" != "$t" ] || fail "threads did not start its threads"
RC=0
"$SCORCH" record -o "$TMP/tid" -t "$tid" >"$TMP/tid.log" 2>&1 || RC=$?
[ "$RC" -eq 0 ] || fail "scorch record -t $tid exited $RC: $(cat "$TMP/tid.log")"
grep -qF "scorch record: recording TID $tid (threads), Ctrl-C to stop" "$TMP/tid.log" ||
	fail "no 'recording TID' line: $(cat "$TMP/tid.log")"
grep -qE ", 1 thread;" "$TMP/tid.log" || fail "more than one thread recorded: $(cat "$TMP/tid.log")"
report_json "$TMP/tid/profile.pb.gz" >"$TMP/tid.json"
works=0
for i in 0 1 2 3; do
	[ "$(pct "$TMP/tid.json" "thread_work_$i" self)" != 0.00 ] && works=$((works + 1))
done
[ "$works" -eq 1 ] || fail "-t $tid recorded $works of the thread_work functions, expected 1"
ok "-t $tid recorded that thread alone"
wait "$t" 2>/dev/null

# No end in sight: Ctrl-C (SIGINT to scorch) ends the recording with a whole profile, and the
# process goes on.
"$hot" 20 >/dev/null &
h=$!
PIDS+=("$h")
wait_exec "$h" hot
"$SCORCH" record -o "$TMP/int" -p "$h" >"$TMP/int.log" 2>&1 &
s=$!
for _ in $(seq 1 200); do
	grep -q "Ctrl-C to stop" "$TMP/int.log" && break
	sleep 0.05
done
grep -qF "scorch record: recording PID $h (hot), Ctrl-C to stop" "$TMP/int.log" ||
	fail "no 'recording PID' line: $(cat "$TMP/int.log")"
sleep 0.3
kill -INT "$s"
RC=0
wait "$s" || RC=$?
[ "$RC" -eq 0 ] || fail "scorch record -p stopped by SIGINT exited $RC: $(cat "$TMP/int.log")"
[ -s "$TMP/int/profile.pb.gz" ] || fail "no profile after Ctrl-C"
kill -0 "$h" || fail "the attached process did not survive the recording"
kill "$h"
ok "Ctrl-C ends -p with a whole profile, the process left running"

# A pid that does not exist is named; nothing is left.
RC=0
"$SCORCH" record -o "$TMP/none" -p "$$,4194303" >"$TMP/none.log" 2>&1 || RC=$?
[ "$RC" -eq 1 ] || fail "-p with a missing pid exited $RC, expected 1"
grep -qF "scorch record: no process 4194303" "$TMP/none.log" || fail "$(cat "$TMP/none.log")"
[ ! -e "$TMP/none" ] || fail "a failed attach left its output folder"
ok "missing pid named"
