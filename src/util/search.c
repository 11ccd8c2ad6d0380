/*
 * search.c: the binary searches behind SC_UPPER_BOUND and SC_LOWER_BOUND; search.h is their
 * manual.
 */
#include "util/search.h"

#include <stdbool.h>
#include <string.h>

/* The number of leading elements whose key is below x, or at most x when `upper`. */
static size_t bound(const unsigned char *base, size_t n, size_t size, size_t key_off, uint64_t x,
		    bool upper)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t key;
		memcpy(&key, base + mid * size + key_off, sizeof(key));
		if (key < x || (upper && key == x))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t sc_upper_bound_u64(const void *v, size_t n, size_t size, size_t key_off, uint64_t x)
{
	return bound(v, n, size, key_off, x, true);
}

size_t sc_lower_bound_u64(const void *v, size_t n, size_t size, size_t key_off, uint64_t x)
{
	return bound(v, n, size, key_off, x, false);
}
