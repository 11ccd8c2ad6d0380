#!/usr/bin/env bash
# heap.sh: scorch heap on tests/programs/heap_basic.c (every allocation call of libc in one thread)
# built with frame pointers and without (heap_basic_nofp), on heap_threads.c (four threads, a
# block freed by another thread than its allocator's) and on heap_cxx.cpp (new/delete, new[],
# aligned new, a growing vector). Each output folder must hold every file of the contract, and
# heap.json, dhat.json, heap.pb.gz and peak.pb.gz exactly the numbers the programs state
# (tests/cli/heap_lib.sh): totals, allocations/leaks/peak by function, stacks reaching main
# (through code without frame pointers too). scorch heap's status is the program's.
. "$(dirname "$0")/heap_lib.sh"
make_tmp

for p in heap_basic heap_basic_nofp; do
	heap_run "$TMP/$p" -- "$(prog $p)"
	[ "$RC" -eq 0 ] || fail "scorch heap -- $p exited $RC, $p exits 0: $(cat "$TMP/$p.log")"
	grep -qx "heap_basic: done" "$TMP/$p.out" || fail "$p's output is not passed through"
	heap_outputs "$TMP/$p" "$EXPECT_BASIC"
	ok "$p: every number"
done

heap_run "$TMP/threads" -- "$(prog heap_threads)"
[ "$RC" -eq 0 ] || fail "scorch heap -- heap_threads exited $RC: $(cat "$TMP/threads.log")"
heap_outputs "$TMP/threads" "$EXPECT_THREADS"
ok "heap_threads: every number"

heap_run "$TMP/cxx" -- "$(prog heap_cxx)"
[ "$RC" -eq 0 ] || fail "scorch heap -- heap_cxx exited $RC: $(cat "$TMP/cxx.log")"
heap_outputs "$TMP/cxx" "$EXPECT_CXX"
ok "heap_cxx: every number"

# The summary on stderr names the leaks' functions (the largest first).
grep -q "leak_big" "$TMP/heap_basic.log" || fail "the summary does not name leak_big: $(cat "$TMP/heap_basic.log")"
ok "the summary names leak_big"
