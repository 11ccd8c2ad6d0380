/*
 * test_heap.c: the heap analysis (src/heap/heap.c) on synthetic event sequences whose answers are
 * known by construction: totals, leaks, the peak and the stacks live then (including a site whose
 * "at the peak" value is only saved lazily, long after the peak), temporaries (heaptrack's rule,
 * per thread, realloc excluded), reallocs, unknown frees, replaced blocks, histograms, the
 * timeline's bounded buckets, memory that does not grow with the number of events, the leak kinds
 * from an exit scan's answer (and without one), and the allocator's statistics.
 *
 * Stacks (outermost first): A = main;a   B = main;b   C = main;a;c
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "heap/heap.h"

struct fixture {
	sc_profile *p;
	sc_stack_id A, B, C;
	sc_heap *h;
};

static uint32_t fn_loc(sc_profile *p, const char *name, uint64_t addr)
{
	sc_function f = {.name = (sc_str)sc_profile_intern(p, name)};
	sc_line l = {.function = (uint32_t)sc_profile_add_function(p, &f)};
	int64_t id = sc_profile_add_location(p, 0, addr, &l, 1);
	assert_true(id > 0);
	return (uint32_t)id;
}

static int setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));
	x->p = sc_profile_new();
	uint32_t m = fn_loc(x->p, "main", 0x100), a = fn_loc(x->p, "a", 0x200),
		 b = fn_loc(x->p, "b", 0x300), c = fn_loc(x->p, "c", 0x400);
	uint32_t sa[] = {a, m}, sb[] = {b, m}, sc[] = {c, a, m};
	x->A = (sc_stack_id)sc_profile_intern_stack(x->p, sa, 2);
	x->B = (sc_stack_id)sc_profile_intern_stack(x->p, sb, 2);
	x->C = (sc_stack_id)sc_profile_intern_stack(x->p, sc, 3);
	x->h = sc_heap_new(x->p, 42);
	assert_non_null(x->h);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *x = *state;
	sc_heap_free(x->h);
	sc_profile_free(x->p);
	free(x);
	return 0;
}

#define US 1000ULL

static void alloc_r(sc_heap *h, uint64_t t, uint32_t tid, uint64_t addr, uint64_t size,
		    sc_stack_id s, bool realloc)
{
	sc_heap_event e = {.time = t,
			   .tid = tid,
			   .kind = SC_HEAP_ALLOC,
			   .addr = addr,
			   .size = size,
			   .usable = size + 8,
			   .stack = s,
			   .realloc = realloc};
	assert_int_equal(sc_heap_add(h, &e), 0);
}

static void alloc(sc_heap *h, uint64_t t, uint32_t tid, uint64_t addr, uint64_t size, sc_stack_id s)
{
	alloc_r(h, t, tid, addr, size, s, false);
}

static void dealloc(sc_heap *h, uint64_t t, uint32_t tid, uint64_t addr)
{
	sc_heap_event e = {.time = t, .tid = tid, .kind = SC_HEAP_FREE, .addr = addr};
	assert_int_equal(sc_heap_add(h, &e), 0);
}

static const sc_heap_site *site_of(const sc_heap *h, sc_stack_id s)
{
	for (size_t i = 0; i < sc_heap_nsites(h); i++)
		if (sc_heap_site_at(h, i)->stack == s)
			return sc_heap_site_at(h, i);
	fail_msg("no site for stack %u", s);
	return NULL;
}

/*
 * The main scenario (times in us from 1000, one thread):
 *
 *   t  event               heap  blocks  note
 *   1  A alloc 0x10 100     100
 *   2  B alloc 0x20 200     300
 *   3  C alloc 0x30  50     350          a maximum, not the last one
 *   4  free 0x20            150          B changes after that maximum
 *   5  A alloc 0x40 100     250
 *   6  B alloc 0x50 150     400   4      THE PEAK: A 200/2, B 150/1, C 50/1
 *   7  free 0x10            300
 *   8  free 0x50            150          temporary: thread's last allocation
 *   9  C alloc 0x60  10     160          C's first change since the peak: saved lazily here
 *  10  end (exited)                      leaks: A 100/1 (0x40), C 60/2 (0x30, 0x60)
 */
