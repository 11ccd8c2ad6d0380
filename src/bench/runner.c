/*
 * runner.c: registration and sampling, the part of libscorch-bench that touches a clock.
 *
 * For each benchmark instance (a def at one argument) the runner
 *   1. warms up: batches of 1, 2, 4, ... iterations until warmup_s has passed on the clock,
 *      which also estimates the time per iteration t;
 *   2. picks d so that the n samples of 1d, 2d, ... nd iterations take about measure_s in all:
 *      d = ceil(measure / (t * n(n+1)/2)), at least 1;
 *   3. takes the samples, each with its own untimed setup and teardown around the timed call,
 *      recording wall (innermost) and CPU time;
 *   4. computes the estimates (sc_bench_estimate) with stats.c, the headline among them (the
 *      smallest CPU time per iteration, or the slope when counting instructions).
 * Counting instructions under callgrind (callgrind.c) reads the clock in start/stop pairs, so
 * the warm-up is then a single one-iteration batch.
 * A/B pairs run both variants in each batch, alternating which goes first.
 * sc_bench_measure_again repeats all of this for one instance: baseline.c uses it to confirm a
 * verdict against a baseline with a second, independent measurement.
 *
 * The clock is injectable (scorch_bench_config.clock): the tests drive the runner with a fake
 * clock the benchmark itself advances, which makes every figure exact. Instruction counting is
 * the same machinery with a clock that reads the counter.
 *
 * Not for: printing (main.c), file formats (output.c, json.c).
 */
#include "bench/bench_impl.h"
#include "bench/stats.h"

#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* --- Suite --- */

scorch_bench_suite *scorch_bench_suite_new(void)
{
	return calloc(1, sizeof(scorch_bench_suite));
}

static void entry_release(sc_bench_entry *e)
{
	free(e->id);
	free(e->group);
	free(e->name);
	free(e->name_a);
	free(e->name_b);
}

void scorch_bench_suite_free(scorch_bench_suite *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->entries.len; i++)
		entry_release(&s->entries.data[i]);
	sc_vec_release(&s->entries);
	free(s);
}

static bool valid_name(const char *n)
{
	if (!n || !*n)
		return false;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return false;
	return true;
}

static char *make_id(const char *group, const char *name, bool has_arg, int64_t arg)
{
	char *id = NULL;
	int n;
	if (has_arg)
		n = asprintf(&id, "%s%s%s/%lld", group ? group : "", group ? "/" : "", name,
			     (long long)arg);
	else
		n = asprintf(&id, "%s%s%s", group ? group : "", group ? "/" : "", name);
	return n < 0 ? NULL : id;
}

static bool id_taken(const scorch_bench_suite *s, const char *id)
{
	for (size_t i = 0; i < s->entries.len; i++)
		if (!strcmp(s->entries.data[i].id, id))
			return true;
	return false;
}

static int add_entries(scorch_bench_suite *s, const char *name, const scorch_bench_def *a,
		       const scorch_bench_def *b)
{
	if (!s || !a || !a->fn || !valid_name(name) || (a->group && !valid_name(a->group)))
		return -EINVAL;
	if (b && (!b->fn || b->nargs != a->nargs ||
		  (a->nargs && memcmp(a->args, b->args, a->nargs * sizeof(*a->args)))))
		return -EINVAL;
	if (a->nargs && !a->args)
		return -EINVAL;
	size_t count = a->nargs ? a->nargs : 1, first = s->entries.len;
	for (size_t k = 0; k < count; k++) {
		char *id = make_id(a->group, name, a->nargs > 0, a->nargs ? a->args[k] : 0);
		if (!id)
			goto nomem;
		if (id_taken(s, id)) {
			free(id);
			goto inval;
		}
		sc_bench_entry e = {.id = id,
				    .arg = a->nargs ? a->args[k] : 0,
				    .arg_b = a->nargs ? a->args[k] : 0,
				    .has_arg = a->nargs > 0,
				    .def = *a};
		e.name = strdup(name);
		e.group = a->group ? strdup(a->group) : NULL;
		if (b) {
			e.is_ab = true;
			e.def_b = *b;
			e.name_a = strdup(a->name ? a->name : "A");
			e.name_b = strdup(b->name ? b->name : "B");
		}
		if (!e.name || (a->group && !e.group) || (b && (!e.name_a || !e.name_b)) ||
		    sc_vec_push(&s->entries, e) < 0) {
			entry_release(&e);
			goto nomem;
		}
		sc_bench_entry *p = &s->entries.data[s->entries.len - 1];
		p->def.name = p->name;
		p->def.group = p->group;
		p->def.args = NULL;
		p->def_b.args = NULL;
	}
	return 0;
nomem:
	while (s->entries.len > first)
		entry_release(&s->entries.data[--s->entries.len]);
	return -ENOMEM;
inval:
	while (s->entries.len > first)
		entry_release(&s->entries.data[--s->entries.len]);
	return -EINVAL;
}

