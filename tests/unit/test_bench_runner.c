/*
 * test_bench_runner.c: libscorch-bench's runner, outputs and baselines, driven by a fake clock.
 *
 * The benchmarks below advance the fake clock themselves (10 ns per iteration, setup 1 ms,
 * teardown 0.5 ms), so every figure is exact: the slope is 10 whatever the machine does, and
 * setup/teardown costs that leaked into the measurement would show at once. No real time is
 * measured, so nothing here depends on timing.
 *
 * With warmup_s = 1e-5 the warm-up is one batch of 1 iteration (the setup alone passes 10 µs);
 * per-iteration estimate 10 ns, so d = ceil(1e6 ns / (10 * 55)) = 1819 for 10 samples of 1 ms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench_impl.h"
#include "scorch/bench.h"

typedef struct fake {
	uint64_t now;
	uint64_t per_iter, per_iter_b;
	unsigned calls, setups, teardowns, calls_b;
	uint64_t iters;
	bool fail_setup;
	/* The first slow_calls calls of body run at per_iter_slow ns per iteration: a measurement
	 * disturbed by something that later went away. */
	unsigned slow_calls;
	uint64_t per_iter_slow;
} fake;

static uint64_t fake_wall(void *data)
{
	return ((fake *)data)->now;
}

static uint64_t fake_cpu(void *data)
{
	return ((fake *)data)->now / 2;
}

static void body(scorch_bench_ctx *ctx, uint64_t iters)
{
	fake *f = scorch_bench_user(ctx);
	assert_ptr_equal(scorch_bench_fixture(ctx), &f->setups); /* setup's fixture arrives */
	uint64_t n = scorch_bench_arg(ctx) > 0 ? (uint64_t)scorch_bench_arg(ctx) : 1;
	f->now += (f->calls < f->slow_calls ? f->per_iter_slow : f->per_iter) * iters * n;
	f->calls++;
	f->iters += iters;
}

static void body_b(scorch_bench_ctx *ctx, uint64_t iters)
{
	fake *f = scorch_bench_user(ctx);
	f->now += f->per_iter_b * iters;
	f->calls_b++;
}

static void *setup(scorch_bench_ctx *ctx)
{
	fake *f = scorch_bench_user(ctx);
	f->now += 1000000;
	f->setups++;
	if (f->fail_setup)
		scorch_bench_fail(ctx, -ENOMEM);
	return &f->setups;
}

static void teardown(scorch_bench_ctx *ctx, void *fixture)
{
	fake *f = scorch_bench_user(ctx);
	assert_ptr_equal(fixture, &f->setups);
	f->now += 500000;
	f->teardowns++;
}

static void config(scorch_bench_config *c, scorch_bench_clock *clk, fake *f)
{
	*clk = (scorch_bench_clock){fake_wall, fake_cpu, f};
	scorch_bench_config_init(c);
	c->warmup_s = 1e-5;
	c->measure_s = 1e-3;
	c->samples = 10;
	c->resamples = 200;
	c->clock = clk;
}

