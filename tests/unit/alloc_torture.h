/*
 * alloc_torture.h: allocation failure injection for the unit tests of code that must survive
 * malloc failing (the parsers and writers: test_pprof, test_folded).
 *
 * The test program replaces malloc, calloc, realloc and free (glibc allows that: the real ones
 * stay reachable as __libc_*) to fail the Nth allocation and to count live blocks, so a test can
 * fail each allocation of a call in turn and check that it returns -ENOMEM and frees everything it
 * took:
 *
 *     long before = live_blocks;
 *     fail_countdown = i;                     fail the allocation after i successful ones
 *     int r = call();
 *     bool injected = fail_countdown < 0;     false: the call needed fewer than i + 1
 *     fail_countdown = -1;                    never fail again
 *     ... r == -ENOMEM, live_blocks == before
 *
 * Not under ASan, which brings its own malloc: ALLOC_TORTURE is 0 there and nothing is defined
 * (tests skip with a message). The header holds definitions, not declarations: include it in
 * exactly one file of a test program (its test_*.c), after <cmocka.h>.
 */
#ifndef SC_TESTS_ALLOC_TORTURE_H
#define SC_TESTS_ALLOC_TORTURE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SC_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(SC_UNDER_ASAN)
#define ALLOC_TORTURE 0
#else
#define ALLOC_TORTURE 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static long fail_countdown = -1; /* fail when it reaches 0; -1: never */
static long live_blocks;

static bool should_fail(void)
{
	if (fail_countdown < 0 || fail_countdown-- != 0)
		return false;
	errno = ENOMEM; /* as the real allocator does: fopen and strdup report it */
	return true;
}

void *malloc(size_t n)
{
	void *p = should_fail() ? NULL : __libc_malloc(n);
	live_blocks += p != NULL;
	return p;
}

void *calloc(size_t n, size_t size)
{
	void *p = should_fail() ? NULL : __libc_calloc(n, size);
	live_blocks += p != NULL;
	return p;
}

void *realloc(void *old, size_t n)
{
	if (should_fail())
		return NULL;
	void *p = __libc_realloc(old, n);
	live_blocks += !old && p;
	return p;
}

void free(void *p)
{
	live_blocks -= p != NULL;
	__libc_free(p);
}
#endif

#endif
