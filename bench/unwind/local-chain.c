/*
 * local-chain.c: the stack local-bench walks, built twice by bench/unwind/meson.build: without
 * frame pointers (LC(x) = nofp_x) and with them (fp_x), -O2, no sibling calls.
 *
 * LC(descend)(depth, probe) goes `depth` frames deep through eight distinct functions (so the
 * walk meets eight different return addresses, not one repeated), then through libc's qsort into
 * a comparison callback, which calls probe(). The build with frame pointers calls probe() without
 * qsort (a frame-pointer walk ends in libc).
 */
#include <stdlib.h>

#include "local-chain.h"

static volatile int sink;
static void (*sort_probe)(void);

static int LC(cmp)(const void *pa, const void *pb)
{
	int a = *(const int *)pa, b = *(const int *)pb;

	if (sort_probe) {
		void (*p)(void) = sort_probe;

		sort_probe = NULL;
		p();
	}
	return (a > b) - (a < b);
}

static int LC(bottom)(void (*probe)(void))
{
	int v[4] = {3, 1, 4, 2};

#ifdef LC_PREFIX_FP
	/* libc has no frame pointers: a frame-pointer walk would end in qsort. */
	probe();
	return sink;
#endif

	sort_probe = probe;
	qsort(v, 4, sizeof v[0], LC(cmp));
	return v[0] + sink;
}

typedef int (*step_fn)(int, void (*)(void));
static const step_fn steps[8];

#define STEP(i)                                                                                    \
	__attribute__((noinline)) static int LC(f##i)(int d, void (*probe)(void))                  \
	{                                                                                          \
		if (d == 0)                                                                        \
			return LC(bottom)(probe) + sink;                                           \
		return steps[(i + 1) % 8](d - 1, probe) * 3 + sink;                                \
	}
STEP(0)
STEP(1)
STEP(2)
STEP(3)
STEP(4)
STEP(5)
STEP(6)
STEP(7)

static const step_fn steps[8] = {LC(f0), LC(f1), LC(f2), LC(f3), LC(f4), LC(f5), LC(f6), LC(f7)};

int LC(descend)(int depth, void (*probe)(void))
{
	return steps[0](depth, probe) + sink;
}