static void test_fake_clock_exact(void **state)
{
	(void)state;
	fake f = {.per_iter = 10};
	scorch_bench_suite *s = scorch_bench_suite_new();
	scorch_bench_def d = {.name = "count",
			      .group = "g",
			      .fn = body,
			      .setup = setup,
			      .teardown = teardown,
			      .user = &f,
			      .throughput_kind = SCORCH_BENCH_TP_BYTES,
			      .throughput = 64};
	assert_int_equal(scorch_bench_add(s, &d), 0);
	assert_int_equal(scorch_bench_add(s, &d), -EINVAL); /* duplicate id */
	d.name = "bad name";
	assert_int_equal(scorch_bench_add(s, &d), -EINVAL);
	assert_int_equal(scorch_bench_count(s), 1);
	assert_string_equal(scorch_bench_id(s, 0), "g/count");

	scorch_bench_config c;
	scorch_bench_clock clk;
	config(&c, &clk, &f);
	scorch_bench_report rep;
	assert_int_equal(scorch_bench_run(s, &c, &rep), 0);
	assert_int_equal(rep.nresults, 1);
	const scorch_bench_result *r = &rep.results[0];
	assert_int_equal(r->error, 0);
	assert_string_equal(r->id, "g/count");
	assert_int_equal(r->nsamples, 10);
	/* 1 warm-up batch + 10 samples, each with its own setup and teardown */
	assert_int_equal(f.calls, 11);
	assert_int_equal(f.setups, 11);
	assert_int_equal(f.teardowns, 11);
	for (int i = 0; i < 10; i++)
		assert_true(r->iters[i] == 1819.0 * (i + 1));
	assert_int_equal(f.iters, 1 + 1819 * 55);
	/* setup and teardown (1.5 ms per batch) are excluded: exactly 10 ns per iteration */
	assert_true(r->slope.point == 10 && r->slope.lo == 10 && r->slope.hi == 10);
	assert_true(r->median.point == 10 && r->min == 10 && r->p10 == 10 && r->mad == 0);
	/* the headline of a time measurement is the minimum CPU time, with its interval */
	assert_string_equal(scorch_bench_headline_name(&rep), "min_cpu");
	assert_true(r->headline.point == 5 && r->headline.lo == 5 && r->headline.hi == 5);
	assert_true(r->cpu_slope == 5);
	assert_true(r->r2 == 1);
	assert_false(r->unstable);
	assert_int_equal(r->outliers[0] + r->outliers[1] + r->outliers[2] + r->outliers[3], 0);
	/* from the headline: 64 bytes per 5 ns of CPU = 12.8e9 B/s */
	assert_true(fabs(r->throughput - 12.8e9) < 1);
	assert_non_null(rep.created);
	assert_true(rep.env.ncpus >= 1);
	scorch_bench_report_release(&rep);
	scorch_bench_report_release(NULL);
	scorch_bench_suite_free(s);
	scorch_bench_suite_free(NULL);
}

static void test_filter_and_args_complexity(void **state)
{
	(void)state;
	fake f = {.per_iter = 3};
	scorch_bench_suite *s = scorch_bench_suite_new();
	const int64_t sizes[] = {10, 100, 1000, 10000};
	scorch_bench_def d = {.name = "scan",
			      .fn = body,
			      .setup = setup,
			      .teardown = teardown,
			      .args = sizes,
			      .nargs = 4,
			      .user = &f,
			      .throughput_kind = SCORCH_BENCH_TP_ELEMENTS};
	assert_int_equal(scorch_bench_add(s, &d), 0);
	d.name = "other";
	d.args = NULL;
	d.nargs = 0;
	assert_int_equal(scorch_bench_add(s, &d), 0);
	assert_int_equal(scorch_bench_count(s), 5);
	assert_string_equal(scorch_bench_id(s, 3), "scan/10000");

	scorch_bench_config c;
	scorch_bench_clock clk;
	config(&c, &clk, &f);
	scorch_bench_report rep;
	c.filter = "^scan/";
	assert_int_equal(scorch_bench_run(s, &c, &rep), 0);
	assert_int_equal(rep.nresults, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_true(rep.results[i].has_arg);
		assert_true(rep.results[i].slope.point == 3.0 * (double)sizes[i]);
		/* throughput defaults to the argument: N elements per 1.5N ns of CPU (the
		 * headline; the fake CPU clock is half the wall clock, rounded down) */
		assert_true(fabs(rep.results[i].throughput / (2e9 / 3) - 1) < 1e-6);
	}
	assert_int_equal(rep.ncomplexity, 1);
	assert_string_equal(rep.complexity[0].base_id, "scan");
	assert_int_equal(rep.complexity[0].best, SCORCH_BENCH_O_N);
	/* fitted to the headline: 1.5 ns of CPU per element */
	assert_true(fabs(rep.complexity[0].coef[SCORCH_BENCH_O_N] - 1.5) < 1e-6);
	scorch_bench_report_release(&rep);

	c.filter = "(unclosed";
	assert_int_equal(scorch_bench_run(s, &c, &rep), -EINVAL);
	scorch_bench_report_release(&rep);
	scorch_bench_suite_free(s);
}

