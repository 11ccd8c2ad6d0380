#!/usr/bin/env python3
"""heap_check.py: compares a heap report with a known-answer program's numbers.

    heap_check.py [--valgrind] REPORT EXPECT
    heap_check.py --pprof heap|peak TOP EXPECT
        REPORT: scorch heap's heap.json, or a DHAT file (scorch's dhat.json, or with --valgrind
        the dhat.out.PID of valgrind --tool=dhat --run-libc-freeres=no --run-cxx-freeres=no)
        EXPECT: a JSON file of expectations, "-" for stdin

Used by tests/cli/heap*.sh, which state each program's numbers (those written in the comments of
tests/programs/heap_*.c) as data. Prints one "ok:" line per check passed and exits 0; prints
"FAIL heap_check: ..." for the first mismatch and exits 1; exits 2 on bad usage or unreadable files.

With --pprof, TOP is `scorch report --format json --top 500 --sample-type T` of heap.pb.gz (heap)
or peak.pb.gz (peak), and each function's inclusive total must be its expected number for T:
alloc_objects allocs, alloc_space bytes, inuse_objects leaked_blocks (peak: peak_blocks),
inuse_space leaked_bytes (peak: peak_bytes); and the profile's total the matching "totals" value
when given.

Expectations (every key optional):

    {"totals": {"allocs": 22, "frees": 18, "peak_bytes": 106300, ...},
        exact values of heap.json's "totals" (the whole process, libc's own blocks included).
        From a DHAT file only allocs, bytes_allocated, frees, bytes_freed (all blocks minus those
        live at the end), peak_bytes, peak_blocks, leaked_bytes and leaked_blocks can be checked;
        the others are skipped with a note.
     "valgrind_totals": {...}, "valgrind_functions": {...}
        with --valgrind, replace "totals" and update "functions" (function by function) where
        valgrind's view differs from scorch's: DHAT charges a block that realloc moved to the
        stack of the block's first allocation, not to the realloc's; a forked child's DHAT
        profile holds its parent's history.
     "functions": {"leak_big": {"allocs": 1, "bytes": 4000, "leaked_blocks": 1, ...}, ...},
        each function's allocs, bytes, leaked_blocks, leaked_bytes, peak_blocks, peak_bytes: exact,
        and 0 when not given. An entry of "sites", "leaks" or "peak" belongs to the innermost frame
        of its stack that names one of these functions; an entry whose stack names none of them is
        "other" (libc's own blocks, allocations before main).
     "other": "none" (the default: there must be no other entry) or "any" (reported, not checked),
     "stacks": [["leak_big", "chain_c", "chain_b", "chain_a", "main"], ...],
        for each, some site's stack holds these frames one after the other, innermost first,
     "reach": "main",
        the default: every site attributed to a function of "functions" has this frame above it;
        or {"worker": "thread_main", "*": "main"} by function ("*": the others; null: not checked),
     "gates": {"leaks>1K": true, "peak>1G": false}
        heap.json's "gates": these gates, in this order, each failed or not, and no others,
     "min_depth": {"deep_leaf": 16}
        some site whose stack holds the function has at least this many frames,
     "max_frames": 16
        no site has more frames than this (scorch heap --depth).}

A frame matches a function name when it is the name, or the name followed by "(" or "<" (C++
signatures and template arguments: "grow_vector" matches "grow_vector()"), after dropping a
trailing " [clone .cold]"-like suffix.
"""
import json
import re
import sys

FIELDS = ("allocs", "bytes", "leaked_blocks", "leaked_bytes", "peak_blocks", "peak_bytes")
DHAT_TOTALS = ("allocs", "bytes_allocated", "frees", "bytes_freed", "peak_bytes", "peak_blocks",
               "leaked_bytes", "leaked_blocks")


class Fail(Exception):
    pass


def ok(msg):
    print("ok: " + msg)


def frame_name(s):
    """A DHAT frame "0x4005B7: alloc_a (heap_basic.c:20)" -> "alloc_a": without the address and
    the location ("(file:line)" or "(in module)"); other strings as they are."""
    m = re.match(r"^0x[0-9A-Fa-f]+: (.*)$", s)
    if m:
        s = m.group(1)
    m = re.match(r"^(.*) \((?:in [^()]*|[^()]*:\d+)\)$", s)
    return m.group(1) if m else s


def matches(frame, name):
    frame = re.sub(r" \[clone [^\]]*\]$", "", frame)
    return frame == name or frame.startswith(name + "(") or frame.startswith(name + "<")


