/*
 * nofp.c: a qsort callback reached through libc from two callers, built without frame pointers
 * (-O2 -fomit-frame-pointer, like every distribution binary). Tests --call-graph dwarf/auto and
 * the junk hygiene of --call-graph fp.
 *
 *   usage: nofp [SCALE]     SCALE multiplies the work (default 1.0, about 0.9 s)
 *
 * sort_alpha and sort_beta sort copies of the same 64 keys with qsort; the comparison callback
 * by_key spins a fixed number of steps per call, so nearly all the time is in by_key, called from
 * libc's sorting code (no frame pointers either), called from the two sorters, called from main.
 * sort_alpha sorts twice as often as sort_beta:
 *   main;sort_alpha;...qsort...;by_key   2/3 = 66.7% of samples
 *   main;sort_beta;...qsort...;by_key    1/3 = 33.3%
 * and by_key has about 100% self time. A CFI unwinder must find these callers; the kernel's
 * frame-pointer walk cannot (%rbp holds data here, not frames), and what it reads instead must end
 * the stack, not become a root of its own (see `text` below). tests/cli/callgraph.sh checks both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "work.h"

#define NKEYS 64

static uint64_t steps_per_compare;

/* Code without frame pointers uses %rbp for data. by_key does so on purpose, and deterministically:
 * while it spins, %rbp points at text on main's stack (a frame-pointer walk accepts only frames
 * above the stack pointer), so the walk reads "89:;<=>?" as the caller's return address
 * (0x3f3e3d3c3b3a3938, no mapping holds it) and "01234567" as the next frame (not an address: the
 * walk ends). This is the junk the issue saw at the root of real profiles; --call-graph fp must cut
 * the stack there and count it. */
static const char *text;

NOINLINE int by_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b, s = x ^ y;
	register const char *data __asm__("rbp") = text;

	__asm__ volatile("" : "+r"(data));
	SPIN(s, steps_per_compare, 0x5bd1e995); /* expect: by_key self ~100% */
	__asm__ volatile("" : : "r"(s), "r"(data));
	return x < y ? -1 : x > y;
}

static uint64_t keys[NKEYS];

/* Each sorter does a little work with the result after qsort, so the call is never a tail call. */
NOINLINE uint64_t sort_alpha(unsigned rounds)
{
	uint64_t copy[NKEYS], sum = 0;

	for (unsigned r = 0; r < rounds; r++) {
		memcpy(copy, keys, sizeof(copy));
		qsort(copy, NKEYS, sizeof(copy[0]), by_key); /* expect: sort_alpha 66.7% */
		sum += copy[r % NKEYS];
	}
	return sum;
}

NOINLINE uint64_t sort_beta(unsigned rounds)
{
	uint64_t copy[NKEYS], sum = 1;

	for (unsigned r = 0; r < rounds; r++) {
		memcpy(copy, keys, sizeof(copy));
		qsort(copy, NKEYS, sizeof(copy[0]), by_key); /* expect: sort_beta 33.3% */
		sum ^= copy[(r * 7) % NKEYS];
	}
	return sum;
}

int main(int argc, char **argv)
{
	/* 64 keys take about 300 comparisons a sort; 30 rounds of 300 compares per unit. */
	uint64_t unit = scaled(argc, argv, 1, 3.0);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	_Alignas(16) char junk[] = "0123456789:;<=>?@ABCDEFGHIJKLMNO";

	text = junk;

	for (int i = 0; i < NKEYS; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		keys[i] = x;
	}
	steps_per_compare = unit / (3 * 30 * 300);
	uint64_t sum = sort_alpha(2 * 30) + sort_beta(30);
	printf("nofp: %llu\n", (unsigned long long)sum);
	__asm__ volatile("" : : "r"(junk) : "memory"); /* junk lives until here */
	return 0;
}
