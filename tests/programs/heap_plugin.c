/*
 * heap_plugin.c: libheap_plugin.so, the library heap_dlopen loads with dlopen after it started.
 *
 * Its allocations must be charged to its functions, in module libheap_plugin.so, called by main:
 *   plugin_alloc(n)   n allocs of 512 B, freed by plugin_release
 *   plugin_leak()     1 alloc of 2048 B, never freed
 * heap_dlopen.c states the numbers of the whole program.
 */
#include <stdlib.h>

#include "heap_common.h"

#define PLUGIN_MAX 16

void plugin_alloc(int n);
void plugin_release(void);
void plugin_leak(void);

static void *blocks[PLUGIN_MAX];
static int nblocks;

NOINLINE void plugin_alloc(int n)
{
	for (; n > 0 && nblocks < PLUGIN_MAX; n--) {
		blocks[nblocks] = malloc(512); /* expect: n allocs of 512 B, freed */
		KEEP(blocks[nblocks]);
		nblocks++;
	}
}

NOINLINE void plugin_release(void)
{
	while (nblocks > 0)
		free(blocks[--nblocks]);
}

NOINLINE void plugin_leak(void)
{
	void *p = malloc(2048); /* expect: leak 1 block, 2048 B */

	KEEP(p);
}
