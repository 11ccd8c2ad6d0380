#!/usr/bin/env python3
"""heap_kinds.py: the leak kinds of a known-answer program, from scorch heap's heap.json or from
valgrind's memcheck, by function.

    heap_kinds.py heapjson FILE FUNC...    scorch heap's heap.json ("leaks" entries' "kinds")
    heap_kinds.py memcheck LOG FUNC...     the log of valgrind --leak-check=full
                                           --show-leak-kinds=all (its loss records)

Prints one line per (function, kind) with blocks: "FUNC KIND BYTES BLOCKS", sorted, where FUNC
is the innermost frame of the block's stack that is one of FUNC... and "other" when none is
(libc's own blocks), and KIND is definite, indirect, possible or reachable. For "other" the bytes
are printed as "-": libc's blocks differ in size under valgrind (its own preloaded libraries
make the thread vector longer). Exits 1 with a message when the file has no such data.
"""
import json
import re
import sys

KINDS = {"definitely lost": "definite", "indirectly lost": "indirect",
         "possibly lost": "possible", "still reachable": "reachable"}


def owner(stack, funcs):
    for f in stack:
        for fn in funcs:
            if f == fn or f.startswith(fn + "(") or f.startswith(fn + " "):
                return fn
    return "other"


def add(out, fn, kind, nbytes, blocks):
    b, k = out.get((fn, kind), (0, 0))
    out[(fn, kind)] = (b + nbytes, k + blocks)


def from_heapjson(path, funcs):
    with open(path) as f:
        doc = json.load(f)
    if not doc["totals"].get("classified"):
        sys.exit("heap_kinds: %s: the leaks are not classified" % path)
    out = {}
    for e in doc["leaks"]:
        fn = owner(e["stack"], funcs)
        for kind, v in e["kinds"].items():
            add(out, fn, kind, v["bytes"], v["blocks"])
    return out


RECORD = re.compile(r"==\d+== ([\d,]+) (?:\(([\d,]+) direct, ([\d,]+) indirect\) )?bytes in "
                    r"([\d,]+) blocks are (definitely lost|indirectly lost|possibly lost|"
                    r"still reachable) in loss record")
FRAME = re.compile(r"==\d+==    (?:at|by) 0x[0-9A-Fa-f]+: (\S+)")


def from_memcheck(path, funcs):
    out = {}
    with open(path) as f:
        lines = f.read().splitlines()
    i = 0
    seen = False
    while i < len(lines):
        m = RECORD.match(lines[i])
        i += 1
        if not m:
            continue
        seen = True
        num = lambda s: int(s.replace(",", ""))
        nbytes = num(m.group(2)) if m.group(2) else num(m.group(1))
        stack = []
        while i < len(lines) and FRAME.match(lines[i]):
            stack.append(FRAME.match(lines[i]).group(1))
            i += 1
        add(out, owner(stack, funcs), KINDS[m.group(5)], nbytes, num(m.group(4)))
    if not seen:
        sys.exit("heap_kinds: %s has no loss record" % path)
    return out


def main(argv):
    if len(argv) < 4 or argv[1] not in ("heapjson", "memcheck"):
        sys.exit(__doc__)
    funcs = argv[3:]
    got = (from_heapjson if argv[1] == "heapjson" else from_memcheck)(argv[2], funcs)
    for (fn, kind), (nbytes, blocks) in sorted(got.items()):
        print("%s %s %s %d" % (fn, kind, "-" if fn == "other" else nbytes, blocks))


if __name__ == "__main__":
    main(sys.argv)
