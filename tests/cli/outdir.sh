#!/usr/bin/env bash
# outdir.sh: the output folder of `scorch record` (issue 8, items 5 and 13).
#
# Recordings started in the same second never share a folder: with the clock stopped
# (libfixedtime.so), two recordings in a row and two at once get four folders, NAME-STAMP,
# NAME-STAMP-2, -3, -4, each with its whole set of files. A recording that records nothing (a
# missing or non-executable command, a process that does not exist, a refused perf_event_open)
# leaves no folder it created behind, but never removes one the user made. A command found but not executable exits 126, a
# missing one 127, as a shell says.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
# (verify_asan_link_order=0: a sanitizer build of scorch accepts the preload before its runtime.)
ft=$BUILD/tests/programs/libfixedtime.so
[ -f "$ft" ] || fail "libfixedtime.so is not built ($ft)"

whole()
{
	for f in profile.pb.gz stacks.folded flamegraph.html; do
		[ -s "$1/$f" ] || fail "$1/$f is missing or empty"
	done
}

# Same second, one after the other and at once.
mkdir "$TMP/same"
stamp=$(TZ=UTC date -d @1700000000 +%Y%m%d-%H%M%S)
run_fixed()
{
	(cd "$TMP/same" && TZ=UTC LD_PRELOAD=$ft SC_FIXED_TIME=1700000000 ASAN_OPTIONS=verify_asan_link_order=0 \
		"$SCORCH" record -q -- "$(prog hot)" 0.05 >"$1.out" 2>"$1.err") ||
		fail "scorch record failed: $(cat "$1.err")"
}
run_fixed "$TMP/a"
run_fixed "$TMP/b"
run_fixed "$TMP/c" &
c=$!
run_fixed "$TMP/d" &
d=$!
wait "$c" || fail "the third recording failed"
wait "$d" || fail "the fourth recording failed"
base=$TMP/same/scorch-out/hot-$stamp
for dir in "$base" "$base-2" "$base-3" "$base-4"; do
	whole "$dir"
done
n=$(find "$TMP/same/scorch-out" -mindepth 1 -maxdepth 1 | wc -l)
[ "$n" -eq 4 ] || fail "expected 4 folders in scorch-out, found $n: $(ls "$TMP/same/scorch-out")"
ok "four recordings in the same second: hot-$stamp, -2, -3, -4, each whole"

# Nothing recorded: no folder left behind, and the shell's exit statuses.
mkdir "$TMP/empty"
rc=0
(cd "$TMP/empty" && "$SCORCH" record -- ./no-such-program >/dev/null 2>"$TMP/missing.err") || rc=$?
[ "$rc" -eq 127 ] || fail "a missing command exited $rc, expected 127"
[ ! -e "$TMP/empty/scorch-out" ] ||
	fail "a missing command left $(find "$TMP/empty/scorch-out" | tr '\n' ' ')"
ok "missing command: exit 127, no scorch-out left"

: >"$TMP/noexec"
rc=0
"$SCORCH" record -o "$TMP/new/sub" -- "$TMP/noexec" >/dev/null 2>"$TMP/noexec.err" || rc=$?
[ "$rc" -eq 126 ] || fail "a non-executable command exited $rc, expected 126: $(cat "$TMP/noexec.err")"
grep -q 'Permission denied' "$TMP/noexec.err" || fail "no reason given: $(cat "$TMP/noexec.err")"
[ ! -e "$TMP/new" ] || fail "a non-executable command left $TMP/new behind"
ok "non-executable command: exit 126, $(cat "$TMP/noexec.err")"

rc=0
"$SCORCH" record -o "$TMP/dirout" -- "$TMP" >/dev/null 2>"$TMP/dircmd.err" || rc=$?
[ "$rc" -eq 126 ] || fail "a directory as the command exited $rc, expected 126"
[ ! -e "$TMP/dirout" ] || fail "$TMP/dirout left behind"
ok "a directory as the command: exit 126"

rc=0
# A pid in range that no process has: one that just exited.
dead=$(sh -c 'echo $$')
"$SCORCH" record -o "$TMP/dead" -p "$dead" >/dev/null 2>"$TMP/dead.err" || rc=$?
[ "$rc" -eq 1 ] || fail "-p of no process exited $rc, expected 1"
[ ! -e "$TMP/dead" ] || fail "-p of no process left $TMP/dead behind"
ok "-p of no process: exit 1, no folder left"

# Folders the user made stay, empty or not.
mkdir -p "$TMP/mine-empty" "$TMP/mine-full"
echo keep >"$TMP/mine-full/notes.txt"
"$SCORCH" record -o "$TMP/mine-empty" -- ./no-such-program >/dev/null 2>&1 && fail "exit 0"
"$SCORCH" record -o "$TMP/mine-full" -- ./no-such-program >/dev/null 2>&1 && fail "exit 0"
[ -d "$TMP/mine-empty" ] || fail "the user's empty folder was removed"
[ "$(cat "$TMP/mine-full/notes.txt")" = keep ] || fail "the user's folder lost its file"
ok "the user's own folders are kept"

# perf_event_open refused (an unprivileged user attaching to root's process 1): no folder left.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	mkdir "$TMP/refused"
	chmod 777 "$TMP" "$TMP/refused"
	rc=0
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$SCORCH" record -o "$TMP/refused/out" -p 1 >/dev/null 2>"$TMP/refused.err" || rc=$?
	[ "$rc" -eq 1 ] || fail "a refused perf_event_open exited $rc: $(cat "$TMP/refused.err")"
	grep -q 'perf_event_open' "$TMP/refused.err" || fail "not refused: $(cat "$TMP/refused.err")"
	[ ! -e "$TMP/refused/out" ] || fail "a refused perf_event_open left $TMP/refused/out behind"
	ok "refused perf_event_open: $(cat "$TMP/refused.err"), no folder left"
else
	ok "refused perf_event_open not tried: needs root and setpriv"
fi
