/*
 * deep.c: a known-answer program with deep stacks, for --depth (issue 8, item 15).
 *
 *   usage: deep [SCALE]      SCALE multiplies the work (default 1.0, about 0.3 s)
 *
 * main calls descend(300), which calls itself down to descend(0); that one spins in deep_work.
 * Every sample of deep_work therefore has more than 300 frames: a recording keeps exactly as many
 * as --depth allows (or kernel.perf_event_max_stack, 127 by default, when that is lower and
 * cannot be raised). tests/cli/depth.sh counts the frames of stacks.folded.
 */
#include "work.h"

#include <stdio.h>

#define DEPTH 300

NOINLINE uint64_t deep_work(uint64_t n)
{
	uint64_t x = 5;

	SPIN(x, n, 0xd6e8feb86659fd93ull); /* expect: deep_work self ~100%, under 301 frames */
	return x;
}

/* The opaque step after the call: no tail call and no loop made of the recursion, so each level
 * keeps its frame. */
NOINLINE uint64_t descend(int level, uint64_t n)
{
	if (level == 0)
		return deep_work(n);
	uint64_t x = descend(level - 1, n);
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

int main(int argc, char **argv)
{
	printf("deep: %llu\n", (unsigned long long)descend(DEPTH, scaled(argc, argv, 1, 3.0)));
	return 0;
}