class Report:
    """sites/leaks/peak as lists of (counts dict, stack of names, stack of raw frames)."""

    def __init__(self, path):
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print("heap_check: cannot read %s: %s" % (path, e), file=sys.stderr)
            sys.exit(2)
        self.path = path
        if "dhatFileVersion" in doc:
            self.kind = "dhat"
            self._from_dhat(doc)
        else:
            self.kind = "heap.json"
            self._from_heap_json(doc)

    def _from_heap_json(self, doc):
        if doc.get("version") != 2:
            raise Fail("%s: version is %r, not 2" % (self.path, doc.get("version")))
        self.doc = doc
        self.totals = doc["totals"]
        self.sites = [({"allocs": s["allocs"], "bytes": s["bytes"]}, s["stack"], s["stack"])
                      for s in doc["sites"]]
        self.leaks = [({"leaked_blocks": s["blocks"], "leaked_bytes": s["bytes"]}, s["stack"],
                       s["stack"]) for s in doc["leaks"]]
        self.peak = [({"peak_blocks": s["blocks"], "peak_bytes": s["bytes"]}, s["stack"],
                      s["stack"]) for s in doc["peak"]]
        self.sites_complete = len(doc["sites"]) < 50
        self.peak_complete = len(doc["peak"]) < 50

    def _from_dhat(self, doc):
        if doc.get("mode") != "heap":
            raise Fail("%s: DHAT mode is %r, not heap" % (self.path, doc.get("mode")))
        self.doc = doc
        ftbl = doc["ftbl"]
        self.sites, self.leaks, self.peak = [], [], []
        t = dict.fromkeys(DHAT_TOTALS, 0)
        for pp in doc["pps"]:
            raw = [ftbl[i] for i in pp["fs"] if ftbl[i] != "[root]"]
            names = [frame_name(f) for f in raw]
            self.sites.append(({"allocs": pp["tbk"], "bytes": pp["tb"]}, names, raw))
            if pp.get("ebk"):
                self.leaks.append(({"leaked_blocks": pp["ebk"], "leaked_bytes": pp["eb"]}, names, raw))
            if pp.get("gbk"):
                self.peak.append(({"peak_blocks": pp["gbk"], "peak_bytes": pp["gb"]}, names, raw))
            t["allocs"] += pp["tbk"]
            t["bytes_allocated"] += pp["tb"]
            t["peak_bytes"] += pp.get("gb", 0)
            t["peak_blocks"] += pp.get("gbk", 0)
            t["leaked_bytes"] += pp.get("eb", 0)
            t["leaked_blocks"] += pp.get("ebk", 0)
        t["frees"] = t["allocs"] - t["leaked_blocks"]
        t["bytes_freed"] = t["bytes_allocated"] - t["leaked_bytes"]
        self.totals = t
        self.sites_complete = self.peak_complete = True


def owner(names, funcs):
    for f in names:
        for fn in funcs:
            if matches(f, fn):
                return fn
    return None


def show(stack):
    return ";".join(reversed(stack))


def check_totals(rep, want):
    for key, val in want.items():
        if key not in rep.totals:
            if rep.kind == "dhat":
                print("note: %s: DHAT has no %s, not checked" % (rep.path, key))
                continue
            raise Fail("%s: totals has no %s" % (rep.path, key))
        if rep.totals[key] != val:
            raise Fail("%s: totals.%s is %s, the program's is %s" % (rep.path, key, rep.totals[key], val))
        ok("totals.%s = %s" % (key, val))


