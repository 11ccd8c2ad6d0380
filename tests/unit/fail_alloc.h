/* fail_alloc.h: malloc, calloc and realloc that fail on demand, for the unit tests linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc. Set `countdown` to the number of allocations
 * to let through before one fails with ENOMEM (-1: never); `failed` says whether one did.
 * Include it from exactly one file of a test program. */
#ifndef SCORCH_TESTS_FAIL_ALLOC_H
#define SCORCH_TESTS_FAIL_ALLOC_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

static long countdown = -1; /* allocations left before the failing one; -1: never fail */
static bool failed;

static bool fail_now(void)
{
	if (countdown < 0)
		return false;
	if (countdown-- == 0) {
		failed = true;
		errno = ENOMEM;
		return true;
	}
	return false;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	return fail_now() ? NULL : __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

#endif
