/*
 * heap_live.c: N blocks still allocated at exit, of each leak kind, for measuring the exit scan
 * (bench/heap_kinds.sh) against valgrind's memcheck.
 *
 *   usage: heap_live N       (N >= 4; writes "heap_live: done" on stdout, exits 0)
 *
 * N blocks of 64 B in four lists of N/4 nodes each (N rounded down to a multiple of 4), each node
 * pointing to the next:
 *   reachable_list   its head in a global: N/4 blocks still reachable (found by following the
 *                    chain: the scan's work list must not recurse)
 *   lost_list        its head dropped: 1 block definitely lost, N/4 - 1 indirectly lost
 *   interior_list    a global points 16 bytes into its head, so its head is possibly lost and
 *                    so is every node behind it (what a possibly lost block points to is
 *                    possibly lost at best): N/4 blocks possibly lost
 *   second_lost      like lost_list: 1 definitely lost, N/4 - 1 indirectly lost
 * Totals: definitely lost 2 blocks, indirectly lost N/2 - 2, possibly lost N/4, still reachable
 * N/4 (valgrind --leak-check=full says the same).
 */
#include <stdlib.h>

#include "heap_common.h"

struct node {
	struct node *next;
	char pad[56]; /* 64 B a node */
};

struct node *reachable_head;
char *interior_ptr;
struct node *volatile dropped;

NOINLINE static struct node *make_list(size_t n)
{
	struct node *head = NULL;
	for (size_t i = 0; i < n; i++) {
		struct node *x = malloc(sizeof(*x));
		if (!x)
			fail_exit("heap_live", "malloc");
		memset(x, 0, sizeof(*x));
		x->next = head;
		head = x;
	}
	return head;
}

NOINLINE static void scrub_stack(void)
{
	volatile char area[16384];
	for (size_t i = 0; i < sizeof(area); i++)
		area[i] = 0;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) / 4 : 0;
	if (n < 1)
		fail_exit("heap_live", "N (at least 4)");
	reachable_head = make_list(n);
	dropped = make_list(n);
	dropped = NULL;
	interior_ptr = (char *)make_list(n) + 16;
	dropped = make_list(n);
	dropped = NULL;
	scrub_stack();
	say(1, "heap_live: done\n");
	return 0;
}
