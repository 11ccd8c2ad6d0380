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
 * Not for: printing the verdicts (output.c), choosing exit codes (main.c).
 */
#include "bench/bench_impl.h"
#include "bench/stats.h"
#include "util/fileio.h"

#include <errno.h>
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
		sc_afile_abort(&f);
		err = -EIO;
		goto out;
	}
	err = sc_afile_commit(&f);
out:
	free(path);
	return err;
}

int sc_bench_compare_reports(scorch_bench_report *cur, const scorch_bench_report *base)
{
	for (size_t i = 0; i < cur->nresults; i++) {
		scorch_bench_result *r = &cur->results[i];
		r->has_comparison = false;
		if (r->error || !r->nsamples)
			continue;
		const scorch_bench_result *b = NULL;
		for (size_t j = 0; j < base->nresults && !b; j++)
			if (!strcmp(base->results[j].id, r->id))
				b = &base->results[j];
		if (!b || b->error || !b->nsamples || strcmp(b->unit, r->unit))
			continue;
		sc_bench_rng rng;
		sc_bench_rng_seed(&rng, cur->config.seed ^ sc_bench_hash(r->id) ^ 0x5bd1e995);
		/* The new run's headline; the CPU minimum needs CPU times on both sides. */
		const char *h = r->headline_name ? r->headline_name : "min_cpu";
		bool slope = !strcmp(h, "slope"), cpu = !strcmp(h, "min_cpu") && r->cpu && b->cpu;
		enum sc_bench_stat stat = slope ? SC_BENCH_STAT_SLOPE : SC_BENCH_STAT_MIN;
		int err = sc_bench_compare_headline(
		    stat, b->iters, cpu ? b->cpu : b->wall, b->nsamples, r->iters,
		    cpu ? r->cpu : r->wall, r->nsamples, cur->config.noise, 0.05,
		    cur->config.resamples, cur->config.confidence, &rng, &r->cmp);
		if (err == -EINVAL)
			continue; /* a base estimate of 0: nothing to compare with */
		if (err < 0)
			return err;
		r->has_comparison = true;
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
	int err = sc_bench_load_report(path, &base, &d);
	if (err == -EINVAL && msg)
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

size_t scorch_bench_count_regressions(const scorch_bench_report *r, double pct)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nresults; i++) {
		const scorch_bench_result *x = &r->results[i];
		if (x->has_comparison && x->cmp.verdict == SCORCH_BENCH_REGRESSED &&
		    x->cmp.change.point * 100 > pct)
			n++;
	}
	return n;
}

int sc_bench_compare_files(const char *a_path, const char *b_path, double noise,
			   scorch_bench_report *out, sc_diag *d)
{
	scorch_bench_report a;
	memset(out, 0, sizeof(*out));
	int err = sc_bench_load_report(a_path, &a, d);
	if (err < 0)
		goto out;
	if ((err = sc_bench_load_report(b_path, out, d)) < 0)
		goto out;
	if (noise >= 0)
		out->config.noise = noise;
	if ((err = sc_bench_compare_reports(out, &a)) < 0)
		goto out;
	free(out->baseline_name);
	if (!(out->baseline_name = strdup(a_path)))
		err = -ENOMEM;
out:
	scorch_bench_report_release(&a);
	return err;
}
