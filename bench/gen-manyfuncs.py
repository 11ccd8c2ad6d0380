#!/usr/bin/env python3
"""gen-manyfuncs.py N OUT.c: writes a C program with N noinline functions in a call tree, for
benchmarking post-processing over thousands of distinct functions and stacks."""
import random
import sys

n = int(sys.argv[1])
rng = random.Random(7)
out = ["#include <stdint.h>", "#include <stdlib.h>", "static volatile uint64_t sink;"]
for i in range(n):
    out.append(f"__attribute__((noinline)) void f{i}(uint64_t x);")
for i in range(n):
    # Each function does a little work, then calls two functions further down the list, so stacks
    # are deep and varied, and every function gets samples.
    kids = [j for j in (rng.randrange(i + 1, n + 1), rng.randrange(i + 1, n + 1)) if j < n]
    body = ["\tuint64_t h = x;", f"\tfor (int k = 0; k < {50 + (i * 37) % 200}; k++) h = h * 6364136223846793005ULL + {i};", "\tsink = h;"]
    for j in kids:
        body.append(f"\tif (x & {1 << (j % 8)}) f{j}(h ^ x);")
    out.append(f"__attribute__((noinline)) void f{i}(uint64_t x)\n{{\n" + "\n".join(body) + "\n}")
out.append("int main(int argc, char **argv)\n{\n\tlong rounds = argc > 1 ? atol(argv[1]) : 1000000;"
           f"\n\tfor (long r = 0; r < rounds; r++) f{0}((uint64_t)r * 2654435761u), f{n // 3}((uint64_t)r), f{n // 2}((uint64_t)r * 7);\n\treturn 0;\n}}")
with open(sys.argv[2], "w") as f:
    f.write("\n".join(out) + "\n")
