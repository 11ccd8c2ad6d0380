#!/usr/bin/env bash
# heap_fork_late.sh: scorch heap on `tests/programs/heap_fork late`, whose parent allocates only
# after its child has exited, so the child's events come first. DIR must still be the command's
# own process (the parent, by its pid and its numbers), the child DIR/pid-CHILD.
. "$(dirname "$0")/heap_lib.sh"
make_tmp
fork=$(prog heap_fork)

heap_run "$TMP/late" -- "$fork" late
[ "$RC" -eq 0 ] || fail "scorch heap -- heap_fork late exited $RC: $(cat "$TMP/late.log")"
read -r _ _ parent _ child <<<"$(grep '^heap_fork: parent' "$TMP/late.out")"
[ -n "$child" ] || fail "heap_fork late did not write its pids: $(cat "$TMP/late.out")"
pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$TMP/late/heap.json") ||
	fail "no $TMP/late/heap.json"
[ "$pid" = "$parent" ] || fail "heap_fork late: $TMP/late/heap.json is pid $pid's, the command's process is $parent (its child $child)"
heap_expect "$TMP/late/heap.json" "$EXPECT_FORK_LATE_PARENT"
[ -s "$TMP/late/pid-$child/heap.json" ] || fail "heap_fork late: no pid-$child/heap.json: $(ls "$TMP/late")"
heap_expect "$TMP/late/pid-$child/heap.json" "$EXPECT_FORK_LATE_CHILD"
ok "heap_fork late: the parent in DIR, the child in pid-$child"
