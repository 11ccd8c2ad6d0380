#!/usr/bin/env bash
# dlopen.sh: tests/programs/dlopen_main.c dlopen()s libplugin.so after it has started and spends
# 70% of its time in plugin_compute there. scorch must see the new mapping: plugin_compute at 70%
# (within 6 points) in module libplugin.so, main_compute at 30% in dlopen_main.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
main=$(prog dlopen_main)
plugin=$(prog libplugin.so)
record "$TMP/out" "$main" "$plugin" 1.0
[ "$RC" -eq 0 ] || fail "scorch record exited $RC, dlopen_main exits 0"
report_json "$TMP/out/profile.pb.gz" >"$TMP/top.json"
at_least_samples "$TMP/top.json" 300
near "$(pct "$TMP/top.json" plugin_compute self libplugin.so)" 70 6 "plugin_compute self in libplugin.so"
near "$(pct "$TMP/top.json" main_compute self dlopen_main)" 30 6 "main_compute self in dlopen_main"
module=$(field "$TMP/top.json" plugin_compute module)
[[ "$module" == *libplugin.so* ]] || fail "plugin_compute's module is '$module', not libplugin.so"
ok "plugin_compute module: $module"
