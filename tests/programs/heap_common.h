/*
 * heap_common.h: what the known-answer heap programs (tests/programs/heap_*.c) share.
 *
 * Those programs state, in comments beside each line, the allocations, bytes, frees, leaks and the
 * peak it causes, and tests/cli/heap*.sh check that `scorch heap` reports exactly those numbers.
 * The numbers must be the program's alone, so the programs never use stdio (printf allocates its
 * buffer on first use) nor anything else of libc that allocates behind their back: they write
 * with write(2) through say() and say_u() below, which allocate nothing. What libc still allocates
 * on their behalf (pthread_create's thread-local storage, dlopen's link maps, libstdc++'s
 * emergency exception pool) is named in each program's comment; the checks leave those blocks to
 * "other" (tests/cli/heap_check.py attributes a block to the innermost function of ours on its
 * stack, and to nothing when there is none).
 *
 * Every allocating function is NOINLINE (so it is a frame of its own) and uses the block after the
 * call (KEEP), so that the call to malloc is never a tail call: the function must be on the stack
 * that malloc sees, with its caller above it, up to main.
 */
#ifndef SC_TEST_PROGRAMS_HEAP_COMMON_H
#define SC_TEST_PROGRAMS_HEAP_COMMON_H

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone))
#endif

/* Makes p opaque to the optimizer and orders memory around it: the block counts as used. */
#define KEEP(p) __asm__ volatile("" : : "r"(p) : "memory")

static inline void say(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(fd, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Writes v in decimal. */
static inline void say_u(int fd, uint64_t v)
{
	char buf[24];
	int i = (int)sizeof(buf) - 1;

	buf[i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	say(fd, buf + i);
}

/* "PROG: WHAT failed" on stderr, then exit status 1 without running exit handlers. */
static inline void fail_exit(const char *prog, const char *what)
{
	say(2, prog);
	say(2, ": ");
	say(2, what);
	say(2, " failed\n");
	_exit(1);
}

#endif
