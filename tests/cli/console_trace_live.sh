#!/usr/bin/env bash
# console_trace_live.sh: `scorch trace --live -- trace_loop` in a detached tmux session of a fixed
# size (private tmux socket): the console shows trace_loop's spans and their counts grow; s
# changes the sort; the program killed, the screen says so and keeps its data; q then ends the
# console, scorch trace writes its outputs as usual (spans.json names tick) and exits with the
# command's status (143: killed by SIGTERM), with the terminal restored. Without a terminal,
# --live is refused. Every wait polls the screen with a generous timeout; no timing is checked.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tmux_lib.sh"
make_tmp
loop=$(prog trace_loop)

out=$("$SCORCH" trace --live -o "$TMP/refused" -- "$loop" </dev/null 2>&1 >/dev/null)
rc=$?
[ $rc -eq 2 ] || fail "--live without a terminal: status $rc, not 2"
grep -q -- '--live needs a terminal' <<<"$out" || fail "--live without a terminal says: $out"
ok "--live without a terminal is refused"

pid=
cleanup()
{
	"${tm[@]}" kill-server 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
"${tm[@]}" new-session -d -s t -x 160 -y 50 \
	"LANG=C.UTF-8 '$SCORCH' trace --live -o '$TMP/out' -- '$loop';
	 echo trace-done rc=\$?; stty -a | tr ' ;' '\n\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' ';
	 echo; sleep 600" || fail "tmux cannot start a session"

tmux_target t

wait_for 'scorch console +trace_loop +pid [0-9]+' "the header"
pid=$(sed -nE 's/.*scorch console +trace_loop +pid ([0-9]+).*/\1/p' <<<"$screen" | head -1)
tr "\\0" " " <"/proc/$pid/cmdline" 2>/dev/null | grep -q trace_loop || fail "the header's pid $pid is not trace_loop"
wait_for '^  tick +[0-9]+' "the tick span"
wait_for '^  handle +[0-9]+' "the handle span"
wait_count_grows tick
ok "spans appear and tick's count grows: $c1, then $c2"
"${tm[@]}" send-keys -t t s
wait_for 'sort: p99' "the p99 sort after s"
ok "s changes the sort"

kill "$pid"
wait_for 'program exited' "that the program exited"
grep -qE '^  tick +[0-9]+' <<<"$screen" || fail "the data left the screen when the program exited"
pid=
"${tm[@]}" send-keys -t t q
wait_for 'trace-done rc=143' "scorch trace's end (the command's status) after q"
wait_for '^icanon echo' "the terminal restored (icanon, echo)"
[ "$("${tm[@]}" display -p -t t '#{alternate_on}')" = 0 ] || fail "after q, the alternate screen is still on"
grep -q '"tick"' "$TMP/out/spans.json" || fail "spans.json does not name tick"
[ -s "$TMP/out/trace.json" ] || fail "trace.json was not written"
ok "after q: outputs written, status 143, terminal restored"
