/*
 * baseline.c: saved runs and the comparison of a run against one.
 *
 * A baseline is a whole JSON report (json.c describes it) stored as DIR/NAME.json, so it keeps
 * the environment it was measured in and every sample. Comparing matches benchmarks by id and
 * runs sc_bench_compare_headline (stats.c) on the two sample sets: the change of the headline
 * estimate (the minimum CPU time per iteration, or the slope for instruction counts; see
 * scorch_bench_headline_name) with a bootstrap interval and p-value, and a noise threshold below
 * which any change is "no change".
 *
 * Confirmation: a verdict other than "no change" is believed only if a fresh measurement of the
 * same benchmark (runner.c's sc_bench_measure_again), compared with the same baseline, gives it
 * again. Interference that lasts a whole run, such as another guest busy on the host, shifts
 * every batch of that run alike, so no statistic within the run can tell it from a real change;
 * a second measurement at another moment can. On the shared 2-CPU VM one identical build
 * compared with its own baseline ten times said "regressed" twice (+8.6%, +11.4%) where the
 * other runs gave +1.4% to +3.1%; that is what this is for.
 *
 * Not for: printing the verdicts (output.c), choosing exit codes (main.c).
 */
#include "bench/bench_impl.h"
#include "bench/stats.h"
#include "util/fileio.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *baseline_path(const char *dir, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s.json", dir, name) < 0)
		return NULL;
	return p;
}

static bool valid_baseline_name(const char *n)
{
	if (!n || !*n || n[0] == '.')
		return false;
	return strchr(n, '/') == NULL;
}

int scorch_bench_save_baseline(const scorch_bench_report *r, const char *dir, const char *name)
{
	if (!valid_baseline_name(name) || !dir)
		return -EINVAL;
	int err = sc_mkdir_p(dir);
	if (err < 0)
		return err;
	char *path = baseline_path(dir, name);
	if (!path)
		return -ENOMEM;
	sc_afile f;
	if ((err = sc_afile_open(&f, path)) < 0)
		goto out;
	if (scorch_bench_write_json(r, f.fp) < 0) {
		err = sc_afile_fail(&f, -EIO);
		goto out;
	}
	err = sc_afile_commit(&f);
out:
	free(path);
	return err;
}

static const scorch_bench_result *find_base(const scorch_bench_report *base, const char *id)
{
	for (size_t j = 0; j < base->nresults; j++)
		if (!strcmp(base->results[j].id, id))
			return &base->results[j];
	return NULL;
}

/* Compares r with its baseline result b with cfg's noise, resamples and seed: 1 when r->cmp
 * was filled, 0 when there is nothing to compare (a failed run, another unit, a base of 0). */
static int compare_one(const scorch_bench_config *cfg, scorch_bench_result *r,
		       const scorch_bench_result *b)
{
	if (r->error || !r->nsamples || !b || b->error || !b->nsamples || strcmp(b->unit, r->unit))
		return 0;
	sc_bench_rng rng;
	sc_bench_rng_seed(&rng, cfg->seed ^ sc_bench_hash(r->id) ^ 0x5bd1e995);
	/* The new run's headline; the CPU minimum needs CPU times on both sides. */
	const char *h = r->headline_name ? r->headline_name : "min_cpu";
	bool slope = !strcmp(h, "slope"), cpu = !strcmp(h, "min_cpu") && r->cpu && b->cpu;
	enum sc_bench_stat stat = slope ? SC_BENCH_STAT_SLOPE : SC_BENCH_STAT_MIN;
	int err = sc_bench_compare_headline(
	    stat, b->iters, cpu ? b->cpu : b->wall, b->nsamples, r->iters, cpu ? r->cpu : r->wall,
	    r->nsamples, cfg->noise, 0.05, cfg->resamples, cfg->confidence, &rng, &r->cmp);
	if (err == -EINVAL)
		return 0; /* a base estimate of 0: nothing to compare with */
	return err < 0 ? err : 1;
}

int sc_bench_compare_reports(scorch_bench_report *cur, const scorch_bench_report *base)
{
	for (size_t i = 0; i < cur->nresults; i++) {
		scorch_bench_result *r = &cur->results[i];
		r->has_comparison = false;
		r->confirm_runs = 0;
		r->confirmed = false;
		int err = compare_one(&cur->config, r, find_base(base, r->id));
		if (err < 0)
			return err;
		r->has_comparison = err > 0;
	}
	return 0;
}

/* Measures r again up to `times` times, stopping at the first re-measurement whose verdict
 * differs from r's; an unconfirmed verdict becomes no change. */
static int confirm_one(scorch_bench_suite *s, const scorch_bench_config *c,
		       const scorch_bench_config *cmp_cfg, scorch_bench_result *r,
		       const scorch_bench_result *b, unsigned times)
{
	r->confirm_change[0] = r->cmp.change.point;
	r->confirm_runs = 0;
	r->confirmed = true;
	while (r->confirmed && r->confirm_runs < times) {
		scorch_bench_result again;
		int err = sc_bench_measure_again(s, c, r->id, &again);
		if (err >= 0)
			err = compare_one(cmp_cfg, &again, b);
		if (err < 0) {
			sc_bench_result_release(&again);
			return err;
		}
		r->confirm_change[++r->confirm_runs] = err > 0 ? again.cmp.change.point : NAN;
		r->confirmed = err > 0 && again.cmp.verdict == r->cmp.verdict;
		sc_bench_result_release(&again);
	}
	if (!r->confirmed)
		r->cmp.verdict = SCORCH_BENCH_NO_CHANGE;
	return 0;
}