void heap_test_scenario(sc_heap *h, sc_stack_id A, sc_stack_id B, sc_stack_id C);
void heap_test_scenario(sc_heap *h, sc_stack_id A, sc_stack_id B, sc_stack_id C)
{
	alloc(h, 1000 + 1 * US, 1, 0x10, 100, A);
	alloc(h, 1000 + 2 * US, 1, 0x20, 200, B);
	alloc(h, 1000 + 3 * US, 1, 0x30, 50, C);
	dealloc(h, 1000 + 4 * US, 1, 0x20);
	alloc(h, 1000 + 5 * US, 1, 0x40, 100, A);
	alloc(h, 1000 + 6 * US, 1, 0x50, 150, B);
	dealloc(h, 1000 + 7 * US, 1, 0x10);
	dealloc(h, 1000 + 8 * US, 1, 0x50);
	alloc(h, 1000 + 9 * US, 1, 0x60, 10, C);
	assert_int_equal(sc_heap_finish(h, 1000 + 10 * US, true), 0);
}

static void test_totals_peak_leaks(void **state)
{
	struct fixture *x = *state;
	heap_test_scenario(x->h, x->A, x->B, x->C);
	const sc_heap_totals *t = sc_heap_get_totals(x->h);
	assert_int_equal(t->allocs, 6);
	assert_int_equal(t->frees, 3);
	assert_int_equal(t->reallocs, 0);
	assert_int_equal(t->bytes_allocated, 610);
	assert_int_equal(t->bytes_freed, 450);
	assert_int_equal(t->usable_allocated, 610 + 6 * 8);
	assert_int_equal(t->peak_bytes, 400);
	assert_int_equal(t->peak_blocks, 4);
	assert_int_equal(t->peak_time, 5 * US);
	assert_int_equal(t->leaked_bytes, 160);
	assert_int_equal(t->leaked_blocks, 3);
	assert_int_equal(t->live_bytes, 160);
	assert_int_equal(t->largest, 200);
	assert_int_equal(t->temporary, 1);
	assert_int_equal(t->frees_unknown, 0);
	assert_int_equal(t->duration, 9 * US);
	assert_true(t->exited);

	assert_int_equal(sc_heap_nsites(x->h), 3);
	const sc_heap_site *a = site_of(x->h, x->A), *b = site_of(x->h, x->B),
			   *c = site_of(x->h, x->C);
	/* at the peak */
	assert_int_equal(a->peak_bytes, 200);
	assert_int_equal(a->peak_blocks, 2);
	assert_int_equal(b->peak_bytes, 150);
	assert_int_equal(b->peak_blocks, 1);
	assert_int_equal(c->peak_bytes, 50);
	assert_int_equal(c->peak_blocks, 1);
	/* leaks */
	assert_int_equal(a->live_bytes, 100);
	assert_int_equal(a->live_blocks, 1);
	assert_int_equal(b->live_bytes, 0);
	assert_int_equal(c->live_bytes, 60);
	assert_int_equal(c->live_blocks, 2);
	/* totals per site, own maxima, lifetimes (live blocks count up to the end) */
	assert_int_equal(a->allocs, 2);
	assert_int_equal(a->bytes, 200);
	assert_int_equal(b->bytes, 350);
	assert_int_equal(b->frees, 2);
	assert_int_equal(b->max_bytes, 200);
	assert_int_equal(b->max_blocks, 1);
	assert_int_equal(a->max_bytes, 200);
	assert_int_equal(a->max_blocks, 2);
	assert_int_equal(c->max_bytes, 60);
	assert_int_equal(c->max_blocks, 2);
	assert_int_equal(b->temporary, 1);
	assert_int_equal(a->lifetime_ns, 6 * US + 5 * US);
	assert_int_equal(b->lifetime_ns, 2 * US + 2 * US);
	assert_int_equal(c->lifetime_ns, 7 * US + 1 * US);

	/* sorted views */
	const sc_heap_site **v;
	size_t n;
	assert_int_equal(sc_heap_sorted_sites(x->h, SC_HEAP_BY_BYTES, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_ptr_equal(v[0], b);
	assert_ptr_equal(v[1], a);
	assert_ptr_equal(v[2], c);
	free(v);
	assert_int_equal(sc_heap_sorted_sites(x->h, SC_HEAP_BY_LIVE, &v, &n), 0);
	assert_int_equal(n, 2); /* B has nothing live at the end */
	assert_ptr_equal(v[0], a);
	assert_ptr_equal(v[1], c);
	free(v);
	assert_int_equal(sc_heap_sorted_sites(x->h, SC_HEAP_BY_PEAK, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_ptr_equal(v[0], a);
	assert_ptr_equal(v[1], b);
	assert_ptr_equal(v[2], c);
	free(v);
	assert_int_equal(sc_heap_sorted_sites(x->h, SC_HEAP_BY_COUNT, &v, &n), 0);
	assert_ptr_equal(v[0], b); /* 2 allocations each for A and B: B has more bytes */
	free(v);

	/* sizes: 10 -> le 16; 50 -> 64; 100, 100 -> 128; 150, 200 -> 256 */
	const sc_heap_bucket *sz = sc_heap_size_histogram(x->h);
	assert_int_equal(sz[4].le, 16);
	assert_int_equal(sz[4].allocs, 1);
	assert_int_equal(sz[6].allocs, 1);
	assert_int_equal(sz[7].allocs, 2);
	assert_int_equal(sz[7].bytes, 200);
	assert_int_equal(sz[8].le, 256);
	assert_int_equal(sz[8].allocs, 2);
	assert_int_equal(sz[8].bytes, 350);
	uint64_t sum = 0;
	for (size_t i = 0; i < SC_HEAP_SIZE_BUCKETS; i++)
		sum += sz[i].allocs;
	assert_int_equal(sum, 6);
	/* lifetimes of the freed blocks: 2, 6 and 2 us: all in (1 us, 10 us] */
	const sc_heap_bucket *lt = sc_heap_lifetime_histogram(x->h);
	assert_int_equal(lt[0].le, 1000);
	assert_int_equal(lt[1].le, 10000);
	assert_int_equal(lt[1].allocs, 3);
	assert_int_equal(lt[0].allocs + lt[2].allocs, 0);
}

/* The same events, but the process did not exit: live, not leaked. */
/* sc_heap_suppress on the main scenario: suppressing C's stack (matched by its leaf) moves its
 * 60 leaked bytes in 2 blocks to suppressed_*, out of the leak order; A's 100 stay leaked. */
static bool match_c(void *ctx, sc_stack_id stack)
{
	return stack == *(const sc_stack_id *)ctx;
}

static void test_suppress(void **state)
{
	struct fixture *x = *state;
	assert_int_equal(sc_heap_suppress(x->h, match_c, &x->C), -EINVAL); /* before finish */
	heap_test_scenario(x->h, x->A, x->B, x->C);
	assert_int_equal(sc_heap_suppress(x->h, match_c, &x->C), 1);
	assert_int_equal(sc_heap_suppress(x->h, match_c, &x->C), 0); /* once only */
	const sc_heap_totals *t = sc_heap_get_totals(x->h);
	assert_int_equal(t->leaked_bytes, 100);
	assert_int_equal(t->leaked_blocks, 1);
	assert_int_equal(t->suppressed_bytes, 60);
	assert_int_equal(t->suppressed_blocks, 2);
	assert_int_equal(t->live_bytes, 160); /* live at the end is what it is */
	assert_true(site_of(x->h, x->C)->suppressed);
	const sc_heap_site **v;
	size_t n;
	assert_int_equal(sc_heap_sorted_sites(x->h, SC_HEAP_BY_LIVE, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0]->stack, x->A);
	free(v);
}

/* Leak kinds: the live blocks go out (sc_heap_live_blocks), come back with kinds, and the finish
 * counts each block still live by its kind; a block allocated after the scan, or at a scanned
 * address but later, is unclassified; suppression takes its site's kinds out; the definite gate. */
static int cmp_addr(const void *a, const void *b)
{
	const sc_heap_block *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void test_leak_kinds(void **state)
{
	struct fixture *x = *state;
	alloc(x->h, 10, 1, 0x1000, 100, x->A);
	alloc(x->h, 20, 1, 0x2000, 30, x->C);
	alloc(x->h, 30, 1, 0x3000, 30, x->C);
	alloc(x->h, 40, 1, 0x4000, 7, x->B);
	sc_heap_block *b;
	size_t n;
	assert_int_equal(sc_heap_live_blocks(x->h, &b, &n), 0);
	assert_int_equal(n, 4);
	qsort(b, n, sizeof(*b), cmp_addr);
	assert_int_equal(b[1].addr, 0x2000);
	assert_int_equal(b[1].size, 30);
	assert_int_equal(b[1].time, 20);
	uint8_t kinds[4] = {SC_HEAP_DEFINITE, SC_HEAP_INDIRECT, SC_HEAP_REACHABLE,
			    SC_HEAP_POSSIBLE};
	assert_int_equal(sc_heap_set_kinds(x->h, b, kinds, n), 0);
	free(b);
	dealloc(x->h, 50, 1, 0x4000);	      /* freed after the scan: not counted */
	alloc(x->h, 60, 1, 0x4000, 9, x->B);  /* the same address, a new block: unclassified */
	alloc(x->h, 70, 1, 0x5000, 11, x->B); /* after the scan: unclassified */
	assert_int_equal(sc_heap_finish(x->h, 100, true), 0);
	const sc_heap_totals *t = sc_heap_get_totals(x->h);
	assert_true(t->classified);
	assert_int_equal(t->kind_bytes[SC_HEAP_DEFINITE], 100);
	assert_int_equal(t->kind_bytes[SC_HEAP_INDIRECT], 30);
	assert_int_equal(t->kind_bytes[SC_HEAP_REACHABLE], 30);
	assert_int_equal(t->kind_blocks[SC_HEAP_POSSIBLE], 0);
	assert_int_equal(t->kind_bytes[SC_HEAP_UNCLASSIFIED], 20);
	assert_int_equal(t->kind_blocks[SC_HEAP_UNCLASSIFIED], 2);
	const sc_heap_site *c = site_of(x->h, x->C);
	assert_int_equal(c->kind_blocks[SC_HEAP_INDIRECT], 1);
	assert_int_equal(c->kind_blocks[SC_HEAP_REACHABLE], 1);
	assert_int_equal(sc_heap_set_kinds(x->h, NULL, NULL, 0), -EINVAL); /* after finish */

	sc_heap_gates g;
	assert_int_equal(sc_heap_gates_parse("definite>99,leaks>200", &g, NULL), 0);
	assert_int_equal(sc_heap_gates_eval(&g, t), 1);
	assert_int_equal(g.gate[0].value, 100);
	assert_true(g.gate[0].failed);
	assert_int_equal(g.gate[1].value, 180);

	assert_int_equal(sc_heap_suppress(x->h, match_c, &x->C), 1);
	assert_int_equal(t->kind_bytes[SC_HEAP_INDIRECT], 0);
	assert_int_equal(t->kind_bytes[SC_HEAP_REACHABLE], 0);
	assert_int_equal(t->kind_bytes[SC_HEAP_DEFINITE], 100);
	assert_string_equal(sc_heap_kind_name(SC_HEAP_POSSIBLE), "possibly lost");
	assert_string_equal(sc_heap_kind_key(SC_HEAP_REACHABLE), "reachable");
}

/* No scan answered: every leaked block is unclassified, and the definite gate counts them all. */
static void test_leak_kinds_none(void **state)
{
	struct fixture *x = *state;
	alloc(x->h, 10, 1, 0x1000, 100, x->A);
	assert_int_equal(sc_heap_finish(x->h, 20, true), 0);
	const sc_heap_totals *t = sc_heap_get_totals(x->h);
	assert_false(t->classified);
	assert_int_equal(t->kind_bytes[SC_HEAP_UNCLASSIFIED], 100);
	sc_heap_gates g;
	assert_int_equal(sc_heap_gates_parse("definite>=100", &g, NULL), 0);
	assert_int_equal(sc_heap_gates_eval(&g, t), 1);
}

/* The allocator's statistics: per timeline bucket the sample holding the most, in the totals the
 * largest. */
static void test_allocator_stats(void **state)
{
	struct fixture *x = *state;
	alloc(x->h, 1000, 1, 0x1000, 100, x->A);
	assert_int_equal(sc_heap_allocator(x->h, 1000, 4096, 512, 3584), 0);
	assert_int_equal(sc_heap_allocator(x->h, 1001, 8192, 1024, 7168), 0);
	assert_int_equal(sc_heap_allocator(x->h, 1002, 6000, 3000, 3000), 0);
	assert_int_equal(sc_heap_finish(x->h, 2000, true), 0);
	const sc_heap_totals *t = sc_heap_get_totals(x->h);
	assert_int_equal(t->alloc_held, 8192);
	assert_int_equal(t->alloc_in_use, 1024);
	assert_int_equal(t->alloc_free, 7168);
	size_t n;
	uint64_t width;
	const sc_heap_point *pt = sc_heap_timeline(x->h, &n, &width);
	assert_true(n >= 1);
	bool seen = false;
	for (size_t i = 0; i < n; i++)
		if (pt[i].has_alloc) {
			assert_int_equal(pt[i].alloc_held, pt[i].alloc_in_use + pt[i].alloc_free);
			seen = true;
		}
	assert_true(seen);
	assert_int_equal(sc_heap_allocator(x->h, 3000, 1, 1, 0), -EINVAL); /* after finish */
}

static void test_not_exited(void **state)
{
	struct fixture *x = *state;
	alloc(x->h, 10, 1, 0x10, 100, x->A);
	assert_int_equal(sc_heap_finish(x->h, 20, false), 0);
	const sc_heap_totals *t = sc_heap_get_totals(x->h);
	assert_int_equal(t->live_bytes, 100);
	assert_int_equal(t->live_blocks, 1);
	assert_int_equal(t->leaked_bytes, 0);
	assert_int_equal(t->leaked_blocks, 0);
	assert_false(t->exited);
}

/*
 * realloc, unknown frees, replaced blocks, temporaries across threads:
 *
 *   t  tid  event
 *   1  1    A alloc 0x100 10
 *   2  1    realloc: FREE 0x100, ALLOC 0x200 30 (realloc)    not temporary
 *   3  1    FREE 0x999                                        unknown
 *   3  1    B alloc 0x200 5                                   replaces 0x200 (30 bytes)
 *   4  2    A alloc 0x300 7
 *   5  1    B alloc 0x400 9
 *   6  2    FREE 0x300     temporary: thread 2 allocated nothing since
 *   7  2    FREE 0x400     temporary: thread 1 (its allocator) allocated nothing since
 *   8  1    C alloc 0x500 1
 *   9  1    FREE 0x200     not temporary: thread 1 allocated 0x500 since
 *   2  1    C alloc 0x600 2   a time in the past: taken as 9
 *  12       end (exited)
 */
static void test_realloc_unknown_temporary(void **state)
{
	struct fixture *x = *state;
	sc_heap *h = x->h;
	alloc(h, 1, 1, 0x100, 10, x->A);
	dealloc(h, 2, 1, 0x100);
	alloc_r(h, 2, 1, 0x200, 30, x->A, true);
	dealloc(h, 3, 1, 0x999);
	alloc(h, 3, 1, 0x200, 5, x->B);
	alloc(h, 4, 2, 0x300, 7, x->A);
	alloc(h, 5, 1, 0x400, 9, x->B);
	dealloc(h, 6, 2, 0x300);
	dealloc(h, 7, 2, 0x400);
	alloc(h, 8, 1, 0x500, 1, x->C);
	dealloc(h, 9, 1, 0x200);
	alloc(h, 2, 1, 0x600, 2, x->C);
	assert_int_equal(sc_heap_finish(h, 12, true), 0);
	const sc_heap_totals *t = sc_heap_get_totals(h);
	assert_int_equal(t->allocs, 7);
	assert_int_equal(t->reallocs, 1);
	assert_int_equal(t->frees, 4);
	assert_int_equal(t->frees_unknown, 1);
	assert_int_equal(t->replaced_blocks, 1);
	assert_int_equal(t->replaced_bytes, 30);
	assert_int_equal(t->temporary, 2);
	assert_int_equal(t->bytes_allocated, 10 + 30 + 5 + 7 + 9 + 1 + 2);
	assert_int_equal(t->bytes_freed, 10 + 7 + 9 + 5);
	assert_int_equal(t->leaked_blocks, 2);
	assert_int_equal(t->leaked_bytes, 3);
	/* every byte allocated is freed, replaced or live */
	assert_int_equal(t->bytes_allocated, t->bytes_freed + t->replaced_bytes + t->live_bytes);
	/* peak: the realloc's new block, 30 bytes alone at t=2 (0x200 + 0x300 + 0x400 is 21) */
	assert_int_equal(t->peak_bytes, 30);
	assert_int_equal(t->peak_time, 1);
	const sc_heap_site *c = site_of(h, x->C);
	assert_int_equal(c->lifetime_ns, (12 - 8) + (12 - 9)); /* 0x600 at 9, not 2 */
	assert_int_equal(site_of(h, x->A)->temporary, 1);
	assert_int_equal(site_of(h, x->B)->temporary, 1);
}

/* A realloc's FREE is not temporary, whatever the clock said (the realloc's ALLOC may come later)
 * and whatever other threads did in between; the same FREE followed by a plain ALLOC is.
 *
 *   t  tid  event
 *   1  1    A alloc 0x100 10
 *   2  1    FREE 0x100            a candidate: decided by thread 1's next event
 *   2  2    B alloc 0x900 1       another thread: decides nothing for thread 1
 *   3  1    A alloc 0x200 30 realloc    -> 0x100 is not temporary
 *   4  1    FREE 0x200            a candidate
 *   5  1    C alloc 0x300 5       not a realloc -> 0x200 is temporary
 *   6  2    FREE 0x900            thread 2's last allocation: decided at the end -> temporary
 */
static void test_temporary_realloc(void **state)
{
	struct fixture *x = *state;
	sc_heap *h = x->h;
	alloc(h, 1, 1, 0x100, 10, x->A);
	dealloc(h, 2, 1, 0x100);
	alloc(h, 2, 2, 0x900, 1, x->B);
	alloc_r(h, 3, 1, 0x200, 30, x->A, true);
	dealloc(h, 4, 1, 0x200);
	alloc(h, 5, 1, 0x300, 5, x->C);
	dealloc(h, 6, 2, 0x900);
	assert_int_equal(sc_heap_finish(h, 7, true), 0);
	assert_int_equal(sc_heap_get_totals(h)->temporary, 2);
	assert_int_equal(site_of(h, x->A)->temporary, 1);
	assert_int_equal(site_of(h, x->B)->temporary, 1);
	assert_int_equal(site_of(h, x->C)->temporary, 0);
}

/* The peak is the first time the maximum is reached; equal later values do not move it. */
static void test_peak_first_reached(void **state)
{
	struct fixture *x = *state;
	sc_heap *h = x->h;
	alloc(h, 100, 1, 0x1, 64, x->A);
	alloc(h, 200, 1, 0x2, 64, x->B); /* 128: the peak, A 64 + B 64 */
	dealloc(h, 300, 1, 0x2);
	alloc(h, 400, 1, 0x3, 64, x->C); /* 128 again: A 64 + C 64, not the peak */
	dealloc(h, 500, 1, 0x3);
	dealloc(h, 600, 1, 0x1);
	assert_int_equal(sc_heap_finish(h, 700, true), 0);
	const sc_heap_totals *t = sc_heap_get_totals(h);
	assert_int_equal(t->peak_bytes, 128);
	assert_int_equal(t->peak_time, 100);
	assert_int_equal(site_of(h, x->B)->peak_bytes, 64);
	assert_int_equal(site_of(h, x->C)->peak_bytes, 0);
	assert_int_equal(site_of(h, x->A)->peak_bytes, 64);
	assert_int_equal(t->leaked_blocks, 0);
}

static void test_errors(void **state)
{
	struct fixture *x = *state;
	sc_heap_event e = {.time = 1, .kind = 3, .addr = 1, .size = 1};
	assert_int_equal(sc_heap_add(x->h, &e), -EINVAL);
	e.kind = SC_HEAP_ALLOC;
	e.stack = (sc_stack_id)x->p->nodes.len; /* not a node */
	assert_int_equal(sc_heap_add(x->h, &e), -EINVAL);
	e.stack = 0; /* unknown stack: its own site */
	assert_int_equal(sc_heap_add(x->h, &e), 0);
	assert_int_equal(sc_heap_finish(x->h, 2, true), 0);
	assert_int_equal(sc_heap_finish(x->h, 2, true), -EINVAL);
	assert_int_equal(sc_heap_add(x->h, &e), -EINVAL);
	assert_int_equal(sc_heap_rss(x->h, 3, 4096), -EINVAL);
	assert_int_equal(site_of(x->h, 0)->live_bytes, 1);
	sc_heap_free(NULL);
}

/* A long run of the same work: the analysis's memory and the timeline stay bounded, the peak and
 * the timeline agree. 2^20 alloc/free pairs over ~10.5 s, 64 blocks live at most. */
static void test_bounded(void **state)
{
	struct fixture *x = *state;
	sc_heap *h = x->h;
	size_t mem_early = 0;
	const uint64_t n = 1 << 20;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t = 1000000 + i * 10000; /* 10 us apart */
		alloc(h, t, (uint32_t)(i % 3), 0x1000 + (i % 64) * 16, 100 + (i % 64),
		      (i & 1) ? x->A : x->B);
		if (i >= 63)
			dealloc(h, t + 5000, (uint32_t)(i % 3), 0x1000 + ((i - 63) % 64) * 16);
		if (i % 5000 == 0)
			assert_int_equal(sc_heap_rss(h, t, 1000000 + i), 0);
		if (i == 4096)
			mem_early = sc_heap_memory(h);
	}
	assert_int_equal(sc_heap_memory(h), mem_early);
	assert_int_equal(sc_heap_finish(h, 1000000 + n * 10000, true), 0);
	const sc_heap_totals *t = sc_heap_get_totals(h);
	assert_int_equal(t->allocs, n);
	assert_int_equal(t->frees, n - 63);
	assert_int_equal(sc_heap_nsites(h), 2);
	size_t np;
	uint64_t width;
	const sc_heap_point *pts = sc_heap_timeline(h, &np, &width);
	assert_true(np <= SC_HEAP_TIMELINE_POINTS);
	assert_true(np * width >= t->duration);
	assert_true(np > SC_HEAP_TIMELINE_POINTS / 4);
	uint64_t hmax = 0, rmax = 0;
	for (size_t i = 0; i < np; i++) {
		if (pts[i].has_heap && pts[i].heap_max > hmax)
			hmax = pts[i].heap_max;
		if (pts[i].has_rss && pts[i].rss > rmax)
			rmax = pts[i].rss;
		if (pts[i].has_heap)
			assert_true(pts[i].heap_min <= pts[i].heap_max);
	}
	assert_int_equal(hmax, t->peak_bytes);
	assert_int_equal(pts[t->peak_time / width].heap_max, t->peak_bytes);
	assert_int_equal(rmax, t->max_rss);
	assert_int_equal(t->max_rss, 1000000 + (n - 1) / 5000 * 5000);
}

/* Many live blocks freed in another order than allocated: every FREE finds its block (deletion
 * from the live table keeps every probe run whole). 20000 blocks at 16-byte steps, freed in a
 * shuffled order, half of them before more allocations reuse the table. */
static void test_many_live(void **state)
{
	struct fixture *x = *state;
	sc_heap *h = x->h;
	enum { N = 20000 };
	static uint64_t order[N];
	for (uint64_t i = 0; i < N; i++) {
		alloc(h, 1 + i, 1, 0x10000 + i * 16, 1, x->A);
		order[i] = 0x10000 + i * 16;
	}
	uint64_t seed = 12345;
	for (size_t i = N - 1; i > 0; i--) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		size_t j = (size_t)((seed >> 33) % (i + 1));
		uint64_t tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	for (size_t i = 0; i < N / 2; i++)
		dealloc(h, 100000 + i, 1, order[i]);
	for (uint64_t i = 0; i < N / 2; i++)
		alloc(h, 200000 + i, 1, 0x1000000 + i * 16, 2, x->B);
	for (size_t i = N / 2; i < N; i++)
		dealloc(h, 300000 + i, 1, order[i]);
	assert_int_equal(sc_heap_finish(h, 400000, true), 0);
	const sc_heap_totals *t = sc_heap_get_totals(h);
	assert_int_equal(t->frees_unknown, 0);
	assert_int_equal(t->frees, N);
	assert_int_equal(t->live_blocks, N / 2);
	assert_int_equal(t->live_bytes, N);
	assert_int_equal(t->peak_bytes, N / 2 + N); /* the B blocks come while half of A lives */
}

/* The timeline's buckets after its width doubled: each keeps the exact lowest, highest and last
 * heap size of its time range and the highest RSS. One 1-byte block every 1 ms for 2 s (heap
 * size k + 1 at k ms), RSS 1000 * k at k ms: 2000 ms in 512 points is 4 ms per point. */
static void test_timeline_buckets(void **state)
{
	struct fixture *x = *state;
	sc_heap *h = x->h;
	const uint64_t ms = 1000000;
	for (uint64_t k = 0; k < 2000; k++) {
		alloc(h, 5 * ms + k * ms, 1, 0x100 + k * 16, 1, x->A);
		assert_int_equal(sc_heap_rss(h, 5 * ms + k * ms, 1000 * k), 0);
	}
	assert_int_equal(sc_heap_finish(h, 5 * ms + 2000 * ms, true), 0);
	size_t n;
	uint64_t width;
	const sc_heap_point *pts = sc_heap_timeline(h, &n, &width);
	assert_int_equal(width, 4 * ms);
	assert_int_equal(n, 500);
	for (size_t i = 0; i < n; i++) {
		assert_true(pts[i].has_heap && pts[i].has_rss);
		assert_int_equal(pts[i].heap_min, 4 * i + 1);
		assert_int_equal(pts[i].heap_max, 4 * i + 4);
		assert_int_equal(pts[i].heap_last, 4 * i + 4);
		assert_int_equal(pts[i].rss, 1000 * (4 * i + 3));
	}
}

/* Size buckets at their edges: bucket i holds 2^(i-1) < size <= 2^i, bucket 0 sizes 0 and 1. */
static void test_size_buckets(void **state)
{
	struct fixture *x = *state;
	static const struct {
		uint64_t size;
		size_t bucket;
	} cases[] = {{0, 0},
		     {1, 0},
		     {2, 1},
		     {3, 2},
		     {4, 2},
		     {5, 3},
		     {64, 6},
		     {65, 7},
		     {1ULL << 40, 40},
		     {(1ULL << 40) + 1, 41},
		     {(1ULL << 63) + 1, 64}};
	size_t n = sizeof(cases) / sizeof(cases[0]);
	for (size_t i = 0; i < n; i++)
		alloc(x->h, i, 1, 0x10 + i * 16, cases[i].size, x->A);
	assert_int_equal(sc_heap_finish(x->h, n, true), 0);
	const sc_heap_bucket *b = sc_heap_size_histogram(x->h);
	uint64_t want[SC_HEAP_SIZE_BUCKETS] = {0};
	for (size_t i = 0; i < n; i++)
		want[cases[i].bucket]++;
	for (size_t i = 0; i < SC_HEAP_SIZE_BUCKETS; i++)
		if (b[i].allocs != want[i])
			fail_msg("bucket %zu (le %llu): %llu allocations, want %llu", i,
				 (unsigned long long)b[i].le, (unsigned long long)b[i].allocs,
				 (unsigned long long)want[i]);
	assert_int_equal(b[64].le, UINT64_MAX);
}

/* sc_heap_add_many gives what sc_heap_add gives, and stops at the first bad event. */
static void test_add_many(void **state)
{
	struct fixture *x = *state;
	sc_heap_event ev[64];
	size_t n = 0;
	for (uint64_t i = 0; i < 40; i++) {
		ev[n++] = (sc_heap_event){.time = 10 * i,
					  .tid = (uint32_t)(i % 3),
					  .kind = SC_HEAP_ALLOC,
					  .addr = 0x100 + i * 16,
					  .size = i + 1,
					  .stack = i % 2 ? x->A : x->C};
		if (i % 4 == 3)
			ev[n++] = (sc_heap_event){.time = 10 * i + 5,
						  .tid = 1,
						  .kind = SC_HEAP_FREE,
						  .addr = 0x100 + (i - 2) * 16};
	}
	assert_int_equal(sc_heap_add_many(x->h, ev, n), 0);
	sc_heap *one = sc_heap_new(x->p, 42);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sc_heap_add(one, &ev[i]), 0);
	assert_int_equal(sc_heap_finish(x->h, 1000, true), 0);
	assert_int_equal(sc_heap_finish(one, 1000, true), 0);
	assert_memory_equal(sc_heap_get_totals(x->h), sc_heap_get_totals(one),
			    sizeof(sc_heap_totals));
	assert_int_equal(sc_heap_get_totals(one)->frees, 10);
	sc_heap_free(one);

	sc_heap *bad = sc_heap_new(x->p, 1);
	ev[2].kind = 7;
	assert_int_equal(sc_heap_add_many(bad, ev, n), -EINVAL);
	assert_int_equal(sc_heap_finish(bad, 1000, true), 0);
	assert_int_equal(sc_heap_get_totals(bad)->allocs, 2);
	sc_heap_free(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_totals_peak_leaks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_exited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_suppress, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leak_kinds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_leak_kinds_none, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_allocator_stats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_realloc_unknown_temporary, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_temporary_realloc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peak_first_reached, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_live, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeline_buckets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_size_buckets, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
