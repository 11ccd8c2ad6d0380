#!/usr/bin/env bash
# offcpu.sh: --mode offcpu and --mode wall on tests/programs/offcpu.c, whose threads block in
# wait_sleep (nanosleep), wait_mutex (a mutex main holds) and wait_pipe (a pipe written later) for
# 600, 400 and 200 ms, while spin burns 300 ms of CPU. The program prints how long each took
# really; the profile's time under each wait, as a share of the three, must match those shares
# within 5 points, and be under the "[off-cpu: sleeping]" pseudo-frame (90% of it at least). In
# wall mode spin counts too: its share of the four is its wall-clock time's (CPU time, plus any
# wait for a CPU on a loaded machine). `offcpu disk` adds an uninterruptible wait (O_DIRECT reads),
# which must be under "[off-cpu: disk I/O]", apart from a sleep. Also: the options' errors, and the
# suggestion of --mode wall when a CPU recording has no sample.
. "$(dirname "$0")/lib.sh"
# A fresh machine may not have tracefs mounted: as root, run the test in a mount namespace of its
# own with tracefs mounted there (nothing changes for the rest of the system).
if [ "$(id -u)" -eq 0 ] && [ -z "${SC_OFFCPU_NS:-}" ] && [ ! -e /sys/kernel/tracing/events ] &&
	unshare -m true 2>/dev/null; then
	export SC_OFFCPU_NS=1
	exec unshare -m sh -c 'mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; exec bash "$0"' "$0"
fi
make_tmp
require_perf

# The argument errors come first: they need no tracepoint.
for args in "--mode bogus" "--mode offcpu -e page-faults" "--mode offcpu -F 99" "--mode wall -e cs"; do
	RC=0
	# shellcheck disable=SC2086
	"$SCORCH" record $args -o "$TMP/bad" -- true >"$TMP/bad.log" 2>&1 || RC=$?
	[ "$RC" -eq 2 ] || fail "record $args exited $RC, expected 2: $(cat "$TMP/bad.log")"
	grep -q "^scorch record: .*\(--mode\|-e is for\|-F and -c\)" "$TMP/bad.log" ||
		fail "record $args: no message naming the option: $(cat "$TMP/bad.log")"
done
ok "bad --mode combinations refused with a message"

RC=0
# (-c: a sample every 2.1 s of CPU time, which sleep never reaches, not even while it starts)
"$SCORCH" record -c 2147483647 -o "$TMP/sleep" -- sleep 0.2 >"$TMP/sleep.log" 2>&1 || RC=$?
[ "$RC" -eq 0 ] || fail "scorch record -- sleep exited $RC: $(cat "$TMP/sleep.log")"
grep -q "no samples: .*--mode wall" "$TMP/sleep.log" ||
	fail "0 samples in cpu mode do not suggest --mode wall: $(cat "$TMP/sleep.log")"
ok "0 samples suggest --mode wall"

# Without tracefs (unmounted in a mount namespace of its own), and as a user who may not read it:
# a message naming what is missing and what to do, exit 1, no folder left.
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	RC=0
	unshare -m sh -c 'umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null
		exec "$0" record --mode offcpu -o "$1" -- true' "$SCORCH" "$TMP/notrace" \
		>"$TMP/notrace.log" 2>&1 || RC=$?
	[ "$RC" -eq 1 ] || fail "--mode offcpu without tracefs exited $RC: $(cat "$TMP/notrace.log")"
	grep -q "^scorch record: --mode offcpu needs the sched:sched_switch tracepoint, and tracefs is not mounted.*mount -t tracefs" \
		"$TMP/notrace.log" || fail "no tracefs: unclear message: $(cat "$TMP/notrace.log")"
	[ ! -e "$TMP/notrace" ] || fail "no tracefs: the output folder was left"
	ok "no tracefs: $(head -c 100 "$TMP/notrace.log")..."
fi
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$SCORCH" &&
	! setpriv --reuid=65534 --regid=65534 --clear-groups test -r /sys/kernel/tracing/events; then
	chmod 777 "$TMP"
	RC=0
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$SCORCH" record --mode wall -o "$TMP/nobody" -- true >"$TMP/nobody.log" 2>&1 || RC=$?
	[ "$RC" -eq 1 ] || fail "--mode wall as nobody exited $RC: $(cat "$TMP/nobody.log")"
	grep -q "^scorch record: --mode wall needs the sched:sched_switch tracepoint.*run as root" \
		"$TMP/nobody.log" || fail "as nobody: unclear message: $(cat "$TMP/nobody.log")"
	ok "unprivileged: $(head -c 100 "$TMP/nobody.log")..."
