#!/usr/bin/env bash
# signal.sh: `scorch record --backend signal` (issue 9): the preloaded sampler, with no privilege.
# Known answers: threads.c (four threads, 25% each), run as the unprivileged user nobody when the
# test runs as root; nofp.c (no frame pointers: the callers of a qsort callback must come from
# the CFI: main;sort_alpha 66.7%, main;sort_beta 33.3%); sigprog.c (its own SIGPROF handler must
# still run, and a thread that blocks every signal must still be sampled: 50% / 50%); fork.c
# (the forked child is sampled: child_work 60%; with --no-inherit it is not); a command that
# execs through sh; a crash; python3 (no frame pointers: Py_RunMain on >= 90% of the stacks);
# and the option's errors. Never needs perf events.
. "$(dirname "$0")/lib.sh"
make_tmp
[ -e "$BUILD/src/agent/libscorch-cpu.so" ] || fail "the sampler $BUILD/src/agent/libscorch-cpu.so is not built"

# srec DIR ARGS...: scorch record --backend signal -F 1000 ARGS (which end with -- CMD) -o DIR;
# sets RC, logs to DIR.log, fails unless the three files are written.
srec()
{
	local dir=$1
	shift
	RC=0
	"$SCORCH" record --backend signal -F 1000 -o "$dir" "$@" >"$dir.log" 2>&1 || RC=$?
	for f in profile.pb.gz stacks.folded flamegraph.html; do
		[ -s "$dir/$f" ] || {
			sed 's/^/  | /' "$dir.log" >&2
			fail "record --backend signal $* (status $RC) did not write $f"
		}
	done
}

# report_cpu PROFILE: the JSON report by CPU time. The kernel checks CPU-time timers at its tick,
# so a thread gets fewer samples than -F asks for, each worth the CPU time it stands for: shares
# of time are exact where shares of sample counts are only close.
report_cpu()
{
	"$SCORCH" report --format json --top 500 --sample-type cpu "$1" ||
		fail "scorch report --format json --sample-type cpu $1 failed"
}

# 1. Four threads, as nobody: each thread's function has 25% and sits under start_thread.
threads=$(prog threads)
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -m 777 "$TMP/nobody"
	chmod 755 "$TMP"
	RC=0
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		"$SCORCH" record --backend signal -F 1000 -o "$TMP/nobody/threads" -- "$threads" 1.0 \
		>"$TMP/threads.log" 2>&1 || RC=$?
	dir=$TMP/nobody/threads
	who=nobody
else
	srec "$TMP/threads" -- "$threads" 1.0
	dir=$TMP/threads
	who=$(id -un)
fi
[ "$RC" -eq 0 ] || { sed 's/^/  | /' "$TMP/threads.log" >&2; fail "threads as $who: exit $RC"; }
report_json "$dir/profile.pb.gz" >"$TMP/threads-n.json"
at_least_samples "$TMP/threads-n.json" 100
report_cpu "$dir/profile.pb.gz" >"$TMP/threads.json"
for i in 0 1 2 3; do
	near "$(pct "$TMP/threads.json" "thread_work_$i" self)" 25 4 "as $who: thread_work_$i self"
	# Every sample of the thread's function is under start_thread (the thread's whole stack).
	all=$(folded_share "$dir/stacks.folded" "thread_work_$i")
	near "$(folded_share "$dir/stacks.folded" "start_thread;thread_work_$i")" "$all" 0.01 \
		"as $who: start_thread;thread_work_$i (of thread_work_$i's $all%)"
done
grep -q 'kernel' "$dir/stacks.folded" && fail "kernel frames in a user-space-only profile"
ok "as $who: no kernel frames"
grep -q 'libscorch-cpu' "$TMP/threads.json" && fail "the sampler's own frames are in the profile"
ok "as $who: none of the sampler's own frames"

# 2. No frame pointers: the callers of by_key through libc's qsort, by CFI, in auto and dwarf.
nofp=$(prog nofp)
for mode in auto dwarf; do
	srec "$TMP/nofp-$mode" --call-graph "$mode" -- "$nofp" 2
	f=$TMP/nofp-$mode/stacks.folded
	near "$(folded_share "$f" 'main;sort_alpha')" 66.7 10 "$mode: main;sort_alpha"
	near "$(folded_share "$f" 'main;sort_beta')" 33.3 10 "$mode: main;sort_beta"
	near "$(folded_share "$f" 'by_key')" 100 5 "$mode: by_key on the stacks"
	near "$(folded_share "$f" '__libc_start_call_main;main')" 100 5 "$mode: main's caller"