int scorch_bench_add(scorch_bench_suite *s, const scorch_bench_def *def)
{
	return add_entries(s, def ? def->name : NULL, def, NULL);
}

int scorch_bench_add_ab(scorch_bench_suite *s, const char *name, const scorch_bench_def *a,
			const scorch_bench_def *b)
{
	if (!b)
		return -EINVAL;
	return add_entries(s, name, a, b);
}

int sc_bench_add_ab_entries(scorch_bench_suite *s, const char *name, size_t ia, size_t ib)
{
	if (ia >= s->entries.len || ib >= s->entries.len)
		return -EINVAL;
	const sc_bench_entry *a = &s->entries.data[ia], *b = &s->entries.data[ib];
	if (a->is_ab || b->is_ab)
		return -EINVAL;
	scorch_bench_def da = a->def, db = b->def;
	int64_t arg_b = b->arg;
	da.group = NULL;
	da.args = NULL;
	da.nargs = 0;
	db.args = NULL;
	db.nargs = 0;
	int r = add_entries(s, name, &da, &db);
	if (r < 0)
		return r;
	/* The pair's ids carry no argument: each variant keeps its own. */
	sc_bench_entry *e = &s->entries.data[s->entries.len - 1];
	e->arg = s->entries.data[ia].arg;
	e->arg_b = arg_b;
	return 0;
}

size_t scorch_bench_count(const scorch_bench_suite *s)
{
	return s ? s->entries.len : 0;
}

const char *scorch_bench_id(const scorch_bench_suite *s, size_t i)
{
	return s && i < s->entries.len ? s->entries.data[i].id : NULL;
}

/* --- Context accessors --- */

int64_t scorch_bench_arg(const scorch_bench_ctx *ctx)
{
	return ctx->arg;
}

void *scorch_bench_user(const scorch_bench_ctx *ctx)
{
	return ctx->def->user;
}

void *scorch_bench_fixture(const scorch_bench_ctx *ctx)
{
	return ctx->fixture;
}

void scorch_bench_set_throughput(scorch_bench_ctx *ctx, enum scorch_bench_throughput k,
				 uint64_t per_iter)
{
	ctx->tp_kind = k;
	ctx->tp = per_iter;
}

void scorch_bench_fail(scorch_bench_ctx *ctx, int err)
{
	ctx->error = err < 0 ? err : -EIO;
}

const char *scorch_bench_headline_name(const scorch_bench_report *r)
{
	for (size_t i = 0; r && i < r->nresults; i++)
		if (r->results[i].headline_name)
			return r->results[i].headline_name;
	return r && r->config.measure == SCORCH_BENCH_MEASURE_INSTRUCTIONS ? "slope" : "min_cpu";
}

/* --- Config --- */

void scorch_bench_config_init(scorch_bench_config *c)
{
	memset(c, 0, sizeof(*c));
	c->warmup_s = 0.5;
	c->measure_s = 2.0;
	c->samples = 50;
	c->resamples = 10000;
	c->confidence = 0.95;
	c->noise = 0.05;
	c->unstable_mad = 0.05;
	c->unstable_ci = 0.10;
	c->seed = 1;
	c->repeat = 1;
	c->repeat_cv = 0.05;
	c->confirm = 1;
}

/* --- Clocks --- */

