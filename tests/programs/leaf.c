/*
 * leaf.c: a frameless leaf function called from three callers. Tests the frame-pointer leaf fix.
 *
 *   usage: leaf [SCALE]     SCALE multiplies the work (default 1.0, about 1.2 s)
 *
 * leaf_work calls nothing, so GCC gives it no frame even with -fno-omit-frame-pointer (x86-64
 * omits leaf frame pointers by default; check: objdump -d leaf | grep -A3 '<leaf_work>:' shows no
 * `push %rbp`). While a sample lands in it, %rbp still points at the caller's frame, so a naive
 * frame-pointer walk reports main as leaf_work's parent and loses the caller. The return address
 * is at 0(%rsp) on entry and the loop never moves %rsp, so a profiler that handles leaves must
 * show each caller as leaf_work's direct parent.
 *
 * The callers do almost nothing themselves and call leaf_work with 1:2:3 units of work:
 *   main;caller_one;leaf_work     1/6 = 16.7% of samples
 *   main;caller_two;leaf_work     2/6 = 33.3%
 *   main;caller_three;leaf_work   3/6 = 50.0%
 * and leaf_work has about 100% self time. tests/cli/leaf.sh checks this within 5 points.
 */
#include <stdio.h>

#include "work.h"

NOINLINE uint64_t leaf_work(uint64_t n, uint64_t k)
{
	uint64_t x = k;

	SPIN(x, n, k | 1); /* expect: leaf_work self ~100% */
	return x;
}

/* Each caller does a little arithmetic after the call so that it cannot become a tail call
 * (a `jmp leaf_work` would leave no caller frame at all). */
NOINLINE uint64_t caller_one(uint64_t n)
{
	return leaf_work(n, 0x1111) ^ 1; /* expect: caller_one;leaf_work 16.7% */
}

NOINLINE uint64_t caller_two(uint64_t n)
{
	return leaf_work(n, 0x2222) ^ 2; /* expect: caller_two;leaf_work 33.3% */
}

NOINLINE uint64_t caller_three(uint64_t n)
{
	return leaf_work(n, 0x3333) ^ 3; /* expect: caller_three;leaf_work 50.0% */
}

int main(int argc, char **argv)
{
	uint64_t unit = scaled(argc, argv, 1, 2.0), sum = 0;

	sum += caller_one(1 * unit);
	sum += caller_two(2 * unit);
	sum += caller_three(3 * unit);
	printf("leaf: %llu\n", (unsigned long long)sum);
	return 0;
}
