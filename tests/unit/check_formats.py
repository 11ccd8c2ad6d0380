#!/usr/bin/env python3
"""check_formats.py: an independent reader for the JSON files scorch writes, used by
test_speedscope and test_chrome (python3's standard library only: no jsonschema).

    check_formats.py speedscope FILE    validate against speedscope's file-format schema, print
                                        "PROFILE<TAB>name<TAB>unit<TAB>nsamples<TAB>total" per
                                        profile and "FRAME<TAB>name<TAB>self<TAB>total" per frame
                                        (summed over every profile)
    check_formats.py chrome FILE        validate the trace event structure, print
                                        "THREAD<TAB>pid<TAB>tid<TAB>nslices<TAB>top-level ns" and
                                        "NAME<TAB>name<TAB>slices<TAB>ns" (durations summed)

Exit 1 with "INVALID: path: reason" on the first problem. SCHEMA below is our transcription of
the constraints in https://www.speedscope.app/file-format-schema.json (draft-07; required
fields, types, enums, references), checked by the small validator `validate`; the checks after
it are the ones the schema cannot say (indexes in range, lengths equal, order of values).
"""
import json
import sys

NUM = "number"
SCHEMA = {
    "definitions": {
        "File": {
            "type": "object",
            "required": ["$schema", "profiles", "shared"],
            "properties": {
                "$schema": {"type": "string",
                            "enum": ["https://www.speedscope.app/file-format-schema.json"]},
                "shared": {"type": "object", "required": ["frames"],
                           "properties": {"frames": {"type": "array",
                                                     "items": {"$ref": "Frame"}}}},
                "profiles": {"type": "array", "items": {
                    "anyOf": [{"$ref": "EventedProfile"}, {"$ref": "SampledProfile"}]}},
                "name": {"type": "string"},
                "activeProfileIndex": {"type": NUM},
                "exporter": {"type": "string"},
            },
        },
        "Frame": {
            "type": "object", "required": ["name"],
            "properties": {"name": {"type": "string"}, "file": {"type": "string"},
                           "line": {"type": NUM}, "col": {"type": NUM}},
        },
        "Unit": {"type": "string", "enum": ["bytes", "microseconds", "milliseconds",
                                            "nanoseconds", "none", "seconds"]},
        "SampledProfile": {
            "type": "object",
            "required": ["endValue", "name", "samples", "startValue", "type", "unit", "weights"],
            "properties": {
                "type": {"type": "string", "enum": ["sampled"]},
                "name": {"type": "string"}, "unit": {"$ref": "Unit"},
                "startValue": {"type": NUM}, "endValue": {"type": NUM},
                "samples": {"type": "array", "items": {"type": "array", "items": {"type": NUM}}},
                "weights": {"type": "array", "items": {"type": NUM}},
            },
        },
        "EventedProfile": {
            "type": "object",
            "required": ["endValue", "events", "name", "startValue", "type", "unit"],
            "properties": {
                "type": {"type": "string", "enum": ["evented"]},
                "name": {"type": "string"}, "unit": {"$ref": "Unit"},
                "startValue": {"type": NUM}, "endValue": {"type": NUM},
                "events": {"type": "array", "items": {
                    "type": "object", "required": ["at", "frame", "type"],
                    "properties": {"type": {"type": "string", "enum": ["O", "C"]},
                                   "at": {"type": NUM}, "frame": {"type": NUM}}}},
            },
        },
    },
    "$ref": "File",
}


class Invalid(Exception):
    pass


def type_ok(value, t):
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    if t == "string":
        return isinstance(value, str)
    if t == NUM:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    raise ValueError(t)


def validate(value, schema, path="$"):
    """The draft-07 subset the schema uses: $ref, anyOf, type, enum, required, properties,
    items."""
    if "$ref" in schema:
        return validate(value, SCHEMA["definitions"][schema["$ref"]], path)
    if "anyOf" in schema:
        errors = []
        for alt in schema["anyOf"]:
            try:
                return validate(value, alt, path)
            except Invalid as e:
                errors.append(str(e))
        raise Invalid("%s: matches none of: %s" % (path, "; ".join(errors)))
    if "type" in schema and not type_ok(value, schema["type"]):
        raise Invalid("%s: expected %s" % (path, schema["type"]))
    if "enum" in schema and value not in schema["enum"]:
        raise Invalid("%s: %r not in %r" % (path, value, schema["enum"]))
    for key in schema.get("required", []):
        if key not in value:
            raise Invalid("%s: missing %s" % (path, key))
    for key, sub in schema.get("properties", {}).items():
        if key in value:
            validate(value[key], sub, "%s.%s" % (path, key))
    if "items" in schema:
        for i, item in enumerate(value):
            validate(item, schema["items"], "%s[%d]" % (path, i))


