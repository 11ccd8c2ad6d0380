#!/usr/bin/env python3
"""test_heap_check.py: an independent reader of heap.json and timeline.svg for test_heap_writers
(python3's standard library only).

    test_heap_check.py heapjson FILE   validate heap.json version 2 (keys, integer values, stacks
                                       as lists of strings, orders, histogram sums) and print
                                       "TOTAL<TAB>key<TAB>value" per total, "SITE", "LEAK", "LIVE",
                                       "PEAK<TAB>n<TAB>bytes<TAB>a;b;c" (stack innermost first),
                                       "SIZE<TAB>le<TAB>allocs<TAB>bytes", "LIFE<TAB>le_ns<TAB>n",
                                       "GATE<TAB>text<TAB>value<TAB>limit<TAB>failed"
    test_heap_check.py svg FILE        parse the SVG as XML, print "PATH<TAB>id" per path and
                                       "TEXT<TAB>text" per text element

Exit 1 with "INVALID: path: reason" on the first problem.
"""
import json
import sys
import xml.etree.ElementTree as ET

TOTALS = ["allocs", "frees", "reallocs", "bytes_allocated", "bytes_freed", "usable_allocated",
          "peak_bytes", "peak_blocks", "peak_time_ns", "leaked_bytes", "leaked_blocks", "largest",
          "temporary", "frees_unknown"]

KINDS = ["definite", "indirect", "possible", "reachable", "unclassified"]


