/*
 * heap_churn.c: the allocation-heavy workload of bench/heap.sh: millions of mixed-size
 * malloc/calloc/realloc/free calls from deep stacks, in one thread or several.
 *
 *   usage: heap_churn [MOPS [THREADS]]   MOPS: millions of operations per thread (default 3, a
 *                                        positive number: 0.01 is 10000); THREADS (default 1, at
 *                                        most 64)
 *
 * Each thread owns a ring of 20000 slots, fills it, then for each operation picks a slot with its
 * own xorshift generator (seeded by its index, so every run makes the same calls) and replaces
 * its block: 80% free + malloc, 10% free + calloc, 10% realloc. Sizes: 70% 8-128 B, 25%
 * 129-4096 B, 5% 4-64 KiB, and 1 MiB every 50000 operations. Every allocation is made through
 * one of 8 call paths, descend_a/descend_b recursing 2 to 20 deep (so some stacks are deeper than
 * scorch heap's default 16 frames), each under churn_path_N. Halfway, a temporary phase allocates
 * another 20000 blocks and frees them (so the peak is not at the end). At the end every block is
 * freed: nothing leaks.
 *
 * The program counts what it asks for and writes, on stdout, the known answer of the run:
 *   heap_churn: threads T allocs A bytes B reallocs R frees F temporary M peak P
 * A: allocations (malloc, calloc and realloc calls; a realloc is one free and one allocation,
 * the contract's view), B: bytes requested by them, R: realloc calls, F: frees (free calls plus
 * reallocs), M: temporary allocations (heaptrack's rule, which scorch follows: blocks freed
 * before their thread allocates again, the block a realloc replaces excepted), P: the peak of
 * requested bytes live, exact for one thread ("-" with several: it depends on how the threads
 * interleave). tests/cli/heap_churn.sh checks scorch heap's totals against this line; libc
 * allocates nothing else (write(2), no stdio; pthread_create's thread vectors aside, 272 B per
 * thread with glibc 2.36). Checked with
 * valgrind --tool=dhat --run-libc-freeres=no at MOPS 0.05, one thread: 90000 blocks, 210869860 B,
 * t-gmax 94183846 B, as the program's own line says.
 */
#include <pthread.h>
#include <stdlib.h>

#include "heap_common.h"

#define SLOTS	   20000
#define MAXTHREADS 64
#define NPATHS	   8

struct churn {
	unsigned index;
	uint64_t ops;
	uint64_t rng;
	void **slot;
	size_t *size;
	uint64_t allocs, bytes, reallocs, frees, live, peak, temporary;
	void *last; /* the thread's latest allocation while it is live, else NULL */
};

static uint64_t next(struct churn *c)
{
	uint64_t x = c->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	c->rng = x;
	return x;
}

static size_t pick_size(struct churn *c, uint64_t op)
{
	uint64_t r = next(c);
	unsigned pct = (unsigned)(r % 100);

	if (op % 50000 == 49999)
		return 1u << 20;
	r >>= 8;
	if (pct < 70)
		return 8 + r % 121;
	if (pct < 95)
		return 129 + r % 3968;
	return 4096 + r % (65536 - 4096 + 1);
}

/* kind 0: malloc, 1: calloc, 2: realloc of old. Not inlined, so that the stacks hold no inline
 * frames: --depth N keeps N frames, and heap.json lists them as they are. */
NOINLINE void *do_alloc(int kind, void *old, size_t size)
{
	void *p;

	if (kind == 1)
		p = calloc(1, size);
	else if (kind == 2)
		p = realloc(old, size);
	else
		p = malloc(size);
	if (!p)
		fail_exit("heap_churn", "malloc");
	*(volatile char *)p = 1;
	return p;
}

NOINLINE void *descend_b(int depth, int kind, void *old, size_t size);

/* Two functions calling each other, each using the result: neither a loop nor a tail call. */
NOINLINE void *descend_a(int depth, int kind, void *old, size_t size)
{
	void *p = depth <= 1 ? do_alloc(kind, old, size) : descend_b(depth - 1, kind, old, size);

	KEEP(p);
	return p;
}

NOINLINE void *descend_b(int depth, int kind, void *old, size_t size)
{
	void *p = depth <= 1 ? do_alloc(kind, old, size) : descend_a(depth - 1, kind, old, size);

	KEEP(p);
	return p;
}

#define PATH(n)                                                                                    \
	NOINLINE void *churn_path_##n(int kind, void *old, size_t size)                            \
	{                                                                                          \
		void *p = descend_a(2 + (n)*18 / (NPATHS - 1) - 1, kind, old, size);               \
		KEEP(p);                                                                           \
		return p;                                                                          \
	}
PATH(0)
PATH(1)
PATH(2)
PATH(3)
PATH(4)
PATH(5)
PATH(6)
PATH(7)

