/*
 * loops_mix.h: the inlined step of tests/programs/loops.c, in a file of its own so that
 * `scorch report --annotate loops_b` must show its lines under this file, not under loops.c.
 */
#ifndef SC_TEST_PROGRAMS_LOOPS_MIX_H
#define SC_TEST_PROGRAMS_LOOPS_MIX_H

#include <stdint.h>

static inline __attribute__((always_inline)) uint64_t loops_mix(uint64_t x, uint64_t i)
{
	x = x * 0xbf58476d1ce4e5b9ull + i; /* expect: mix */
	x ^= x >> 31;			   /* expect: mix */
	__asm__ volatile("" : "+r"(x));	   /* expect: mix */
	return x;
}

#endif
