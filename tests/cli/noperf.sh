#!/usr/bin/env bash
# noperf.sh: scorch when perf_event_open is refused, simulated with tests/programs/noperf.c (a
# seccomp filter making perf_event_open fail with a chosen errno, inherited by everything the
# command runs), as root and as the user nobody.
#   - noperf itself: the call fails with EACCES (default), EPERM or ENOSYS, in the command and in
#     what it execs; other calls work; the command's exit status is kept; usage errors exit 2.
#   - scorch record -- hot under noperf: with the default backend (auto) scorch says perf events
#     were refused and falls back to the signal backend, whose profile has hot's shares; with
#     --backend perf it stops with the refusal. What scorch must do is stated in ONE place, the
#     two functions between the ==== lines below.
. "$(dirname "$0")/lib.sh"
make_tmp
command -v python3 >/dev/null || skip "python3 is needed"
NOPERF=$(prog noperf)
HOT=$(prog hot)

# =================================================================================================
# THE EXPECTATIONS: what `scorch record` does when perf_event_open is refused. DIR.log holds its
# output, RC its status.
# expect_refused ERRNO DIR WHO (--backend perf): exit 1, "perf_event_open was refused" (EACCES,
# EPERM) or "perf_event_open is not available" (ENOSYS), and no output folder left.
expect_refused()
{
	local errno=$1 dir=$2 who=$3 msg
	msg="perf_event_open was refused"
	[ "$errno" = ENOSYS ] && msg="perf_event_open is not available"
	[ "$RC" -eq 1 ] || fail "$who, --backend perf, perf_event_open failing with $errno: exit $RC, expected 1: $(cat "$dir.log")"
	grep -q "^scorch record: $msg" "$dir.log" ||
		fail "$who, --backend perf, perf_event_open failing with $errno: no '$msg' message: $(cat "$dir.log")"
	[ ! -e "$dir" ] || fail "$who, --backend perf, perf_event_open failing with $errno: the output folder was left"
	ok "$who, --backend perf, $errno: $(head -c 90 "$dir.log")..."
}
# expect_fallback ERRNO DIR WHO (the default backend, auto): the refusal said, then the fallback to
# the signal backend (libscorch-cpu.so) said; exit 0, the profile written, hot's shares right
# (hot.c: hot_a 50%, hot_b 30%, hot_c 20%, within 5 points as tests/cli/hot.sh).
expect_fallback()
{
	local errno=$1 dir=$2 who=$3 msg
	msg="perf_event_open was refused"
	[ "$errno" = ENOSYS ] && msg="perf_event_open is not available"
	[ "$RC" -eq 0 ] || fail "$who, perf_event_open failing with $errno: exit $RC, expected 0: $(cat "$dir.log")"
	for f in profile.pb.gz stacks.folded flamegraph.html; do
		[ -s "$dir/$f" ] || fail "$who, $errno: the fallback wrote no $f: $(cat "$dir.log")"
	done
	grep -q "^scorch record: $msg" "$dir.log" ||
		fail "$who, $errno: the refusal is not said ('$msg'): $(cat "$dir.log")"
	grep -q "^scorch record: sampling with the signal backend instead" "$dir.log" ||
		fail "$who, $errno: the fallback to the signal backend is not said: $(cat "$dir.log")"
	report_json "$dir/profile.pb.gz" >"$dir-n.json"
	at_least_samples "$dir-n.json" 100
	# Shares of CPU time: the signal backend's samples are tick-bound, each weighted by the
	# time it stands for, so time is exact where sample counts are only close.
	"$SCORCH" report --format json --top 500 --sample-type cpu "$dir/profile.pb.gz" >"$dir.json" ||
		fail "scorch report --sample-type cpu failed"
	near "$(pct "$dir.json" hot_a self)" 50 5 "$who, $errno, fallback: hot_a self"
	near "$(pct "$dir.json" hot_b self)" 30 5 "$who, $errno, fallback: hot_b self"
	near "$(pct "$dir.json" hot_c self)" 20 5 "$who, $errno, fallback: hot_c self"
}
# =================================================================================================

# The call itself, straight from Python (ctypes, no perf event opened for real: a NULL attr makes
# an allowed call fail with EFAULT, so any other errno is the filter's).
case $(uname -m) in
x86_64) nr=298 ;;
aarch64) nr=241 ;;
*) skip "noperf knows perf_event_open's number on x86_64 and aarch64 only, not $(uname -m)" ;;
esac
cat >"$TMP/call.py" <<EOF
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
r = libc.syscall($nr, None, 0, -1, -1, 0)
print(errno.errorcode.get(ctypes.get_errno(), "?") if r < 0 else "opened", os.getpid() > 0)
EOF
[ "$(python3 "$TMP/call.py")" = "EFAULT True" ] ||
	fail "without noperf, perf_event_open(NULL) did not fail with EFAULT: $(python3 "$TMP/call.py")"
