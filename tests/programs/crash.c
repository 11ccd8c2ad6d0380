/*
 * crash.c: a program that dies of SIGSEGV after doing some work.
 *
 *   usage: crash [SCALE]    SCALE multiplies the work (default 1.0, about 0.5 s)
 *
 * crash_work runs for about half a second, then main stores through a NULL pointer. Expected
 * from `scorch record -- crash`: the profile is still written, crash_work has ~100% of the
 * samples, and scorch exits with 139 (128 + SIGSEGV) like a shell would. Core dumps are turned
 * off first so that the test does not leave (or wait for) one.
 */
#include <stdio.h>
#include <sys/resource.h>

#include "work.h"

NOINLINE uint64_t crash_work(uint64_t n)
{
	uint64_t x = 9;

	SPIN(x, n, 0x9e3779b97f4a7c15ull); /* expect: crash_work self ~100% */
	return x;
}

int main(int argc, char **argv)
{
	const struct rlimit no_core = {0, 0};
	/* volatile twice: the compiler must not see that p is NULL (-O2 would replace the store by
	 * a trap instruction: SIGILL, not SIGSEGV), nor drop the store as dead. */
	volatile int *volatile p = NULL;
	uint64_t x;

	setrlimit(RLIMIT_CORE, &no_core);
	x = crash_work(scaled(argc, argv, 1, 4.5));
	printf("crash: %llu\n", (unsigned long long)x);
	fflush(stdout);
	*p = (int)x; /* expect: SIGSEGV here; exit status 139 */
	return 0;
}
