#!/usr/bin/env bash
# system_wide.sh: -a / --all-cpus as perf's (issue 9): with a command, every process on every CPU
# while the command runs; without one, until Ctrl-C (saying so) or --duration; refused with a clear
# message to a user without the privilege; not combined with -p.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
hot=$(prog hot)

RC=0
"$SCORCH" record -o "$TMP/nope" -a -p $$ >"$TMP/nope.log" 2>&1 || RC=$?
[ "$RC" -eq 2 ] || fail "-a with -p exited $RC, expected 2"
grep -qF "scorch record: give one of -p, -t and -a, not several" "$TMP/nope.log" ||
	fail "-a -p: $(cat "$TMP/nope.log")"
ok "-a with -p refused"

# Without the privilege: a clear refusal (run as nobody when we are root and the sysctl forbids).
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
if [ "$(id -u)" -eq 0 ] && [ "$paranoid" -gt 0 ] && command -v setpriv >/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$SCORCH"; then
	chmod 755 "$TMP"
	mkdir -m 1777 "$TMP/shared"
	RC=0
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$SCORCH" record -o "$TMP/shared/a" -a -- true >"$TMP/unpriv.log" 2>&1 || RC=$?
	[ "$RC" -eq 1 ] || fail "unprivileged -a exited $RC, expected 1: $(cat "$TMP/unpriv.log")"
	grep -qF "scorch record: -a (all CPUs) was refused: system-wide recording needs root (or CAP_PERFMON) or kernel.perf_event_paranoid <= 0, and it is $paranoid" \
		"$TMP/unpriv.log" || fail "unprivileged -a: $(cat "$TMP/unpriv.log")"
	[ ! -e "$TMP/shared/a" ] || fail "refused -a left its output folder"
	ok "unprivileged -a: $(head -1 "$TMP/unpriv.log")"
else
	echo "note: not checking the unprivileged refusal (not root, paranoid <= 0, or no setpriv)"
fi

# From here on the recording itself needs the privilege.
RC=0
"$SCORCH" record -o "$TMP/probe" -a --duration 0.1 >"$TMP/probe.log" 2>&1 || RC=$?
if [ "$RC" -ne 0 ]; then
	grep -q "was refused" "$TMP/probe.log" || fail "-a failed: $(cat "$TMP/probe.log")"
	skip "system-wide recording is not permitted here: $(head -1 "$TMP/probe.log")"
fi
grep -q "Ctrl-C to stop" "$TMP/probe.log" && fail "-a --duration said Ctrl-C to stop"

# With a command: the system while it runs; the command's functions are there.
RC=0
"$SCORCH" record -o "$TMP/cmd" -a -- "$hot" 0.3 >"$TMP/cmd.log" 2>&1 || RC=$?
[ "$RC" -eq 0 ] || fail "scorch record -a -- hot exited $RC: $(cat "$TMP/cmd.log")"
grep -q "Ctrl-C to stop" "$TMP/cmd.log" && fail "-a with a command said Ctrl-C to stop"
report_json "$TMP/cmd/profile.pb.gz" >"$TMP/cmd.json"
[ "$(pct "$TMP/cmd.json" hot_a self)" != 0.00 ] || fail "-a -- hot has no hot_a"
ok "-a -- hot: hot_a $(pct "$TMP/cmd.json" hot_a self)% of the system's samples"

# Without a command: until Ctrl-C, which it announces; the profile is whole.
"$hot" 20 >/dev/null &
h=$!
trap 'kill $h 2>/dev/null; rm -rf "$TMP"' EXIT
"$SCORCH" record -o "$TMP/all" -a >"$TMP/all.log" 2>&1 &
s=$!
for _ in $(seq 1 200); do
	grep -q "Ctrl-C to stop" "$TMP/all.log" && break
	sleep 0.05
done
grep -qF "scorch record: recording all CPUs (system-wide), Ctrl-C to stop" "$TMP/all.log" ||
	fail "no 'recording all CPUs' line: $(cat "$TMP/all.log")"
sleep 0.5
kill -INT "$s"
RC=0
wait "$s" || RC=$?
kill "$h"
[ "$RC" -eq 0 ] || fail "scorch record -a stopped by SIGINT exited $RC: $(cat "$TMP/all.log")"
report_json "$TMP/all/profile.pb.gz" >"$TMP/all.json"
[ "$(pct "$TMP/all.json" hot_a self)" != 0.00 ] ||
	fail "-a did not see hot, running meanwhile: $(head -3 "$TMP/all.log")"
ok "-a until Ctrl-C saw the running hot"