for e in "" EACCES EPERM ENOSYS; do
	want=${e:-EACCES}
	got=$("$NOPERF" ${e:+--errno "$e"} -- python3 "$TMP/call.py" 2>&1) || fail "noperf ${e:+--errno $e }-- python3 failed: $got"
	[ "$got" = "$want True" ] || fail "noperf${e:+ --errno $e}: perf_event_open gave '$got', expected $want"
	# Inherited through a shell and an exec.
	got=$("$NOPERF" ${e:+--errno "$e"} -- sh -c 'python3 "$1"; exit 0' sh "$TMP/call.py" 2>&1)
	[ "$got" = "$want True" ] || fail "noperf${e:+ --errno $e}: a grandchild's perf_event_open gave '$got', expected $want"
done
ok "perf_event_open fails with EACCES (default), EPERM, ENOSYS, in the command and what it runs"

RC=0
"$NOPERF" -- sh -c 'exit 7' || RC=$?
[ "$RC" -eq 7 ] || fail "noperf -- sh -c 'exit 7' exited $RC"
RC=0
"$NOPERF" -- "$TMP/no such command" 2>"$TMP/nocmd.err" || RC=$?
[ "$RC" -eq 127 ] && grep -q "^noperf: cannot run" "$TMP/nocmd.err" ||
	fail "noperf -- a missing command: exit $RC: $(cat "$TMP/nocmd.err")"
for args in "" "--" "--errno" "--errno EBOGUS -- true" "true" "--errno EPERM true"; do
	RC=0
	# shellcheck disable=SC2086
	"$NOPERF" $args >/dev/null 2>"$TMP/usage.err" || RC=$?
	[ "$RC" -eq 2 ] || fail "noperf $args exited $RC, expected 2"
	grep -q "^noperf: .*" "$TMP/usage.err" && grep -q "^usage: noperf" "$TMP/usage.err" ||
		fail "noperf $args: no usage message: $(cat "$TMP/usage.err")"
done
ok "noperf keeps the status, 127 for a missing command, usage errors exit 2 with a message"

# perf_allowed WHO [RUNNER...]: whether `scorch record --backend perf` works without noperf for
# WHO, so that a refusal under noperf is the filter's. Where it does not, the --backend perf checks
# are skipped (the fallback checks need no perf events and run anyway).
perf_allowed()
{
	local who=$1 rc=0
	shift
	"$@" "$SCORCH" record --backend perf -o "$TMP/control-$who" -- true >"$TMP/control-$who.log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "SKIP part: as $who, --backend perf fails even without noperf: $(head -1 "$TMP/control-$who.log")"
		return 1
	fi
	ok "as $who without noperf: --backend perf records"
}

# scorch under noperf, as root (or whoever runs the tests).
me=$(id -un)
perf_me=0
perf_allowed "$me" && perf_me=1
for e in EACCES EPERM ENOSYS; do
	RC=0
	"$NOPERF" --errno "$e" -- "$SCORCH" record -F 1000 -o "$TMP/$e" -- "$HOT" >"$TMP/$e.log" 2>&1 || RC=$?
	expect_fallback "$e" "$TMP/$e" "$me"
	[ "$perf_me" = 1 ] || continue
	RC=0
	"$NOPERF" --errno "$e" -- "$SCORCH" record --backend perf -F 1000 -o "$TMP/perf-$e" -- "$HOT" \
		>"$TMP/perf-$e.log" 2>&1 || RC=$?
	expect_refused "$e" "$TMP/perf-$e" "$me"
done

# As nobody: noperf needs no privilege (PR_SET_NO_NEW_PRIVS).
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP part: running as nobody needs root"
elif ! id nobody >/dev/null 2>&1 || ! getent group nogroup >/dev/null; then
	echo "SKIP part: no user nobody or group nogroup here"
elif ! command -v setpriv >/dev/null; then
	echo "SKIP part: setpriv (util-linux) is needed to run as nobody"
elif ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$SCORCH"; then
	echo "SKIP part: nobody cannot run $SCORCH (a folder on its path is closed to others)"
else
	chmod 777 "$TMP"
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	RC=0
	as_nobody "$NOPERF" -- "$SCORCH" record -F 1000 -o "$TMP/nobody-fallback" -- "$HOT" \
		>"$TMP/nobody-fallback.log" 2>&1 || RC=$?
	expect_fallback EACCES "$TMP/nobody-fallback" nobody
	if perf_allowed nobody as_nobody; then
		RC=0
		as_nobody "$NOPERF" -- "$SCORCH" record --backend perf -F 1000 -o "$TMP/nobody-perf" -- "$HOT" \
			>"$TMP/nobody-perf.log" 2>&1 || RC=$?
		expect_refused EACCES "$TMP/nobody-perf" nobody
	fi
fi
