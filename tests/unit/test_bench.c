/*
 * test_bench.c: the statistics core of libscorch-bench (src/bench/stats.c) on synthetic data with
 * known answers. No clock is read here: the runner's mechanics are in test_bench_runner.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/stats.h"

#define assert_near(a, b, eps)                                                                     \
	do {                                                                                       \
		double a_ = (a), b_ = (b);                                                         \
		if (!(fabs(a_ - b_) <= (eps)))                                                     \
			fail_msg("%s = %.12g, expected %.12g (+- %g)", #a, a_, b_, (double)(eps)); \
	} while (0)

static void test_slope_exact_linear(void **state)
{
	(void)state;
	double x[50], y[50], r2;
	for (int i = 0; i < 50; i++) {
		x[i] = 7.0 * (i + 1); /* batch sizes d, 2d, ... */
		y[i] = 12.5 * x[i];   /* 12.5 ns per iteration, no noise */
	}
	assert_near(sc_bench_slope(x, y, 50, &r2), 12.5, 1e-12);
	assert_near(r2, 1.0, 1e-12);
	/* Through the origin: y = 2x + 10 at x = 1..3 gives sum(xy)/sum(x^2) = (12+28+48)/14. */
	double x3[] = {1, 2, 3}, y3[] = {12, 14, 16};
	assert_near(sc_bench_slope(x3, y3, 3, NULL), 88.0 / 14.0, 1e-12);
	assert_true(isnan(sc_bench_slope(x3, y3, 0, NULL)));
}

