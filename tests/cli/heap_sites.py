#!/usr/bin/env python3
"""heap_sites.py: the program's allocations of a heap report, stack by stack, against known answers.

    heap_sites.py REPORT DEPTH EXPECT

REPORT is scorch heap's heap.json of a run with --depth DEPTH; EXPECT a JSON file ("-": stdin):

    {"stacks": [[["leaf", "via_x", "main"], 2000, 32000], ...],
        each a stack (innermost first, up to main) with its allocations and bytes, as the
        program's comments state ("rec*18" stands for 18 frames "rec"); cut to DEPTH frames,
        they are summed per cut stack,
     "totals": {"allocs": 9000, "bytes_allocated": 224000, "leaked_blocks": 0}}
        exact values of heap.json's "totals".

Sites whose stack (cut at main) names no "leaf" frame are not the program's and are skipped.
Every other site must be one of the cut stacks, with exactly its numbers, and every cut stack
must be reported. Used by tests/cli/heap_stacks.sh and heap_reuse.sh. Prints each mismatch and
exits 1; exits 0 when all hold.
"""
import json
import re
import sys


def frames(stack):
    """The stack with each "NAME*N" written out as N frames NAME."""
    out = []
    for f in stack:
        m = re.fullmatch(r"(.*)\*(\d+)", f)
        out += [m.group(1)] * int(m.group(2)) if m else [f]
    return out


def main(argv):
    report = json.load(open(argv[1]))
    depth = int(argv[2])
    exp = json.load(sys.stdin if argv[3] == "-" else open(argv[3]))
    cut = {}
    for stack, n, b in exp["stacks"]:
        a = cut.setdefault(tuple(frames(stack)[:depth]), [0, 0])
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
    want = exp["totals"]
    if any(t[k] != v for k, v in want.items()):
        print(f"  totals: {t['allocs']} allocations, {t['bytes_allocated']} bytes, "
              f"{t['leaked_blocks']} leaked; want {want['allocs']}, {want['bytes_allocated']}, "
              f"{want['leaked_blocks']}", file=sys.stderr)
        bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
