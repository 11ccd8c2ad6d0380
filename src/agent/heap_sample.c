/*
 * heap_sample.c: the heap tracker's sampling (heap_sample.h). An allocation is recorded when the
 * bytes a thread allocated since its last recorded one pass a threshold drawn at random with mean
 * S (exponentially distributed, so that every byte has the same chance 1/S: the allocations
 * recorded are a Poisson sample of the bytes, as tcmalloc samples). A recorded allocation of s
 * bytes stands for s / (1 - exp(-s/S)) bytes (its weight; the division by the chance it had).
 * Unrecorded allocations cost a subtraction; no stack is walked for them. The distances are
 * exponentially distributed, drawn from a per-thread xorshift generator; the logarithm and
 * exponential come from series (the agent links no libm). The set of recorded blocks (so that a
 * free is recorded only for them; probed only when it is not empty) is open addressing over their
 * addresses, 0 empty and 1 deleted, updated by compare-and-swap. In front of it, a counting filter
 * small enough to stay in the caches: a byte per group of the set's home slots counts the blocks
 * whose home is in that group, so that a free of an unrecorded block (nearly every free) costs
 * one load of the filter, not a cache miss in the 2 MiB set. A count that reaches 255 stays
 * there (the group is then always probed).
 */
#include "agent/heap_sample.h"

#include <stdatomic.h>

#define SET_SIZE    (1ull << SC_HEAP_SET_BITS)
#define FILTER_BITS 14 /* 16 KiB of counts, one per 16 home slots of the set */
#define STUCK	    255u

static uint64_t sample_bytes;
static _Atomic uint64_t *sampled_set;
static _Atomic uint64_t sampled_live;
static _Atomic uint8_t filter[1u << FILTER_BITS];

static uint64_t set_slot(uint64_t addr)
{
	return ((addr >> 4) * 0x9e3779b97f4a7c15ull) >> (64 - SC_HEAP_SET_BITS);
}

/* Adds d (1 or -1) to a filter count unless it is stuck at STUCK. */
static void filter_add(uint64_t slot, int d)
{
	_Atomic uint8_t *c = &filter[slot >> (SC_HEAP_SET_BITS - FILTER_BITS)];
	uint8_t v = atomic_load_explicit(c, memory_order_relaxed);
	while (v != STUCK && !atomic_compare_exchange_weak(c, &v, (uint8_t)(v + d)))
		;
}

bool sc_heap_set_add(uint64_t addr)
{
	uint64_t i = set_slot(addr);
	filter_add(i, 1); /* first: a count is never below the blocks it stands for */
	for (uint64_t probes = 0; probes < SET_SIZE; probes++, i = (i + 1) & (SET_SIZE - 1)) {
		uint64_t v = atomic_load_explicit(&sampled_set[i], memory_order_relaxed);
		if ((v == 0 || v == 1) &&
		    atomic_compare_exchange_strong(&sampled_set[i], &v, addr)) {
			atomic_fetch_add(&sampled_live, 1);
			return true;
		}
	}
	filter_add(set_slot(addr), -1);
	return false;
}

bool sc_heap_set_take(uint64_t addr)
{
	if (!atomic_load_explicit(&sampled_live, memory_order_relaxed))
		return false;
	uint64_t home = set_slot(addr), i = home;
	if (!atomic_load_explicit(&filter[home >> (SC_HEAP_SET_BITS - FILTER_BITS)],
				  memory_order_relaxed))
		return false;
	for (uint64_t probes = 0; probes < SET_SIZE; probes++, i = (i + 1) & (SET_SIZE - 1)) {
		uint64_t v = atomic_load_explicit(&sampled_set[i], memory_order_relaxed);
		if (v == 0)
			return false;
		if (v == addr && atomic_compare_exchange_strong(&sampled_set[i], &v, 1)) {
			atomic_fetch_sub(&sampled_live, 1);
			filter_add(home, -1);
			return true;
		}
	}
	return false;
}

/* An exponentially distributed distance with mean sample_bytes. */
static int64_t next_distance(sc_heap_sampler *t)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	double u = (double)((t->rng >> 11) + 1) / 9007199254740993.0; /* (0, 1] */
	/* -ln(u), from a series (the agent links no libm). */
	double x = 0, y = u;
	int k = 0;
	while (y < 0.5) { /* ln(u) = ln(y) - k ln 2 with y in [0.5, 1] */
		y *= 2;
		k++;
	}
	double z = (y - 1) / (y + 1), z2 = z * z, term = z;
	for (int n = 1; n < 40; n += 2) {
		x += term / n;
		term *= z2;
	}
	double ln_u = 2 * x - k * 0.6931471805599453;
	return (int64_t)(-ln_u * (double)sample_bytes) + 1;
}

bool sc_heap_sampled(sc_heap_sampler *t, size_t size, uint64_t *weight)
{
	if (!sample_bytes) {
		*weight = size;
		return true;
	}
	t->until -= (int64_t)size;
	if (t->until > 0)
		return false;
	t->until = next_distance(t);
	/* s / (1 - exp(-s/S)): exp from the same kind of series, for s/S up to 50. */
	double r = (double)size / (double)sample_bytes;
	if (r > 50) {
		*weight = size;
		return true;
	}
	double e = 1, term = 1;
	for (int n = 1; n < 60 && term > 1e-17 * e; n++) {
		term *= r / n;
		e += term;
	}
	double p = 1 - 1 / e; /* 1 - exp(-r) */
	*weight = p > 0 ? (uint64_t)((double)size / p + 0.5) : sample_bytes;
	if (*weight < size)
		*weight = size;
	return true;
}

void sc_heap_sample_start(uint64_t bytes, void *set)
{
	sample_bytes = bytes;
	sampled_set = set;
	atomic_store(&sampled_live, 0);
}

void sc_heap_sampler_start(sc_heap_sampler *s, uint64_t seed)
{
	s->rng = seed ? seed : 1;
	s->until = sample_bytes ? next_distance(s) : 0;
}
