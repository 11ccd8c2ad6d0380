/*
 * bench_cases.c: a libscorch-bench program whose benchmarks misbehave on purpose, for
 * tests/cli/bench_errors.sh (issue 8, items 3 and 6). Pick one with the filter regex:
 *
 *   ok/add          a small honest loop: the benchmark that finishes before the others fail
 *   fail/setup      its setup calls scorch_bench_fail(-ENOMEM): the run reports it, exit 1
 *   slow/sleep      sleeps 0.2 s per iteration: the samples are cut to fit the measurement time
 *                   (with -t 0.5, 3 samples of 1, 2, 3 iterations instead of 50 of 1..50), and
 *                   a warning says so; it never counts on the machine being fast or slow, since
 *                   a sleep lasts at least its time
 *   empty/nothing   does nothing, whatever `iters` is: below the clock's resolution, warned
 *   crash/segv      writes through a null pointer: SIGSEGV
 *   crash/abort     abort(): SIGABRT
 *   crash/fpe       raise(SIGFPE)
 *   crash/stack     recurses without end: SIGSEGV on an overflowed stack
 *
 * The ids sort so that ok/add runs first (registration order), then the one picked.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "scorch/bench.h"

static void bench_add(scorch_bench_ctx *ctx, uint64_t iters)
{
	(void)ctx;
	uint64_t s = 0;
	for (uint64_t i = 0; i < iters; i++) {
		s += i * 7;
		SCORCH_DO_NOT_OPTIMIZE(s);
	}
}

static void *fail_setup(scorch_bench_ctx *ctx)
{
	scorch_bench_fail(ctx, -ENOMEM);
	return NULL;
}

static void bench_sleep(scorch_bench_ctx *ctx, uint64_t iters)
{
	(void)ctx;
	for (uint64_t i = 0; i < iters; i++) {
		struct timespec ts = {0, 200 * 1000 * 1000};
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
}

static void bench_nothing(scorch_bench_ctx *ctx, uint64_t iters)
{
	(void)ctx;
	(void)iters;
}

static void bench_segv(scorch_bench_ctx *ctx, uint64_t iters)
{
	(void)ctx;
	volatile int *volatile p = NULL;
	for (uint64_t i = 0; i < iters; i++)
		*p = (int)i;
}

static void bench_abort(scorch_bench_ctx *ctx, uint64_t iters)
{
	(void)ctx;
	(void)iters;
	abort();
}

static void bench_fpe(scorch_bench_ctx *ctx, uint64_t iters)
{
	(void)ctx;
	(void)iters;
	raise(SIGFPE);
}

static __attribute__((noinline)) unsigned recurse(volatile unsigned char *prev, unsigned depth)
{
	volatile unsigned char frame[512];
	frame[0] = prev ? prev[0] + 1 : 0;
	if (depth == ~0u) /* never: keeps the compiler from calling the recursion infinite */
		return 0;
	return recurse(frame, depth + 1) + frame[depth % 512];
}

static void bench_stack(scorch_bench_ctx *ctx, uint64_t iters)
{
	(void)ctx;
	(void)iters;
	unsigned r = recurse(NULL, 0);
	SCORCH_DO_NOT_OPTIMIZE(r);
}

static int reg(scorch_bench_suite *s)
{
	const scorch_bench_def defs[] = {
	    {.group = "ok", .name = "add", .fn = bench_add},
	    {.group = "fail", .name = "setup", .fn = bench_add, .setup = fail_setup},
	    {.group = "slow", .name = "sleep", .fn = bench_sleep},
	    {.group = "empty", .name = "nothing", .fn = bench_nothing},
	    {.group = "crash", .name = "segv", .fn = bench_segv},
	    {.group = "crash", .name = "abort", .fn = bench_abort},
	    {.group = "crash", .name = "fpe", .fn = bench_fpe},
	    {.group = "crash", .name = "stack", .fn = bench_stack},
	};
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		int r = scorch_bench_add(s, &defs[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

SCORCH_BENCH_MAIN(reg)