static uint64_t ts_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ns(void *data)
{
	(void)data;
	return ts_ns(CLOCK_MONOTONIC);
}

static uint64_t thread_cpu_ns(void *data)
{
	(void)data;
	return ts_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* --- Sampling --- */

/* One batch: untimed setup, timed body, untimed teardown. Adds the timed totals to *w, *c. */
static void run_batch(scorch_bench_ctx *ctx, const scorch_bench_def *def, uint64_t iters,
		      const scorch_bench_clock *clk, double *w, double *c)
{
	ctx->def = def;
	ctx->arg = def == &ctx->entry->def_b ? ctx->entry->arg_b : ctx->entry->arg;
	ctx->fixture = def->setup ? def->setup(ctx) : NULL;
	if (ctx->error)
		goto teardown;
	uint64_t c0 = clk->cpu ? clk->cpu(clk->data) : 0;
	uint64_t w0 = clk->wall(clk->data);
	def->fn(ctx, iters);
	uint64_t w1 = clk->wall(clk->data);
	uint64_t c1 = clk->cpu ? clk->cpu(clk->data) : 0;
	*w = (double)(w1 - w0);
	*c = (double)(c1 - c0);
teardown:
	if (def->teardown)
		def->teardown(ctx, ctx->fixture);
	ctx->fixture = NULL;
}

static void result_release(scorch_bench_result *r)
{
	free(r->id);
	free(r->group);
	free(r->name);
	free(r->iters);
	free(r->wall);
	free(r->cpu);
	free(r->name_a);
	free(r->name_b);
	free(r->wall_b);
	memset(r, 0, sizeof(*r));
}

void sc_bench_result_release(scorch_bench_result *r)
{
	if (r)
		result_release(r);
}

uint64_t sc_bench_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* A slow body may overrun measure_s this many times before its samples are cut (see below). */
#define SLOW_SLACK 5
/* ... but never to fewer samples than this. */
#define SLOW_MIN_SAMPLES 3

/* `paired`: the clock must be read exactly twice per batch (callgrind.c), so the warm-up is one
 * batch of one iteration instead of a timed loop; a count needs no warming anyway.
 * `floor_ns` > 0: flag the result below_resolution when most batches took less than it. */
static int run_entry(const sc_bench_entry *e, const scorch_bench_config *c,
		     const scorch_bench_clock *clk, bool paired, double floor_ns,
		     scorch_bench_result *r)
{
	int err = 0;
	scorch_bench_ctx ctx = {
	    .entry = e, .def = &e->def, .tp_kind = e->def.throughput_kind, .tp = e->def.throughput};
	if (ctx.tp_kind && !ctx.tp && e->has_arg && e->arg > 0)
		ctx.tp = (uint64_t)e->arg;

	memset(r, 0, sizeof(*r));
	r->id = strdup(e->id);
	r->name = strdup(e->name);
	r->group = e->group ? strdup(e->group) : NULL;
	r->arg = e->arg;
	r->has_arg = e->has_arg;
	r->is_ab = e->is_ab;
	r->unit = c->measure == SCORCH_BENCH_MEASURE_INSTRUCTIONS ? "instructions" : "ns";
	r->runs = 1;
	size_t n = c->samples;
	r->iters = calloc(n, sizeof(double));
	r->wall = calloc(n, sizeof(double));
	if (clk->cpu)
		r->cpu = calloc(n, sizeof(double));
	if (e->is_ab) {
		r->name_a = strdup(e->name_a);
		r->name_b = strdup(e->name_b);
		r->wall_b = calloc(n, sizeof(double));
	}
	if (!r->id || !r->name || (e->group && !r->group) || !r->iters || !r->wall ||
	    (clk->cpu && !r->cpu) || (e->is_ab && (!r->name_a || !r->name_b || !r->wall_b)))
		return -ENOMEM;

	/* 1. Warm-up, estimating the time per iteration (of A plus B for pairs). */
	double warm_iters = 0, warm_time = 0;
	uint64_t start = paired ? 0 : clk->wall(clk->data), iters = 1;
	double limit = c->warmup_s * 1e9;
	do {
		double w = 0, cpu = 0, wb = 0;
		run_batch(&ctx, &e->def, iters, clk, &w, &cpu);
		if (e->is_ab && !ctx.error)
			run_batch(&ctx, &e->def_b, iters, clk, &wb, &cpu);
		if (ctx.error)
			goto failed;
		warm_iters += (double)iters;
		warm_time += w + wb;
		if (iters < (1ull << 40))
			iters *= 2;
	} while (!paired && (double)(clk->wall(clk->data) - start) < limit);
	double per_iter = warm_time / warm_iters;
	if (!(per_iter > 1e-3))
		per_iter = 1e-3; /* a body too fast for the clock: batches as big as allowed */

	/* 2. The batch unit d. */
	double tri = (double)n * (double)(n + 1) / 2;
	double d = ceil(c->measure_s * 1e9 / (per_iter * tri));
	if (d < 1)
		d = 1;
	if (d > 1e12)
		d = 1e12;
	/* A slow body: even at d = 1 the batches 1..n would take far longer than asked (2 s per
	 * iteration and 50 samples: 1275 iterations, 42 minutes, without a word). Keep the
	 * samples that fit in SLOW_SLACK times the measurement time, at least SLOW_MIN_SAMPLES;
	 * the result says it rests on few samples. */
	double budget = SLOW_SLACK * c->measure_s * 1e9;
	if (d <= 1 && per_iter * tri > budget && n > SLOW_MIN_SAMPLES) {
		while (n > SLOW_MIN_SAMPLES && per_iter * (double)n * (double)(n + 1) / 2 > budget)
			n--;
		r->few_samples = true;
	}

	/* 3. Samples. */
	for (size_t i = 0; i < n; i++) {
		uint64_t k = (uint64_t)d * (i + 1);
		double w = 0, cpu = 0, wb = 0, cb = 0;
		bool b_first = e->is_ab && (i % 2);
		if (b_first)
			run_batch(&ctx, &e->def_b, k, clk, &wb, &cb);
		if (!ctx.error)
			run_batch(&ctx, &e->def, k, clk, &w, &cpu);
		if (e->is_ab && !b_first && !ctx.error)
			run_batch(&ctx, &e->def_b, k, clk, &wb, &cb);
		if (ctx.error)
			goto failed;
		r->iters[i] = (double)k;
		r->wall[i] = w;
		if (r->cpu)
			r->cpu[i] = cpu;
		if (r->wall_b)
			r->wall_b[i] = wb;
	}
	r->nsamples = n;
	if (floor_ns > 0) {
		/* Batches of millions of iterations that take as long as reading the clock: the
		 * body does nothing the clock can see (the compiler removed it?). */
		size_t below = 0;
		for (size_t i = 0; i < n; i++)
			below += r->wall[i] < floor_ns;
		r->below_resolution = below * 2 > n;
	}
	r->throughput_kind = ctx.tp_kind;
	r->throughput_per_iter = (double)ctx.tp;
	err = sc_bench_estimate(r, c, c->seed ^ sc_bench_hash(e->id));
	return err;
failed:
	r->error = ctx.error;
	r->nsamples = 0;
	return 0;
}

struct entry_call {
	const sc_bench_entry *e;
	const scorch_bench_config *c;
	const scorch_bench_clock *clk;
	bool paired;
	double floor_ns;
	scorch_bench_result *r;
	int err;
};

static void entry_call_fn(void *p)
{
	struct entry_call *a = p;
	a->err = run_entry(a->e, a->c, a->clk, a->paired, a->floor_ns, a->r);
}

/* run_entry, under sc_bench_guarded_call when c->catch_crashes: a crash leaves r with error
 * -ECANCELED and crash_signal set, and returns -ECANCELED. */
static int run_entry_guarded(const sc_bench_entry *e, const scorch_bench_config *c,
			     const scorch_bench_clock *clk, bool paired, double floor_ns,
			     scorch_bench_result *r)
{
	if (!c->catch_crashes)
		return run_entry(e, c, clk, paired, floor_ns, r);
	struct entry_call a = {e, c, clk, paired, floor_ns, r, 0};
	int sig = sc_bench_guarded_call(entry_call_fn, &a);
	if (sig < 0)
		return sig;
	if (sig > 0) {
		r->error = -ECANCELED;
		r->crash_signal = sig;
		r->nsamples = 0;
		return -ECANCELED;
	}
	return a.err;
}

int sc_bench_measure_again(const scorch_bench_suite *s, const scorch_bench_config *c,
			   const char *id, scorch_bench_result *out)
{
	memset(out, 0, sizeof(*out));
	if (c->measure != SCORCH_BENCH_MEASURE_TIME && !c->clock)
		return -EOPNOTSUPP; /* the counter and callgrind belong to scorch_bench_run */
	const sc_bench_entry *e = NULL;
	for (size_t i = 0; i < s->entries.len && !e; i++)
		if (!strcmp(s->entries.data[i].id, id))
			e = &s->entries.data[i];
	if (!e)
		return -ENOENT;
	scorch_bench_clock clk = {mono_ns, thread_cpu_ns, NULL};
	if (c->clock)
		clk = *c->clock;
	int err = run_entry_guarded(e, c, &clk, false, 0, out);
	if (err >= 0 && c->on_result)
		c->on_result(out, c->on_result_data);
	return err;
}

int sc_bench_estimate(scorch_bench_result *r, const scorch_bench_config *c, uint64_t seed)
{
	size_t n = r->nsamples;
	if (n == 0)
		return -EINVAL;
	sc_bench_rng rng;
	sc_bench_rng_seed(&rng, seed);
	double *per = malloc(n * sizeof(*per));
	double *sorted = malloc(n * sizeof(*sorted));
	int err = -ENOMEM;
	if (!per || !sorted)
		goto out;
	for (size_t i = 0; i < n; i++)
		per[i] = sorted[i] = r->wall[i] / r->iters[i];
	sc_bench_sort(sorted, n);

	r->slope.point = sc_bench_slope(r->iters, r->wall, n, &r->r2);
	r->mean.point = sc_bench_mean(per, n);
	r->median.point = sc_bench_quantile_sorted(sorted, n, 0.5);
	r->min = sorted[0];
	r->p10 = sc_bench_quantile_sorted(sorted, n, 0.10);
	r->stddev = sc_bench_stddev(per, n);
	r->mad = sc_bench_mad(per, n);
	r->cpu_slope = r->cpu ? sc_bench_slope(r->iters, r->cpu, n, NULL) : NAN;
	bool counted = !strcmp(r->unit, "instructions");
	if ((err = sc_bench_bootstrap(r->iters, r->wall, n, SC_BENCH_STAT_SLOPE, c->resamples,
				      c->confidence, &rng, &r->slope.lo, &r->slope.hi)) < 0 ||
	    (err = sc_bench_bootstrap(NULL, per, n, SC_BENCH_STAT_MEAN, c->resamples, c->confidence,
				      &rng, &r->mean.lo, &r->mean.hi)) < 0 ||
	    (err = sc_bench_bootstrap(NULL, per, n, SC_BENCH_STAT_MEDIAN, c->resamples,
				      c->confidence, &rng, &r->median.lo, &r->median.hi)) < 0)
		goto out;
	if (counted) {
		r->headline = r->slope;
		r->headline_name = "slope";
	} else {
		/* min_cpu when the CPU time was recorded, else the wall-clock minimum */
		r->headline_name = r->cpu ? "min_cpu" : "min";
		double *h = sorted; /* no longer needed as such: scratch */
		for (size_t i = 0; i < n; i++)
			h[i] = r->cpu ? r->cpu[i] / r->iters[i] : per[i];
		r->headline.point = h[0];
		for (size_t i = 1; i < n; i++)
			r->headline.point = fmin(r->headline.point, h[i]);
		if ((err = sc_bench_bootstrap(NULL, h, n, SC_BENCH_STAT_MIN, c->resamples,
					      c->confidence, &rng, &r->headline.lo,
					      &r->headline.hi)) < 0)
			goto out;
	}
	sc_bench_tukey t;
	if ((err = sc_bench_tukey_classify(per, n, &t, NULL)) < 0)
		goto out;
	memcpy(r->outliers, t.count, sizeof(r->outliers));

	double width = r->slope.point > 0 ? (r->slope.hi - r->slope.lo) / r->slope.point : 0;
	double spread = r->median.point > 0 ? r->mad / r->median.point : 0;
	r->unstable = spread > c->unstable_mad || width > c->unstable_ci;

	r->throughput = NAN; /* from the headline: the rate the code runs at, undisturbed */
	if (r->throughput_kind && r->headline.point > 0 && !strcmp(r->unit, "ns"))
		r->throughput = r->throughput_per_iter / (r->headline.point * 1e-9);

	if (r->is_ab && r->wall_b) {
		r->slope_b.point = sc_bench_slope(r->iters, r->wall_b, n, NULL);
		r->ratio.point = r->slope_b.point / r->slope.point;
		if ((err = sc_bench_bootstrap(r->iters, r->wall_b, n, SC_BENCH_STAT_SLOPE,
					      c->resamples, c->confidence, &rng, &r->slope_b.lo,
					      &r->slope_b.hi)) < 0 ||
		    (err = sc_bench_bootstrap_ratio(r->iters, r->wall, r->wall_b, n, c->resamples,
						    c->confidence, &rng, &r->ratio.lo,
						    &r->ratio.hi)) < 0)
			goto out;
	}
	err = 0;
out:
	free(per);
	free(sorted);
	return err;
}

/* --- The run --- */

static double cv_of(const double *v, size_t n)
{
	double m = sc_bench_mean(v, n);
	return m != 0 ? sc_bench_stddev(v, n) / fabs(m) : NAN;
}

static int fit_complexities(scorch_bench_report *rep)
{
	for (size_t i = 0; i < rep->nresults; i++) {
		const scorch_bench_result *r = &rep->results[i];
		if (!r->has_arg || r->is_ab)
			continue;
		/* Only at the first instance of a def: later ones share group and name. */
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++) {
			const scorch_bench_result *q = &rep->results[j];
			seen = q->has_arg && !q->is_ab && !strcmp(q->name, r->name) &&
			       !strcmp(q->group ? q->group : "", r->group ? r->group : "");
		}
		if (seen)
			continue;
		double ns[64], ts[64];
		size_t k = 0;
		for (size_t j = i; j < rep->nresults && k < 64; j++) {
			const scorch_bench_result *q = &rep->results[j];
			if (q->has_arg && !q->is_ab && !q->error && q->arg >= 1 &&
			    !strcmp(q->name, r->name) &&
			    !strcmp(q->group ? q->group : "", r->group ? r->group : "")) {
				ns[k] = (double)q->arg;
				ts[k++] = q->headline.point;
			}
		}
		if (k < 3)
			continue;
		scorch_bench_complexity cx = {0};
		if (sc_bench_fit_complexity(ns, ts, k, &cx) < 0)
			continue;
		cx.base_id = make_id(r->group, r->name, false, 0);
		if (!cx.base_id)
			return -ENOMEM;
		scorch_bench_complexity *p =
		    realloc(rep->complexity, (rep->ncomplexity + 1) * sizeof(*p));
		if (!p) {
			free(cx.base_id);
			return -ENOMEM;
		}
		rep->complexity = p;
		rep->complexity[rep->ncomplexity++] = cx;
	}
	return 0;
}

