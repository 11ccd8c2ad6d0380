/*
 * heap_sampled.c: a large, fixed allocation workload for `scorch heap --sample`, whose estimates
 * tests/cli/heap_sampled.sh checks against these exact numbers within a statistical bound.
 *
 *   usage: heap_sampled      (no arguments; writes "heap_sampled: done" on stdout, exits 0)
 *
 * By function (sizes in bytes; every block freed right away unless said otherwise):
 *   churn_small    1,000,000 allocations of    64 B =  64,000,000 B
 *   churn_medium     100,000 allocations of  4096 B = 409,600,000 B
 *   churn_large          100 allocations of 1 MiB   = 104,857,600 B
 *   keep_leaks       100,000 allocations of   256 B =  25,600,000 B, never freed (leaked, still
 *                                                                   reachable from a global)
 *   churn_tiny            10 allocations of    16 B =         160 B (below any sample period:
 *                                                                   may or may not be sampled)
 * Totals: 1,200,110 allocations, 604,057,760 B allocated, 1,100,110 frees; leaked 25,600,000 B in
 * 100,000 blocks; largest 1,048,576 B; peak 25,600,016 B in 100,001 blocks (keep_leaks' and one of
 * churn_tiny's). Unsampled, scorch heap reports exactly these.
 */
#include <stdlib.h>

#include "heap_common.h"

void *keep[100000]; /* global: keep_leaks' blocks are still reachable at exit */

NOINLINE static void churn(size_t n, size_t size)
{
	for (size_t i = 0; i < n; i++) {
		char *p = malloc(size);
		if (!p)
			fail_exit("heap_sampled", "malloc");
		p[0] = (char)i;
		KEEP(p);
		free(p);
	}
}

/* Each churn_* calls churn and then KEEP(0): not a tail call, so churn_* stays on the stack. */
NOINLINE static void churn_small(void)
{
	churn(1000000, 64); /* expect: 64,000,000 B in 1,000,000 allocations, freed */
	KEEP(0);
}

NOINLINE static void churn_medium(void)
{
	churn(100000, 4096); /* expect: 409,600,000 B in 100,000 allocations, freed */
	KEEP(0);
}

NOINLINE static void churn_large(void)
{
	churn(100, 1 << 20); /* expect: 104,857,600 B in 100 allocations, freed */
	KEEP(0);
}

NOINLINE static void churn_tiny(void)
{
	churn(10, 16); /* expect: 160 B in 10 allocations, freed */
	KEEP(0);
}

NOINLINE static void keep_leaks(void)
{
	for (size_t i = 0; i < 100000; i++) {
		keep[i] = malloc(256); /* expect: 25,600,000 B in 100,000 blocks, leaked */
		KEEP(keep[i]);
	}
}

int main(void)
{
	churn_small();
	churn_medium();
	churn_large();
	keep_leaks();
	churn_tiny();
	say(1, "heap_sampled: done\n");
	return 0;
}
