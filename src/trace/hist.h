/*
 * hist.h: a log-linear histogram of durations (nanoseconds) for span statistics: percentiles
 * without keeping every value.
 *
 * Values below 32 are counted exactly; above, each power of two [2^e, 2^(e+1)) is cut into 32
 * buckets of equal width, so a bucket is at most 1/32 of its lower bound wide. A percentile is
 * its bucket's midpoint, clamped to the exact minimum and maximum: within 1/64 (1.6%) of a value
 * of the requested rank. 1920 buckets (15 KiB) cover every uint64_t; they are allocated at the
 * first value. Count, sum, min and max are exact.
 *
 * Used by the trace model (model.c) and the live console. Not thread-safe.
 */
#ifndef SC_TRACE_HIST_H
#define SC_TRACE_HIST_H

#include <stdint.h>

#define SC_HIST_SUB	32u
#define SC_HIST_BUCKETS (SC_HIST_SUB + 59u * SC_HIST_SUB)
/* The relative error of a percentile, for the documentation and the outputs. */
#define SC_HIST_REL_ERROR (1.0 / (2.0 * SC_HIST_SUB))

typedef struct sc_hist {
	uint64_t *b; /* SC_HIST_BUCKETS counts, NULL while empty */
	uint64_t count, min, max;
	uint64_t sum; /* saturates at UINT64_MAX */
} sc_hist;

/* 0 or -ENOMEM (the histogram is unchanged then). A zeroed sc_hist is empty and valid. */
int sc_hist_add(sc_hist *h, uint64_t v);
/* The value of rank ceil(q * count) (q in [0, 1]), within SC_HIST_REL_ERROR; 0 when empty. */
uint64_t sc_hist_quantile(const sc_hist *h, double q);
/* Adds every value of `from` to `to`. 0 or -ENOMEM. */
int sc_hist_merge(sc_hist *to, const sc_hist *from);
void sc_hist_reset(sc_hist *h); /* empty again; keeps the buckets' memory */
void sc_hist_release(sc_hist *h);

/* The bucket of v and a bucket's bounds [lo, hi] (for tests). */
uint32_t sc_hist_bucket(uint64_t v);
void sc_hist_bounds(uint32_t bucket, uint64_t *lo, uint64_t *hi);

#endif