/* Runs the selected entries into out[0..*nout). After -ECANCELED (a crash) the crashed result is
 * the last one. */
/* The report's warnings about single results (the environment's come from env.c). */
static int result_warnings(scorch_bench_report *rep)
{
	char a[32];
	for (size_t i = 0; i < rep->nresults; i++) {
		const scorch_bench_result *r = &rep->results[i];
		int e = 0;
		if (r->few_samples)
			e = sc_bench_env_warn(
			    &rep->env,
			    "%s: %s per iteration: only %zu of %u samples fit in %d times the "
			    "measurement time (%.3g s); its estimates rest on few samples",
			    r->id, sc_bench_fmt_time(r->median.point, r->unit, a, sizeof(a)),
			    r->nsamples, rep->config.samples, SLOW_SLACK, rep->config.measure_s);
		if (e >= 0 && r->below_resolution)
			e = sc_bench_env_warn(&rep->env,
					      "%s: its batches take about as long as reading the "
					      "clock: the body does nothing measurable (optimized "
					      "away? see SCORCH_DO_NOT_OPTIMIZE)",
					      r->id);
		if (e < 0)
			return e;
	}
	return 0;
}

/* Records which benchmark crashed (catch_crashes) in the report. */
static int crashed(scorch_bench_report *rep, const char *id, int sig)
{
	rep->crash_signal = sig;
	rep->crashed_id = strdup(id ? id : "?");
	return rep->crashed_id ? 0 : -ENOMEM;
}

