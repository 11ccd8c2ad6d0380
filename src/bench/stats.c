/*
 * stats.c: see stats.h. The estimators follow the textbook definitions; comments give the
 * reasons for the choices that are not forced (which bootstrap, which test, which fences).
 */
#include "bench/stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* --- PRNG --- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void sc_bench_rng_seed(sc_bench_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t sc_bench_rng_next(sc_bench_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double sc_bench_rng_uniform(sc_bench_rng *r)
{
	return (double)(sc_bench_rng_next(r) >> 11) * 0x1.0p-53;
}

size_t sc_bench_rng_below(sc_bench_rng *r, size_t n)
{
	/* Lemire's multiply-shift: unbiased enough for n far below 2^32, which is all we use. */
	return (size_t)(((unsigned __int128)sc_bench_rng_next(r) * n) >> 64);
}

double sc_bench_rng_normal(sc_bench_rng *r)
{
	double u1 = sc_bench_rng_uniform(r), u2 = sc_bench_rng_uniform(r);
	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* --- Descriptive statistics --- */

double sc_bench_slope(const double *x, const double *y, size_t n, double *r2)
{
	double sxy = 0, sxx = 0;
	for (size_t i = 0; i < n; i++) {
		sxy += x[i] * y[i];
		sxx += x[i] * x[i];
	}
	double slope = sxx > 0 ? sxy / sxx : NAN;
	if (r2) {
		double my = sc_bench_mean(y, n), ssres = 0, sstot = 0;
		for (size_t i = 0; i < n; i++) {
			double e = y[i] - slope * x[i], d = y[i] - my;
			ssres += e * e;
			sstot += d * d;
		}
		*r2 = sstot > 0 ? 1.0 - ssres / sstot : (ssres == 0 ? 1.0 : NAN);
	}
	return slope;
}

double sc_bench_mean(const double *v, size_t n)
{
	if (n == 0)
		return NAN;
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s / (double)n;
}

double sc_bench_stddev(const double *v, size_t n)
{
	if (n < 2)
		return n == 1 ? 0.0 : NAN;
	double m = sc_bench_mean(v, n), s = 0;
	for (size_t i = 0; i < n; i++)
		s += (v[i] - m) * (v[i] - m);
	return sqrt(s / (double)(n - 1));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void sc_bench_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
}

double sc_bench_quantile_sorted(const double *s, size_t n, double p)
{
	if (n == 0)
		return NAN;
	if (p <= 0)
		return s[0];
	if (p >= 1)
		return s[n - 1];
	double h = (double)(n - 1) * p;
	size_t i = (size_t)h;
	if (i + 1 >= n)
		return s[n - 1];
	return s[i] + (h - (double)i) * (s[i + 1] - s[i]);
}

/* k-th smallest (0-based) by quickselect; reorders v. */
static double select_kth(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		double pivot = v[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				double t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	return v[k];
}

/* Median of v, reordering it. */
static double median_inplace(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	double hi = select_kth(v, n, n / 2);
	if (n % 2)
		return hi;
	/* After selection everything below n/2 is <= hi: the lower middle is their maximum. */
	double lo = v[0];
	for (size_t i = 1; i < n / 2; i++)
		if (v[i] > lo)
			lo = v[i];
	return (lo + hi) / 2;
}

double sc_bench_median(const double *v, size_t n)
{
	if (n == 0)
		return NAN;
	double *t = malloc(n * sizeof(*t));
	if (!t)
		return NAN;
	memcpy(t, v, n * sizeof(*t));
	double m = median_inplace(t, n);
	free(t);
	return m;
}

double sc_bench_mad(const double *v, size_t n)
{
	if (n == 0)
		return NAN;
	double *t = malloc(n * sizeof(*t));
	if (!t)
		return NAN;
	memcpy(t, v, n * sizeof(*t));
	double m = median_inplace(t, n);
	for (size_t i = 0; i < n; i++)
		t[i] = fabs(v[i] - m);
	double mad = median_inplace(t, n);
	free(t);
	return mad;
}

/* --- Bootstrap --- */

/* The percentile interval at level `conf` of the resampled estimates est[0..n) (sorted here). */
static void percentile_interval(double *est, size_t n, double conf, double *lo, double *hi)
{
	sc_bench_sort(est, n);
	*lo = sc_bench_quantile_sorted(est, n, (1 - conf) / 2);
	*hi = sc_bench_quantile_sorted(est, n, (1 + conf) / 2);
}

/*
 * The percentile bootstrap: simple, needs no distributional assumption, and with the 50-100
 * samples we take its intervals cover close to their nominal level (the unit test measures it).
 * BCa would be a little more accurate for skewed statistics at several times the cost.
 */
int sc_bench_bootstrap(const double *x, const double *y, size_t n, enum sc_bench_stat stat,
		       unsigned resamples, double conf, sc_bench_rng *rng, double *lo, double *hi)
{
	if (n == 0 || resamples == 0)
		return -EINVAL;
	double *est = malloc(resamples * sizeof(*est));
	double *ry = malloc(n * sizeof(*ry));
	double *rx = malloc(n * sizeof(*rx));
	int r = -ENOMEM;
	if (!est || !ry || !rx)
		goto out;
	for (unsigned b = 0; b < resamples; b++) {
		for (size_t i = 0; i < n; i++) {
			size_t j = sc_bench_rng_below(rng, n);
			ry[i] = y[j];
			if (stat == SC_BENCH_STAT_SLOPE)
				rx[i] = x[j];
		}
		switch (stat) {
		case SC_BENCH_STAT_MEAN:
			est[b] = sc_bench_mean(ry, n);
			break;
		case SC_BENCH_STAT_MEDIAN:
			est[b] = median_inplace(ry, n);
			break;
		case SC_BENCH_STAT_SLOPE:
			est[b] = sc_bench_slope(rx, ry, n, NULL);
			break;
		case SC_BENCH_STAT_MIN:
			est[b] = ry[0];
			for (size_t i = 1; i < n; i++)
				est[b] = fmin(est[b], ry[i]);
			break;
		}
	}
	percentile_interval(est, resamples, conf, lo, hi);
	r = 0;
out:
	free(est);
	free(ry);
	free(rx);
	return r;
}

int sc_bench_bootstrap_ratio(const double *x, const double *ya, const double *yb, size_t n,
			     unsigned resamples, double conf, sc_bench_rng *rng, double *lo,
			     double *hi)
{
	if (n == 0 || resamples == 0)
		return -EINVAL;
	double *est = malloc(resamples * sizeof(*est));
	if (!est)
		return -ENOMEM;
	for (unsigned b = 0; b < resamples; b++) {
		/* Pairs stay together: A and B of one batch ran under the same conditions. */
		double sxa = 0, sxb = 0;
		for (size_t i = 0; i < n; i++) {
			size_t j = sc_bench_rng_below(rng, n);
			sxa += x[j] * ya[j];
			sxb += x[j] * yb[j];
		}
		est[b] = sxa > 0 ? sxb / sxa : NAN; /* the sum(x^2) of both slopes cancels */
	}
	percentile_interval(est, resamples, conf, lo, hi);
	free(est);
	return 0;
}

/* --- Outliers --- */

int sc_bench_tukey_classify(const double *v, size_t n, sc_bench_tukey *t, unsigned char *labels)
{
	memset(t, 0, sizeof(*t));
	if (n == 0)
		return -EINVAL;
	double *s = malloc(n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(s, v, n * sizeof(*s));
	sc_bench_sort(s, n);
	t->q1 = sc_bench_quantile_sorted(s, n, 0.25);
	t->q3 = sc_bench_quantile_sorted(s, n, 0.75);
	free(s);
	double iqr = t->q3 - t->q1;
	t->low_severe = t->q1 - 3.0 * iqr;
	t->low_mild = t->q1 - 1.5 * iqr;
	t->high_mild = t->q3 + 1.5 * iqr;
	t->high_severe = t->q3 + 3.0 * iqr;
	for (size_t i = 0; i < n; i++) {
		enum sc_bench_outlier c = SC_BENCH_NOT_OUTLIER;
		if (v[i] < t->low_severe)
			c = SC_BENCH_LOW_SEVERE;
		else if (v[i] < t->low_mild)
			c = SC_BENCH_LOW_MILD;
		else if (v[i] > t->high_severe)
			c = SC_BENCH_HIGH_SEVERE;
		else if (v[i] > t->high_mild)
			c = SC_BENCH_HIGH_MILD;
		if (c != SC_BENCH_NOT_OUTLIER)
			t->count[c]++;
		if (labels)
			labels[i] = (unsigned char)c;
	}
	return 0;
}

/* --- Comparison --- */

typedef struct ranked {
	double v;
	int from_a;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
	return cmp_double(&((const ranked *)a)->v, &((const ranked *)b)->v);
}

/*
 * Mann-Whitney rather than a t-test: benchmark times are skewed with a long right tail, and a
 * rank test neither assumes normality nor lets one descheduled sample decide the outcome.
 */
double sc_bench_mann_whitney(const double *a, size_t na, const double *b, size_t nb, double *u)
{
	if (u)
		*u = NAN;
	if (na == 0 || nb == 0)
		return 1.0;
	size_t n = na + nb;
	ranked *r = malloc(n * sizeof(*r));
	if (!r)
		return NAN;
	for (size_t i = 0; i < na; i++)
		r[i] = (ranked){a[i], 1};
	for (size_t i = 0; i < nb; i++)
		r[na + i] = (ranked){b[i], 0};
	qsort(r, n, sizeof(*r), cmp_ranked);
	double ra = 0, ties = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && r[j + 1].v == r[i].v)
			j++;
		double rank = (double)(i + j) / 2.0 + 1.0, t = (double)(j - i + 1);
		ties += t * t * t - t;
		for (size_t k = i; k <= j; k++)
			if (r[k].from_a)
				ra += rank;
		i = j + 1;
	}
	free(r);
	double dna = (double)na, dnb = (double)nb, dn = (double)n;
	double ua = ra - dna * (dna + 1) / 2;
	if (u)
		*u = ua;
	double mu = dna * dnb / 2;
	double var = dna * dnb / 12.0 * ((dn + 1) - ties / (dn * (dn - 1)));
	if (var <= 0)
		return 1.0;
	double d = fabs(ua - mu) - 0.5;
	if (d < 0)
		d = 0;
	return erfc(d / sqrt(var) / M_SQRT2);
}

/* The end of both comparisons: the interval of the change from its resampled values est[0..n)
 * (sorted here), and the verdict from out->p_value and out->change.point. */
static void conclude(scorch_bench_comparison *out, double *est, unsigned n, double conf,
		     double noise, double alpha)
{
	percentile_interval(est, n, conf, &out->change.lo, &out->change.hi);

	/* Significance alone is not enough: with many samples a 0.3% shift from a different code
	 * alignment is "significant" and nobody should act on it. The noise threshold says how
	 * large a change must be to matter. */
	out->verdict = SCORCH_BENCH_NO_CHANGE;
	if (out->p_value < alpha && fabs(out->change.point) > noise)
		out->verdict =
		    out->change.point > 0 ? SCORCH_BENCH_REGRESSED : SCORCH_BENCH_IMPROVED;
}

int sc_bench_compare(const double *a, size_t na, const double *b, size_t nb, double noise,
		     double alpha, unsigned resamples, double conf, sc_bench_rng *rng,
		     scorch_bench_comparison *out)
{
	memset(out, 0, sizeof(*out));
	if (na == 0 || nb == 0 || resamples == 0)
		return -EINVAL;
	out->base_median = sc_bench_median(a, na);
	out->new_median = sc_bench_median(b, nb);
	out->p_value = sc_bench_mann_whitney(a, na, b, nb, NULL);
	if (isnan(out->base_median) || isnan(out->new_median) || isnan(out->p_value))
		return -ENOMEM;
	out->change.point = out->new_median / out->base_median - 1;
	out->base_value = out->base_median;
	out->new_value = out->new_median;

	double *est = malloc(resamples * sizeof(*est));
	double *ra = malloc(na * sizeof(*ra));
	double *rb = malloc(nb * sizeof(*rb));
	int r = -ENOMEM;
	if (!est || !ra || !rb)
		goto out;
	for (unsigned k = 0; k < resamples; k++) {
		for (size_t i = 0; i < na; i++)
			ra[i] = a[sc_bench_rng_below(rng, na)];
		for (size_t i = 0; i < nb; i++)
			rb[i] = b[sc_bench_rng_below(rng, nb)];
		est[k] = median_inplace(rb, nb) / median_inplace(ra, na) - 1;
	}
	conclude(out, est, resamples, conf, noise, alpha);
	r = 0;
out:
	free(est);
	free(ra);
	free(rb);
	return r;
}

/* The headline estimator of one sample set (batch sizes x, batch totals y). */
static double headline_of(enum sc_bench_stat stat, const double *x, const double *y, size_t n,
			  double *scratch)
{
	if (stat == SC_BENCH_STAT_SLOPE)
		return sc_bench_slope(x, y, n, NULL);
	double m = INFINITY;
	for (size_t i = 0; i < n; i++) {
		scratch[i] = y[i] / x[i];
		if (scratch[i] < m)
			m = scratch[i];
	}
	if (stat == SC_BENCH_STAT_MIN)
		return m;
	if (stat == SC_BENCH_STAT_MEDIAN)
		return median_inplace(scratch, n);
	return sc_bench_mean(scratch, n);
}

int sc_bench_compare_headline(enum sc_bench_stat stat, const double *xa, const double *ya,
			      size_t na, const double *xb, const double *yb, size_t nb,
			      double noise, double alpha, unsigned resamples, double conf,
			      sc_bench_rng *rng, scorch_bench_comparison *out)
{
	memset(out, 0, sizeof(*out));
	if (na == 0 || nb == 0 || resamples == 0)
		return -EINVAL;
	size_t nmax = na > nb ? na : nb;
	double *est = malloc(resamples * sizeof(*est));
	double *scratch = malloc(nmax * sizeof(*scratch));
	double *rx = malloc(nmax * sizeof(*rx)), *ry = malloc(nmax * sizeof(*ry));
	double *pa = malloc(na * sizeof(*pa)), *pb = malloc(nb * sizeof(*pb));
	int r = -ENOMEM;
	if (!est || !scratch || !rx || !ry || !pa || !pb)
		goto out;
	for (size_t i = 0; i < na; i++)
		pa[i] = ya[i] / xa[i];
	for (size_t i = 0; i < nb; i++)
		pb[i] = yb[i] / xb[i];
	out->base_median = sc_bench_median(pa, na);
	out->new_median = sc_bench_median(pb, nb);
	out->base_value = headline_of(stat, xa, ya, na, scratch);
	out->new_value = headline_of(stat, xb, yb, nb, scratch);
	if (!(out->base_value > 0) || isnan(out->new_value)) {
		r = -EINVAL;
		goto out;
	}
	out->change.point = out->new_value / out->base_value - 1;

	/* Each run resampled on its own; the share of resampled changes on either side of zero
	 * (ties on both) gives a two-sided bootstrap p-value. */
	size_t below = 0, above = 0;
	for (unsigned k = 0; k < resamples; k++) {
		double h[2];
		for (int side = 0; side < 2; side++) {
			const double *x = side ? xb : xa, *y = side ? yb : ya;
			size_t n = side ? nb : na;
			for (size_t i = 0; i < n; i++) {
				size_t j = sc_bench_rng_below(rng, n);
				rx[i] = x[j];
				ry[i] = y[j];
			}
			h[side] = headline_of(stat, rx, ry, n, scratch);
		}
		est[k] = h[1] / h[0] - 1;
		below += est[k] <= 0; /* ties count on both sides: the conservative p */
		above += est[k] >= 0;
	}
	size_t tail = below < above ? below : above;
	out->p_value = fmin(1, 2.0 * (double)(tail + 1) / (resamples + 1));
	conclude(out, est, resamples, conf, noise, alpha);
	r = 0;
out:
	free(est);
	free(scratch);
	free(rx);
	free(ry);
	free(pa);
	free(pb);
	return r;
}

/* --- Complexity --- */

static double big_o_g(enum scorch_bench_big_o o, double n)
{
	switch (o) {
	case SCORCH_BENCH_O_1:
		return 1;
	case SCORCH_BENCH_O_LOGN:
		/* log2 so that N = 1 is not a zero that the fit cannot use; only the coefficient
		 * changes. */
		return n > 1 ? log2(n) : 1;
	case SCORCH_BENCH_O_N:
		return n;
	case SCORCH_BENCH_O_NLOGN:
		return n > 1 ? n * log2(n) : n;
	case SCORCH_BENCH_O_N2:
		return n * n;
	default:
		return NAN;
	}
}

const char *sc_bench_big_o_name(enum scorch_bench_big_o o)
{
	static const char *const names[] = {"O(1)", "O(log N)", "O(N)", "O(N log N)", "O(N^2)"};
	return (unsigned)o < SCORCH_BENCH_O_COUNT ? names[o] : "?";
}

int sc_bench_fit_complexity(const double *n, const double *t, size_t k,
			    scorch_bench_complexity *out)
{
	out->best = SCORCH_BENCH_O_1;
	if (k < 2)
		return -EINVAL;
	double mt = sc_bench_mean(t, k);
	for (size_t i = 0; i < k; i++)
		if (!(n[i] >= 1))
			return -EINVAL;
	for (int o = 0; o < SCORCH_BENCH_O_COUNT; o++) {
		double sgt = 0, sgg = 0;
		for (size_t i = 0; i < k; i++) {
			double g = big_o_g(o, n[i]);
			sgt += g * t[i];
			sgg += g * g;
		}
		double c = sgt / sgg, ss = 0;
		for (size_t i = 0; i < k; i++) {
			double e = t[i] - c * big_o_g(o, n[i]);
			ss += e * e;
		}
		out->coef[o] = c;
		out->rms[o] = sqrt(ss / (double)k) / (mt != 0 ? fabs(mt) : 1);
		/* A relative margin so that numerical dust does not prefer a bigger model. */
		if (out->rms[o] < out->rms[out->best] * (1 - 1e-9) - 1e-12)
			out->best = o;
	}
	return 0;
}
