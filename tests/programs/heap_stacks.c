/*
 * heap_stacks.c: consecutive allocations whose stacks differ in the ways that could fool an
 * unwinder that reuses what it learned on the previous walk (src/agent/unwind_local.c tries, at
 * each frame, the rule of the previous walk's frame at the same stack position). Built without
 * frame pointers (the CFI path). tests/cli/heap_stacks.sh checks that scorch heap attributes every
 * allocation below to exactly its stack, up to main (no other allocations: write(2) only).
 *
 * In one loop of ROUNDS (1000) iterations, one after the other:
 *   - the same leaf at the same depth and stack position under two different callers (via_x and
 *     via_y have the same frame: leaf's frame and pc are the same, its caller is not);
 *   - the same two inner frames (mid, leaf) under two outer callers (outer_p, outer_q);
 *   - one chain at depths 1, 3 and 2 in turn (rec), so that the frames at one stack position
 *     change function from one allocation to the next;
 *   - a caller with a large frame (outer_big), so that every inner frame sits elsewhere.
 * Each stack, its allocations and bytes (all freed: no leaks):
 */
#include <stdlib.h>

#include "heap_common.h"

#define ROUNDS 1000

static void *volatile sink;

NOINLINE void *leaf(size_t n)
{
	void *p = malloc(n);

	KEEP(p);
	return p;
}

/* leaf <- via_x <- main: 2000 allocations, 32000 bytes (twice a round) */
NOINLINE void *via_x(size_t n)
{
	void *p = leaf(n);

	KEEP(p);
	return p;
}

/* leaf <- via_y <- main: 1000 allocations, 48000 bytes (a different body from via_x's, so that
 * the compiler cannot fold the two) */
NOINLINE void *via_y(size_t n)
{
	void *p = leaf(n * 3);

	KEEP(p);
	return p;
}

NOINLINE void *mid(size_t n)
{
	void *p = leaf(n);

	KEEP(p);
	return p;
}

/* leaf <- mid <- outer_p <- main: 1000 allocations, 24000 bytes */
NOINLINE void *outer_p(size_t n)
{
	void *p = mid(n);

	KEEP(p);
	return p;
}

/* leaf <- mid <- outer_q <- main: 1000 allocations, 40000 bytes */
NOINLINE void *outer_q(size_t n)
{
	void *p = mid(n + 16);

	KEEP(p);
	return p;
}

/* leaf <- rec <- main (depth 1): 1000 allocations, 8000 bytes;
 * leaf <- rec <- rec <- rec <- main (depth 3): 1000 allocations, 8000 bytes;
 * leaf <- rec <- rec <- main (depth 2): 1000 allocations, 8000 bytes */
NOINLINE void *rec(int depth, size_t n)
{
	void *p = depth <= 1 ? leaf(n) : rec(depth - 1, n);

	KEEP(p);
	return p;
}

/* leaf <- mid <- outer_big <- main: 1000 allocations, 56000 bytes */
NOINLINE void *outer_big(size_t n)
{
	volatile char pad[4096];

	pad[0] = 1;
	void *p = mid(n);

	KEEP(p);
	return pad[0] ? p : NULL;
}

int main(void)
{
	void *b[9];

	for (int i = 0; i < ROUNDS; i++) {
		b[0] = via_x(16);
		b[1] = via_y(16);
		b[2] = outer_p(24);
		b[3] = outer_q(24);
		b[4] = rec(1, 8);
		b[5] = rec(3, 8);
		b[6] = rec(2, 8);
		b[7] = outer_big(56);
		b[8] = via_x(16);
		sink = b[8];
		for (int k = 0; k < 9; k++)
			free(b[k]);
	}
	say(1, "heap_stacks: done\n");
	return 0;
}
