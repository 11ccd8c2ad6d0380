/*
 * search.c: the binary search behind SC_UPPER_BOUND; search.h is its manual.
 */
#include "util/search.h"

#include <string.h>

size_t sc_upper_bound_u64(const void *v, size_t n, size_t size, size_t key_off, uint64_t x)
{
	const unsigned char *base = v;
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t key;
		memcpy(&key, base + mid * size + key_off, sizeof(key));
		if (key <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
