/*
 * hist.c: the log-linear histogram. See hist.h.
 */
#include "trace/hist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint32_t sc_hist_bucket(uint64_t v)
{
	if (v < SC_HIST_SUB)
		return (uint32_t)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= 5 */
	unsigned shift = e - 5;
	return SC_HIST_SUB + shift * SC_HIST_SUB + (uint32_t)((v >> shift) - SC_HIST_SUB);
}

void sc_hist_bounds(uint32_t bucket, uint64_t *lo, uint64_t *hi)
{
	if (bucket < SC_HIST_SUB) {
		*lo = *hi = bucket;
		return;
	}
	unsigned shift = (bucket - SC_HIST_SUB) / SC_HIST_SUB;
	uint64_t m = SC_HIST_SUB + (bucket - SC_HIST_SUB) % SC_HIST_SUB;
	*lo = m << shift;
	*hi = *lo + ((1ull << shift) - 1);
}

int sc_hist_add(sc_hist *h, uint64_t v)
{
	if (!h->b && !(h->b = calloc(SC_HIST_BUCKETS, sizeof(*h->b))))
		return -ENOMEM;
	h->b[sc_hist_bucket(v)]++;
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum = h->sum + v < h->sum ? UINT64_MAX : h->sum + v;
	return 0;
}

uint64_t sc_hist_quantile(const sc_hist *h, double q)
{
	if (!h->count)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	double r = q * (double)h->count;
	uint64_t rank = (uint64_t)r;
	if ((double)rank < r)
		rank++;
	if (!rank)
		rank = 1;
	uint64_t seen = 0;
	for (uint32_t i = 0; i < SC_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen < rank)
			continue;
		uint64_t lo, hi;
		sc_hist_bounds(i, &lo, &hi);
		uint64_t mid = lo + (hi - lo) / 2;
		return mid < h->min ? h->min : mid > h->max ? h->max : mid;
	}
	return h->max;
}

int sc_hist_merge(sc_hist *to, const sc_hist *from)
{
	if (!from->count)
		return 0;
	if (!to->b && !(to->b = calloc(SC_HIST_BUCKETS, sizeof(*to->b))))
		return -ENOMEM;
	for (uint32_t i = 0; i < SC_HIST_BUCKETS; i++)
		to->b[i] += from->b[i];
	if (!to->count || from->min < to->min)
		to->min = from->min;
	if (from->max > to->max)
		to->max = from->max;
	to->count += from->count;
	to->sum = to->sum + from->sum < to->sum ? UINT64_MAX : to->sum + from->sum;
	return 0;
}

void sc_hist_reset(sc_hist *h)
{
	if (h->b)
		memset(h->b, 0, SC_HIST_BUCKETS * sizeof(*h->b));
	h->count = h->min = h->max = h->sum = 0;
}

void sc_hist_release(sc_hist *h)
{
	free(h->b);
	memset(h, 0, sizeof(*h));
}