static void test_ab_interleaved(void **state)
{
	(void)state;
	fake f = {.per_iter = 10, .per_iter_b = 15};
	scorch_bench_suite *s = scorch_bench_suite_new();
	scorch_bench_def a = {
	    .name = "old", .fn = body, .setup = setup, .teardown = teardown, .user = &f};
	scorch_bench_def b = {.name = "new", .fn = body_b, .user = &f};
	assert_int_equal(scorch_bench_add_ab(s, "old-vs-new", &a, &b), 0);
	scorch_bench_config c;
	scorch_bench_clock clk;
	config(&c, &clk, &f);
	scorch_bench_report rep;
	assert_int_equal(scorch_bench_run(s, &c, &rep), 0);
	const scorch_bench_result *r = &rep.results[0];
	assert_true(r->is_ab);
	assert_int_equal(f.calls, f.calls_b); /* both variants in every batch */
	assert_true(r->slope.point == 10 && r->slope_b.point == 15);
	assert_true(fabs(r->ratio.point - 1.5) < 1e-12);
	assert_true(fabs(r->ratio.lo - 1.5) < 1e-12 && fabs(r->ratio.hi - 1.5) < 1e-12);
	assert_string_equal(r->name_a, "old");
	assert_string_equal(r->name_b, "new");
	scorch_bench_report_release(&rep);
	scorch_bench_suite_free(s);
}

static void test_failure_and_repeat(void **state)
{
	(void)state;
	fake f = {.per_iter = 10, .fail_setup = true};
	scorch_bench_suite *s = scorch_bench_suite_new();
	scorch_bench_def d = {
	    .name = "x", .fn = body, .setup = setup, .teardown = teardown, .user = &f};
	assert_int_equal(scorch_bench_add(s, &d), 0);
	scorch_bench_config c;
	scorch_bench_clock clk;
	config(&c, &clk, &f);
	scorch_bench_report rep;
	assert_int_equal(scorch_bench_run(s, &c, &rep), 0);
	assert_int_equal(rep.results[0].error, -ENOMEM);
	assert_int_equal(f.calls, 0); /* the body never runs after a failed setup */
	assert_int_equal(f.teardowns, 1);
	scorch_bench_report_release(&rep);

	f.fail_setup = false;
	c.repeat = 3;
	assert_int_equal(scorch_bench_run(s, &c, &rep), 0);
	assert_int_equal(rep.results[0].runs, 3);
	assert_true(rep.results[0].cv[0] == 0 && rep.results[0].cv_headline == 0 &&
		    !rep.results[0].repeat_unstable);
	assert_int_equal(f.calls, 33);
	scorch_bench_report_release(&rep);
	scorch_bench_suite_free(s);
}

static char *render(int (*w)(const scorch_bench_report *, FILE *), const scorch_bench_report *r,
		    size_t *len)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);
	assert_non_null(fp);
	assert_int_equal(w(r, fp), 0);
	fclose(fp);
	return buf;
}

static void run_fake(fake *f, scorch_bench_report *rep)
{
	scorch_bench_suite *s = scorch_bench_suite_new();
	const int64_t sizes[] = {1, 2, 4};
	scorch_bench_def d = {.name = "a",
			      .group = "grp",
			      .fn = body,
			      .setup = setup,
			      .teardown = teardown,
			      .user = f,
			      .args = sizes,
			      .nargs = 3};
	assert_int_equal(scorch_bench_add(s, &d), 0);
	scorch_bench_config c;
	scorch_bench_clock clk;
	config(&c, &clk, f);
	assert_int_equal(scorch_bench_run(s, &c, rep), 0);
	scorch_bench_suite_free(s);
}

/* catch_crashes: a body that dies of SIGFPE stops the run at that benchmark; the results before
 * it are complete, the report names it, and the previous SIGFPE disposition is back. A slow
 * body (fake clock: 1 s per iteration) keeps 3 samples of 1, 2, 3 iterations and says so. */
static void body_fpe(scorch_bench_ctx *ctx, uint64_t iters)
{
	(void)ctx;
	(void)iters;
	raise(SIGFPE);
}

static void body_slow(scorch_bench_ctx *ctx, uint64_t iters)
{
	fake *f = scorch_bench_user(ctx);
	f->now += 1000000000ull * iters;
}

