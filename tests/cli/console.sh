#!/usr/bin/env bash
# console.sh: `scorch console` without a terminal (--once) and its errors, and the runtime's
# console socket against clients that are not consoles:
#   - a process that does not exist, one that is not instrumented, and trace_loop started without
#     SCORCH_CONSOLE=1 are refused with status 1 and a message that says which (and for the last
#     two, asks about SCORCH_CONSOLE=1 and libscorch), as is another user's process (when run as
#     root, with setpriv); a bad PID and no terminal without --once
#     are usage errors (2);
#   - --once against trace_loop (SCORCH_CONSOLE=1), after the hostile clients below, prints a plain
#     snapshot naming its spans,
#     with no escape sequence;
#   - hostile clients: a wrong hello, garbage, a hello cut short, and a client that connects and
#     says nothing are each dropped (the connection closed, no descriptor passed), the program
#     keeps running, and a real console works after each of them;
#   - consoles after the first name the spans too, even after a console that consumed the sites'
#     records from the rings and died (the runtime keeps a catalogue of them in the event file);
#   - while a console is attached (a client that said the hello and holds the connection), a second
#     one is told the program is busy (status 1); once the first goes, a console works again.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
loop=$(prog trace_loop)
run="$TMP/run"
mkdir -m 700 "$run"
export XDG_RUNTIME_DIR=$run
pids=()
cleanup()
{
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# expect STATUS REGEX ARGS...: scorch console ARGS exits STATUS and says REGEX on stderr.
expect()
{
	local want=$1 re=$2 err rc
	shift 2
	err=$("$SCORCH" console "$@" 2>&1 >/dev/null </dev/null)
	rc=$?
	[ $rc -eq "$want" ] || fail "scorch console $*: status $rc, not $want ($err)"
	grep -qE -- "$re" <<<"$err" || fail "scorch console $*: says '$err', not /$re/"
}

true &
gone=$!
wait $gone
expect 1 "no such process: $gone" --once "$gone"
sleep 600 &
plain=$!
pids+=($plain)
expect 1 "process $plain has no console socket .*SCORCH_CONSOLE=1 .*libscorch" --once "$plain"
"$loop" &
quiet=$!
pids+=($quiet)
expect 1 "process $quiet has no console socket .*SCORCH_CONSOLE=1" --once "$quiet"
expect 2 "'12x' is not a process id" --once 12x
# Another user's process (root only: setpriv runs it as nobody).
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups sleep 600 &
	other=$!
	pids+=($other)
	for _ in $(seq 50); do
		[ "$(stat -c %u "/proc/$other" 2>/dev/null)" = 65534 ] && break
		sleep 0.1
	done
	expect 1 "process $other is another user's" --once "$other"
	ok "another user's process is refused"
fi
expect 2 "needs a terminal.*--once" "$plain"
ok "errors: no such process, no socket (plain and uninstrumented), bad pid, no terminal"

SCORCH_CONSOLE=1 "$loop" &
pid=$!
pids+=($pid)
wait_console_socket "$run" "$pid"
[ "$(stat -c %a "$sock")" = 600 ] || fail "the socket's mode is $(stat -c %a "$sock"), not 600"

# snapshot WHAT [spans]: scorch console --once must succeed, in plain text, with the header
# naming the program and its pid; with `spans`, the tick row too.
snapshot()
{
	local out rc
	out=$("$SCORCH" console --once --interval 300 "$pid" 2>"$TMP/err")
	rc=$?
	[ $rc -eq 0 ] || fail "$1: scorch console --once: status $rc ($(cat "$TMP/err"))"
	grep -qE "^scorch console +trace_loop +pid $pid " <<<"$out" || fail "$1: the snapshot's header: $out"
	if [ "${2:-}" = spans ]; then
		grep -qE '^  tick +[0-9]+' <<<"$out" || fail "$1: the snapshot has no tick row: $out"
	fi
	if grep -q $'\x1b' <<<"$out"; then fail "$1: the snapshot has escape sequences"; fi
}

# client MODE: a client of the socket; prints what the server did: "closed" (EOF, no
# descriptor), "fd STATUS" (a reply with a descriptor), "reply STATUS" (a reply without one).
cat >"$TMP/client.py" <<'EOF'
import array, os, socket, struct, sys, time
path, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.settimeout(30)
if mode == "wrong":
    s.sendall(b"HELLO CONSOLE 9\n")
elif mode == "garbage":
    s.sendall(bytes((i * 37 + 11) % 256 for i in range(4096)))
elif mode == "short":
    s.sendall(b"SCORCH-CON")
elif mode in ("hello", "hold", "consume"):
    s.sendall(b"SCORCH-CONSOLE 1\n")
# "silent": nothing
try:
    msg, anc, flags, addr = s.recvmsg(64, socket.CMSG_SPACE(4))
except socket.timeout:
    print("timeout"); sys.exit(0)
except ConnectionResetError:
    print("closed"); sys.exit(0)
fds = array.array("i")
for level, typ, data in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(data[:4])
if not msg:
    print("closed" if not fds else "fd-without-reply"); sys.exit(0)
status = struct.unpack_from("<8sIII", msg)[2] if len(msg) >= 20 else -1
print(("fd %d" if fds else "reply %d") % status)
sys.stdout.flush()
if mode == "hold":
    sys.stdin.read()  # hold the connection until our stdin closes
if mode == "consume" and fds:
    # A console that reads every ring (src/agent/stream.h's layout), call-site records (type 8)
    # included, and dies without a word: nothing of what it learnt is left anywhere.
    import mmap
    size = os.fstat(fds[0]).st_size
    m = mmap.mmap(fds[0], size)
    nrings, ring_bytes = struct.unpack_from("<II", m, 16)
    locs, end = 0, time.time() + 20
    while locs == 0 and time.time() < end:
        for i in range(nrings):
            base = 4096 + i * (64 + ring_bytes)
            state = struct.unpack_from("<I", m, base)[0]
            head, tail = struct.unpack_from("<QQ", m, base + 16)
            if state not in (2, 3):  # OWNED, CLOSED
                continue
            while tail < head:
                typ, _, rsize = struct.unpack_from("<HHI", m, base + 64 + tail % ring_bytes)
                locs += typ == 8
                tail += rsize if rsize >= 8 else head - tail
            struct.pack_into("<Q", m, base + 24, tail)
        time.sleep(0.05)
    print("consumed %d" % locs)
EOF
client()
{
	python3 "$TMP/client.py" "$sock" "$1"
}
for mode in wrong garbage short silent; do
	got=$(client $mode)
	[ "$got" = closed ] || fail "a client that is $mode: the server did '$got', not close"
	kill -0 "$pid" 2>/dev/null || fail "trace_loop died after a $mode client"
done
# The runtime writes a site's record into a ring once: a console that consumed them and died
# leaves the next one only the catalogue of the event file to name the spans by.
got=$(client consume)
grep -qx 'fd 0' <<<"$got" && grep -qE '^consumed [1-9]' <<<"$got" ||
	fail "the consuming client: '$got'"
snapshot "after the hostile clients and a console that died" spans
ok "wrong hello, garbage, a cut hello and silence are dropped; the program runs on; a console then sees its spans, in plain text"
snapshot "a second console" spans
snapshot "a third console" spans
ok "later consoles attach and name the spans (from the event file's catalogue)"

# busy: a client holds the console (the fifo keeps its stdin open until we close it).
mkfifo "$TMP/hold"
client hold <"$TMP/hold" >"$TMP/hold.out" &
holder=$!
exec 9>"$TMP/hold"
for _ in $(seq 100); do
	[ -s "$TMP/hold.out" ] && break
	sleep 0.1
done
[ "$(cat "$TMP/hold.out")" = "fd 0" ] || fail "a real hello got '$(cat "$TMP/hold.out")', not the descriptor"
expect 1 "process $pid is busy: another console is attached" --once "$pid"
exec 9>&-
wait $holder
snapshot "after the first console left" spans
ok "a second console is told busy; after the first goes, a console attaches"