static void test_quantiles_median_mad(void **state)
{
	(void)state;
	double v[] = {9, 1, 7, 3, 5};
	assert_near(sc_bench_median(v, 5), 5, 0);
	double w[] = {4, 1, 3, 2};
	assert_near(sc_bench_median(w, 4), 2.5, 0);
	/* |v - 5| = 4 4 2 2 0: median 2 */
	assert_near(sc_bench_mad(v, 5), 2, 0);
	double s[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
	assert_near(sc_bench_quantile_sorted(s, 11, 0.10), 2.0, 1e-12);
	assert_near(sc_bench_quantile_sorted(s, 11, 0.25), 3.5, 1e-12);
	assert_near(sc_bench_quantile_sorted(s, 11, 0.0), 1, 0);
	assert_near(sc_bench_quantile_sorted(s, 11, 1.0), 11, 0);
	/* numpy.percentile([1,2,3,4], 10) = 1.3 */
	assert_near(sc_bench_quantile_sorted(s, 4, 0.10), 1.3, 1e-12);
	assert_near(sc_bench_mean(s, 11), 6, 1e-12);
	assert_near(sc_bench_stddev(s, 11), sqrt(11.0), 1e-12);
}

/* The quickselect median against sorting, on many random arrays with duplicates. */
static void test_median_matches_sort(void **state)
{
	(void)state;
	sc_bench_rng rng;
	sc_bench_rng_seed(&rng, 42);
	for (int trial = 0; trial < 500; trial++) {
		size_t n = 1 + sc_bench_rng_below(&rng, 40);
		double v[40], s[40];
		for (size_t i = 0; i < n; i++)
			v[i] = s[i] = (double)sc_bench_rng_below(&rng, 8);
		sc_bench_sort(s, n);
		double want = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
		assert_near(sc_bench_median(v, n), want, 0);
	}
}

/* 200 trials of 50 normal samples (mean 100, sd 10): the 95% percentile-bootstrap interval of
 * the mean must cover 100 in 90-99% of them. Seeded, so the count is the same every run. */
static void test_bootstrap_coverage(void **state)
{
	(void)state;
	sc_bench_rng data, boot;
	sc_bench_rng_seed(&data, 7);
	sc_bench_rng_seed(&boot, 8);
	int covered = 0;
	double y[50];
	for (int t = 0; t < 200; t++) {
		for (int i = 0; i < 50; i++)
			y[i] = 100 + 10 * sc_bench_rng_normal(&data);
		double lo, hi;
		assert_int_equal(sc_bench_bootstrap(NULL, y, 50, SC_BENCH_STAT_MEAN, 2000, 0.95,
						    &boot, &lo, &hi),
				 0);
		assert_true(lo <= hi);
		covered += lo <= 100 && 100 <= hi;
	}
	print_message("bootstrap 95%% CI covered the mean in %d of 200 trials\n", covered);
	assert_in_range(covered, 180, 198);
}

/* The slope interval of noisy linear data contains the true slope and narrows with less noise. */
static void test_bootstrap_slope(void **state)
{
	(void)state;
	sc_bench_rng rng;
	sc_bench_rng_seed(&rng, 3);
	double x[60], y[60], lo, hi, lo2, hi2;
	for (int i = 0; i < 60; i++) {
		x[i] = 100.0 * (i + 1);
		y[i] = 5.0 * x[i] * (1 + 0.02 * sc_bench_rng_normal(&rng));
	}
	assert_int_equal(
	    sc_bench_bootstrap(x, y, 60, SC_BENCH_STAT_SLOPE, 2000, 0.95, &rng, &lo, &hi), 0);
	assert_true(lo < 5.0 && 5.0 < hi);
	assert_true(hi - lo < 0.1);
	for (int i = 0; i < 60; i++)
		y[i] = 5.0 * x[i];
	assert_int_equal(
	    sc_bench_bootstrap(x, y, 60, SC_BENCH_STAT_SLOPE, 500, 0.95, &rng, &lo2, &hi2), 0);
	assert_near(lo2, 5.0, 1e-9);
	assert_near(hi2, 5.0, 1e-9);
	assert_int_equal(
	    sc_bench_bootstrap(x, y, 0, SC_BENCH_STAT_SLOPE, 500, 0.95, &rng, &lo, &hi), -EINVAL);
}

static void test_bootstrap_ratio(void **state)
{
	(void)state;
	sc_bench_rng rng;
	sc_bench_rng_seed(&rng, 5);
	double x[40], a[40], b[40], lo, hi;
	for (int i = 0; i < 40; i++) {
		x[i] = i + 1;
		double drift = 1 + 0.05 * sc_bench_rng_normal(&rng); /* hits A and B alike */
		a[i] = 10 * x[i] * drift;
		b[i] = 15 * x[i] * drift;
	}
	assert_int_equal(sc_bench_bootstrap_ratio(x, a, b, 40, 1000, 0.95, &rng, &lo, &hi), 0);
	assert_near(lo, 1.5, 1e-9);
	assert_near(hi, 1.5, 1e-9);
}

/* A crafted sample: 1..20 plus -30, -20, 31 and 50. The expected quartiles and fences are worked
 * out at the asserts (type-7 quantiles over the 24 sorted values). */
static void test_tukey_crafted(void **state)
{
	(void)state;
	double v[24];
	for (int i = 0; i < 20; i++)
		v[i] = i + 1;
	v[20] = -30;
	v[21] = -20;
	v[22] = 31;
	v[23] = 50;
	sc_bench_tukey t;
	unsigned char lab[24];
	assert_int_equal(sc_bench_tukey_classify(v, 24, &t, lab), 0);
	/* sorted: -30 -20 1..20 31 50; q1 at h = 23*0.25 = 5.75: 4 + 0.75 = 4.75;
	 * q3 at h = 17.25: 16 + 0.25 * 1 = 16.25; IQR 11.5. */
	assert_near(t.q1, 4.75, 1e-12);
	assert_near(t.q3, 16.25, 1e-12);
	assert_near(t.low_mild, 4.75 - 17.25, 1e-12);	    /* -12.5 */
	assert_near(t.low_severe, 4.75 - 34.5, 1e-12);	    /* -29.75 */
	assert_near(t.high_mild, 16.25 + 17.25, 1e-12);	    /* 33.5 */
	assert_near(t.high_severe, 16.25 + 34.5, 1e-12);    /* 50.75 */
	assert_int_equal(t.count[SC_BENCH_LOW_SEVERE], 1);  /* -30 */
	assert_int_equal(t.count[SC_BENCH_LOW_MILD], 1);    /* -20 */
	assert_int_equal(t.count[SC_BENCH_HIGH_MILD], 1);   /* 50: above 33.5, below 50.75 */
	assert_int_equal(t.count[SC_BENCH_HIGH_SEVERE], 0); /* 31 is inside the fences */
	assert_int_equal(lab[20], SC_BENCH_LOW_SEVERE);
	assert_int_equal(lab[21], SC_BENCH_LOW_MILD);
	assert_int_equal(lab[22], SC_BENCH_NOT_OUTLIER);
	assert_int_equal(lab[23], SC_BENCH_HIGH_MILD);
	assert_int_equal(lab[0], SC_BENCH_NOT_OUTLIER);
	/* Push one point past the severe fence. */
	v[23] = 1000;
	assert_int_equal(sc_bench_tukey_classify(v, 24, &t, NULL), 0);
	assert_int_equal(t.count[SC_BENCH_HIGH_SEVERE], 1);
	assert_int_equal(t.count[SC_BENCH_HIGH_MILD], 0);
}

static void test_mann_whitney_known(void **state)
{
	(void)state;
	/* Fully separated samples of 10: U_a = 0, mean 50, var 175 -> z = 49.5/13.229 = 3.742,
	 * p = erfc(3.742 / sqrt 2) = 1.83e-4. */
	double a[10], b[10], u;
	for (int i = 0; i < 10; i++) {
		a[i] = i;
		b[i] = 100 + i;
	}
	double p = sc_bench_mann_whitney(a, 10, b, 10, &u);
	assert_near(u, 0, 0);
	assert_near(p, erfc(49.5 / sqrt(175.0) / sqrt(2.0)), 1e-12);
	assert_true(p < 0.001);
	/* Identical samples: U = n^2/2, p = 1. */
	p = sc_bench_mann_whitney(a, 10, a, 10, &u);
	assert_near(u, 50, 1e-12);
	assert_near(p, 1.0, 1e-12);
}

static void fill_normal(double *v, size_t n, double mean, double sd, sc_bench_rng *rng)
{
	for (size_t i = 0; i < n; i++)
		v[i] = mean + sd * sc_bench_rng_normal(rng);
}

/* Two distributions 10% apart are "different" (regressed one way, improved the other); two
 * draws of one distribution are "no change" in at least 9 of 10 seeds. */
static void test_compare_verdicts(void **state)
{
	(void)state;
	double a[100], b[100];
	int different = 0, same = 0;
	for (uint64_t seed = 1; seed <= 10; seed++) {
		sc_bench_rng rng;
		sc_bench_rng_seed(&rng, seed);
		scorch_bench_comparison c;
		fill_normal(a, 100, 100, 5, &rng);
		fill_normal(b, 100, 110, 5.5, &rng);
		assert_int_equal(sc_bench_compare(a, 100, b, 100, 0.02, 0.05, 1000, 0.95, &rng, &c),
				 0);
		different += c.verdict == SCORCH_BENCH_REGRESSED;
		assert_true(c.change.lo < c.change.point && c.change.point < c.change.hi);
		assert_int_equal(sc_bench_compare(b, 100, a, 100, 0.02, 0.05, 1000, 0.95, &rng, &c),
				 0);
		assert_int_equal(c.verdict, SCORCH_BENCH_IMPROVED);

		fill_normal(a, 100, 100, 5, &rng);
		fill_normal(b, 100, 100, 5, &rng);
		assert_int_equal(sc_bench_compare(a, 100, b, 100, 0.02, 0.05, 1000, 0.95, &rng, &c),
				 0);
		same += c.verdict == SCORCH_BENCH_NO_CHANGE;
	}
	print_message("10%% apart: regressed in %d/10; same distribution: no change in %d/10\n",
		      different, same);
	assert_int_equal(different, 10);
	assert_true(same >= 9);
}

/* A shift that is significant but below the noise threshold is "no change". */
static void test_compare_within_noise(void **state)
{
	(void)state;
	double a[200], b[200];
	for (int i = 0; i < 200; i++) {
		a[i] = 100 + (i % 10) * 0.01;
		b[i] = a[i] * 1.01; /* +1%, perfectly separated, below the 2% threshold */
	}
	sc_bench_rng rng;
	sc_bench_rng_seed(&rng, 1);
	scorch_bench_comparison c;
	assert_int_equal(sc_bench_compare(a, 200, b, 200, 0.02, 0.05, 500, 0.95, &rng, &c), 0);
	assert_true(c.p_value < 0.05);
	assert_near(c.change.point, 0.01, 1e-9);
	assert_int_equal(c.verdict, SCORCH_BENCH_NO_CHANGE);
	assert_int_equal(sc_bench_compare(a, 200, b, 200, 0.005, 0.05, 500, 0.95, &rng, &c), 0);
	assert_int_equal(c.verdict, SCORCH_BENCH_REGRESSED);
	assert_int_equal(sc_bench_compare(a, 0, b, 200, 0.02, 0.05, 500, 0.95, &rng, &c), -EINVAL);
}

/* The headline comparison on the minimum: known changes, identical runs, the noise threshold. */
static void test_compare_headline_min(void **state)
{
	(void)state;
	double x[40], ya[40], yb[40];
	sc_bench_rng rng;
	sc_bench_rng_seed(&rng, 3);
	for (int i = 0; i < 40; i++) {
		x[i] = 10.0 * (i + 1);
		/* 100 ns per iteration plus positive noise of up to 30% (interruptions only add).
		 */
		ya[i] = x[i] * (100 + 30 * sc_bench_rng_uniform(&rng));
		if (i % 4 == 0)
			ya[i] = x[i] * 100; /* a quarter undisturbed: exactly 100 ns */
		yb[i] = ya[i] * 1.2;
	}
	scorch_bench_comparison c;
	assert_int_equal(sc_bench_compare_headline(SC_BENCH_STAT_MIN, x, ya, 40, x, yb, 40, 0.05,
						   0.05, 2000, 0.95, &rng, &c),
			 0);
	assert_near(c.base_value, 100, 1e-9);
	assert_near(c.new_value, 120, 1e-9);
	assert_near(c.change.point, 0.2, 1e-12);
	/* Every resample of b is a resample of a scaled by 1.2: both bounds are near +20%. */
	assert_true(c.change.lo > 0.1 && c.change.hi < 0.35);
	assert_true(c.p_value < 0.01);
	assert_int_equal(c.verdict, SCORCH_BENCH_REGRESSED);
	assert_int_equal(sc_bench_compare_headline(SC_BENCH_STAT_MIN, x, yb, 40, x, ya, 40, 0.05,
						   0.05, 2000, 0.95, &rng, &c),
			 0);
	assert_int_equal(c.verdict, SCORCH_BENCH_IMPROVED);
	assert_near(c.change.point, 1 / 1.2 - 1, 1e-12);

	/* The same run against itself: change 0; the resampled changes straddle it (p > 0.5). */
	assert_int_equal(sc_bench_compare_headline(SC_BENCH_STAT_MIN, x, ya, 40, x, ya, 40, 0.05,
						   0.05, 2000, 0.95, &rng, &c),
			 0);
	assert_near(c.change.point, 0, 0);
	assert_true(c.p_value > 0.5);
	assert_int_equal(c.verdict, SCORCH_BENCH_NO_CHANGE);

	/* +3%: clearly significant, but below a 5% threshold; above a 2% one. */
	for (int i = 0; i < 40; i++)
		yb[i] = ya[i] * 1.03;
	assert_int_equal(sc_bench_compare_headline(SC_BENCH_STAT_MIN, x, ya, 40, x, yb, 40, 0.05,
						   0.05, 2000, 0.95, &rng, &c),
			 0);
	assert_near(c.change.point, 0.03, 1e-12);
	assert_int_equal(c.verdict, SCORCH_BENCH_NO_CHANGE);
	assert_int_equal(sc_bench_compare_headline(SC_BENCH_STAT_MIN, x, ya, 40, x, yb, 40, 0.02,
						   0.05, 2000, 0.95, &rng, &c),
			 0);
	assert_int_equal(c.verdict, SCORCH_BENCH_REGRESSED);

	/* Slope: exact linear counts (instructions) 1000 and 1100 per iteration: +10%. */
	for (int i = 0; i < 40; i++) {
		ya[i] = 1000 * x[i];
		yb[i] = 1100 * x[i];
	}
	assert_int_equal(sc_bench_compare_headline(SC_BENCH_STAT_SLOPE, x, ya, 40, x, yb, 40, 0.05,
						   0.05, 500, 0.95, &rng, &c),
			 0);
	assert_near(c.change.point, 0.1, 1e-12);
	assert_near(c.change.lo, 0.1, 1e-12);
	assert_near(c.change.hi, 0.1, 1e-12);
	assert_int_equal(c.verdict, SCORCH_BENCH_REGRESSED);
	assert_int_equal(sc_bench_compare_headline(SC_BENCH_STAT_MIN, x, ya, 0, x, yb, 40, 0.05,
						   0.05, 500, 0.95, &rng, &c),
			 -EINVAL);
}

static void test_complexity_fits(void **state)
{
	(void)state;
	double n[] = {16, 64, 256, 1024, 4096}, t[5];
	scorch_bench_complexity c;
	struct {
		enum scorch_bench_big_o o;
		double (*f)(double);
	} cases[] = {{SCORCH_BENCH_O_1, NULL},
		     {SCORCH_BENCH_O_LOGN, log2},
		     {SCORCH_BENCH_O_N, NULL},
		     {SCORCH_BENCH_O_NLOGN, NULL},
		     {SCORCH_BENCH_O_N2, NULL}};
	for (int k = 0; k < 5; k++) {
		for (int i = 0; i < 5; i++) {
			double N = n[i];
			double g[] = {1, log2(N), N, N * log2(N), N * N};
			t[i] = 3.0 * g[cases[k].o];
		}
		assert_int_equal(sc_bench_fit_complexity(n, t, 5, &c), 0);
		assert_int_equal(c.best, cases[k].o);
		assert_near(c.coef[c.best], 3.0, 1e-9);
		assert_near(c.rms[c.best], 0.0, 1e-9);
	}
	/* Linear with a constant offset and 1% noise still reads as O(N). */
	sc_bench_rng rng;
	sc_bench_rng_seed(&rng, 9);
	for (int i = 0; i < 5; i++)
		t[i] = (50 + 2.0 * n[i]) * (1 + 0.01 * sc_bench_rng_normal(&rng));
	assert_int_equal(sc_bench_fit_complexity(n, t, 5, &c), 0);
	assert_int_equal(c.best, SCORCH_BENCH_O_N);
	assert_string_equal(sc_bench_big_o_name(c.best), "O(N)");
	assert_int_equal(sc_bench_fit_complexity(n, t, 1, &c), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slope_exact_linear),
	    cmocka_unit_test(test_quantiles_median_mad),
	    cmocka_unit_test(test_median_matches_sort),
	    cmocka_unit_test(test_bootstrap_coverage),
	    cmocka_unit_test(test_bootstrap_slope),
	    cmocka_unit_test(test_bootstrap_ratio),
	    cmocka_unit_test(test_tukey_crafted),
	    cmocka_unit_test(test_mann_whitney_known),
	    cmocka_unit_test(test_compare_verdicts),
	    cmocka_unit_test(test_compare_within_noise),
	    cmocka_unit_test(test_compare_headline_min),
	    cmocka_unit_test(test_complexity_fits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
