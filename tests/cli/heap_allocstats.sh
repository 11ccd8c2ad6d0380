#!/usr/bin/env bash
# heap_allocstats.sh: the allocator's own statistics (mallinfo2, taken by the agent) beside the heap
# in heap.json's timeline and totals, timeline.svg and the summary, on tests/programs/heap_frag.c:
# 64 MiB of 4 KiB blocks, every other one freed, then 32 MiB of 8 KiB blocks that cannot reuse the
# holes. The agent takes the statistics at every 4096th allocation of a thread (and every 50 ms),
# so the one at the last allocation (the 20480th) is there whatever the timing, and it is the one
# where the allocator holds the most: at least 64 MiB in use, at least 30 MiB free in the holes,
# held = in use + free (mallinfo2's arena + mmapped = uordblks + fordblks + mmapped).
. "$(dirname "$0")/heap_lib.sh"
make_tmp
heap_run "$TMP/frag" -- "$(prog heap_frag)"
[ "$RC" -eq 0 ] || fail "heap_frag: status $RC: $(cat "$TMP/frag.log")"
heap_need "$TMP/frag" heap.json timeline.svg
heap_expect "$TMP/frag/heap.json" '{"totals": {"allocs": 20480, "frees": 8192,
  "bytes_allocated": 100663296, "leaked_bytes": 67108864, "leaked_blocks": 12288}}'
python3 - "$TMP/frag/heap.json" <<'PY' || fail "the allocator's statistics are not plausible"
import json, sys
doc = json.load(open(sys.argv[1]))
t = doc["totals"]
MiB = 1 << 20
held, used, free = t["alloc_held"], t["alloc_in_use"], t["alloc_free"]
print("largest: held %d, in use %d, free %d" % (held, used, free))
assert held == used + free, "held is not in use + free"
assert 64 * MiB <= used <= 64 * MiB * 1.01 + MiB, "in use is not 64 MiB and the chunks' headers"
assert 30 * MiB <= free <= 33 * MiB, "the 32 MiB of holes are not free inside"
pts = [p for p in doc["timeline"]["points"] if "alloc_held" in p]
assert len(pts) >= 2, "fewer than two samples in the timeline"
assert max(p["alloc_held"] for p in pts) == held, "the timeline misses the largest sample"
for p in pts:
    assert p["alloc_held"] == p["alloc_in_use"] + p["alloc_free"], p
    if "heap_min" in p:  # chunks in use hold at least the bytes live then
        assert p["alloc_in_use"] >= p["heap_min"], p
print("%d samples, each consistent with the heap" % len(pts))
PY
grep -q 'id="alloc_held"' "$TMP/frag/timeline.svg" && grep -q 'id="alloc_in_use"' "$TMP/frag/timeline.svg" ||
	fail "timeline.svg does not draw the allocator's lines"
grep -Eq '^scorch heap: allocator \(mallinfo2\) at its largest: 9[0-9.]*MiB held from the system, 64\.[0-9]MiB in use, 3[0-9.]*MiB free inside: 3[0-9.]*% fragmentation$' "$TMP/frag.log" ||
	fail "the summary does not give the allocator's figures: $(cat "$TMP/frag.log")"
ok "the allocator's statistics: in the timeline, the SVG and the summary, consistent with the heap"
