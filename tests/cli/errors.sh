#!/usr/bin/env bash
# errors.sh: scorch's error paths. A bad flag exits 2; a command that does not exist exits
# non-zero with a message naming it; an output folder that cannot be created exits non-zero with a
# message naming it.
. "$(dirname "$0")/lib.sh"
make_tmp

# Usage errors need no perf events.
rc=0
"$SCORCH" record --no-such-flag -- true >"$TMP/flag.out" 2>"$TMP/flag.err" || rc=$?
[ "$rc" -eq 2 ] || fail "record --no-such-flag exited $rc, expected 2"
grep -q -- '--no-such-flag' "$TMP/flag.err" || fail "the message does not name --no-such-flag"
ok "record: bad flag exits 2 and names it"
rc=0
"$SCORCH" report --no-such-flag x >/dev/null 2>"$TMP/rflag.err" || rc=$?
[ "$rc" -eq 2 ] || fail "report --no-such-flag exited $rc, expected 2"
ok "report: bad flag exits 2"
rc=0
"$SCORCH" no-such-command >/dev/null 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "scorch no-such-command exited 0"
ok "unknown command exits $rc"

require_perf

missing="$TMP/no-such-program-xyz"
rc=0
"$SCORCH" record -o "$TMP/out1" -- "$missing" >"$TMP/missing.out" 2>"$TMP/missing.err" || rc=$?
[ "$rc" -ne 0 ] || fail "record of a missing command exited 0"
grep -q 'no-such-program-xyz' "$TMP/missing.err" ||
	fail "the message does not name the missing command: $(cat "$TMP/missing.err")"
ok "missing command: exit $rc, $(head -1 "$TMP/missing.err")"

# A regular file where a folder should be: not writable even for root.
: >"$TMP/file"
rc=0
"$SCORCH" record -o "$TMP/file/out" -- true >"$TMP/dir.out" 2>"$TMP/dir.err" || rc=$?
[ "$rc" -ne 0 ] || fail "record -o into a regular file exited 0"
grep -q "$TMP/file" "$TMP/dir.err" ||
	fail "the message does not name the output folder: $(cat "$TMP/dir.err")"
ok "unwritable -o: exit $rc, $(head -1 "$TMP/dir.err")"