class Invalid(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Invalid(why)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def check_entries(doc, key, count_key, order_key):
    need(isinstance(doc[key], list), f"{key} is not a list")
    prev = None
    for e in doc[key]:
        need(isinstance(e, dict), f"{key} entry is not an object")
        extra = {"kinds"} if key == "leaks" else set()
        need(set(e) == {count_key, "bytes", "stack", "lines"} | extra,
             f"{key} entry keys {sorted(e)}")
        if extra:
            need(isinstance(e["kinds"], dict) and all(k in KINDS for k in e["kinds"]),
                 "leaks kinds keys")
            need(sum(v["bytes"] for v in e["kinds"].values()) == e["bytes"] and
                 sum(v["blocks"] for v in e["kinds"].values()) == e[count_key],
                 "a leak's kinds do not add up to it")
        need(is_int(e[count_key]) and is_int(e["bytes"]), f"{key} values not integers")
        need(isinstance(e["stack"], list) and all(isinstance(s, str) for s in e["stack"]),
             f"{key} stack is not a list of strings")
        need(isinstance(e["lines"], list) and len(e["lines"]) == len(e["stack"])
             and all(isinstance(s, str) for s in e["lines"]), f"{key} lines do not match stack")
        k = (e[order_key], e[count_key] if order_key == "bytes" else e["bytes"])
        need(prev is None or prev >= k, f"{key} not largest first")
        prev = k
    return doc[key]


def heapjson(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    need(doc.get("version") == 2, "version is not 2")
    for k in ["command", "pid", "exited", "duration_ns", "totals", "sites", "leaks", "peak",
              "size_histogram", "lifetime_histogram", "gates"]:
        need(k in doc, f"missing {k}")
    need(isinstance(doc["command"], str), "command")
    need(isinstance(doc["exited"], bool), "exited")
    need(is_int(doc["pid"]) and is_int(doc["duration_ns"]), "pid/duration_ns")
    t = doc["totals"]
    for k in TOTALS:
        need(k in t and is_int(t[k]), f"totals.{k}")
    need(isinstance(t.pop("classified", None), bool), "totals.classified")
    lk = t.pop("leak_kinds", None)
    need(isinstance(lk, dict) and sorted(lk) == sorted(KINDS), "totals.leak_kinds keys")
    for k in KINDS:
        need(is_int(lk[k]["bytes"]) and is_int(lk[k]["blocks"]), f"leak_kinds.{k}")
        print(f"KIND\t{k}\t{lk[k]['bytes']}\t{lk[k]['blocks']}")
    need(sum(v["bytes"] for v in lk.values()) == (t["leaked_bytes"] if doc["exited"] else 0),
         "leak_kinds do not add up to leaked_bytes")
    for k, v in t.items():
        need(is_int(v), f"totals.{k} not an integer")
        print(f"TOTAL\t{k}\t{v}")
    out = []
    for e in check_entries(doc, "sites", "allocs", "bytes"):
        out.append(f"SITE\t{e['allocs']}\t{e['bytes']}\t{';'.join(e['stack'])}")
        out.append(f"SITELINES\t{';'.join(e['lines'])}")
    for e in check_entries(doc, "leaks", "blocks", "bytes"):
        out.append(f"LEAK\t{e['blocks']}\t{e['bytes']}\t{';'.join(e['stack'])}")
    if "live_at_end" in doc:
        need(not doc["exited"] and not doc["leaks"], "live_at_end with exited")
        for e in check_entries(doc, "live_at_end", "blocks", "bytes"):
            out.append(f"LIVE\t{e['blocks']}\t{e['bytes']}\t{';'.join(e['stack'])}")
    if doc["exited"]:
        need(sum(e["bytes"] for e in doc["leaks"]) == t["leaked_bytes"], "leaks sum")
        need(sum(e["blocks"] for e in doc["leaks"]) == t["leaked_blocks"], "leak blocks sum")
    for e in check_entries(doc, "peak", "blocks", "bytes"):
        out.append(f"PEAK\t{e['blocks']}\t{e['bytes']}\t{';'.join(e['stack'])}")
    prev = 0
    for b in doc["size_histogram"]:
        need(set(b) == {"le", "allocs", "bytes"} and all(is_int(v) for v in b.values()),
             "size_histogram entry")
        need(b["le"] > prev and (prev == 0 or b["le"] == 2 * prev), "size buckets not powers of 2")
        prev = b["le"]
        out.append(f"SIZE\t{b['le']}\t{b['allocs']}\t{b['bytes']}")
    need(sum(b["allocs"] for b in doc["size_histogram"]) == t["allocs"], "size histogram sum")
    need(sum(b["bytes"] for b in doc["size_histogram"]) == t["bytes_allocated"],
         "size histogram bytes")
    prev = 0
    for b in doc["lifetime_histogram"]:
        need(set(b) == {"le_ns", "allocs"} and all(is_int(v) for v in b.values()),
             "lifetime_histogram entry")
        need(b["le_ns"] > prev, "lifetime buckets not increasing")
        prev = b["le_ns"]
        out.append(f"LIFE\t{b['le_ns']}\t{b['allocs']}")
    need(sum(b["allocs"] for b in doc["lifetime_histogram"]) == t["frees"], "lifetime sum")
    for g in doc["gates"]:
        need(set(g) == {"gate", "value", "limit", "failed"}, "gate keys")
        need(isinstance(g["gate"], str) and is_int(g["value"]) and is_int(g["limit"])
             and isinstance(g["failed"], bool), "gate types")
        out.append(f"GATE\t{g['gate']}\t{g['value']}\t{g['limit']}\t{str(g['failed']).lower()}")
    print("\n".join(out))


def svg(path):
    root = ET.parse(path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    need(root.tag == ns + "svg", "root is not svg")
    for e in root.iter():
        for k, v in e.attrib.items():
            need("http" not in v or k == "xmlns", f"external reference {v}")
        if e.tag == ns + "path":
            need(e.get("d", "").startswith("M"), "path without data")
            print(f"PATH\t{e.get('id')}")
        if e.tag == ns + "text":
            print(f"TEXT\t{e.text}")


def main():
    kind, path = sys.argv[1], sys.argv[2]
    try:
        {"heapjson": heapjson, "svg": svg}[kind](path)
    except (Invalid, ValueError, KeyError, ET.ParseError) as e:
        print(f"INVALID: {path}: {e}")
        sys.exit(1)


if __name__ == "__main__":
    main()
