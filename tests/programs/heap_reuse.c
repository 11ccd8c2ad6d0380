/*
 * heap_reuse.c: consecutive allocations whose walks the in-process unwinder takes, in part or
 * whole, from a walk it kept (src/agent/unwind_local.h, "Reuse": a walk from the same first frame,
 * or the previous walk from a frame with the same sp and pc, is taken as long as the registers its
 * steps read and the stack words they loaded are the same). Each case below is one that a reuse
 * without those checks gets wrong. Built without frame pointers (the CFI path), like heap_stacks.
 * tests/cli/heap_reuse.sh checks that scorch heap attributes every allocation to exactly its
 * stack, with the reuse and without it (SCORCH_HEAP_NO_REUSE=1), at --depth 16 and 3.
 *
 * One loop of ROUNDS (1000) iterations, in this order:
 *   - entry() called by caller_x and by caller_y, whose frames are alike: malloc's, leaf's and
 *     entry's frames are at the same sp with the same pc both times (the kept walk's first frame
 *     matches); only the return address in entry's frame differs;
 *   - the same through mid(), two frames further out: the walks agree up to mid and differ in
 *     the return address mid's step loads (top_p or top_q);
 *   - shared() going deep (deep_a, deep_b) or shallow: the outer frames (shared, main) are the
 *     same, the inner ones differ in number and place (the previous walk is matched at shared's
 *     frame);
 *   - rec() at depths 18 and 20: walks cut at --depth's frames, all in rec (and, last in the
 *     round, at depth 40: a walk longer than the 32 frames a trace keeps, at --depth 64);
 *   - caller_x again with the loop's index in the frames' saved registers (saved words that no
 *     step reads differ from one round to the next: the walk must still be taken), and caller_y.
 * Each stack, its allocations and bytes (all freed: no leaks), beside its function; in all 11000
 * allocations, 907500 bytes. The program also sums malloc_usable_size of every block and writes
 * "heap_reuse: usable N": scorch heap's usable_allocated must be N (the tracker reads the usable
 * size from the allocator's chunk header when a start-up check allows it).
 */
#include <malloc.h>
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

NOINLINE void *entry(size_t n)
{
	void *p = leaf(n);

	KEEP(p);
	return p;
}

/* leaf <- entry <- caller_x <- main: 2000 allocations, 2 x 1000 x 16 + (0 + ... + 999) =
 * 32000 + 499500 = 531500 bytes (the first call 16 bytes, the second 16 + i) */
NOINLINE void *caller_x(size_t n)
{
	void *p = entry(n);

	KEEP(p);
	return p;
}

/* leaf <- entry <- caller_y <- main: 2000 allocations, 64000 bytes */
NOINLINE void *caller_y(size_t n)
{
	void *p = entry(n * 2);

	KEEP(p);
	return p;
}

NOINLINE void *mid(size_t n)
{
	void *p = entry(n);

	KEEP(p);
	return p;
}

/* leaf <- entry <- mid <- top_p <- main: 1000 allocations, 48000 bytes */
NOINLINE void *top_p(size_t n)
{
	void *p = mid(n);

	KEEP(p);
	return p;
}

/* leaf <- entry <- mid <- top_q <- main: 1000 allocations, 64000 bytes */
NOINLINE void *top_q(size_t n)
{
	void *p = mid(n + 16);

	KEEP(p);
	return p;
}

NOINLINE void *deep_b(size_t n)
{
	void *p = leaf(n);

	KEEP(p);
	return p;
}

NOINLINE void *deep_a(size_t n)
{
	void *p = deep_b(n);

	KEEP(p);
	return p;
}

NOINLINE void *shallow(size_t n)
{
	void *p = leaf(n);

	KEEP(p);
	return p;
}

/* leaf <- deep_b <- deep_a <- shared <- main: 1000 allocations, 80000 bytes;
 * leaf <- shallow <- shared <- main: 1000 allocations, 96000 bytes */
NOINLINE void *shared(int deep, size_t n)
{
	void *p = deep ? deep_a(n) : shallow(n);

	KEEP(p);
	return p;
}

/* leaf <- rec x 18 <- main: 1000 allocations, 8000 bytes;
 * leaf <- rec x 20 <- main: 1000 allocations, 8000 bytes;
 * leaf <- rec x 40 <- main: 1000 allocations, 8000 bytes */
NOINLINE void *rec(int depth, size_t n)
{
	void *p = depth <= 1 ? leaf(n) : rec(depth - 1, n);

	KEEP(p);
	return p;
}

int main(void)
{
	void *b[11];
	uint64_t usable = 0;

	for (int i = 0; i < ROUNDS; i++) {
		b[0] = caller_x(16);
		b[1] = caller_y(16);
		b[2] = top_p(48);
		b[3] = top_q(48);
		b[4] = shared(1, 80);
		b[5] = shared(0, 96);
		b[6] = rec(18, 8);
		b[7] = rec(20, 8);
		b[8] = caller_x(16 + (size_t)i);
		b[9] = caller_y(16);
		b[10] = rec(40, 8);
		sink = b[10];
		for (int k = 0; k < 11; k++) {
			usable += malloc_usable_size(b[k]);
			free(b[k]);
		}
	}
	say(1, "heap_reuse: usable ");
	say_u(1, usable);
	say(1, "\nheap_reuse: done\n");
	return 0;
}
