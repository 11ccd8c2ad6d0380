#!/usr/bin/env bash
# heap_stacks.sh: scorch heap on tests/programs/heap_stacks.c, whose consecutive allocations have
# stacks that differ only deep down (one leaf under two callers at the same stack position), only
# far out (the same two inner frames under two outer callers), in depth (one recursion at depths
# 1, 3, 2 in turn) or in position (a caller with a large frame). The in-process unwinder tries,
# frame by frame, what the previous walk found at the same stack position: each allocation must
# still be counted on exactly its own stack, up to main, as the program's comments state. Run with
# --depth 16 (the default) and --depth 3 (stacks cut short, the walks' ends differ).
. "$(dirname "$0")/heap_lib.sh"
make_tmp

# stack (innermost first, up to main), allocations, bytes: from heap_stacks.c's comments
check()
{
	local dir=$1 depth=$2
	python3 "$SRCDIR/tests/cli/heap_sites.py" "$dir/heap.json" "$depth" - <<'JSON' ||
{"stacks": [
    [["leaf", "via_x", "main"], 2000, 32000],
    [["leaf", "via_y", "main"], 1000, 48000],
    [["leaf", "mid", "outer_p", "main"], 1000, 24000],
    [["leaf", "mid", "outer_q", "main"], 1000, 40000],
    [["leaf", "rec", "main"], 1000, 8000],
    [["leaf", "rec", "rec", "rec", "main"], 1000, 8000],
    [["leaf", "rec", "rec", "main"], 1000, 8000],
    [["leaf", "mid", "outer_big", "main"], 1000, 56000]
],
 "totals": {"allocs": 9000, "bytes_allocated": 224000, "leaked_blocks": 0}}
JSON
		fail "$dir: the stacks are not the program's (above)"
}

heap_run "$TMP/d16" -- "$(prog heap_stacks)"
[ "$RC" -eq 0 ] || fail "scorch heap -- heap_stacks exited $RC: $(cat "$TMP/d16.log")"
grep -qx "heap_stacks: done" "$TMP/d16.out" || fail "heap_stacks's output is not passed through"
check "$TMP/d16" 16
ok "heap_stacks: every allocation on its own stack"

heap_run "$TMP/d3" --depth 3 -- "$(prog heap_stacks)"
[ "$RC" -eq 0 ] || fail "scorch heap --depth 3 -- heap_stacks exited $RC: $(cat "$TMP/d3.log")"
check "$TMP/d3" 3
ok "heap_stacks --depth 3: every allocation on its own (cut) stack"