def check_consistent(rep):
    """heap.json's lists against its own totals, when the lists are whole."""
    if rep.kind != "heap.json":
        return
    t = rep.totals
    sums = [("sites", "allocs", "allocs", rep.sites, rep.sites_complete),
            ("sites", "bytes", "bytes_allocated", rep.sites, rep.sites_complete),
            ("leaks", "leaked_blocks", "leaked_blocks", rep.leaks, True),
            ("leaks", "leaked_bytes", "leaked_bytes", rep.leaks, True),
            ("peak", "peak_blocks", "peak_blocks", rep.peak, rep.peak_complete),
            ("peak", "peak_bytes", "peak_bytes", rep.peak, rep.peak_complete)]
    for lst, field, total, entries, complete in sums:
        if not complete:
            continue
        s = sum(c[field] for c, _, _ in entries)
        if s != t[total]:
            raise Fail("%s: the %s add up to %s %s, totals.%s is %s" % (rep.path, lst, s, field,
                                                                        total, t[total]))
    # Every block is freed, live at the end (leaked when the process exited) or replaced by an
    # allocation at its address.
    live_blocks = t.get("live_blocks", t["leaked_blocks"])
    live_bytes = t.get("live_bytes", t["leaked_bytes"])
    if t["frees"] + live_blocks + t.get("replaced_blocks", 0) != t["allocs"]:
        raise Fail("%s: frees %s + live_blocks %s + replaced_blocks %s != allocs %s" % (
            rep.path, t["frees"], live_blocks, t.get("replaced_blocks", 0), t["allocs"]))
    if t["bytes_freed"] + live_bytes + t.get("replaced_bytes", 0) != t["bytes_allocated"]:
        raise Fail("%s: bytes_freed + live_bytes + replaced_bytes != bytes_allocated" % rep.path)
    ok("sites, leaks and peak add up to the totals")


def check_functions(rep, exp):
    funcs = exp.get("functions", {})
    if not funcs:
        return
    got = {fn: dict.fromkeys(FIELDS, 0) for fn in funcs}
    other = dict.fromkeys(FIELDS, 0)
    other_stacks = []
    for entries in (rep.sites, rep.leaks, rep.peak):
        for counts, names, _ in entries:
            fn = owner(names, funcs)
            dst = got[fn] if fn else other
            for k, v in counts.items():
                dst[k] += v
            if not fn:
                other_stacks.append(show(names))
    for fn, want in funcs.items():
        for k in FIELDS:
            w = want.get(k, 0)
            if got[fn][k] != w:
                raise Fail("%s: %s has %s %s, the program's is %s" % (rep.path, fn, k, got[fn][k], w))
        ok("%s: %s" % (fn, ", ".join("%s %s" % (k, got[fn][k]) for k in FIELDS if got[fn][k])
                          or "nothing"))
    policy = exp.get("other", "none")
    if any(other.values()):
        desc = ", ".join("%s %s" % (k, v) for k, v in other.items() if v)
        if policy == "none":
            raise Fail("%s: blocks from none of the program's functions: %s; stacks: %s" %
                       (rep.path, desc, " | ".join(sorted(set(other_stacks))[:5])))
        print("note: other (libc's own): " + desc)
    if not rep.sites_complete:
        print("note: %s lists only the top 50 sites: functions' allocs may be short" % rep.path)
    reach = exp.get("reach", "main")
    if not isinstance(reach, dict):
        reach = {"*": reach}
    for counts, names, _ in rep.sites:
        fn = owner(names, funcs)
        top = reach.get(fn, reach.get("*")) if fn else None
        if not top:
            continue
        i = next(i for i, f in enumerate(names) if matches(f, fn))
        if not any(matches(f, top) for f in names[i + 1:]):
            raise Fail("%s: a stack of %s does not reach %s: %s" % (rep.path, fn, top, show(names)))
    if any(reach.values()):
        ok("every stack of the program's functions reaches %s" %
           " or ".join(sorted(set(v for v in reach.values() if v))))


def has_run(names, run):
    for i in range(len(names) - len(run) + 1):
        if all(matches(names[i + j], run[j]) for j in range(len(run))):
            return True
    return False


def check_stacks(rep, exp):
    for run in exp.get("stacks", []):
        if not any(has_run(names, run) for _, names, _ in rep.sites):
            raise Fail("%s: no stack has %s; stacks: %s" % (
                rep.path, ";".join(reversed(run)), " | ".join(show(n) for _, n, _ in rep.sites[:8])))
        ok("a stack has " + ";".join(reversed(run)))
    for fn, depth in exp.get("min_depth", {}).items():
        best = max((len(n) for _, n, _ in rep.sites if owner(n, [fn])), default=0)
        if best < depth:
            raise Fail("%s: the deepest stack of %s has %d frames, expected %d or more" % (
                rep.path, fn, best, depth))
        ok("%s's deepest stack has %d frames (>= %d)" % (fn, best, depth))
    if "max_frames" in exp:
        most = max((len(n) for _, n, _ in rep.sites), default=0)
        if most > exp["max_frames"]:
            raise Fail("%s: a stack has %d frames, more than %d" % (rep.path, most, exp["max_frames"]))
        ok("no stack has more than %d frames (the deepest: %d)" % (exp["max_frames"], most))