done
# fp on code without frame pointers: what %rbp holds is not a frame; junk never becomes a root.
srec "$TMP/nofp-fp" --call-graph fp -- "$nofp" 1
if grep -E '^0x|;0x' "$TMP/nofp-fp/stacks.folded" | grep -q .; then
	fail "fp: raw addresses in the stacks: $(grep -m2 -E '0x' "$TMP/nofp-fp/stacks.folded")"
fi
ok "fp: no junk frames"

# 3. The program's own SIGPROF handler runs (sigprog exits 0 only then), a thread that blocks
#    every signal is sampled.
srec "$TMP/sigprog" -- "$(prog sigprog)"
[ "$RC" -eq 0 ] || { sed 's/^/  | /' "$TMP/sigprog.log" >&2; fail "sigprog exited $RC"; }
report_cpu "$TMP/sigprog/profile.pb.gz" >"$TMP/sigprog.json"
near "$(pct "$TMP/sigprog.json" blocked_work self)" 50 5 "blocked_work self"
near "$(pct "$TMP/sigprog.json" main_work self)" 50 5 "main_work self"

# 4. fork: the child is sampled (its own process); --no-inherit leaves it out.
srec "$TMP/fork" -- "$(prog fork)"
report_cpu "$TMP/fork/profile.pb.gz" >"$TMP/fork.json"
near "$(pct "$TMP/fork.json" child_work self)" 60 5 "fork: child_work self"
grep -q '2 processes' "$TMP/fork.log" || fail "fork: expected '2 processes' in: $(grep samples "$TMP/fork.log")"
srec "$TMP/fork1" --no-inherit -- "$(prog fork)"
report_json "$TMP/fork1/profile.pb.gz" >"$TMP/fork1.json"
near "$(pct "$TMP/fork1.json" child_work self)" 0 0 "--no-inherit: child_work self"
near "$(pct "$TMP/fork1.json" parent_work self)" 100 3 "--no-inherit: parent_work self"

# 5. exec: sh runs hot (fork + exec): hot's shares, attributed with hot's own modules.
srec "$TMP/sh" -- sh -c "'$(prog hot)' 1.0; true"
report_cpu "$TMP/sh/profile.pb.gz" >"$TMP/sh.json"
near "$(pct "$TMP/sh.json" hot_a self)" 50 5 "through sh: hot_a self"
near "$(pct "$TMP/sh.json" hot_c self)" 20 5 "through sh: hot_c self"
[ "$(field "$TMP/sh.json" hot_a module)" = hot ] || fail "hot_a's module is not hot"

# 6. A crash still leaves its profile, and the status a shell would give.
srec "$TMP/crash" -- "$(prog crash)"
[ "$RC" -eq 139 ] || fail "crash: scorch exited $RC, expected 139"
report_json "$TMP/crash/profile.pb.gz" >"$TMP/crash.json"
near "$(pct "$TMP/crash.json" crash_work self)" 100 5 "crash: crash_work self"

# 7. python3, no frame pointers: its entry on nearly every stack.
py=
for c in /usr/bin/python3 /bin/python3; do
	[ -x "$c" ] && { py=$c; break; }
done
if [ -n "$py" ]; then
	srec "$TMP/py" -- "$py" -c '
import json
for i in range(60000):
    json.dumps({"a": [1, 2, 3] * 10, "b": str(i)})
'
	s=$(folded_share "$TMP/py/stacks.folded" Py_RunMain)
	python3 -c "import sys; sys.exit(0 if $s >= 90 else 1)" ||
		fail "python3: Py_RunMain on $s% of the stacks, expected >= 90%"
	ok "python3: Py_RunMain on $s% of the stacks"
else
	echo "note: no /usr/bin/python3: its part skipped"
fi

# 8. What the backend cannot do is refused at once, naming the option.
err()
{
	local want=$1
	shift
	RC=0
	"$SCORCH" record "$@" >"$TMP/err.log" 2>&1 || RC=$?
	[ "$RC" -eq 2 ] || fail "record $*: exit $RC, expected 2"
	grep -q -- "$want" "$TMP/err.log" || fail "record $*: no '$want' in: $(cat "$TMP/err.log")"
	ok "record $*: refused"
}
err 'cannot attach' --backend signal -p $$
err '--backend must be auto, perf or signal' --backend nope -- true
err 'CPU time only' --backend signal --mode wall -- true
err 'not .page-faults' --backend signal -e page-faults -- true