def check_speedscope(doc):
    validate(doc, SCHEMA)
    frames = doc["shared"]["frames"]
    self_w = [0] * len(frames)
    total_w = [0] * len(frames)
    if "activeProfileIndex" in doc and not 0 <= doc["activeProfileIndex"] < len(doc["profiles"]):
        raise Invalid("$.activeProfileIndex out of range")
    out = []
    for p, prof in enumerate(doc["profiles"]):
        where = "$.profiles[%d]" % p
        if prof["type"] != "sampled":
            raise Invalid(where + ": scorch writes sampled profiles only")
        if len(prof["samples"]) != len(prof["weights"]):
            raise Invalid(where + ": samples and weights differ in length")
        if prof["endValue"] < prof["startValue"]:
            raise Invalid(where + ": endValue < startValue")
        total = 0
        for s, (stack, w) in enumerate(zip(prof["samples"], prof["weights"])):
            if w <= 0:
                raise Invalid("%s.weights[%d]: not positive" % (where, s))
            for f in stack:
                if not (isinstance(f, int) and 0 <= f < len(frames)):
                    raise Invalid("%s.samples[%d]: frame %r out of range" % (where, s, f))
            for f in set(stack):
                total_w[f] += w
            if stack:
                self_w[stack[-1]] += w
            total += w
        if prof["endValue"] - prof["startValue"] != total:
            raise Invalid(where + ": endValue - startValue is not the sum of the weights")
        out.append("PROFILE\t%s\t%s\t%d\t%d" % (prof["name"], prof["unit"], len(prof["samples"]),
                                                total))
    names = {}
    for i, fr in enumerate(frames):
        key = fr["name"]
        a = names.setdefault(key, [0, 0])
        a[0] += self_w[i]
        a[1] += total_w[i]
    for name in sorted(names):
        out.append("FRAME\t%s\t%d\t%d" % (name, names[name][0], names[name][1]))
    return out


def check_chrome(doc):
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        raise Invalid("$: expected an object with a traceEvents array")
    if not isinstance(doc.get("otherData", {}).get("version"), str):
        raise Invalid("$.otherData.version: missing")
    threads = {}
    names = {}
    for i, ev in enumerate(doc["traceEvents"]):
        where = "$.traceEvents[%d]" % i
        if not isinstance(ev, dict) or not isinstance(ev.get("ph"), str):
            raise Invalid(where + ": not an event")
        if ev["ph"] == "M":
            if not isinstance(ev.get("args"), dict) or "pid" not in ev:
                raise Invalid(where + ": bad metadata event")
            continue
        if ev["ph"] != "X":
            raise Invalid(where + ": unexpected phase %r" % ev["ph"])
        for key, t in (("name", str), ("pid", int), ("tid", int), ("ts", (int, float)),
                       ("dur", (int, float))):
            if not isinstance(ev.get(key), t):
                raise Invalid("%s.%s: missing or of the wrong type" % (where, key))
        if ev["dur"] < 0:
            raise Invalid(where + ": negative dur")
        # ns, from the microseconds with three decimals
        ts, dur = round(ev["ts"] * 1000), round(ev["dur"] * 1000)
        threads.setdefault((ev["pid"], ev["tid"]), []).append((ts, dur, ev["name"]))
        a = names.setdefault(ev["name"], [0, 0])
        a[0] += 1
        a[1] += dur
    out = []
    for (pid, tid), sl in sorted(threads.items()):
        # Slices must nest: sorted by start (longest first), each lies inside the enclosing
        # open one or after it.
        sl.sort(key=lambda s: (s[0], -s[1]))
        stack, top = [], 0
        for ts, dur, name in sl:
            while stack and ts >= stack[-1]:
                stack.pop()
            if stack and ts + dur > stack[-1]:
                raise Invalid("thread %d/%d: slice %s at %d overlaps its parent" %
                              (pid, tid, name, ts))
            if not stack:
                top += dur
            stack.append(ts + dur)
        out.append("THREAD\t%d\t%d\t%d\t%d" % (pid, tid, len(sl), top))
    for name in sorted(names):
        out.append("NAME\t%s\t%d\t%d" % (name, names[name][0], names[name][1]))
    return out


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("speedscope", "chrome"):
        print("usage: check_formats.py speedscope|chrome FILE", file=sys.stderr)
        return 2
    path = sys.argv[2]
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        lines = (check_speedscope if sys.argv[1] == "speedscope" else check_chrome)(doc)
    except (Invalid, ValueError) as e:
        print("INVALID: %s: %s" % (path, e))
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
