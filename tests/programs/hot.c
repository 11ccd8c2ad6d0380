/*
 * hot.c: three functions with fixed shares of the CPU time. The simplest known answer.
 *
 *   usage: hot [SCALE]      SCALE multiplies the work (default 1.0, about 1.5 s)
 *
 * main calls hot_a, hot_b and hot_c once each; they run the same loop (work.h) for 5:3:2 units,
 * so a CPU profile must attribute 50% / 30% / 20% of the samples to them as self time, and about
 * 100% of the total to main. tests/cli/hot.sh checks this within 5 points.
 */
#include <stdio.h>

#include "work.h"

NOINLINE uint64_t hot_a(uint64_t n)
{
	uint64_t x = 1;

	SPIN(x, n, 0x9e3779b97f4a7c15ull); /* expect: hot_a self 50% */
	return x;
}

NOINLINE uint64_t hot_b(uint64_t n)
{
	uint64_t x = 2;

	SPIN(x, n, 0xbf58476d1ce4e5b9ull); /* expect: hot_b self 30% */
	return x;
}

NOINLINE uint64_t hot_c(uint64_t n)
{
	uint64_t x = 3;

	SPIN(x, n, 0x94d049bb133111ebull); /* expect: hot_c self 20% */
	return x;
}

int main(int argc, char **argv)
{
	uint64_t sum = 0;

	sum += hot_a(scaled(argc, argv, 1, 9.0)); /* expect: main;hot_a 50% */
	sum += hot_b(scaled(argc, argv, 1, 5.4)); /* expect: main;hot_b 30% */
	sum += hot_c(scaled(argc, argv, 1, 3.6)); /* expect: main;hot_c 20% */
	printf("hot: %llu\n", (unsigned long long)sum);
	return 0;
}
