/*
 * bench.h: what unwind-bench.c and dwfl.c share: a captured stack and a pass's totals.
 */
#ifndef SC_BENCH_UNWIND_BENCH_H
#define SC_BENCH_UNWIND_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unwind/unwind.h"

struct sample {
	sc_unwind_regs regs;
	unsigned char *stack;
	size_t size;
};

struct pass {
	double seconds;
	uint64_t frames, stacks, complete;
};

double bench_now(void);

/* Unwinds every sample `rounds` times with elfutils' own unwinder (libdwfl's
 * dwfl_getthread_frames over the stack copy, as perf's --call-graph dwarf does through libdw),
 * the modules of the /proc/PID/maps copy `maps` reported to it. per_stack: a new Dwfl for each
 * stack, modules reported again (what perf does); else one Dwfl for the whole run. "complete"
 * counts stacks whose walk ended without an error. Returns 0 or -1 (libdwfl refused). */
int dwfl_pass(const char *maps, const struct sample *s, size_t n, int rounds, bool per_stack,
	      struct pass *p);

#endif
