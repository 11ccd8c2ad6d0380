/*
 * stats.h: the statistics behind libscorch-bench, on plain arrays of doubles.
 *
 * What it is for: everything the runner concludes from its samples: the slope of time against
 * iterations, robust estimators, bootstrap confidence intervals, Tukey's outlier fences, the
 * two-sample comparison behind "improved / regressed / no change", and asymptotic complexity
 * fits. Nothing here reads a clock or a file, so every function is tested on synthetic data
 * with known answers (tests/unit/test_bench.c).
 *
 * Conventions: inputs are borrowed and never modified unless the name says "sort"; functions
 * needing scratch space allocate it and return -ENOMEM on failure. The PRNG is seeded explicitly
 * so a run's intervals are reproducible. Not thread-safe only in that an rng must not be shared.
 *
 * Read next: runner.c (where the samples come from).
 */
#ifndef SC_BENCH_STATS_H
#define SC_BENCH_STATS_H

#include "scorch/bench.h"

#include <stddef.h>
#include <stdint.h>

/* xoshiro256** seeded through splitmix64. */
typedef struct sc_bench_rng {
	uint64_t s[4];
} sc_bench_rng;

void sc_bench_rng_seed(sc_bench_rng *r, uint64_t seed);
uint64_t sc_bench_rng_next(sc_bench_rng *r);
double sc_bench_rng_uniform(sc_bench_rng *r);	      /* [0, 1) */
size_t sc_bench_rng_below(sc_bench_rng *r, size_t n); /* [0, n), n > 0 */
double sc_bench_rng_normal(sc_bench_rng *r);	      /* standard normal */

/* Least squares through the origin, y = slope * x: slope = sum(xy) / sum(x^2). *r2 (may be NULL)
 * receives 1 - SSres/SStot about the mean of y. NaN when n == 0 or all x are 0. */
double sc_bench_slope(const double *x, const double *y, size_t n, double *r2);

double sc_bench_mean(const double *v, size_t n);
double sc_bench_stddev(const double *v, size_t n); /* sample (n - 1) */
void sc_bench_sort(double *v, size_t n);
/* Quantile p in [0, 1] of sorted data by linear interpolation between order statistics
 * (Hyndman-Fan type 7, as R and numpy default). */
double sc_bench_quantile_sorted(const double *sorted, size_t n, double p);
/* Median and median absolute deviation (unscaled: median |v - median|). NaN on failure. */
double sc_bench_median(const double *v, size_t n);
double sc_bench_mad(const double *v, size_t n);

enum sc_bench_stat {
	SC_BENCH_STAT_MEAN,   /* of y */
	SC_BENCH_STAT_MEDIAN, /* of y */
	SC_BENCH_STAT_SLOPE,  /* of the (x, y) pairs */
	SC_BENCH_STAT_MIN,    /* of y / x (sc_bench_compare_headline only) */
};

/* Percentile bootstrap: resamples n items with replacement `resamples` times, computes the
 * statistic of each, and returns the (1-conf)/2 and (1+conf)/2 quantiles in *lo, *hi. x is only
 * read for SC_BENCH_STAT_SLOPE. Returns 0, -EINVAL (n == 0, resamples == 0) or -ENOMEM. */
int sc_bench_bootstrap(const double *x, const double *y, size_t n, enum sc_bench_stat stat,
		       unsigned resamples, double conf, sc_bench_rng *rng, double *lo, double *hi);

/* Paired bootstrap of slope(x, yb) / slope(x, ya): the A/B ratio. */
int sc_bench_bootstrap_ratio(const double *x, const double *ya, const double *yb, size_t n,
			     unsigned resamples, double conf, sc_bench_rng *rng, double *lo,
			     double *hi);

/* Tukey's fences: mild outside [q1 - 1.5 IQR, q3 + 1.5 IQR], severe outside 3 IQR. */
enum sc_bench_outlier {
	SC_BENCH_LOW_SEVERE = 0,
	SC_BENCH_LOW_MILD,
	SC_BENCH_HIGH_MILD,
	SC_BENCH_HIGH_SEVERE,
	SC_BENCH_NOT_OUTLIER,
};

typedef struct sc_bench_tukey {
	double q1, q3;
	double low_severe, low_mild, high_mild, high_severe; /* the four fences */
	unsigned count[4];				     /* indexed by sc_bench_outlier */
} sc_bench_tukey;

/* Classifies v[0..n); labels (may be NULL) receives one sc_bench_outlier per item. Returns 0,
 * -EINVAL (n == 0) or -ENOMEM. */
int sc_bench_tukey_classify(const double *v, size_t n, sc_bench_tukey *t, unsigned char *labels);

/* Mann-Whitney U, normal approximation with tie correction and continuity correction. Returns the
 * two-sided p-value (1 when either sample is empty) and U of a in *u (may be NULL); NaN on
 * allocation failure. */
double sc_bench_mann_whitney(const double *a, size_t na, const double *b, size_t nb, double *u);

/* Compares per-iteration times of a baseline `a` with a new run `b`: change = median(b) /
 * median(a) - 1 with a bootstrap CI (each sample resampled independently), p from Mann-Whitney.
 * Verdict: "no change" unless p < alpha and |change| > noise; then regressed when b is slower,
 * improved when faster. Returns 0, -EINVAL (an empty sample) or -ENOMEM. */
int sc_bench_compare(const double *a, size_t na, const double *b, size_t nb, double noise,
		     double alpha, unsigned resamples, double conf, sc_bench_rng *rng,
		     scorch_bench_comparison *out);

/* Compares two runs, each given as batch sizes x and batch totals y, on one estimator of the time
 * per iteration: SLOPE (of the pairs), MIN, MEDIAN or MEAN (of y / x). change = estimate(b) /
 * estimate(a) - 1; its CI and the two-sided p-value come from a percentile bootstrap that
 * resamples each run's batches on its own (p = 2 * the smaller share of resampled changes on one
 * side of zero, counting zeros on both sides, at most 1). Verdict as sc_bench_compare: "no change"
 * unless p < alpha and |change| > noise. base_value/new_value get the estimates,
 * base_median/new_median the medians of y / x. Returns 0, -EINVAL (empty, or a base estimate <= 0)
 * or -ENOMEM. */
int sc_bench_compare_headline(enum sc_bench_stat stat, const double *xa, const double *ya,
			      size_t na, const double *xb, const double *yb, size_t nb,
			      double noise, double alpha, unsigned resamples, double conf,
			      sc_bench_rng *rng, scorch_bench_comparison *out);

/* Fits t = c * g(N) for each g of enum scorch_bench_big_o by least squares through the origin
 * and picks the model with the smallest normalized RMS of residuals (log is natural; ties go to
 * the simpler model). Needs k >= 2 points with N >= 1. Returns 0 or -EINVAL. */
int sc_bench_fit_complexity(const double *n, const double *t, size_t k,
			    scorch_bench_complexity *out);
const char *sc_bench_big_o_name(enum scorch_bench_big_o o);

#endif
