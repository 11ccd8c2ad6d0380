#!/usr/bin/env python3
"""mkpprof.py: turns a readable profile description into an (uncompressed) pprof file.

The known-answer profiles of tests/cli/report_views.sh are written as text (app.txt) so that
their numbers can be read and checked by eye; this script encodes them with the few protobuf
rules profile.proto needs (varints and length-delimited fields), no protobuf library.

    python3 mkpprof.py app.txt app.pb

Description lines ('#' starts a comment):

    types samples/count cpu/nanoseconds     sample types; the second value is the first times
                                            `ns` (the nanoseconds each sample stands for)
    ns 1000000
    default cpu                             default sample type
    mapping NAME FILE START LIMIT OFFSET    a mapping (hex addresses)
    loc NAME MAPPING ADDRESS FRAME...       a location; FRAMEs innermost first, each
                                            function@file:line (function start line = line)
    sample COUNT PID TID TIME_MS LOC...     COUNT samples of the stack LOC... (outermost
                                            first), each with numeric labels pid, tid and
                                            time (milliseconds: TIME_MS, TIME_MS+1, ...)
    time_ns                                 times as "time_ns" labels in nanoseconds (what
                                            scorch's recordings carry) instead of "time"
    thread TID NAME                         samples of TID carry a "thread_name" label
    comment TEXT...                         a comment (scorch's recordings carry
                                            "command: ARGV")
"""
import sys


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(num, value):
    return varint(num << 3) + varint(value)


def field_bytes(num, data):
    return varint((num << 3) | 2) + varint(len(data)) + data


def packed(num, values):
    return field_bytes(num, b"".join(varint(v) for v in values))


class Strings:
    def __init__(self):
        self.table = [""]
        self.index = {"": 0}

    def __call__(self, s):
        if s not in self.index:
            self.index[s] = len(self.table)
            self.table.append(s)
        return self.index[s]


def main(src, dst):
    st = Strings()
    types, ns, default = [], 1, None
    mappings, locations, functions, samples = {}, {}, {}, []
    time_ns, thread_names, comments = False, {}, []
    out = bytearray()
    body = bytearray()
    for raw in open(src):
        line = raw.split("#", 1)[0].split()
        if not line:
            continue
        kind, args = line[0], line[1:]
        if kind == "types":
            types = [a.split("/") for a in args]
        elif kind == "ns":
            ns = int(args[0])
        elif kind == "time_ns":
            time_ns = True
        elif kind == "comment":
            comments.append(" ".join(args))
        elif kind == "thread":
            thread_names[int(args[0])] = args[1]
        elif kind == "default":
            default = args[0]
        elif kind == "mapping":
            name, path, start, limit, offset = args
            mid = len(mappings) + 1
            mappings[name] = mid
            body += field_bytes(3, field_varint(1, mid) + field_varint(2, int(start, 16)) +
                                field_varint(3, int(limit, 16)) + field_varint(4, int(offset, 16)) +
                                field_varint(5, st(path)) + field_varint(7, 1))
        elif kind == "loc":
            name, mapping, address, frames = args[0], args[1], args[2], args[3:]
            lid = len(locations) + 1
            locations[name] = lid
            lines = bytearray()
            for fr in frames:
                fn, _, where = fr.partition("@")
                file, _, ln = where.rpartition(":")
                key = (fn, file)
                if key not in functions:
                    fid = len(functions) + 1
                    functions[key] = fid
                    body += field_bytes(5, field_varint(1, fid) + field_varint(2, st(fn)) +
                                        field_varint(3, st(fn)) + field_varint(4, st(file)) +
                                        field_varint(5, int(ln)))
                lines += field_bytes(4, field_varint(1, functions[key]) + field_varint(2, int(ln)))
            body += field_bytes(4, field_varint(1, lid) + field_varint(2, mappings[mapping]) +
                                field_varint(3, int(address, 16)) + bytes(lines))
        elif kind == "sample":
            count, pid, tid, t = (int(a) for a in args[:4])
            stack = [locations[n] for n in reversed(args[4:])]  # pprof: leaf first
            for i in range(count):
                when = ("time_ns", (t + i) * 1000000, "nanoseconds") if time_ns else \
                    ("time", t + i, "milliseconds")
                labels = b"".join(
                    field_bytes(3, field_varint(1, st(k)) + field_varint(3, v) +
                                (field_varint(4, st(u)) if u else b""))
                    for k, v, u in (("pid", pid, None), ("tid", tid, None), when))
                if tid in thread_names:
                    labels += field_bytes(3, field_varint(1, st("thread_name")) +
                                          field_varint(2, st(thread_names[tid])))
                samples.append(field_bytes(2, packed(1, stack) +
                                           packed(2, [1, ns][:len(types)]) + labels))
        else:
            sys.exit("%s: unknown line kind '%s'" % (src, kind))
    # sample_type first: that is how readers recognize pprof without gzip.
    for t, u in types:
        out += field_bytes(1, field_varint(1, st(t)) + field_varint(2, st(u)))
    for s in samples:
        out += s
    out += body
    if types:
        out += field_bytes(11, field_varint(1, st(types[-1][0])) + field_varint(2, st(types[-1][1])))
        out += field_varint(12, ns)
    for c in comments:
        out += field_varint(13, st(c))
    if default:
        out += field_varint(14, st(default))
    for s in st.table:
        out += field_bytes(6, s.encode())
    open(dst, "wb").write(bytes(out))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: mkpprof.py DESCRIPTION.txt OUT.pb")
    main(sys.argv[1], sys.argv[2])