static void *(*const paths[NPATHS])(int, void *, size_t) = {
    churn_path_0, churn_path_1, churn_path_2, churn_path_3,
    churn_path_4, churn_path_5, churn_path_6, churn_path_7,
};

static void account_alloc(struct churn *c, size_t size)
{
	c->allocs++;
	c->bytes += size;
	c->live += size;
	if (c->live > c->peak)
		c->peak = c->live;
}

static void account_free(struct churn *c, size_t size)
{
	c->frees++;
	c->live -= size;
}

/* free(p), counting p temporary when it is the thread's latest allocation (heaptrack's rule). */
static void churn_free(struct churn *c, void *p, size_t size)
{
	account_free(c, size);
	if (p == c->last) {
		c->temporary++;
		c->last = NULL;
	}
	free(p);
}

/* Replaces slot i's block (or fills an empty slot). */
static void churn_one(struct churn *c, unsigned i, uint64_t op)
{
	uint64_t r = next(c);
	size_t size = pick_size(c, op);
	int kind = r % 10 == 0 ? 1 : r % 10 == 1 ? 2 : 0;
	void *(*path)(int, void *, size_t) = paths[(r >> 8) % NPATHS];

	if (c->slot[i] && kind == 2) {
		/* the block realloc replaces is never temporary */
		c->reallocs++;
		account_free(c, c->size[i]);
		c->slot[i] = path(2, c->slot[i], size);
	} else {
		if (c->slot[i])
			churn_free(c, c->slot[i], c->size[i]);
		c->slot[i] = path(kind == 2 ? 0 : kind, NULL, size);
	}
	c->last = c->slot[i];
	c->size[i] = size;
	account_alloc(c, size);
}

static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	void *extra_slot[SLOTS];
	size_t extra_size[SLOTS];

	c->rng = 0x9e3779b97f4a7c15ull * (c->index + 1);
	for (unsigned i = 0; i < SLOTS; i++)
		churn_one(c, i, i);
	for (uint64_t op = 0; op < c->ops; op++) {
		churn_one(c, (unsigned)(next(c) % SLOTS), op);
		if (op == c->ops / 2) {
			/* The temporary phase: 20000 more blocks, then freed. */
			void **slot = c->slot;
			size_t *size = c->size;

			c->slot = extra_slot;
			c->size = extra_size;
			for (unsigned i = 0; i < SLOTS; i++) {
				extra_slot[i] = NULL;
				churn_one(c, i, i);
			}
			for (unsigned i = 0; i < SLOTS; i++)
				churn_free(c, extra_slot[i], extra_size[i]);
			c->slot = slot;
			c->size = size;
		}
	}
	for (unsigned i = 0; i < SLOTS; i++)
		churn_free(c, c->slot[i], c->size[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	static struct churn cs[MAXTHREADS];
	static void *slots[MAXTHREADS][SLOTS];
	static size_t sizes[MAXTHREADS][SLOTS];
	pthread_t tids[MAXTHREADS];
	double mops = argc > 1 ? strtod(argv[1], NULL) : 3.0;
	long threads = argc > 2 ? strtol(argv[2], NULL, 10) : 1;
	uint64_t allocs = 0, bytes = 0, reallocs = 0, frees = 0, temporary = 0;

	if (!(mops > 0) || mops > 1e6 || threads < 1 || threads > MAXTHREADS) {
		say(2, "usage: heap_churn [MOPS [THREADS]]   MOPS > 0, 1 <= THREADS <= 64\n");
		return 2;
	}
	for (long t = 0; t < threads; t++) {
		cs[t].index = (unsigned)t;
		cs[t].ops = (uint64_t)(mops * 1e6);
		cs[t].slot = slots[t];
		cs[t].size = sizes[t];
	}
	if (threads == 1) {
		churn_thread(&cs[0]);
	} else {
		for (long t = 0; t < threads; t++)
			if (pthread_create(&tids[t], NULL, churn_thread, &cs[t]))
				fail_exit("heap_churn", "pthread_create");
		for (long t = 0; t < threads; t++)
			pthread_join(tids[t], NULL);
	}
	for (long t = 0; t < threads; t++) {
		allocs += cs[t].allocs;
		bytes += cs[t].bytes;
		reallocs += cs[t].reallocs;
		frees += cs[t].frees;
		temporary += cs[t].temporary;
	}
	say(1, "heap_churn: threads ");
	say_u(1, (uint64_t)threads);
	say(1, " allocs ");
	say_u(1, allocs);
	say(1, " bytes ");
	say_u(1, bytes);
	say(1, " reallocs ");
	say_u(1, reallocs);
	say(1, " frees ");
	say_u(1, frees);
	say(1, " temporary ");
	say_u(1, temporary);
	say(1, " peak ");
	if (threads == 1)
		say_u(1, cs[0].peak);
	else
		say(1, "-");
	say(1, "\n");
	return 0;
}
