#!/usr/bin/env bash
# heap_fork.sh: scorch heap on tests/programs/heap_fork.c. The parent's numbers go to DIR, the
# forked child's to DIR/pid-CHILD (each its own profile, the child's starting at the fork: its free
# of the block allocated before the fork is one of frees_unknown). With --no-inherit the child is
# not followed: no pid-* folder, the parent's numbers unchanged. (heap_fork_late.sh: a parent that
# allocates only after its child.)
. "$(dirname "$0")/heap_lib.sh"
make_tmp
fork=$(prog heap_fork)

heap_run "$TMP/out" -- "$fork"
[ "$RC" -eq 0 ] || fail "scorch heap -- heap_fork exited $RC, heap_fork exits 0: $(cat "$TMP/out.log")"
child=$(sed -n 's/^heap_fork: parent [0-9]* child \([0-9]*\)$/\1/p' "$TMP/out.out")
[ -n "$child" ] || fail "heap_fork did not write its child's pid: $(cat "$TMP/out.out")"
heap_outputs "$TMP/out" "$EXPECT_FORK_PARENT"
ok "the parent's numbers"
[ -d "$TMP/out/pid-$child" ] || fail "no $TMP/out/pid-$child for the child: $(ls "$TMP/out")"
heap_outputs "$TMP/out/pid-$child" "$EXPECT_FORK_CHILD"
ok "the child's numbers, in pid-$child"
n=$(find "$TMP/out" -mindepth 1 -maxdepth 1 -type d -name 'pid-*' | wc -l)
[ "$n" -eq 1 ] || fail "$n pid-* folders, heap_fork forks once"

heap_run "$TMP/solo" --no-inherit -- "$fork"
[ "$RC" -eq 0 ] || fail "scorch heap --no-inherit -- heap_fork exited $RC: $(cat "$TMP/solo.log")"
heap_expect "$TMP/solo/heap.json" "$EXPECT_FORK_PARENT"
if [ -n "$(find "$TMP/solo" -mindepth 1 -maxdepth 1 -type d -name 'pid-*')" ]; then
	fail "--no-inherit, yet the child has a profile: $(ls "$TMP/solo")"
fi
ok "--no-inherit: the parent alone"