static void test_crash_caught_and_slow_cut(void **state)
{
	(void)state;
	fake f = {.per_iter = 10};
	scorch_bench_suite *s = scorch_bench_suite_new();
	assert_int_equal(
	    scorch_bench_add(s, &(scorch_bench_def){.name = "slow", .fn = body_slow, .user = &f}),
	    0);
	assert_int_equal(
	    scorch_bench_add(s, &(scorch_bench_def){.name = "fpe", .fn = body_fpe, .user = &f}), 0);
	assert_int_equal(
	    scorch_bench_add(s, &(scorch_bench_def){.name = "never", .fn = body, .user = &f}), 0);
	scorch_bench_config c;
	scorch_bench_clock clk;
	config(&c, &clk, &f);
	c.catch_crashes = true;
	struct sigaction before, after;
	sigaction(SIGFPE, NULL, &before);
	scorch_bench_report rep;
	assert_int_equal(scorch_bench_run(s, &c, &rep), -ECANCELED);
	sigaction(SIGFPE, NULL, &after);
	assert_ptr_equal(before.sa_handler, after.sa_handler);
	assert_string_equal(rep.crashed_id, "fpe");
	assert_int_equal(rep.crash_signal, SIGFPE);
	assert_int_equal(rep.nresults, 2);
	const scorch_bench_result *slow = &rep.results[0], *fpe = &rep.results[1];
	assert_int_equal(slow->error, 0);
	assert_true(slow->few_samples);
	assert_int_equal(slow->nsamples, 3);
	assert_true(slow->iters[0] == 1 && slow->iters[1] == 2 && slow->iters[2] == 3);
	assert_int_equal(fpe->error, -ECANCELED);
	assert_int_equal(fpe->crash_signal, SIGFPE);
	assert_int_equal(fpe->nsamples, 0);
	assert_int_equal(f.calls, 0); /* "never" did not run */
	bool warned = false;
	for (size_t i = 0; i < rep.env.nwarnings; i++)
		warned |= !strncmp(rep.env.warnings[i], "slow: ", 6) &&
			  strstr(rep.env.warnings[i], "only 3 of 10 samples") != NULL;
	assert_true(warned);
	scorch_bench_report_release(&rep);
	scorch_bench_suite_free(s);
}

/* What the fuzzer (tests/fuzz/fuzz_bench.c) found in the reader: numbers outside an integer
 * field's range were converted anyway (undefined behaviour; a resample count of 1e12 would make
 * a comparison run for days), and control characters of an id reached the one-line message. */
