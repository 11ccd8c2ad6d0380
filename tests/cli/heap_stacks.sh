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

check()
{
	local dir=$1 depth=$2
	python3 - "$dir/heap.json" "$depth" <<'PY' || fail "$dir: the stacks are not the program's (above)"
import json, sys
report = json.load(open(sys.argv[1]))
depth = int(sys.argv[2])
# stack (innermost first, up to main) -> (allocations, bytes), from heap_stacks.c's comments
want = {
    ("leaf", "via_x", "main"): (2000, 32000),
    ("leaf", "via_y", "main"): (1000, 48000),
    ("leaf", "mid", "outer_p", "main"): (1000, 24000),
    ("leaf", "mid", "outer_q", "main"): (1000, 40000),
    ("leaf", "rec", "main"): (1000, 8000),
    ("leaf", "rec", "rec", "rec", "main"): (1000, 8000),
    ("leaf", "rec", "rec", "main"): (1000, 8000),
    ("leaf", "mid", "outer_big", "main"): (1000, 56000),
}
cut = {}
for stack, (n, b) in want.items():
    key = stack[:depth]
    a = cut.setdefault(key, [0, 0])
    a[0] += n
    a[1] += b
got = {}
for s in report["sites"]:
    stack = tuple(s["stack"])
    if "main" in stack:
        stack = stack[: stack.index("main") + 1]
    if "leaf" not in stack:
        continue  # not the program's (none expected: it writes with write(2))
    a = got.setdefault(stack, [0, 0])
    a[0] += s["allocs"]
    a[1] += s["bytes"]
bad = False
for key in sorted(set(cut) | set(got)):
    if cut.get(key) != got.get(key):
        print(f"  {' <- '.join(key)}: want {cut.get(key)}, got {got.get(key)}", file=sys.stderr)
        bad = True
t = report["totals"]
if t["allocs"] != 9000 or t["bytes_allocated"] != 224000 or t["leaked_blocks"] != 0:
    print(f"  totals: {t['allocs']} allocations, {t['bytes_allocated']} bytes, "
          f"{t['leaked_blocks']} leaked; want 9000, 224000, 0", file=sys.stderr)
    bad = True
sys.exit(1 if bad else 0)
PY
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
