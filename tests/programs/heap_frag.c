/*
 * heap_frag.c: a heap that the allocator's own statistics (mallinfo2) must show held, in use and
 * then fragmented, at points fixed by the count of allocations, not by time.
 *
 *   usage: heap_frag         (no arguments; writes "heap_frag: done" on stdout, exits 0)
 *
 * scorch heap's agent takes the allocator's statistics at a thread's first recorded allocation
 * and at every 4096th (SC_AGENT_MALLINFO_ALLOCS) up to its 65536th, besides every 50 ms. This
 * program allocates nothing before main (no stdio), so:
 *   fill        16384 blocks of 4096 B = 67,108,864 B requested, all kept: the statistics taken at
 *               its 16384th allocation see them all in use: at least 64 MiB in use (each chunk
 *               holds 4096 B and a header), held >= in use;
 *   punch       frees every other block: 32 MiB in 8192 holes of 4 KiB that the allocator keeps
 *               (they are between blocks still in use, so it cannot give them back);
 *   refill      4096 blocks of 8192 B = 32 MiB: too large for the holes, they extend the heap;
 *               the statistics taken at the last of them (the 20480th allocation) see the holes
 *               free inside the heap: at least 30 MiB free, and held >= in use + free.
 * Totals: 20480 allocations, 100,663,296 B; 8192 frees, 33,554,432 B; leaked 67,108,864 B in
 * 12288 blocks (kept by the globals below: still reachable).
 */
#include <stdlib.h>

#include "heap_common.h"

void *blocks[16384];
void *more[4096];

NOINLINE static void fill(void)
{
	for (size_t i = 0; i < 16384; i++) {
		blocks[i] = malloc(4096); /* expect: 16384 x 4096 B */
		if (!blocks[i])
			fail_exit("heap_frag", "malloc");
		memset(blocks[i], 1, 4096);
	}
}

NOINLINE static void punch(void)
{
	for (size_t i = 0; i < 16384; i += 2) {
		free(blocks[i]); /* expect: 8192 frees of 4096 B */
		blocks[i] = NULL;
	}
}

NOINLINE static void refill(void)
{
	for (size_t i = 0; i < 4096; i++) {
		more[i] = malloc(8192); /* expect: 4096 x 8192 B */
		if (!more[i])
			fail_exit("heap_frag", "malloc");
		memset(more[i], 2, 8192);
	}
}

int main(void)
{
	fill();
	punch();
	refill();
	say(1, "heap_frag: done\n");
	return 0;
}
