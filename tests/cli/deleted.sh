#!/usr/bin/env bash
# deleted.sh: code deleted while it runs keeps its names (issue 8, item 14). tests/programs/deleted.c
# runs from a copy that it deletes: after some work (`later`), before it re-executes itself from
# the open file (`reexec`), or a copy of libplugin.so deleted before it is loaded (`plugin`). The
# profile must name early_work, late_work, deleted_work and plugin_compute. As an unprivileged
# user, who cannot read /proc/PID/map_files, a library deleted before scorch saw it cannot be
# read: the summary must say how many addresses lost their names, in which file, and why.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
mkdir "$TMP/bin"

has()
{
	grep -q "$2" "$1/stacks.folded" ||
		fail "$2 is not in $1/stacks.folded: $(grep -E 'symbolized|deleted' "$1.log")"
}

cp "$(prog deleted)" "$TMP/bin/later"
record "$TMP/later" "$TMP/bin/later" later 1.0
[ "$RC" -eq 0 ] || fail "deleted later exited $RC"
[ ! -e "$TMP/bin/later" ] || fail "the program did not delete itself"
has "$TMP/later" ';early_work'
has "$TMP/later" ';late_work'
grep -q 'could not be symbolized' "$TMP/later.log" && fail "$(cat "$TMP/later.log")"
ok "deleted while running: early_work and late_work named"

cp "$(prog deleted)" "$TMP/bin/reexec"
record "$TMP/reexec" "$TMP/bin/reexec" reexec 1.0
[ "$RC" -eq 0 ] || fail "deleted reexec exited $RC"
has "$TMP/reexec" ';deleted_work'
ok "executed from a deleted file: deleted_work named"

cp "$(prog libplugin.so)" "$TMP/bin/libplugin.so"
record "$TMP/plugin" "$(prog deleted)" plugin "$TMP/bin/libplugin.so" 1.0
[ "$RC" -eq 0 ] || fail "deleted plugin exited $RC"
if [ "$(id -u)" -eq 0 ]; then
	has "$TMP/plugin" ';plugin_compute'
	ok "library deleted before it was loaded: plugin_compute named (root reads map_files)"
else
	grep -q 'in deleted file .*libplugin.so.* could not be symbolized' "$TMP/plugin.log" ||
		fail "no word about the deleted library's missing names: $(cat "$TMP/plugin.log")"
	ok "library deleted before it was loaded: the summary says why names are missing"
fi

# The unprivileged side, when we are root and can become nobody.
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	ok "unprivileged case not run: needs root and setpriv"
	exit 0
fi
as_nobody()
{
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
mkdir "$TMP/nobody"
cp "$(prog deleted)" "$(prog libplugin.so)" "$TMP/nobody/"
chmod 777 "$TMP" "$TMP/nobody"
chmod 755 "$TMP/nobody/deleted"
rc=0
as_nobody "$SCORCH" record -o "$TMP/nobody/out" -- "$TMP/nobody/deleted" plugin \
	"$TMP/nobody/libplugin.so" 1.0 >"$TMP/nobody.log" 2>&1 || rc=$?
if grep -q 'perf_event_open' "$TMP/nobody.log"; then
	ok "unprivileged case not run: $(grep -m1 perf_event_open "$TMP/nobody.log")"
	exit 0
fi
[ "$rc" -eq 0 ] || fail "as nobody: exit $rc: $(cat "$TMP/nobody.log")"
grep -q 'addresses* in deleted file .*libplugin.so (deleted) could not be symbolized' "$TMP/nobody.log" ||
	fail "as nobody: no word about the deleted library's missing names: $(cat "$TMP/nobody.log")"
grep -q 'Operation not permitted' "$TMP/nobody.log" || fail "as nobody: the reason is not given"
ok "as nobody: $(grep -m1 'in deleted file' "$TMP/nobody.log")"
