/*
 * work.h: the unit of CPU work every known-answer program in tests/programs/ is built from.
 *
 * SPIN(x, n, k) runs n steps of a multiply-add-xorshift chain on the integer x. Each step depends
 * on the one before and the empty asm makes x opaque, so the compiler can neither vectorize nor
 * shorten the loop: n steps always cost the same time, whatever k is. Programs give their
 * functions different iteration counts and different k (so GCC's identical-code folding cannot
 * merge them), and the shares of samples follow the counts on any machine.
 *
 * SPIN is a macro on purpose: an inline function would leave an inlined frame in the debug info,
 * and the samples would be charged to it instead of to the named function we assert on.
 *
 * scale_arg() reads the optional work multiplier every program takes (default 1.0).
 */
#ifndef SC_TEST_PROGRAMS_WORK_H
#define SC_TEST_PROGRAMS_WORK_H

#include <stdint.h>
#include <stdlib.h>

/* Steps in one unit: about 0.1 s at 1.0 on the machine we develop on (2.9 GHz EPYC VM). */
#define WORK_UNIT 50000000ull

#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone))
#endif

#define SPIN(x, n, k)                                                                              \
	do {                                                                                       \
		for (uint64_t spin_i_ = 0; spin_i_ < (n); spin_i_++) {                             \
			(x) = (x) * (k) + spin_i_;                                                 \
			(x) ^= (x) >> 29;                                                          \
			__asm__ volatile("" : "+r"(x));                                            \
		}                                                                                  \
	} while (0)

/* Steps for `units` units at the scale given as argv[i] (a positive number; default 1.0). */
static inline uint64_t scaled(int argc, char **argv, int i, double units)
{
	double scale = argc > i ? strtod(argv[i], NULL) : 1.0;

	if (!(scale > 0))
		scale = 1.0;
	return (uint64_t)(scale * units * (double)WORK_UNIT);
}

#endif
