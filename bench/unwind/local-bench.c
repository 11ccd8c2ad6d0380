/*
 * local-bench.c: what a walk of src/agent/unwind_local costs, in ns per frame, on a live stack
 * of this process: main -> (DEPTH frames of local-chain.c) -> qsort (libc) -> callback -> probe,
 * walked from probe's registers ROUNDS times in each configuration:
 *
 *   dwarf, no cache     every frame: _dl_find_object, .eh_frame_hdr search, CIE/FDE programs
 *   auto, cache         the rule cache of the agents (steady state: every rule cached)
 *   auto, cold cache    the cache emptied before each walk (the first sample of a thread)
 *   fp                  frame pointers only, on the copy of the chain built with them
 *   backtrace()         glibc's backtrace (libgcc's unwinder), for comparison
 * The chain without frame pointers is walked by all but fp; fp and a second "auto, cache" line
 * walk the copy with frame pointers. Each line: frames per walk, ns per walk, ns per frame.
 *
 * Usage: local-bench [DEPTH [ROUNDS]]   (defaults 30, 20000). Timing output only; no test
 * depends on it.
 */
#include <execinfo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "agent/unwind_local.h"
#include "local-chain.h"

static int rounds = 20000;
static uint64_t stack_hi;
static sc_lu_cache cache;
static const char *label;
static int fp_chain;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void report(const char *what, int frames, int stop, double ns)
{
	printf("%-34s %-6s %6d %10.0f %8.1f   stop %d\n", what, fp_chain ? "fp" : "no fp", frames,
	       ns / rounds, ns / rounds / frames, stop);
}

static void walk(int mode, sc_lu_cache *c, int reset)
{
	uint64_t pcs[256];
	int n = 0, stop = -1;
	sc_lu_regs r;
	double t0;

	if (c)
		sc_lu_cache_reset(c);
	sc_lu_capture(&r);
	n = sc_lu_unwind(&r, stack_hi, mode, c, pcs, 256, &stop); /* warm */
	t0 = now_ns();
	for (int i = 0; i < rounds; i++) {
		if (reset)
			sc_lu_cache_reset(c);
		n = sc_lu_unwind(&r, stack_hi, mode, c, pcs, 256, &stop);
	}
	report(label, n, stop, now_ns() - t0);
}

static void probe(void)
{
	void *bt[256];
	int n = 0;
	double t0;

	if (!fp_chain) {
		label = "dwarf, no cache";
		walk(SC_AGENT_UNWIND_DWARF, NULL, 0);
		label = "auto, cache";
		walk(SC_AGENT_UNWIND_AUTO, &cache, 0);
		label = "auto, cold cache (reset each walk)";
		walk(SC_AGENT_UNWIND_AUTO, &cache, 1);
		t0 = now_ns();
		for (int i = 0; i < rounds; i++)
			n = backtrace(bt, 256);
		report("glibc backtrace() (libgcc)", n, 0, now_ns() - t0);
	} else {
		label = "fp";
		walk(SC_AGENT_UNWIND_FP, NULL, 0);
		label = "auto, cache";
		walk(SC_AGENT_UNWIND_AUTO, &cache, 0);
	}
}

int main(int argc, char **argv)
{
	int depth = argc > 1 ? atoi(argv[1]) : 30;
	pthread_attr_t a;
	void *addr;
	size_t size;

	if (argc > 2)
		rounds = atoi(argv[2]);
	if (depth < 0 || depth > 200 || rounds <= 0) {
		fprintf(stderr, "usage: local-bench [DEPTH (0-200) [ROUNDS]]\n");
		return 2;
	}
	if (sc_lu_init() < 0) {
		fprintf(stderr, "local-bench: _dl_find_object is missing (glibc < 2.35)\n");
		return 1;
	}
	if (pthread_getattr_np(pthread_self(), &a) || pthread_attr_getstack(&a, &addr, &size)) {
		fprintf(stderr, "local-bench: cannot find the stack\n");
		return 1;
	}
	pthread_attr_destroy(&a);
	stack_hi = (uint64_t)addr + size;
	printf("%-34s %-6s %6s %10s %8s\n", "walk", "chain", "frames", "ns/walk", "ns/frame");
	fp_chain = 0;
	nofp_descend(depth, probe);
	fp_chain = 1;
	fp_descend(depth, probe);
	return 0;
}