static int run_once(scorch_bench_suite *s, const scorch_bench_config *c,
		    const scorch_bench_clock *clk, bool paired, double floor_ns,
		    const bool *selected, scorch_bench_result *out, size_t *nout)
{
	*nout = 0;
	for (size_t i = 0; i < s->entries.len; i++) {
		if (!selected[i])
			continue;
		scorch_bench_result *r = &out[(*nout)++];
		int err = run_entry_guarded(&s->entries.data[i], c, clk, paired, floor_ns, r);
		if (err < 0)
			return err;
		if (c->on_result)
			c->on_result(r, c->on_result_data);
	}
	return 0;
}

int scorch_bench_run(scorch_bench_suite *s, const scorch_bench_config *cfg,
		     scorch_bench_report *out)
{
	scorch_bench_config c;
	if (cfg)
		c = *cfg;
	else
		scorch_bench_config_init(&c);
	memset(out, 0, sizeof(*out));
	if (!s || c.samples < 5 || c.resamples == 0 || !(c.confidence > 0 && c.confidence < 1) ||
	    !(c.measure_s >= 0) || !(c.warmup_s >= 0))
		return -EINVAL;
	if (c.repeat == 0)
		c.repeat = 1;

	int err = 0, instr_fd = -1;
	bool *selected = NULL;
	scorch_bench_result *extra = NULL;
	double *est = NULL;
	regex_t re;
	bool have_re = false;
	sc_bench_cpu_times t0 = {0};

	out->config = c;
	out->config.filter = NULL;
	out->config.clock = NULL;
	out->config.on_result = NULL;
	out->config.on_result_data = NULL;

	scorch_bench_clock clk = {mono_ns, thread_cpu_ns, NULL};
	sc_bench_callgrind cg;
	bool paired = false;
	if (c.clock) {
		clk = *c.clock;
	} else if (c.measure == SCORCH_BENCH_MEASURE_INSTRUCTIONS && sc_bench_callgrind_active()) {
		sc_bench_callgrind_init(&cg);
		clk = (scorch_bench_clock){sc_bench_callgrind_read, NULL, &cg};
		paired = true;
	} else if (c.measure == SCORCH_BENCH_MEASURE_INSTRUCTIONS) {
		instr_fd = sc_bench_instr_open();
		if (instr_fd < 0) {
			err = instr_fd == -ENOMEM ? -ENOMEM : -EOPNOTSUPP;
			goto out;
		}
		clk = (scorch_bench_clock){sc_bench_instr_read, NULL, &instr_fd};
		/* The warm-up and measurement "times" are then instruction budgets: a second
		 * becomes 1e9 instructions, which keeps batch sizes sensible. */
	}

	if (c.filter) {
		if (regcomp(&re, c.filter, REG_EXTENDED | REG_NOSUB) != 0) {
			err = -EINVAL;
			goto out;
		}
		have_re = true;
	}
	size_t nsel = 0, ne = s->entries.len;
	selected = calloc(ne ? ne : 1, sizeof(*selected));
	if (!selected) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ne; i++) {
		selected[i] = !have_re || regexec(&re, s->entries.data[i].id, 0, NULL, 0) == 0;
		nsel += selected[i];
	}

	if ((err = sc_bench_env_start(&out->env, &t0, c.debug_build)) < 0)
		goto out;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	if (!(out->created = strdup(stamp))) {
		err = -ENOMEM;
		goto out;
	}
	out->results = calloc(nsel ? nsel : 1, sizeof(*out->results));
	if (!out->results) {
		err = -ENOMEM;
		goto out;
	}
	/* Most batches shorter than ten clock readings: nothing measurable ran (real clocks only:
	 * an injected clock is not the one env measured). */
	double floor_ns = 0;
	if (!c.clock && c.measure == SCORCH_BENCH_MEASURE_TIME)
		floor_ns = 10 * fmax(fmax(out->env.timer_cost_ns, out->env.timer_step_ns),
				     fmax(out->env.timer_res_ns, 1));
	err = run_once(s, &c, &clk, paired, floor_ns, selected, out->results, &out->nresults);
	if (err == -ECANCELED) {
		const scorch_bench_result *x = &out->results[out->nresults - 1];
		if ((err = crashed(out, x->id, x->crash_signal)) < 0)
			goto out;
		err = -ECANCELED;
		goto finish;
	}
	if (err < 0)
		goto out;

	if (c.repeat > 1) {
		/* est[(i * repeat + k) * 5 + m]: estimate m of result i in run k. */
		extra = calloc(nsel ? nsel : 1, sizeof(*extra));
		est = calloc((nsel ? nsel : 1) * c.repeat * 5, sizeof(*est));
		if (!extra || !est) {
			err = -ENOMEM;
			goto out;
		}
		for (unsigned k = 0; k < c.repeat; k++) {
			scorch_bench_result *rs = out->results;
			size_t nr = out->nresults;
			if (k > 0) {
				err = run_once(s, &c, &clk, paired, 0, selected, extra, &nr);
				rs = extra;
				if (err == -ECANCELED) {
					int e2 = crashed(out, extra[nr - 1].id,
							 extra[nr - 1].crash_signal);
					for (size_t i = 0; i < nr; i++)
						result_release(&extra[i]);
					if (e2 < 0) {
						err = e2;
						goto out;
					}
					goto finish;
				}
			}
			for (size_t i = 0; i < nr && err >= 0; i++) {
				double *e = &est[(i * c.repeat + k) * 5];
				e[0] = rs[i].slope.point;
				e[1] = rs[i].median.point;
				e[2] = rs[i].mean.point;
				e[3] = rs[i].min;
				e[4] = rs[i].headline.point;
				if (k > 0)
					result_release(&rs[i]);
			}
			if (err < 0) {
				for (size_t i = 0; i < nr; i++)
					result_release(&extra[i]);
				goto out;
			}
		}
		for (size_t i = 0; i < out->nresults; i++) {
			scorch_bench_result *r = &out->results[i];
			r->runs = c.repeat;
			for (int m = 0; m < 5; m++) {
				double v[c.repeat];
				for (unsigned k = 0; k < c.repeat; k++)
					v[k] = est[(i * c.repeat + k) * 5 + m];
				double cv = cv_of(v, c.repeat);
				if (m < 4)
					r->cv[m] = cv;
				else
					r->cv_headline = cv;
				if (cv > c.repeat_cv)
					r->repeat_unstable = true;
			}
		}
	}
	if (paired && cg.error) {
		err = cg.error; /* a callgrind dump could not be read: the counts are wrong */
		goto out;
	}
finish:
	/* After a crash too: the report of what finished is complete, and says how it ended. */
	{
		int e2 = result_warnings(out);
		if (e2 >= 0)
			e2 = fit_complexities(out);
		if (e2 >= 0)
			e2 = sc_bench_env_finish(&out->env, &t0);
		if (e2 < 0 || !out->crashed_id)
			err = e2;
	}
out:
	if (have_re)
		regfree(&re);
	if (instr_fd >= 0)
		close(instr_fd);
	free(selected);
	free(extra);
	free(est);
	return err;
}

void scorch_bench_report_release(scorch_bench_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nresults; i++)
		result_release(&r->results[i]);
	free(r->results);
	for (size_t i = 0; i < r->ncomplexity; i++)
		free(r->complexity[i].base_id);
	free(r->complexity);
	sc_bench_env_release(&r->env);
	free(r->created);
	free(r->baseline_name);
	free(r->crashed_id);
	memset(r, 0, sizeof(*r));
}