def check_gates(rep, exp):
    want = exp.get("gates")
    if want is None or rep.kind != "heap.json":
        return
    got = [(g["gate"], g["failed"]) for g in rep.doc.get("gates", [])]
    if got != list(want.items()):
        raise Fail("%s: gates are %s, expected %s" % (rep.path, got, list(want.items())))
    for g in rep.doc["gates"]:
        over = g["value"] >= g["limit"] if ">=" in g["gate"] else g["value"] > g["limit"]
        if g["failed"] != over:
            raise Fail("%s: gate %s: value %s, limit %s, failed %s" % (rep.path, g["gate"], g["value"],
                                                                      g["limit"], g["failed"]))
    ok("gates: %s" % ", ".join("%s %s" % (g, "failed" if f else "passed") for g, f in got))


PPROF = {("heap", "alloc_objects"): ("allocs", "allocs"),
         ("heap", "alloc_space"): ("bytes", "bytes_allocated"),
         ("heap", "inuse_objects"): ("leaked_blocks", "leaked_blocks"),
         ("heap", "inuse_space"): ("leaked_bytes", "leaked_bytes"),
         ("peak", "inuse_objects"): ("peak_blocks", "peak_blocks"),
         ("peak", "inuse_space"): ("peak_bytes", "peak_bytes")}


def check_pprof(which, path, exp):
    try:
        with open(path) as f:
            top = json.load(f)
    except (OSError, ValueError) as e:
        raise Fail("cannot read %s: %s" % (path, e))
    st = top.get("sample_type")
    if (which, st) not in PPROF:
        raise Fail("%s: sample type %r is not one of %s.pb.gz's" % (path, st, which))
    field, total = PPROF[(which, st)]
    want = exp.get("totals", {}).get(total)
    if want is not None:
        if top["total"] != want:
            raise Fail("%s: %s.pb.gz's %s total is %s, the program's %s is %s" % (
                path, which, st, top["total"], total, want))
        ok("%s.pb.gz %s total = %s" % (which, st, want))
    rows = top.get("by_total", []) + top.get("by_self", [])
    for fn, counts in exp.get("functions", {}).items():
        w = counts.get(field, 0)
        got = next((r["total"] for r in rows if matches(r["name"], fn)), 0)
        if got != w:
            raise Fail("%s: %s's %s in %s.pb.gz is %s, the program's is %s" % (path, fn, st, which,
                                                                               got, w))
    ok("%s.pb.gz %s: every function's total" % (which, st))


def main(argv):
    if len(argv) == 5 and argv[1] == "--pprof":
        try:
            with open(argv[4]) if argv[4] != "-" else sys.stdin as f:
                exp = json.load(f)
            check_pprof(argv[2], argv[3], exp)
        except Fail as e:
            print("FAIL heap_check: %s" % e, file=sys.stderr)
            return 1
        except (KeyError, TypeError, ValueError) as e:
            print("FAIL heap_check: %s: malformed (%s: %s)" % (argv[3], type(e).__name__, e),
                  file=sys.stderr)
            return 1
        return 0
    valgrind = len(argv) > 1 and argv[1] == "--valgrind"
    if valgrind:
        argv = argv[:1] + argv[2:]
    if len(argv) != 3:
        print("usage: heap_check.py [--valgrind] REPORT EXPECT|-\n"
              "       heap_check.py --pprof heap|peak TOP EXPECT|-", file=sys.stderr)
        return 2
    try:
        if argv[2] == "-":
            exp = json.load(sys.stdin)
        else:
            with open(argv[2]) as f:
                exp = json.load(f)
    except (OSError, ValueError) as e:
        print("heap_check: bad expectations %s: %s" % (argv[2], e), file=sys.stderr)
        return 2
    try:
        rep = Report(argv[1])
        want = exp.get("totals", {})
        if valgrind:
            if rep.kind != "dhat":
                raise Fail("%s: --valgrind, but this is not a DHAT file" % argv[1])
            want = exp.get("valgrind_totals", want)
            funcs = dict(exp.get("functions", {}))
            funcs.update(exp.get("valgrind_functions", {}))
            exp = dict(exp, functions=funcs)
        check_totals(rep, want)
        check_consistent(rep)
        check_functions(rep, exp)
        check_stacks(rep, exp)
        check_gates(rep, exp)
    except Fail as e:
        print("FAIL heap_check: %s" % e, file=sys.stderr)
        return 1
    except (KeyError, TypeError) as e:
        print("FAIL heap_check: %s: malformed report (%s: %s)" % (argv[1], type(e).__name__, e),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
