#!/usr/bin/env bash
# console_tmux.sh: `scorch console PID` on a real terminal: a detached tmux session of a fixed size
# (on a private tmux socket) runs the console against trace_loop (started with SCORCH_CONSOLE=1),
# and the test reads the screen with capture-pane and types with send-keys:
#   - the span names of trace_loop appear, and tick's count grows between two captures;
#   - s changes the sort the header names, and the order of the rows with it (by p99 the 150 ms
#     "slow" comes first, by name the rows are alphabetical);
#   - / and a substring narrow the spans to the matching ones, Esc brings the others back;
#   - p shows PAUSED and freezes the counts, p again resumes;
#   - the warnings for the slow callback (blocked its loop), the never-ended span (stuck) and the
#     always-busy thread (cruncher) appear;
#   - the program killed, the screen keeps its data and says "program exited", and keys still work;
#   - q ends the console with status 0 and the terminal back in canonical mode with echo;
#   - in an interactive shell, Ctrl-Z stops the console with the terminal restored, and fg brings
#     its screen back.
# Every wait polls the screen with a generous overall timeout; no value is checked against time.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tmux_lib.sh"
make_tmp
loop=$(prog trace_loop)
# A private runtime folder: the sockets of this test only.
run="$TMP/run"
mkdir -m 700 "$run"
export XDG_RUNTIME_DIR=$run
SCORCH_CONSOLE=1 "$loop" &
pid=$!
cleanup()
{
	"${tm[@]}" kill-server 2>/dev/null
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

wait_console_socket "$run" "$pid"

# The pane: the console, then (once it ends) its status and the terminal's modes.
"${tm[@]}" new-session -d -s c -x 160 -y 50 \
	"env XDG_RUNTIME_DIR='$run' LANG=C.UTF-8 '$SCORCH' console --interval 200 --stuck-s 2 $pid;
	 echo console-done rc=\$?; stty -a | tr ' ;' '\n\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' ';
	 echo; sleep 600" || fail "tmux cannot start a session"

tmux_target c

wait_for "scorch console +trace_loop +pid $pid" "the header"
wait_for '^  tick +[0-9]+' "the tick span"
wait_for '^  handle +[0-9]+' "the nested handle span"
wait_for '^  crunch +[0-9]+' "the cruncher thread's span"
wait_for '^  slow +[0-9]+' "the slow callback"
ok "span names appear"
wait_count_grows tick
ok "tick's count grows: $c1, then $c2"

grep -q 'sort: rate' <<<"$screen" || fail "the header does not show the default sort (rate)"
"${tm[@]}" send-keys -t c s
wait_for 'sort: p99' "the p99 sort after s"
wait_for '^SPANS' "the spans"
first=$(span_names | awk '{ print $1 }')
[ "$first" = slow ] || fail "sorted by p99, the first span is '$first', not slow: $(span_names)"
"${tm[@]}" send-keys -t c s s s
wait_for 'sort: name' "the name sort after three more s"
names=$(span_names)
[ "$names" = "crunch handle slow tick " ] || fail "sorted by name, the spans are: $names"
ok "s cycles the sort (p99: slow first; name: $names)"

"${tm[@]}" send-keys -t c / h a
wait_for '^filter: ha' "the filter being typed"
wait_gone '^  tick +[0-9]+' "tick under the filter 'ha'"
names=$(span_names)
[ "$names" = "handle " ] || fail "the filter 'ha' leaves: $names"
"${tm[@]}" send-keys -t c Enter
wait_for '^filter: ha *$' "the filter kept after Enter"
"${tm[@]}" send-keys -t c Escape
wait_for '^  tick +[0-9]+' "tick back after Esc"
ok "/ filters the spans (ha: $names), Esc clears it"

"${tm[@]}" send-keys -t c p
wait_for 'PAUSED' "PAUSED after p"
capture
p1=$(count_of tick)
sleep 1
capture
p2=$(count_of tick)
[ "$p1" = "$p2" ] || fail "paused, tick's count still changed ($p1, then $p2)"
"${tm[@]}" send-keys -t c p
wait_gone 'PAUSED' "PAUSED after p again"
wait_count_grows tick "$p2"
p3=$c2
ok "p pauses the display ($p1 = $p2) and resumes it ($p3)"

wait_for '! span slow blocked its loop for' "the blocked-loop warning"
wait_for '! span stuck open for .* never ended' "the stuck-span warning"
wait_for '! busy [0-9]+% of the last 10 s: cruncher' "the busy-thread warning"
ok "warnings: blocked loop, stuck span, busy thread"

kill "$pid"
wait "$pid" 2>/dev/null
wait_for 'program exited' "that the program exited"
grep -qE '^  tick +[0-9]+' <<<"$screen" || fail "the data left the screen when the program exited"
"${tm[@]}" send-keys -t c s
wait_for 'sort: rate' "a sort change after the program exited"
ok "the program's exit is shown, the data stay, keys still work"

"${tm[@]}" send-keys -t c q
wait_for 'console-done rc=0' "the console's end after q"
wait_for '^icanon echo' "the terminal restored (icanon, echo)"
[ "$("${tm[@]}" display -p -t c '#{alternate_on}')" = 0 ] || fail "after q, the alternate screen is still on"
ok "q quits with status 0 and restores the terminal"

# Ctrl-Z in an interactive shell: the console stops with the terminal restored, fg brings the
# screen back (keys work), q ends it.
SCORCH_CONSOLE=1 "$loop" &
pid=$!
wait_console_socket "$run" "$pid"
"${tm[@]}" new-session -d -s j -x 160 -y 50 \
	"env XDG_RUNTIME_DIR='$run' LANG=C.UTF-8 PS1='PROMPT\$ ' bash --norc --noprofile -i" ||
	fail "tmux cannot start a shell"
tmux_target j
"${tm[@]}" send-keys -t j "'$SCORCH' console --interval 200 $pid" Enter
wait_for "scorch console +trace_loop +pid $pid" "the console in the shell"
"${tm[@]}" send-keys -t j C-z
wait_for 'Stopped' "the console stopped by Ctrl-Z"
# The alternate screen is left (an interactive bash restores a stopped job's terminal modes
# itself, but not the screen).
[ "$("${tm[@]}" display -p -t j '#{alternate_on}')" = 0 ] || fail "stopped, the console left the alternate screen on"
"${tm[@]}" send-keys -t j "stty -a | tr ' ;' '\n\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' '; echo" Enter
wait_for '^icanon echo' "the terminal restored while the console is stopped"
"${tm[@]}" send-keys -t j fg Enter
wait_for "scorch console +trace_loop +pid $pid" "the screen back after fg"
[ "$("${tm[@]}" display -p -t j '#{alternate_on}')" = 1 ] || fail "after fg, the console is not on the alternate screen"
"${tm[@]}" send-keys -t j s
wait_for 'sort: p99' "a key after fg"
"${tm[@]}" send-keys -t j q
wait_for '^PROMPT\$ *$' "the shell's prompt after q"
ok "Ctrl-Z restores the terminal, fg brings the screen back, q ends it"
