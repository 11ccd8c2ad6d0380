#!/usr/bin/env python3
"""gen-manyfuncs.py N OUT.c: writes a C program with N noinline functions f0..f{N-1} arranged as a
binary call tree (f_i calls f_{2i+1} or f_{2i+2}, chosen by a hash of its argument), so that every
function is on some stack, every stack is distinct and deep (log2 N frames), and a profile of it
spans thousands of functions. For benchmarking the post-processing of large profiles."""
import sys

n = int(sys.argv[1])
out = ["#include <stdint.h>", "#include <stdlib.h>", "static volatile uint64_t sink;"]
for i in range(n):
    out.append(f"__attribute__((noinline)) void f{i}(uint64_t x);")
for i in range(n):
    body = ["\tuint64_t h = x;",
            f"\tfor (int k = 0; k < 40; k++) h = h * 6364136223846793005ULL + {2 * i + 1};",
            "\tsink = h;"]
    a, b = 2 * i + 1, 2 * i + 2
    if b < n:
        body.append(f"\tif ((h >> 33) & 1) f{a}(h); else f{b}(h);")
    elif a < n:
        body.append(f"\tf{a}(h);")
    out.append(f"__attribute__((noinline)) void f{i}(uint64_t x)\n{{\n" + "\n".join(body) + "\n}")
out.append("int main(int argc, char **argv)\n{\n"
           "\tlong rounds = argc > 1 ? atol(argv[1]) : 1000000;\n"
           "\tfor (long r = 0; r < rounds; r++)\n\t\tf0((uint64_t)r * 0x9e3779b97f4a7c15ULL);\n"
           "\treturn 0;\n}")
with open(sys.argv[2], "w") as f:
    f.write("\n".join(out) + "\n")