static void test_json_reader_hostile_values(void **state)
{
	(void)state;
	static const char head[] = "{\"schema\": \"scorch.bench\", \"version\": 1, ";
	static const char one[] =
	    "\"benchmarks\": [{\"id\": \"%s\", \"name\": \"n\", \"arg\": %s, \"samples\": "
	    "{\"iters\": [1, 2], \"wall\": [1, 2], \"cpu\": null}}]}";
	const struct {
		const char *config, *id, *arg, *want;
	} cases[] = {
	    {"{\"resamples\": 1e12}", "a", "null", "\"resamples\" must be an integer between 100"},
	    {"{\"samples\": -1}", "a", "null", "\"samples\" must be an integer between 1"},
	    {"{\"noise\": -0.5}", "a", "null", "\"noise\" must be a number between 0 and 10"},
	    {"{\"confidence\": 1}", "a", "null", "\"confidence\" must be a number"},
	    {"{\"seed\": 1e30}", "a", "null", "\"seed\" must be an integer"},
	    {"{}", "a", "1e300", "benchmark 'a' (entry 0): \"arg\" is not a 64-bit integer"},
	    {"{}", "x\\ny\\u001b[2J", "1e300", "benchmark 'x?y?[2J' (entry 0)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024], body[512];
		snprintf(body, sizeof(body), one, cases[i].id, cases[i].arg);
		snprintf(text, sizeof(text), "%s\"config\": %s, %s", head, cases[i].config, body);
		scorch_bench_report r;
		sc_diag d;
		sc_diag_clear(&d);
		assert_int_equal(sc_bench_report_from_json(text, strlen(text), &r, &d), -EINVAL);
		if (!strstr(d.message, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, d.message, cases[i].want);
		assert_null(strpbrk(d.message, "\n\x1b"));
		scorch_bench_report_release(&r);
	}
	/* In range, the same fields load; an out-of-range count that is only shown is dropped. */
	char text[1024], body[512];
	snprintf(body, sizeof(body), one, "a", "7");
	snprintf(text, sizeof(text),
		 "%s\"config\": {\"resamples\": 200, \"seed\": 5}, \"environment\": "
		 "{\"ncpus\": 1e300}, %s",
		 head, body);
	scorch_bench_report r;
	assert_int_equal(sc_bench_report_from_json(text, strlen(text), &r, NULL), 0);
	assert_int_equal(r.config.resamples, 200);
	assert_int_equal(r.config.seed, 5);
	assert_int_equal(r.env.ncpus, 0);
	assert_int_equal(r.results[0].arg, 7);
	scorch_bench_report_release(&r);
}

static void test_json_roundtrip_and_outputs(void **state)
{
	(void)state;
	fake f = {.per_iter = 10};
	scorch_bench_report rep, back;
	run_fake(&f, &rep);
	size_t len;
	char *json = render(scorch_bench_write_json, &rep, &len);
	assert_non_null(strstr(json, "\"schema\": \"scorch.bench\", \"version\": 1"));
	assert_non_null(strstr(json, "\"headline\": \"min_cpu\""));
	sc_diag d;
	sc_diag_clear(&d);
	assert_int_equal(sc_bench_report_from_json(json, len, &back, &d), 0);
	assert_int_equal(back.nresults, 3);
	for (size_t i = 0; i < 3; i++) {
		const scorch_bench_result *x = &rep.results[i], *y = &back.results[i];
		assert_string_equal(x->id, y->id);
		assert_int_equal(x->nsamples, y->nsamples);
		assert_true(x->slope.point == y->slope.point && x->slope.lo == y->slope.lo);
		assert_true(x->median.point == y->median.point && x->mad == y->mad);
		assert_true(y->has_arg && y->arg == x->arg);
		assert_true(x->headline.point == y->headline.point &&
			    x->headline.hi == y->headline.hi);
		assert_string_equal(y->headline_name, "min_cpu");
		assert_memory_equal(x->wall, y->wall, x->nsamples * sizeof(double));
		assert_memory_equal(x->cpu, y->cpu, x->nsamples * sizeof(double));
	}
	assert_string_equal(back.env.hostname, rep.env.hostname);
	assert_int_equal(back.config.samples, 10);
	scorch_bench_report_release(&back);

	/* A version we do not know, and broken JSON, are refused with a reason. */
	char *v2 = strdup(json);
	memcpy(strstr(v2, "\"version\": 1") + 11, "2", 1);
	assert_int_equal(sc_bench_report_from_json(v2, len, &back, &d), -EINVAL);
	assert_non_null(strstr(d.message, "version 2"));
	scorch_bench_report_release(&back);
	assert_int_equal(sc_bench_report_from_json(json, len / 2, &back, &d), -EINVAL);
	assert_true(d.line > 0);
	scorch_bench_report_release(&back);
	free(v2);
	free(json);

	char *csv = render(scorch_bench_write_csv, &rep, &len);
	/* headline (CPU minimum) 10 [10, 10], then the slope 20 [20, 20] */
	assert_non_null(strstr(csv, "\"grp/a/2\",\"grp\",\"a\",2,ns,10,10,10,10,20,20,20,"));
	free(csv);
	char *html = render(scorch_bench_write_html, &rep, &len);
	assert_non_null(strstr(html, "<svg"));
	assert_non_null(strstr(html, "grp/a/4"));
	free(html);
	char *table = render(scorch_bench_write_table, &rep, &len);
	assert_non_null(strstr(table, "grp/a/1"));
	assert_non_null(strstr(table, "environment:"));
	free(table);
	scorch_bench_report_release(&rep);
}

static void test_baseline_save_compare(void **state)
{
	(void)state;
	char dir[] = "/tmp/scorch-bench-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char sub[64];
	snprintf(sub, sizeof(sub), "%s/base", dir);

	fake f = {.per_iter = 10};
	scorch_bench_report rep;
	run_fake(&f, &rep);
	assert_int_equal(scorch_bench_save_baseline(&rep, sub, "main"), 0);
	assert_int_equal(scorch_bench_save_baseline(&rep, sub, "../evil"), -EINVAL);
	scorch_bench_report_release(&rep);

	/* Same speed: no change. */
	f = (fake){.per_iter = 10};
	run_fake(&f, &rep);
	assert_int_equal(scorch_bench_compare_baseline(&rep, sub, "main", NULL, 0), 0);
	for (size_t i = 0; i < rep.nresults; i++) {
		assert_true(rep.results[i].has_comparison);
		assert_int_equal(rep.results[i].cmp.verdict, SCORCH_BENCH_NO_CHANGE);
	}
	assert_int_equal(scorch_bench_count_regressions(&rep, 0), 0);
	scorch_bench_report_release(&rep);

	/* 20% slower: regressed, and counted beyond a 5% threshold but not beyond 25%. */
	f = (fake){.per_iter = 12};
	run_fake(&f, &rep);
	assert_int_equal(scorch_bench_compare_baseline(&rep, sub, "main", NULL, 0), 0);
	for (size_t i = 0; i < rep.nresults; i++) {
		assert_int_equal(rep.results[i].cmp.verdict, SCORCH_BENCH_REGRESSED);
		assert_true(fabs(rep.results[i].cmp.change.point - 0.2) < 1e-12);
		/* the headline (minimum CPU time, half the wall clock here) of each: 5 and 6 ns
		 * per unit of the argument */
		assert_true(rep.results[i].cmp.base_value == 5.0 * (double)rep.results[i].arg);
		assert_true(rep.results[i].cmp.new_value == 6.0 * (double)rep.results[i].arg);
	}
	assert_int_equal(scorch_bench_count_regressions(&rep, 5), 3);
	assert_int_equal(scorch_bench_count_regressions(&rep, 25), 0);
	char msg[256];
	assert_int_equal(scorch_bench_compare_baseline(&rep, sub, "missing", msg, sizeof(msg)),
			 -ENOENT);
	/* The file comparison the CLI uses: A = baseline, B = this run. */
	char bpath[128], apath[128];
	snprintf(apath, sizeof(apath), "%s/main.json", sub);
	snprintf(bpath, sizeof(bpath), "%s/new.json", sub);
	assert_int_equal(scorch_bench_save_baseline(&rep, sub, "new"), 0);
	scorch_bench_report_release(&rep);
	sc_diag d;
	sc_diag_clear(&d);
	assert_int_equal(sc_bench_compare_files(apath, bpath, -1, 0, &rep, &d), 0);
	assert_int_equal(rep.nresults, 3);
	assert_int_equal(rep.results[0].cmp.verdict, SCORCH_BENCH_REGRESSED);
	assert_string_equal(rep.baseline_name, apath);
	scorch_bench_report_release(&rep);
	/* Improvement the other way round. */
	assert_int_equal(sc_bench_compare_files(bpath, apath, -1, 0, &rep, &d), 0);
	assert_int_equal(rep.results[0].cmp.verdict, SCORCH_BENCH_IMPROVED);
	scorch_bench_report_release(&rep);

	unlink(apath);
	unlink(bpath);
	rmdir(sub);
	rmdir(dir);
}

/* Checks that p is "A, B]" with A and B within 1e-12 of a and b. */
static void json_pair(const char *p, double a, double b)
{
	char *end;
	assert_true(fabs(strtod(p, &end) - a) < 1e-12);
	assert_true(end[0] == ',' && end[1] == ' ');
	assert_true(fabs(strtod(end + 2, &end) - b) < 1e-12);
	assert_true(*end == ']');
}

/* Runs one benchmark ("grp/one") with the fake f and, unless dir is NULL, compares it with
 * DIR/main.json and confirms with `confirm` re-measurements. Each measurement is 11 calls of body
 * (1 warm-up + 10). */
static void run_confirmed(fake *f, const char *dir, unsigned confirm, scorch_bench_report *rep)
{
	scorch_bench_suite *s = scorch_bench_suite_new();
	scorch_bench_def d = {.name = "one",
			      .group = "grp",
			      .fn = body,
			      .setup = setup,
			      .teardown = teardown,
			      .user = f};
	assert_int_equal(scorch_bench_add(s, &d), 0);
	scorch_bench_config c;
	scorch_bench_clock clk;
	config(&c, &clk, f);
	assert_int_equal(c.confirm, 1); /* the default */
	c.confirm = confirm;
	assert_int_equal(scorch_bench_run(s, &c, rep), 0);
	if (dir) {
		assert_int_equal(scorch_bench_compare_baseline(rep, dir, "main", NULL, 0), 0);
		assert_int_equal(scorch_bench_confirm_baseline(s, &c, rep, dir, "main", NULL, 0),
				 0);
	}
	scorch_bench_suite_free(s);
}

static void test_confirm_verdicts(void **state)
{
	(void)state;
	char dir[] = "/tmp/scorch-bench-confirm-XXXXXX";
	assert_non_null(mkdtemp(dir));
	fake f = {.per_iter = 10};
	scorch_bench_report rep;
	run_confirmed(&f, NULL, 0, &rep);
	assert_int_equal(scorch_bench_save_baseline(&rep, dir, "main"), 0);
	scorch_bench_report_release(&rep);

	/* 1. The first measurement is 20% slower, the re-measurement matches the baseline: the
	 * regression is not believed. */
	f = (fake){.per_iter = 10, .per_iter_slow = 12, .slow_calls = 11};
	run_confirmed(&f, dir, 1, &rep);
	assert_int_equal(f.calls, 22);
	const scorch_bench_result *r = &rep.results[0];
	assert_true(r->has_comparison);
	assert_int_equal(r->cmp.verdict, SCORCH_BENCH_NO_CHANGE);
	assert_int_equal(r->confirm_runs, 1);
	assert_false(r->confirmed);
	assert_true(fabs(r->confirm_change[0] - 0.2) < 1e-12);
	assert_true(r->confirm_change[1] == 0);
	/* the first measurement is what the report keeps */
	assert_true(fabs(r->cmp.change.point - 0.2) < 1e-12 && r->cmp.new_value == 6);
	assert_int_equal(scorch_bench_count_regressions(&rep, 0), 0);
	size_t len;
	char *out = render(scorch_bench_write_table, &rep, &len);
	assert_non_null(strstr(out, "vs 5 ns: no change\n"));
	assert_non_null(strstr(
	    out, "  unconfirmed: +20.00% then +0.00% (measured again: reported as no change)"));
	assert_non_null(strstr(out, "summary: 0 improved, 0 regressed, 1 no change (1 of them "
				    "unconfirmed)"));
	free(out);
	out = render(scorch_bench_write_json, &rep, &len);
	const char *ch = strstr(out, "\"verdict\": \"no change\", \"confirmed\": false, "
				     "\"changes\": [");
	assert_non_null(ch);
	json_pair(strchr(ch, '[') + 1, 0.2, 0);
	assert_non_null(strstr(out, "\"confirm\": 1,"));
	sc_diag d;
	sc_diag_clear(&d);
	scorch_bench_report back;
	assert_int_equal(sc_bench_report_from_json(out, len, &back, &d), 0);
	assert_int_equal(back.config.confirm, 1);
	scorch_bench_report_release(&back);
	free(out);
	scorch_bench_report_release(&rep);

	/* 2. 20% slower both times: regressed, confirmed, and counted for --fail-on-regression. */
	f = (fake){.per_iter = 12};
	run_confirmed(&f, dir, 1, &rep);
	assert_int_equal(f.calls, 22);
	r = &rep.results[0];
	assert_int_equal(r->cmp.verdict, SCORCH_BENCH_REGRESSED);
	assert_int_equal(r->confirm_runs, 1);
	assert_true(r->confirmed);
	assert_true(fabs(r->confirm_change[0] - 0.2) < 1e-12);
	assert_true(fabs(r->confirm_change[1] - 0.2) < 1e-12);
	assert_int_equal(scorch_bench_count_regressions(&rep, 5), 1);
	assert_int_equal(scorch_bench_count_regressions(&rep, 25), 0);
	out = render(scorch_bench_write_table, &rep, &len);
	assert_non_null(strstr(out, "  confirmed: +20.00% then +20.00% (measured again)\n"));
	assert_non_null(strstr(out, "summary: 0 improved, 1 regressed, 0 no change\n"));
	free(out);
	out = render(scorch_bench_write_json, &rep, &len);
	ch = strstr(out, "\"verdict\": \"regressed\", \"confirmed\": true, \"changes\": [");
	assert_non_null(ch);
	json_pair(strchr(ch, '[') + 1, 0.2, 0.2);
	free(out);
	scorch_bench_report_release(&rep);

	/* 3. --confirm 0: the old behaviour, one measurement and its verdict. */
	f = (fake){.per_iter = 10, .per_iter_slow = 12, .slow_calls = 11};
	run_confirmed(&f, dir, 0, &rep);
	assert_int_equal(f.calls, 11);
	r = &rep.results[0];
	assert_int_equal(r->cmp.verdict, SCORCH_BENCH_REGRESSED);
	assert_int_equal(r->confirm_runs, 0);
	assert_int_equal(scorch_bench_count_regressions(&rep, 5), 1);
	out = render(scorch_bench_write_json, &rep, &len);
	assert_null(strstr(out, "\"confirmed\""));
	free(out);
	out = render(scorch_bench_write_table, &rep, &len);
	assert_null(strstr(out, "confirmed"));
	free(out);
	scorch_bench_report_release(&rep);

	/* 4. --confirm 2: the first re-measurement agrees, the second does not; improvements are
	 * confirmed the same way. */
	f = (fake){.per_iter = 10, .per_iter_slow = 12, .slow_calls = 22};
	run_confirmed(&f, dir, 2, &rep);
	assert_int_equal(f.calls, 33);
	r = &rep.results[0];
	assert_int_equal(r->confirm_runs, 2);
	assert_false(r->confirmed);
	assert_int_equal(r->cmp.verdict, SCORCH_BENCH_NO_CHANGE);
	assert_true(fabs(r->confirm_change[1] - 0.2) < 1e-12 && r->confirm_change[2] == 0);
	scorch_bench_report_release(&rep);
	f = (fake){.per_iter = 8};
	run_confirmed(&f, dir, 2, &rep);
	assert_int_equal(f.calls, 33);
	assert_int_equal(rep.results[0].cmp.verdict, SCORCH_BENCH_IMPROVED);
	assert_true(rep.results[0].confirmed && rep.results[0].confirm_runs == 2);
	scorch_bench_report_release(&rep);

	/* No change needs no confirmation; a missing baseline is refused. */
	f = (fake){.per_iter = 10};
	run_confirmed(&f, dir, 1, &rep);
	assert_int_equal(f.calls, 11);
	assert_int_equal(rep.results[0].confirm_runs, 0);
	scorch_bench_suite *s = scorch_bench_suite_new();
	scorch_bench_config c;
	scorch_bench_config_init(&c);
	assert_int_equal(scorch_bench_confirm_baseline(s, &c, &rep, dir, "missing", NULL, 0),
			 -ENOENT);
	scorch_bench_suite_free(s);
	scorch_bench_report_release(&rep);

	char path[96];
	snprintf(path, sizeof(path), "%s/main.json", dir);
	unlink(path);
	rmdir(dir);
}

static void test_proc_stat_parse(void **state)
{
	(void)state;
	sc_bench_cpu_times t;
	const char *stat = "cpu  100 1 50 800 10 0 5 34 7 0\ncpu0 50 0 25 400 5 0 2 17 0 0\n";
	assert_int_equal(sc_bench_parse_proc_stat(stat, &t), 0);
	assert_true(t.valid);
	assert_int_equal(t.steal, 34);
	assert_int_equal(t.total, 100 + 1 + 50 + 800 + 10 + 0 + 5 + 34); /* guest not added */
	assert_int_equal(sc_bench_parse_proc_stat("cpu0 1 2 3 4\n", &t), -EINVAL);
	/* an old kernel without the steal column */
	assert_int_equal(sc_bench_parse_proc_stat("cpu 1 2 3 4\n", &t), 0);
	assert_int_equal(t.steal, 0);
	assert_int_equal(t.total, 10);
}

static void test_do_not_optimize_compiles(void **state)
{
	(void)state;
	double x = 1.5;
	int i = 3;
	float fl = 2.0f;
	void *p = &i;
	SCORCH_DO_NOT_OPTIMIZE(x);
	SCORCH_DO_NOT_OPTIMIZE(i);
	SCORCH_DO_NOT_OPTIMIZE(fl);
	SCORCH_DO_NOT_OPTIMIZE(p);
	scorch_do_not_optimize(&x);
	scorch_clobber_memory();
	assert_true(x == 1.5 && i == 3 && fl == 2.0f && p == &i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fake_clock_exact),
	    cmocka_unit_test(test_filter_and_args_complexity),
	    cmocka_unit_test(test_ab_interleaved),
	    cmocka_unit_test(test_failure_and_repeat),
	    cmocka_unit_test(test_json_roundtrip_and_outputs),
	    cmocka_unit_test(test_json_reader_hostile_values),
	    cmocka_unit_test(test_crash_caught_and_slow_cut),
	    cmocka_unit_test(test_baseline_save_compare),
	    cmocka_unit_test(test_confirm_verdicts),
	    cmocka_unit_test(test_proc_stat_parse),
	    cmocka_unit_test(test_do_not_optimize_compiles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
