/*
 * test_heap_bench.c: the heap analysis's cost per event, its memory per live block and the
 * writers' time, on a synthetic churn whose totals are known; a unit test with small defaults
 * (checks the totals), the benchmark of docs/performance.md with bigger ones:
 *
 *     build/tests/unit/test_heap_bench [PAIRS [LIVE [STACKS]]]     (defaults 200000 10000 1000)
 *
 * LIVE slots each hold a block; each step frees the block of a random slot (if any) and allocates
 * a new one there (8-byte aligned fresh addresses, 16 to 16399 bytes, a random stack of 8 frames
 * out of STACKS, two threads alternating), so the live set stays LIVE blocks once warm. The
 * events are fed once through sc_heap_add and once through sc_heap_add_many in batches of 1000
 * (what a recorder drains at a time); both must give the same totals.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heap/heap.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t pairs = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
	uint64_t live = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000;
	unsigned nstacks = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 1000;
	if (!pairs || !live || !nstacks) {
		fprintf(stderr, "usage: test_heap_bench [PAIRS [LIVE [STACKS]]] (all > 0)\n");
		return 2;
	}
	sc_profile *p = sc_profile_new();
	sc_stack_id *stacks = malloc(nstacks * sizeof(*stacks));
	for (unsigned i = 0; i < nstacks; i++) {
		uint32_t locs[8];
		for (unsigned k = 0; k < 8; k++)
			locs[k] = (uint32_t)sc_profile_location_for_address(
			    p, 0, 0x1000 + (i * 8 + k) * 16);
		stacks[i] = (sc_stack_id)sc_profile_intern_stack(p, locs, 8);
	}
	/* the events, generated before timing */
	sc_heap_event *ev = malloc(2 * pairs * sizeof(*ev));
	uint64_t *slots = calloc(live, sizeof(*slots)), seed = 1, n = 0, t = 1000;
	uint64_t want_frees = 0, want_bytes = 0;
	for (uint64_t i = 0; i < pairs; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t slot = (seed >> 20) % live;
		if (slots[slot]) {
			ev[n++] = (sc_heap_event){.time = t++,
						  .tid = (uint32_t)(i & 1),
						  .kind = SC_HEAP_FREE,
						  .addr = slots[slot]};
			want_frees++;
		}
		slots[slot] = 0x10000000 + i * 8;
		uint64_t size = 16 + (seed >> 50);
		want_bytes += size;
		ev[n++] = (sc_heap_event){.time = t++,
					  .tid = (uint32_t)(i & 1),
					  .kind = SC_HEAP_ALLOC,
					  .addr = slots[slot],
					  .size = size,
					  .stack = stacks[(seed >> 40) % nstacks]};
	}
	int rc = 0;
	sc_heap_totals totals[2];
	for (int batched = 0; batched < 2; batched++) {
		sc_heap *h = sc_heap_new(p, 1);
		double t0 = now();
		for (uint64_t i = 0; i < n; i += batched ? 1000 : 1) {
			int r = batched ? sc_heap_add_many(h, &ev[i], n - i < 1000 ? n - i : 1000)
					: sc_heap_add(h, &ev[i]);
			if (r < 0) {
				fprintf(stderr, "sc_heap_add: %s\n", strerror(-r));
				return 1;
			}
		}
		if (sc_heap_finish(h, t, true) < 0)
			return 1;
		double t1 = now();
		memcpy(&totals[batched], sc_heap_get_totals(h), sizeof(totals[0]));
		const sc_heap_totals *tt = &totals[batched];
		printf(
		    "%s: %llu events in %.3f s: %.1f ns/event; %llu blocks live; analysis memory "
		    "%.1f MiB (%.0f B per live block)\n",
		    batched ? "sc_heap_add_many" : "sc_heap_add     ", (unsigned long long)n,
		    t1 - t0, (t1 - t0) * 1e9 / (double)n, (unsigned long long)tt->live_blocks,
		    (double)sc_heap_memory(h) / 1048576.0,
		    (double)sc_heap_memory(h) / (double)(tt->live_blocks ? tt->live_blocks : 1));
		if (tt->allocs != pairs || tt->frees != want_frees || tt->frees_unknown ||
		    tt->bytes_allocated != want_bytes || tt->live_blocks != pairs - want_frees) {
			fprintf(stderr, "wrong totals: %llu allocs, %llu frees (%llu unknown)\n",
				(unsigned long long)tt->allocs, (unsigned long long)tt->frees,
				(unsigned long long)tt->frees_unknown);
			rc = 1;
		}
		if (batched) {
			FILE *f = fopen("/dev/null", "w");
			sc_heap_report o = {.command = "bench"};
			double w0 = now();
			int r = sc_heap_write_json(h, &o, f) | sc_heap_write_dhat(h, &o, f) |
				sc_heap_write_pprof(h, SC_HEAP_PROFILE_ALL, f) |
				sc_heap_write_pprof(h, SC_HEAP_PROFILE_PEAK, f) |
				sc_heap_write_timeline(h, f);
			for (int v = SC_HEAP_VIEW_ALLOC; v <= SC_HEAP_VIEW_PEAK; v++)
				r |= sc_heap_write_flamegraph(h, (sc_heap_view)v, f);
			printf("the eight files for %zu sites: %.3f s\n", sc_heap_nsites(h),
			       now() - w0);
			fclose(f);
			if (r)
				rc = 1;
		}
		sc_heap_free(h);
	}
	if (memcmp(&totals[0], &totals[1], sizeof(totals[0]))) {
		fprintf(stderr, "sc_heap_add and sc_heap_add_many disagree\n");
		rc = 1;
	}
	free(ev);
	free(slots);
	free(stacks);
	sc_profile_free(p);
	return rc;
}