int sc_bench_confirm_reports(scorch_bench_suite *s, const scorch_bench_config *c,
			     scorch_bench_report *cur, const scorch_bench_report *base)
{
	unsigned times =
	    c->confirm < SCORCH_BENCH_CONFIRM_MAX ? c->confirm : SCORCH_BENCH_CONFIRM_MAX;
	if (!times || (c->measure != SCORCH_BENCH_MEASURE_TIME && !c->clock))
		return 0;
	for (size_t i = 0; i < cur->nresults; i++) {
		scorch_bench_result *r = &cur->results[i];
		if (!r->has_comparison || r->cmp.verdict == SCORCH_BENCH_NO_CHANGE ||
		    r->confirm_runs)
			continue;
		int err = confirm_one(s, c, &cur->config, r, find_base(base, r->id), times);
		if (err < 0)
			return err;
	}
	return 0;
}

int scorch_bench_compare_baseline(scorch_bench_report *r, const char *dir, const char *name,
				  char *msg, size_t msgsize)
{
	sc_diag d;
	sc_diag_clear(&d);
	if (msg && msgsize)
		msg[0] = 0;
	if (!valid_baseline_name(name) || !dir)
		return -EINVAL;
	char *path = baseline_path(dir, name);
	if (!path)
		return -ENOMEM;
	scorch_bench_report base;
	int err = sc_bench_load_report(path, 0, &base, &d);
	if (err < 0 && d.message[0] && msg)
		sc_diag_format(&d, msg, msgsize);
	if (err >= 0)
		err = sc_bench_compare_reports(r, &base);
	if (err >= 0) {
		free(r->baseline_name);
		r->baseline_name = strdup(name);
		if (!r->baseline_name)
			err = -ENOMEM;
	}
	scorch_bench_report_release(&base);
	free(path);
	return err;
}

int scorch_bench_confirm_baseline(scorch_bench_suite *s, const scorch_bench_config *c,
				  scorch_bench_report *r, const char *dir, const char *name,
				  char *msg, size_t msgsize)
{
	sc_diag d;
	sc_diag_clear(&d);
	if (msg && msgsize)
		msg[0] = 0;
	if (!s || !c || !r || !valid_baseline_name(name) || !dir)
		return -EINVAL;
	char *path = baseline_path(dir, name);
	if (!path)
		return -ENOMEM;
	scorch_bench_report base;
	int err = sc_bench_load_report(path, 0, &base, &d);
	if (err < 0 && d.message[0] && msg)
		sc_diag_format(&d, msg, msgsize);
	if (err >= 0)
		err = sc_bench_confirm_reports(s, c, r, &base);
	scorch_bench_report_release(&base);
	free(path);
	return err;
}

size_t scorch_bench_count_regressions(const scorch_bench_report *r, double pct)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nresults; i++) {
		const scorch_bench_result *x = &r->results[i];
		if (!x->has_comparison || x->cmp.verdict != SCORCH_BENCH_REGRESSED)
			continue;
		/* A confirmed regression counts if even its smallest measured change is beyond
		 * pct: the re-measurement may have found it smaller. */
		bool beyond = x->cmp.change.point * 100 > pct;
		for (unsigned k = 1; k <= x->confirm_runs && beyond; k++)
			beyond = x->confirm_change[k] * 100 > pct;
		n += beyond;
	}
	return n;
}

/* Bootstrap draws a file comparison may make in all (about a second or two here): the files'
 * own resamples, each within its range, times their samples could otherwise ask for hours. */
#define COMPARE_DRAWS_MAX 5e8

/* Lowers out->config.resamples so that comparing every result of `out` with `base` stays within
 * COMPARE_DRAWS_MAX draws (never below 100, the smallest a run may ask for). */
static void bound_resamples(scorch_bench_report *out, const scorch_bench_report *base)
{
	double per_resample = 0;
	for (size_t i = 0; i < out->nresults; i++) {
		const scorch_bench_result *b = find_base(base, out->results[i].id);
		if (b)
			per_resample += (double)out->results[i].nsamples + (double)b->nsamples;
	}
	if (per_resample * out->config.resamples <= COMPARE_DRAWS_MAX)
		return;
	double fit = COMPARE_DRAWS_MAX / per_resample;
	out->config.resamples = fit < 100 ? 100 : (unsigned)fit;
}

int sc_bench_compare_files(const char *a_path, const char *b_path, double noise, size_t max_bytes,
			   scorch_bench_report *out, sc_diag *d)
{
	scorch_bench_report a;
	memset(out, 0, sizeof(*out));
	int err = sc_bench_load_report(a_path, max_bytes, &a, d);
	if (err < 0)
		goto out;
	if ((err = sc_bench_load_report(b_path, max_bytes, out, d)) < 0)
		goto out;
	if (noise >= 0)
		out->config.noise = noise;
	bound_resamples(out, &a);
	if ((err = sc_bench_compare_reports(out, &a)) < 0)
		goto out;
	free(out->baseline_name);
	if (!(out->baseline_name = strdup(a_path)))
		err = -ENOMEM;
out:
	scorch_bench_report_release(&a);
	return err;
}