fi

# Tracepoints need tracefs and the right to open them.
err=$("$SCORCH" record --mode offcpu -o "$TMP/probe" -- true 2>&1 >/dev/null) || {
	grep -q "tracefs\|tracepoint" <<<"$err" && skip "no sched tracepoint here: $err"
	fail "scorch record --mode offcpu -- true failed: $err"
}

check()
{
	local mode=$1 extra=${2:-} dir=$TMP/$1${2:-}
	RC=0
	# shellcheck disable=SC2086
	"$SCORCH" record --mode "$mode" $extra -o "$dir" -- "$(prog offcpu)" >"$dir.out" 2>"$dir.log" || RC=$?
	[ "$RC" -eq 0 ] || fail "record --mode $mode exited $RC: $(cat "$dir.log")"
	python3 - "$dir/stacks.folded" "$dir.out" "$mode" <<'EOF' || fail "--mode $mode: shares wrong"
import sys
folded, out, mode = sys.argv[1:]
names = ["wait_sleep", "wait_mutex", "wait_pipe"] + (["spin"] if mode == "wall" else [])
real = {}
for line in open(out):
    n, ms = line.split()
    if n in names:
        real[n] = float(ms)
got = dict.fromkeys(names, 0)
for line in open(folded):
    stack, v = line.rstrip("\n").rsplit(" ", 1)
    frames = stack.split(";")
    for n in names:
        if n in frames:
            got[n] += int(v)
sleeping = {n: 0 for n in names}
for line in open(folded):
    stack, v = line.rstrip("\n").rsplit(" ", 1)
    frames = stack.split(";")
    for n in names:
        if n in frames and frames[-1] == "[off-cpu: sleeping]":
            sleeping[n] += int(v)
tr, tg = sum(real.values()), sum(got.values())
bad = False
for n in names:
    want, have = 100 * real[n] / tr, 100 * got[n] / tg if tg else 0
    ok = abs(want - have) <= 5
    # Nearly all of each wait is asleep (the rest: running, or runnable after the wake-up).
    asleep = 100 * sleeping[n] / got[n] if got[n] else 0
    ok = ok and (asleep >= 90 or n == "spin")
    bad |= not ok
    print(f"{'ok' if ok else 'FAIL'}: --mode {mode}: {n} {have:.1f}% of the {len(names)} "
          f"(the program measured {want:.1f}%), {asleep:.1f}% of it under [off-cpu: sleeping]")
sys.exit(1 if bad else 0)
EOF
}
check offcpu
check wall
# --no-kernel drops the kernel frames, not the samples (a tracepoint fires in the kernel).
check offcpu --no-kernel
grep -q "\[kernel\]" "$TMP/offcpu--no-kernel.log" && fail "--no-kernel: kernel frames in the summary"
grep -q "offcpu/nanoseconds\|offcpu" "$TMP/offcpu.log" || fail "--mode offcpu summary does not name the offcpu time: $(cat "$TMP/offcpu.log")"
grep -q "total: .* wall (nanoseconds)" "$TMP/wall.log" || fail "--mode wall summary is not in wall time: $(cat "$TMP/wall.log")"
grep -q "^scorch record: [1-9][0-9]* of them off the CPU" "$TMP/wall.log" || fail "--mode wall summary does not count the waits: $(cat "$TMP/wall.log")"
ok "summaries in off-CPU and wall time"

