#!/usr/bin/env bash
# heap_reuse.sh: scorch heap on tests/programs/heap_reuse.c, whose consecutive allocations the
# in-process unwinder takes in part or whole from a walk it kept (a walk from the same first frame,
# or the previous walk from a frame at the same sp and pc), in the cases where only its checks
# (the registers its steps read and the stack words they loaded are the same) tell the stacks
# apart: the same frames re-entered from another caller, walks that agree up to a frame further
# out, the same outer frames above different inner ones, walks cut at --depth, saved registers
# that change while the stack does not. Every allocation must be counted on exactly its own stack,
# as the program's comments state, with the reuse and without it (SCORCH_HEAP_NO_REUSE=1, every
# frame stepped), at --depth 16 (the default), 3 and 64 (walks longer than a trace keeps); both runs
# must report the same sites. The
# usable bytes must be the sum of malloc_usable_size the program computes.
. "$(dirname "$0")/heap_lib.sh"
make_tmp

# stack (innermost first, up to main), allocations, bytes: from heap_reuse.c's comments
check()
{
	local dir=$1 depth=$2
	python3 "$SRCDIR/tests/cli/heap_sites.py" "$dir/heap.json" "$depth" - <<'JSON' ||
{"stacks": [
    [["leaf", "entry", "caller_x", "main"], 2000, 531500],
    [["leaf", "entry", "caller_y", "main"], 2000, 64000],
    [["leaf", "entry", "mid", "top_p", "main"], 1000, 48000],
    [["leaf", "entry", "mid", "top_q", "main"], 1000, 64000],
    [["leaf", "deep_b", "deep_a", "shared", "main"], 1000, 80000],
    [["leaf", "shallow", "shared", "main"], 1000, 96000],
    [["leaf", "rec*18", "main"], 1000, 8000],
    [["leaf", "rec*20", "main"], 1000, 8000],
    [["leaf", "rec*40", "main"], 1000, 8000]
],
 "totals": {"allocs": 11000, "bytes_allocated": 907500, "leaked_blocks": 0}}
JSON
		fail "$dir: the stacks are not the program's (above)"
}

# The sites of two reports, as (stack, allocations, bytes), must be the same.
same_sites()
{
	python3 - "$1/heap.json" "$2/heap.json" <<'PY' || fail "$1 and $2 report different sites (above)"
import json, sys
def sites(path):
    return sorted((tuple(s["stack"]), s["allocs"], s["bytes"]) for s in json.load(open(path))["sites"])
a, b = sites(sys.argv[1]), sites(sys.argv[2])
for x in sorted(set(a) ^ set(b)):
    print(f"  only in {'the first' if x in a else 'the second'}: {x}", file=sys.stderr)
sys.exit(0 if a == b else 1)
PY
}

for depth in 16 3 64; do
	heap_run "$TMP/r$depth" --depth "$depth" -- "$(prog heap_reuse)"
	[ "$RC" -eq 0 ] || fail "scorch heap --depth $depth -- heap_reuse exited $RC: $(cat "$TMP/r$depth.log")"
	grep -qx "heap_reuse: done" "$TMP/r$depth.out" || fail "heap_reuse's output is not passed through"
	check "$TMP/r$depth" "$depth"
	usable=$(sed -n 's/^heap_reuse: usable //p' "$TMP/r$depth.out")
	got=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["usable_allocated"])' \
		"$TMP/r$depth/heap.json")
	[ -n "$usable" ] && [ "$got" = "$usable" ] ||
		fail "usable_allocated is $got, malloc_usable_size's sum is $usable"
	SCORCH_HEAP_NO_REUSE=1 heap_run "$TMP/s$depth" --depth "$depth" -- "$(prog heap_reuse)"
	[ "$RC" -eq 0 ] || fail "SCORCH_HEAP_NO_REUSE=1 scorch heap -- heap_reuse exited $RC"
	check "$TMP/s$depth" "$depth"
	same_sites "$TMP/r$depth" "$TMP/s$depth"
	ok "heap_reuse --depth $depth: every allocation on its own stack, with and without reuse"
done
