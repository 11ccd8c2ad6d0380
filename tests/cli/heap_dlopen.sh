#!/usr/bin/env bash
# heap_dlopen.sh: scorch heap on tests/programs/heap_dlopen.c, which dlopen()s libheap_plugin.so
# after it started and allocates from it: plugin_leak's and plugin_alloc's numbers exact, their
# stacks reaching main, and their module libheap_plugin.so in heap.pb.gz.
. "$(dirname "$0")/heap_lib.sh"
make_tmp

heap_run "$TMP/out" -- "$(prog heap_dlopen)" "$(prog libheap_plugin.so)"
[ "$RC" -eq 0 ] || fail "scorch heap -- heap_dlopen exited $RC, heap_dlopen exits 0: $(cat "$TMP/out.log")"
heap_outputs "$TMP/out" "$EXPECT_DLOPEN"
for fn in plugin_leak plugin_alloc; do
	module=$(field "$TMP/out.alloc_space.json" "$fn" module)
	[[ "$module" == *libheap_plugin.so* ]] || fail "$fn's module is '$module', not libheap_plugin.so"
	ok "$fn module: $module"
done
