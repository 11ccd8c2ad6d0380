#!/usr/bin/env bash
# signals.sh: signals to `scorch record` (issue 8, item 12).
#
# SIGTERM while recording `sh -c 'sleep & sleep & wait'` stops the whole command, grandchildren
# included (the command runs in its own process group). While the profile is being written
# (held in mid-write by libstallwrite.so): one SIGTERM lets scorch finish the set, and says so;
# a second one abandons it, exit 143, with no temporary left, the folder's previous set intact,
# and a folder this run created removed again. The waits below are for events (a file appearing,
# a process ending), each with a generous limit that only bounds a failure.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
sw=$BUILD/tests/programs/libstallwrite.so
[ -f "$sw" ] || fail "libstallwrite.so is not built ($sw)"

# wait_for WHAT CMD...: until CMD succeeds (at most 60 s).
wait_for()
{
	local what=$1 i
	shift
	for ((i = 0; i < 1200; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	fail "timed out waiting for $what"
}

# A process that exists and is not a zombie.
alive()
{
	[ -r "/proc/$1/stat" ] && ! awk '{ exit !($3 == "Z") }' "/proc/$1/stat" 2>/dev/null
}

lines()
{
	[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}

temporaries()
{
	find "$1" -maxdepth 1 -name '.*' ! -name . | wc -l
}

# 1. The command's grandchildren stop with it.
pids=$TMP/pids
"$SCORCH" record -q -o "$TMP/g" -- sh -c "sleep 1000 & echo \$! >>'$pids'; sleep 1000 & echo \$! >>'$pids'; wait" \
	>"$TMP/g.log" 2>&1 &
spid=$!
trap 'for p in $(cat "$pids" 2>/dev/null); do kill $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
wait_for "the command's two children" lines "$pids" 2
kill -TERM "$spid"
rc=0
wait "$spid" || rc=$?
[ "$rc" -eq 143 ] || fail "scorch record exited $rc after SIGTERM, expected 143: $(cat "$TMP/g.log")"
for p in $(cat "$pids"); do
	for ((i = 0; i < 200; i++)); do
		alive "$p" || break
		sleep 0.05
	done
	alive "$p" && fail "the command's child $p (sleep 1000) is still running after SIGTERM to scorch"
done
[ -s "$TMP/g/profile.pb.gz" ] || fail "no profile after SIGTERM"
ok "SIGTERM: exit 143, the command's children stopped too, profile written"

# After a first signal while writing: scorch must say it finishes, and not die of it.
wait_finishing()
{
	local log=$1 dir=$2 i rc=0
	for ((i = 0; i < 1200; i++)); do
		grep -q 'finishing writing the profile' "$log" && return 0
		if ! kill -0 "$spid" 2>/dev/null; then
			wait "$spid" || rc=$?
			fail "scorch ended (status $rc) on the first signal while writing; left in $dir: $(ls -A "$dir" 2>/dev/null | tr '\n' ' ')"
		fi
		sleep 0.05
	done
	fail "timed out waiting for scorch to say it is finishing"
}

# scorch record with its first write to flamegraph.html held until $TMP/$1.go exists.
stalled_record()
{
	rm -f "$TMP/$1.ready" "$TMP/$1.go"
	# verify_asan_link_order=0: a sanitizer build of scorch accepts the preload.
	LD_PRELOAD=$sw SC_STALL_WRITE_MATCH=flamegraph SC_STALL_READY="$TMP/$1.ready" \
		SC_STALL_GO="$TMP/$1.go" ASAN_OPTIONS=verify_asan_link_order=0 \
		"$SCORCH" record -q -o "$2" -- "$(prog hot)" 0.05 >"$TMP/$1.log" 2>&1 &
	spid=$!
	wait_for "scorch to write flamegraph.html" ready_or_gone "$TMP/$1.ready" "$TMP/$1.log"
}

# The stalled write began; fails at once if scorch ended before it.
ready_or_gone()
{
	[ -e "$1" ] && return 0
	kill -0 "$spid" 2>/dev/null || fail "scorch ended before writing flamegraph.html: $(cat "$2")"
	return 1
}

# 2. One signal while writing: the set is finished.
stalled_record one "$TMP/one"
kill -TERM "$spid"
wait_finishing "$TMP/one.log" "$TMP/one"
touch "$TMP/one.go"
rc=0
wait "$spid" || rc=$?
[ "$rc" -eq 0 ] || fail "scorch record exited $rc after one SIGTERM while writing: $(cat "$TMP/one.log")"
for f in profile.pb.gz stacks.folded flamegraph.html; do
	[ -s "$TMP/one/$f" ] || fail "one SIGTERM while writing: $f missing"
done
[ "$(temporaries "$TMP/one")" -eq 0 ] || fail "temporaries left: $(ls -A "$TMP/one")"
ok "one SIGTERM while writing: the set is finished, and scorch said so"

# 3. Two signals while writing: abandoned, the previous set intact, no temporaries.
record "$TMP/two" "$(prog hot)" 0.05
mkdir "$TMP/before"
cp -p "$TMP/two/"* "$TMP/before/"
stalled_record two "$TMP/two"
kill -TERM "$spid"
wait_finishing "$TMP/two.log" "$TMP/two"
kill -TERM "$spid"
rc=0
wait "$spid" || rc=$?
[ "$rc" -eq 143 ] || fail "scorch record exited $rc after two SIGTERMs while writing, expected 143"
[ "$(temporaries "$TMP/two")" -eq 0 ] || fail "temporaries left: $(ls -A "$TMP/two")"
for f in profile.pb.gz stacks.folded flamegraph.html; do
	cmp -s "$TMP/before/$f" "$TMP/two/$f" || fail "two SIGTERMs while writing: $f changed"
done
grep -q 'abandoned' "$TMP/two.log" || fail "scorch did not say it abandoned the profile"
ok "two SIGTERMs while writing: exit 143, previous set intact, no temporaries"

# 4. The same into a folder this run created: nothing left.
stalled_record three "$TMP/new/sub"
kill -INT "$spid"
wait_finishing "$TMP/three.log" "$TMP/new/sub"
kill -INT "$spid"
rc=0
wait "$spid" || rc=$?
[ "$rc" -eq 130 ] || fail "scorch record exited $rc after two SIGINTs while writing, expected 130"
[ ! -e "$TMP/new" ] || fail "abandoned recording left $(find "$TMP/new" | tr '\n' ' ')"
ok "two SIGINTs while writing into a new folder: exit 130, the folder is gone"

# A command that ignores SIGTERM: killed after the grace time, and scorch says so.
rm -f "$TMP/started"
env --default-signal=INT,TERM "$SCORCH" record -q -o "$TMP/stubborn" -- \
	sh -c "trap '' TERM INT; touch '$TMP/started'; sleep 60" >/dev/null 2>"$TMP/stubborn.err" &
pid=$!
for _ in $(seq 600); do
	[ -e "$TMP/started" ] && break
	sleep 0.05
done
[ -e "$TMP/started" ] || { kill -KILL $pid; fail "the stubborn command never started"; }
kill -TERM $pid
rc=0
wait $pid || rc=$?
[ "$rc" -eq 137 ] || fail "a command that ignores SIGTERM: scorch exited $rc, expected 137"
grep -q "the command did not end on SIGTERM within 2 s; killed it (SIGKILL)" "$TMP/stubborn.err" ||
	fail "scorch did not say it killed the command: $(cat "$TMP/stubborn.err")"
[ -s "$TMP/stubborn/profile.pb.gz" ] || fail "no profile after killing a stubborn command"
ok "a command that ignores SIGTERM is killed after 2 s, and scorch says so"