# Uninterruptible waits: `offcpu disk DIR` reads a file with O_DIRECT in wait_disk (D state while
# the device answers) for 400 ms while wait_sleep sleeps 600 ms. Each thread's share of the wall
# time must match what the program measured (5 points), most of wait_disk's time must be under
# "[off-cpu: disk I/O]" (50% at least, and more than under any other state: 92% measured on the
# development VM) and none of wait_sleep's (2% at most), so swapping or merging the two tags
# fails. The file goes in the build folder, which is on a disk; tmpfs would not do (its O_DIRECT
# reads never wait).
disk_dir=$BUILD
disk_fs=$(stat -f -c %T "$disk_dir")
check_disk()
{
	local mode=$1 dir=$TMP/disk-$1
	RC=0
	"$SCORCH" record --mode "$mode" -o "$dir" -- "$(prog offcpu)" disk "$disk_dir" >"$dir.out" 2>"$dir.log" || RC=$?
	[ "$RC" -eq 0 ] || fail "record --mode $mode -- offcpu disk exited $RC: $(cat "$dir.log")"
	python3 - "$dir/stacks.folded" "$dir.out" "$mode" <<'EOF' || fail "--mode $mode: disk I/O waits tagged wrong"
import sys
folded, out, mode = sys.argv[1:]
real = {n: float(ms) for n, ms in (line.split() for line in open(out))}
names = ["wait_disk", "wait_sleep"]
got = dict.fromkeys(names, 0)
state = {n: {} for n in names}
for line in open(folded):
    stack, v = line.rstrip("\n").rsplit(" ", 1)
    frames = stack.split(";")
    for n in names:
        if n in frames:
            got[n] += int(v)
            leaf = frames[-1] if frames[-1].startswith("[off-cpu: ") else "on-cpu"
            state[n][leaf] = state[n].get(leaf, 0) + int(v)
tr, tg = sum(real[n] for n in names), sum(got.values())
bad = False
for n in names:
    share = {k: 100 * v / got[n] for k, v in state[n].items()} if got[n] else {}
    disk = share.get("[off-cpu: disk I/O]", 0)
    others = max([v for k, v in share.items() if k != "[off-cpu: disk I/O]"] or [0])
    if n == "wait_disk":
        ok = disk >= 50 and disk > others
    else:
        ok = disk <= 2 and share.get("[off-cpu: sleeping]", 0) >= 90
    # In wall mode a thread counts whether on the CPU or not: its share is its wall-clock time's.
    want, have = 100 * real[n] / tr, 100 * got[n] / tg if tg else 0
    if mode == "wall":
        ok = ok and abs(want - have) <= 5
    bad |= not ok
    print(f"{'ok' if ok else 'FAIL'}: --mode {mode}: {n} {have:.1f}% of the two (the program "
          f"measured {want:.1f}%), " + ", ".join(f"{v:.1f}% {k}" for k, v in sorted(share.items())))
sys.exit(1 if bad else 0)
EOF
}
case $disk_fs in
tmpfs | ramfs) echo "SKIP part: D-state waits: $disk_dir is on $disk_fs, whose O_DIRECT reads never wait" ;;
*)
	RC=0
	"$(prog offcpu)" disk "$disk_dir" 0.01 >"$TMP/disk-probe.out" 2>&1 || RC=$?
	if [ "$RC" -eq 3 ]; then
		echo "SKIP part: D-state waits: $(cat "$TMP/disk-probe.out")"
	else
		[ "$RC" -eq 0 ] || fail "offcpu disk $disk_dir exited $RC: $(cat "$TMP/disk-probe.out")"
		check_disk wall
		check_disk offcpu
	fi
	;;
esac

# Attached: a thread still blocked when the recording ends counts until the end. `offcpu block`
# naps until SIGUSR1, then blocks in block_forever for good; the recording is stopped with SIGINT
# after the wake-up, so block_forever's wait never ends while recorded.
"$(prog offcpu)" block &
target=$!
trap 'kill "$target" 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 200); do
	[ "$(cat /proc/"$target"/comm 2>/dev/null)" = offcpu ] && break
	sleep 0.05
done
"$SCORCH" record --mode offcpu -p "$target" -o "$TMP/attach" >"$TMP/attach.log" 2>&1 &
rec=$!
for _ in $(seq 1 200); do
	grep -q "recording PID" "$TMP/attach.log" && break
	sleep 0.05
done
grep -q "recording PID" "$TMP/attach.log" || fail "-p: no 'recording PID' line: $(cat "$TMP/attach.log")"
sleep 0.3
kill -USR1 "$target"
sleep 0.5
kill -INT "$rec"
RC=0
wait "$rec" || RC=$?
kill "$target"
[ "$RC" -eq 0 ] || fail "record --mode offcpu -p exited $RC: $(cat "$TMP/attach.log")"
grep -q ";block_forever;.*\[off-cpu: sleeping\] [0-9]" "$TMP/attach/stacks.folded" ||
	fail "-p: the wait still going at the end is missing: $(cat "$TMP/attach/stacks.folded")"
grep -q ";nap;.*\[off-cpu: sleeping\] [0-9]" "$TMP/attach/stacks.folded" ||
	fail "-p: the naps are missing: $(cat "$TMP/attach/stacks.folded")"
ok "-p: a wait still going when the recording ends is counted until the end"
