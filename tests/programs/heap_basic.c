/*
 * heap_basic.c: every allocation call of libc in one thread, with known totals, leaks and peak.
 *
 *   usage: heap_basic        (no arguments; writes "heap_basic: done" on stdout, exits 0)
 *
 * Built twice from this file: heap_basic with frame pointers and heap_basic_nofp with
 * -O2 -fomit-frame-pointer (as distribution binaries are): the numbers are the same, and every
 * stack must reach main either way (tests/cli/heap.sh checks both). Each line that allocates or
 * frees says what it does in "expect:" comments; "live" is the requested bytes then live.
 *
 * The whole run, as `scorch heap` must report it (heap.json "totals"):
 *   allocs 22, frees 18, reallocs 1 (the realloc that moves; realloc(NULL, n) is a plain
 *   allocation and realloc(p, 0) a plain free), bytes_allocated 115448, bytes_freed 111256,
 *   peak 106300 bytes in 13 blocks (inside hold_peak, before release_peak), largest 10000,
 *   leaked 4192 bytes in 4 blocks, frees_unknown 0, temporary 2 (heaptrack's rule, which scorch
 *   follows: a block freed before its thread allocates anything else; here valloc's block and
 *   the last of hold_peak's; the block realloc replaces is not one).
 * By function (the innermost function of this file on the allocation's stack):
 *   alloc_malloc       1 alloc,     1000 B  (freed)               peak: 1 block,    1000 B
 *   alloc_calloc       1 alloc,      300 B  (freed)               peak: 1 block,     300 B
 *   alloc_realloc_null 1 alloc,      200 B  (freed by the realloc)
 *   grow_realloc       1 alloc,     5000 B  (freed by realloc(p,0)) peak: 1 block,  5000 B
 *   alloc_aligned      4 allocs,    4756 B  (freed)
 *   hold_peak         10 allocs,  100000 B  (freed)               peak: 10 blocks, 100000 B
 *   leak_big           1 alloc,     4000 B  leaked: 1 block,  4000 B
 *   leak_small         3 allocs,     192 B  leaked: 3 blocks,  192 B
 * Stacks: leak_big is reached through chain_c <- chain_b <- chain_a <- main; every other function
 * is called by main.
 *
 * libc allocates nothing else here: the program writes with write(2), never stdio. Checked with
 * valgrind 3.19 (glibc 2.36): `valgrind --tool=dhat --run-libc-freeres=no` gives 22 blocks,
 * 115448 bytes, t-gmax 106300 bytes in 13 blocks, 4192 bytes in 4 blocks at t-end
 * (tests/cli/heap_valgrind.sh checks this file's numbers against DHAT's), and
 * `valgrind --leak-check=full` reports "definitely lost: 4,192 bytes in 4 blocks" in two loss
 * records, leak_big's and leak_small's.
 */
#include <malloc.h>
#include <stdlib.h>

#include "heap_common.h"

#define PEAK_BLOCKS 10

static void *peak[PEAK_BLOCKS];

/* An opaque copy of p: GCC folds realloc(NULL, n) into malloc(n) when it can see the NULL. */
static void *hide(void *p)
{
	__asm__ volatile("" : "+r"(p));
	return p;
}

NOINLINE void *alloc_malloc(void)
{
	void *p = malloc(1000); /* expect: alloc 1000 B (live 1000) */

	KEEP(p);
	return p;
}

NOINLINE void *alloc_calloc(void)
{
	void *p = calloc(10, 30); /* expect: alloc 300 B (live 1300) */

	KEEP(p);
	return p;
}

NOINLINE void *alloc_realloc_null(void)
{
	void *p = realloc(hide(NULL), 200); /* expect: alloc 200 B, not a realloc (live 1500) */

	KEEP(p);
	return p;
}

NOINLINE void *grow_realloc(void *p)
{
	/* expect: free 200 B and alloc 5000 B (the same time), reallocs 1 (live 6300) */
	void *q = realloc(p, 5000);

	KEEP(q);
	return q;
}

NOINLINE void alloc_aligned(void **out)
{
	if (posix_memalign(&out[0], 64, 100)) /* expect: alloc 100 B (live 6400) */
		fail_exit("heap_basic", "posix_memalign");
	out[1] = aligned_alloc(256, 512); /* expect: alloc 512 B (live 6912) */
	out[2] = memalign(32, 48);	  /* expect: alloc 48 B (live 6960) */
	out[3] = valloc(4096);		  /* expect: alloc 4096 B (live 11056) */
	KEEP(out);
}

NOINLINE void free_aligned(void **p)
{
	for (int i = 0; i < 4; i++)
		free(p[i]); /* expect: 4 frees, 4756 B (live 6300) */
}

NOINLINE void hold_peak(void)
{
	for (int i = 0; i < PEAK_BLOCKS; i++) {
		peak[i] = malloc(10000); /* expect: 10 allocs, 100000 B; largest 10000 */
		KEEP(peak[i]);
	}
	/* expect: the peak, 106300 B in 13 blocks: alloc_malloc 1000, alloc_calloc 300,
	 * grow_realloc 5000, hold_peak 100000 (10 blocks) */
}

NOINLINE void release_peak(void)
{
	for (int i = 0; i < PEAK_BLOCKS; i++)
		free(peak[i]); /* expect: 10 frees, 100000 B (live 6300) */
}

NOINLINE void *shrink_to_zero(void *p)
{
	/* expect: free 5000 B, no allocation (glibc frees and returns NULL) (live 1300) */
	void *q = realloc(p, (size_t)hide((void *)0));

	KEEP(q);
	return q;
}

NOINLINE void *leak_big(void)
{
	void *p = malloc(4000); /* expect: leak 1 block, 4000 B (live 4000) */

	KEEP(p);
	return p;
}

NOINLINE void leak_small(void)
{
	for (int i = 0; i < 3; i++) {
		void *p = malloc(64); /* expect: leak 3 blocks, 192 B (live 4192 at the end) */
		KEEP(p);
	}
}

/* The chain to leak_big, so that a deeper stack must be walked (without frame pointers too).
 * Each uses the result after the call, which keeps it from being a tail call. */
NOINLINE uintptr_t chain_c(void)
{
	return (uintptr_t)leak_big() | 1;
}

NOINLINE uintptr_t chain_b(void)
{
	return chain_c() | 2;
}

NOINLINE uintptr_t chain_a(void)
{
	return chain_b() | 4;
}

int main(void)
{
	void *aligned[4];
	void *a, *b, *c;
	uintptr_t leaked;

	a = alloc_malloc();
	b = alloc_calloc();
	c = alloc_realloc_null();
	c = grow_realloc(c);
	if (!a || !b || !c)
		fail_exit("heap_basic", "malloc");
	alloc_aligned(aligned);
	free_aligned(aligned);
	hold_peak();
	release_peak();
	c = shrink_to_zero(c);
	if (c)
		free(c); /* (not reached with glibc: realloc(p, 0) returned NULL) */
	free(a);	 /* expect: free 1000 B (live 300) */
	free(b);	 /* expect: free 300 B (live 0) */
	leaked = chain_a();
	KEEP(leaked);
	leak_small();
	say(1, "heap_basic: done\n");
	return 0;
}
