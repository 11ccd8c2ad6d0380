/*
 * loops.c: two hot loops on known source lines, for the source and instruction views
 * (tests/cli/annotate.sh runs `scorch report --annotate` and `--disasm` on its recording).
 *
 *   usage: loops [SCALE]      SCALE multiplies the work (default 1.0, about 1 s)
 *
 * loops_a's loop is written out on the lines marked "expect: loop a": nearly all of loops_a's
 * samples must land on them (and on the instructions those lines compile to). loops_b calls the
 * always-inlined loops_mix (loops_mix.h) in its loop: most of loops_b's samples must land on the
 * lines of loops_mix.h marked "expect: mix", attributed to that file. Shares of the whole
 * profile: loops_a 60%, loops_b 40%.
 */
#include <stdio.h>

#include "loops_mix.h"
#include "work.h"

NOINLINE uint64_t loops_a(uint64_t n)
{
	uint64_t x = 1;

	for (uint64_t i = 0; i < n; i++) {	   /* expect: loop a */
		x = x * 0x9e3779b97f4a7c15ull + i; /* expect: loop a */
		x ^= x >> 29;			   /* expect: loop a */
		__asm__ volatile("" : "+r"(x));	   /* expect: loop a */
	}
	return x;
}

NOINLINE uint64_t loops_b(uint64_t n)
{
	uint64_t x = 2;

	for (uint64_t i = 0; i < n; i++) /* expect: loop b */
		x = loops_mix(x, i);	 /* expect: loop b */
	return x;
}

int main(int argc, char **argv)
{
	uint64_t sum = 0;

	sum += loops_a(scaled(argc, argv, 1, 6.0)); /* expect: main;loops_a 60% */
	sum += loops_b(scaled(argc, argv, 1, 4.0)); /* expect: main;loops_b 40% */
	printf("loops: %llu\n", (unsigned long long)sum);
	return 0;
}
