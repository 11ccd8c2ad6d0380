/*
 * test_heap_oom.c: the heap analysis and every writer under allocation failure. Linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc (tests/unit/meson.build), so that every
 * allocation of scorch's code can be made to fail: the run is repeated with the 1st, 2nd, 3rd...
 * allocation failing until one completes without reaching the failure. Each call must then
 * return -ENOMEM (or NULL with errno ENOMEM for sc_heap_new) and leave nothing behind: under
 * ASan (make check), a leak or a use of freed memory on a failure path fails the test.
 *
 * No cmocka: its own allocations would go through the wraps.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap/heap.h"

#include "fail_alloc.h"

static int check(const char *what, int r)
{
	if (r != 0 && r != -ENOMEM) {
		fprintf(stderr, "%s: %d (%s) under allocation failure\n", what, r, strerror(-r));
		exit(1);
	}
	if (r == -ENOMEM && !failed) {
		fprintf(stderr, "%s: -ENOMEM without an allocation failing\n", what);
		exit(1);
	}
	return r;
}

static uint32_t fn_loc(sc_profile *p, const char *name, uint64_t addr)
{
	sc_function f = {.name = (sc_str)sc_profile_intern(p, name)};
	sc_line l = {.function = (uint32_t)sc_profile_add_function(p, &f), .line = 7};
	return (uint32_t)sc_profile_add_location(p, 0, addr, &l, 1);
}

/* One run with the allocation number `n` failing. Returns true when it completed without
 * reaching the failure. */
static bool run(long n, sc_profile *p, const sc_stack_id *stacks, FILE *devnull)
{
	failed = false;
	countdown = n;
	sc_heap *h = sc_heap_new(p, 7);
	if (!h) {
		countdown = -1;
		if (errno != ENOMEM || !failed) {
			fprintf(stderr, "sc_heap_new failed without an allocation failing\n");
			exit(1);
		}
		return false;
	}
	int r = 0;
	/* enough blocks, threads and stacks for every table to grow more than once */
	for (uint64_t i = 0; i < 3000 && !r; i++) {
		sc_heap_event e = {.time = i,
				   .tid = (uint32_t)(i % 40),
				   .kind = SC_HEAP_ALLOC,
				   .addr = 0x1000 + i * 16,
				   .size = i + 1,
				   .stack = stacks[i % 3]};
		r = check("sc_heap_add", sc_heap_add(h, &e));
		if (!r && i % 3 == 0) {
			sc_heap_event f = {
			    .time = i, .tid = 1, .kind = SC_HEAP_FREE, .addr = e.addr};
			r = check("sc_heap_add", sc_heap_add(h, &f));
		}
	}
	if (!r) {
		r = check("sc_heap_finish", sc_heap_finish(h, 5000, true));
		sc_heap_report o = {.command = "oom"};
		if (!r)
			r = check("sc_heap_write_json", sc_heap_write_json(h, &o, devnull));
		if (!r)
			r = check("sc_heap_write_dhat", sc_heap_write_dhat(h, &o, devnull));
		if (!r)
			r = check("sc_heap_write_pprof",
				  sc_heap_write_pprof(h, SC_HEAP_PROFILE_ALL, devnull));
		if (!r)
			r = check("sc_heap_write_pprof",
				  sc_heap_write_pprof(h, SC_HEAP_PROFILE_PEAK, devnull));
		if (!r)
			r = check("sc_heap_write_timeline", sc_heap_write_timeline(h, devnull));
		for (int v = SC_HEAP_VIEW_ALLOC; v <= SC_HEAP_VIEW_PEAK && !r; v++)
			r = check("sc_heap_write_flamegraph",
				  sc_heap_write_flamegraph(h, (sc_heap_view)v, devnull));
	}
	countdown = -1;
	sc_heap_free(h);
	if (!r && failed) {
		fprintf(stderr, "allocation %ld failed but every call succeeded\n", n);
		exit(1);
	}
	return !failed;
}

int main(void)
{
	sc_profile *p = sc_profile_new();
	uint32_t m = fn_loc(p, "main", 0x100), a = fn_loc(p, "a", 0x200), b = fn_loc(p, "b", 0x300);
	uint32_t s0[] = {a, m}, s1[] = {b, m}, s2[] = {b, a, m};
	sc_stack_id stacks[3] = {(sc_stack_id)sc_profile_intern_stack(p, s0, 2),
				 (sc_stack_id)sc_profile_intern_stack(p, s1, 2),
				 (sc_stack_id)sc_profile_intern_stack(p, s2, 3)};
	FILE *devnull = fopen("/dev/null", "w");
	setvbuf(devnull, NULL, _IONBF, 0);
	long n = 0;
	while (!run(n, p, stacks, devnull))
		n++;
	fclose(devnull);
	sc_profile_free(p);
	if (n < 20) {
		fprintf(stderr, "only %ld allocations: the wraps do not reach scorch's code\n", n);
		return 1;
	}
	printf("ok: each of the %ld allocations failed in turn, every call returned -ENOMEM\n", n);
	return 0;
}
