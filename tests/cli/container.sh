#!/usr/bin/env bash
# container.sh: a program in a container names its files as its own mount namespace sees them
# (issue 9). Here dlopen_main runs in a mount namespace of its own where libplugin.so lies on a
# tmpfs that scorch's namespace does not see; scorch, without CAP_SYS_ADMIN (so without
# /proc/PID/map_files), attaches to it and must still name plugin_compute, reading the library
# through /proc/PID/root.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
main=$(prog dlopen_main)
plugin=$(prog libplugin.so)
[ "$(id -u)" -eq 0 ] || skip "making a mount namespace needs root"
command -v unshare >/dev/null && command -v setpriv >/dev/null || skip "needs unshare and setpriv"
unshare -m --propagation private true 2>/dev/null || skip "unshare -m is not permitted here"

ct="$TMP/ct" # empty here; a tmpfs holding the library in the program's namespace
mkdir "$ct"
unshare -m --propagation private sh -c \
	'mount -t tmpfs none "$1" && cp "$2" "$1/libplugin.so" && exec "$3" "$1/libplugin.so" 3' \
	sh "$ct" "$plugin" "$main" >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 200); do
	grep -q "$ct/libplugin.so" /proc/$pid/maps 2>/dev/null && break
	sleep 0.05
done
grep -q "$ct/libplugin.so" /proc/$pid/maps || fail "dlopen_main did not load the plugin in its namespace"
[ ! -e "$ct/libplugin.so" ] || fail "the plugin is visible outside the namespace: the test is void"

RC=0
setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
	"$SCORCH" record -o "$TMP/out" -p "$pid" >"$TMP/out.log" 2>&1 || RC=$?
[ "$RC" -eq 0 ] || fail "scorch record -p $pid exited $RC: $(cat "$TMP/out.log")"
report_json "$TMP/out/profile.pb.gz" >"$TMP/top.json"
share=$(pct "$TMP/top.json" plugin_compute self)
[ "$share" != 0.00 ] || fail "plugin_compute not named (the library in the container was not read): $(cat "$TMP/out.log")"
ok "plugin_compute named through /proc/PID/root: $share% self"
