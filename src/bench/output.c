/*
 * output.c: the four views of a report: terminal text, JSON, CSV and an HTML page with SVG plots.
 *
 * Each writer takes a caller's FILE* and returns 0 or -EIO (checked with ferror at the end, so a
 * full disk is noticed). The JSON format is described, with an annotated example, in json.c next
 * to its reader; change both together and bump "version".
 *
 * Not for: deciding what to print (main.c picks the writers).
 */
#include "bench/bench_impl.h"
#include "bench/stats.h"
#include "util/strbuf.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *sc_bench_verdict_name(enum scorch_bench_verdict v)
{
	switch (v) {
	case SCORCH_BENCH_IMPROVED:
		return "improved";
	case SCORCH_BENCH_REGRESSED:
		return "regressed";
	default:
		return "no change";
	}
}

const char *sc_bench_fmt_time(double v, const char *unit, char *buf, size_t size)
{
	if (isnan(v)) {
		snprintf(buf, size, "-");
	} else if (unit && strcmp(unit, "ns")) {
		/* instructions: plain number with a metric prefix */
		if (fabs(v) >= 1e9)
			snprintf(buf, size, "%.4g G%s", v / 1e9, "instr");
		else if (fabs(v) >= 1e6)
			snprintf(buf, size, "%.4g M%s", v / 1e6, "instr");
		else if (fabs(v) >= 1e3)
			snprintf(buf, size, "%.4g k%s", v / 1e3, "instr");
		else
			snprintf(buf, size, "%.4g %s", v, "instr");
	} else if (fabs(v) >= 1e9) {
		snprintf(buf, size, "%.4g s", v / 1e9);
	} else if (fabs(v) >= 1e6) {
		snprintf(buf, size, "%.4g ms", v / 1e6);
	} else if (fabs(v) >= 1e3) {
		snprintf(buf, size, "%.4g µs", v / 1e3);
	} else {
		snprintf(buf, size, "%.4g ns", v);
	}
	return buf;
}

static const char *fmt_rate(double per_s, enum scorch_bench_throughput k, char *buf, size_t size)
{
	const char *u = k == SCORCH_BENCH_TP_BYTES ? "B/s" : "elem/s";
	if (k == SCORCH_BENCH_TP_BYTES) {
		if (per_s >= 1073741824.0)
			snprintf(buf, size, "%.4g GiB/s", per_s / 1073741824.0);
		else if (per_s >= 1048576.0)
			snprintf(buf, size, "%.4g MiB/s", per_s / 1048576.0);
		else if (per_s >= 1024.0)
			snprintf(buf, size, "%.4g KiB/s", per_s / 1024.0);
		else
			snprintf(buf, size, "%.4g %s", per_s, u);
	} else if (per_s >= 1e9) {
		snprintf(buf, size, "%.4g G%s", per_s / 1e9, u);
	} else if (per_s >= 1e6) {
		snprintf(buf, size, "%.4g M%s", per_s / 1e6, u);
	} else if (per_s >= 1e3) {
		snprintf(buf, size, "%.4g K%s", per_s / 1e3, u);
	} else {
		snprintf(buf, size, "%.4g %s", per_s, u);
	}
	return buf;
}

static int finish(FILE *fp)
{
	return fflush(fp) != 0 || ferror(fp) ? -EIO : 0;
}

/* --- Terminal --- */

static void table_env(const scorch_bench_report *r, FILE *fp)
{
	const scorch_bench_env *e = &r->env;
	fprintf(fp, "environment: %s, %s, %d CPUs%s, %s\n", e->hostname ? e->hostname : "?",
		e->kernel ? e->kernel : "?", e->ncpus, e->hypervisor ? " (virtual machine)" : "",
		e->cpu_model ? e->cpu_model : "unknown CPU");
	fprintf(fp, "  load %.2f -> %.2f, steal ", e->loadavg[0], e->loadavg_end);
	if (isnan(e->steal))
		fprintf(fp, "unknown");
	else
		fprintf(fp, "%.2f%%", e->steal * 100);
	fprintf(fp, ", governor %s\n",
		e->governor ? e->governor : "unavailable (no cpufreq in /sys; usual on VMs)");
	fprintf(fp, "  timer: resolution %.0f ns, measured step %.0f ns, %.0f ns per reading; ",
		e->timer_res_ns, e->timer_step_ns, e->timer_cost_ns);
	fprintf(fp, "build: benchmarks %s, library %s\n",
		e->debug_build ? "NOT optimized" : "optimized",
		e->lib_debug_build ? "NOT optimized" : "optimized");
	for (size_t i = 0; i < e->nwarnings; i++)
		fprintf(fp, "warning: %s\n", e->warnings[i]);
}

/* What went wrong with a failed result, for every format: the errno's text, or the crash. */
static const char *error_text(const scorch_bench_result *r, char *buf, size_t size)
{
	if (r->crash_signal) {
		snprintf(buf, size, "crashed: signal %d (%s)", r->crash_signal,
			 strsignal(r->crash_signal));
		return buf;
	}
	return strerror(-r->error);
}

static void table_result(const scorch_bench_report *rep, const scorch_bench_result *r, FILE *fp)
{
	char a[32], b[32], c[32], d[32];
	const char *u = r->unit;
	fprintf(fp, "\n%s\n", r->id);
	if (r->error) {
		char eb[64];
		fprintf(fp, "  failed: %s\n", error_text(r, eb, sizeof(eb)));
		return;
	}
	if (r->is_ab) {
		fprintf(fp, "  A %-12s [%s %s %s]\n", r->name_a,
			sc_bench_fmt_time(r->slope.lo, u, a, 32),
			sc_bench_fmt_time(r->slope.point, u, b, 32),
			sc_bench_fmt_time(r->slope.hi, u, c, 32));
		fprintf(fp, "  B %-12s [%s %s %s]\n", r->name_b,
			sc_bench_fmt_time(r->slope_b.lo, u, a, 32),
			sc_bench_fmt_time(r->slope_b.point, u, b, 32),
			sc_bench_fmt_time(r->slope_b.hi, u, c, 32));
		fprintf(fp, "  B/A  [%.4f %.4f %.4f]  %s\n", r->ratio.lo, r->ratio.point,
			r->ratio.hi,
			r->ratio.hi < 1	  ? "B is faster"
			: r->ratio.lo > 1 ? "B is slower"
					  : "no significant difference");
		return;
	}
	bool counted = rep->config.measure == SCORCH_BENCH_MEASURE_INSTRUCTIONS;
	bool cpu = r->headline_name && !strcmp(r->headline_name, "min_cpu");
	if (!counted)
		fprintf(fp,
			"  %-7s [%s %s %s]  headline: the fastest batch's %s time per iteration\n",
			cpu ? "min cpu" : "min", sc_bench_fmt_time(r->headline.lo, u, a, 32),
			sc_bench_fmt_time(r->headline.point, u, b, 32),
			sc_bench_fmt_time(r->headline.hi, u, c, 32), cpu ? "CPU" : "wall-clock");
	fprintf(fp, "  slope   [%s %s %s]  %sof %zu samples, R^2 %.4f",
		sc_bench_fmt_time(r->slope.lo, u, a, 32),
		sc_bench_fmt_time(r->slope.point, u, b, 32),
		sc_bench_fmt_time(r->slope.hi, u, c, 32), counted ? "headline, " : "", r->nsamples,
		r->r2);
	if (!isnan(r->cpu_slope))
		fprintf(fp, ", cpu %s", sc_bench_fmt_time(r->cpu_slope, u, d, 32));
	fprintf(
	    fp, "\n  median  %s [%s %s]  mean %s\n", sc_bench_fmt_time(r->median.point, u, a, 32),
	    sc_bench_fmt_time(r->median.lo, u, b, 32), sc_bench_fmt_time(r->median.hi, u, c, 32),
	    sc_bench_fmt_time(r->mean.point, u, d, 32));
	fprintf(fp, "  spread  min %s  p10 %s  MAD %s (%.1f%%)  sd %s\n",
		sc_bench_fmt_time(r->min, u, a, 32), sc_bench_fmt_time(r->p10, u, b, 32),
		sc_bench_fmt_time(r->mad, u, c, 32),
		r->median.point > 0 ? 100 * r->mad / r->median.point : 0.0,
		sc_bench_fmt_time(r->stddev, u, d, 32));
	if (r->throughput_kind && !isnan(r->throughput))
		fprintf(fp, "  thrpt   %s\n", fmt_rate(r->throughput, r->throughput_kind, a, 32));
	unsigned no = r->outliers[0] + r->outliers[1] + r->outliers[2] + r->outliers[3];
	if (no)
		fprintf(fp,
			"  outliers %u of %zu (%u low severe, %u low mild, %u high mild, %u high "
			"severe)\n",
			no, r->nsamples, r->outliers[0], r->outliers[1], r->outliers[2],
			r->outliers[3]);
	if (r->has_comparison)
		fprintf(fp, "  change  [%+.2f%% %+.2f%% %+.2f%%] (p = %.3g) vs %s: %s\n",
			r->cmp.change.lo * 100, r->cmp.change.point * 100, r->cmp.change.hi * 100,
			r->cmp.p_value, sc_bench_fmt_time(r->cmp.base_value, u, a, 32),
			sc_bench_verdict_name(r->cmp.verdict));
	if (r->has_comparison && r->confirm_runs) {
		fprintf(fp, "  %s: %+.2f%%", r->confirmed ? "confirmed" : "unconfirmed",
			r->confirm_change[0] * 100);
		for (unsigned k = 1; k <= r->confirm_runs; k++)
			fprintf(fp, "%s%+.2f%%", k == 1 ? " then " : ", ",
				r->confirm_change[k] * 100);
		fputs(r->confirmed ? " (measured again)\n"
				   : " (measured again: reported as no change)\n",
		      fp);
	}
	if (r->runs > 1)
		fprintf(
		    fp,
		    "  repeat  %u runs, CV headline %.1f%%, slope %.1f%% median %.1f%% mean %.1f%% "
		    "min %.1f%%%s\n",
		    r->runs, r->cv_headline * 100, r->cv[0] * 100, r->cv[1] * 100, r->cv[2] * 100,
		    r->cv[3] * 100, r->repeat_unstable ? "  (above the 5% flag)" : "");
	if (r->unstable)
		fprintf(fp,
			"  UNSTABLE: MAD/median %.1f%% (limit %.0f%%), CI width %.1f%% (limit "
			"%.0f%%)\n",
			r->median.point > 0 ? 100 * r->mad / r->median.point : 0.0,
			rep->config.unstable_mad * 100,
			r->slope.point > 0 ? 100 * (r->slope.hi - r->slope.lo) / r->slope.point
					   : 0.0,
			rep->config.unstable_ci * 100);
}

int scorch_bench_write_table(const scorch_bench_report *r, FILE *fp)
{
	fprintf(fp,
		"%zu benchmark%s, %u samples each, %.3g s target, %.0f%% intervals from %u "
		"bootstrap resamples (seed %llu), headline estimate: %s\n",
		r->nresults, r->nresults == 1 ? "" : "s", r->config.samples, r->config.measure_s,
		r->config.confidence * 100, r->config.resamples, (unsigned long long)r->config.seed,
		scorch_bench_headline_name(r));
	if (r->baseline_name)
		fprintf(fp, "compared with baseline '%s' (noise threshold %.1f%%)\n",
			r->baseline_name, r->config.noise * 100);
	table_env(r, fp);
	for (size_t i = 0; i < r->nresults; i++)
		table_result(r, &r->results[i], fp);
	if (r->ncomplexity)
		fprintf(fp, "\ncomplexity\n");
	for (size_t i = 0; i < r->ncomplexity; i++) {
		const scorch_bench_complexity *c = &r->complexity[i];
		char a[32];
		fprintf(fp, "  %-40s %-11s coefficient %s, RMS %.1f%%\n", c->base_id,
			sc_bench_big_o_name(c->best),
			sc_bench_fmt_time(c->coef[c->best],
					  r->config.measure == SCORCH_BENCH_MEASURE_INSTRUCTIONS
					      ? "instructions"
					      : "ns",
					  a, sizeof(a)),
			c->rms[c->best] * 100);
	}
	if (r->baseline_name) {
		size_t n[3] = {0}, unconfirmed = 0;
		for (size_t i = 0; i < r->nresults; i++)
			if (r->results[i].has_comparison) {
				n[r->results[i].cmp.verdict]++;
				unconfirmed +=
				    r->results[i].confirm_runs && !r->results[i].confirmed;
			}
		fprintf(fp, "\nsummary: %zu improved, %zu regressed, %zu no change",
			n[SCORCH_BENCH_IMPROVED], n[SCORCH_BENCH_REGRESSED],
			n[SCORCH_BENCH_NO_CHANGE]);
		if (unconfirmed)
			fprintf(fp, " (%zu of them unconfirmed)", unconfirmed);
		fputc('\n', fp);
	}
	return finish(fp);
}

/* --- Comparison of two runs (`scorch bench compare`) --- */

/* Writes s right-aligned in `width` columns, counting UTF-8 characters (µs), not bytes. */
static void put_right(FILE *fp, const char *s, int width)
{
	int cols = 0;
	for (const char *p = s; *p; p++)
		cols += ((unsigned char)*p & 0xc0) != 0x80;
	fprintf(fp, "%*s%s", width > cols ? width - cols : 0, "", s);
}

/* A string from a report file, for the terminal: control characters and ill-formed UTF-8 shown
 * as \xNN (util/strbuf.h), into buf; a long one is cut. Returns buf. */
static const char *shown(const char *s, char *buf, size_t size)
{
	sc_strbuf sb = {0};
	sc_strbuf_add_text(&sb, s ? s : "?");
	snprintf(buf, size, "%s", sb.buf ? sb.buf : "?");
	sc_strbuf_release(&sb);
	return buf;
}

int sc_bench_write_comparison(const scorch_bench_report *r, FILE *fp)
{
	const char *h = scorch_bench_headline_name(r);
	char created[128], base[256], id[256];
	fprintf(fp,
		"new run (created %s) against base %s\nheadline estimate: %s; noise threshold "
		"%.1f%%; %.0f%% intervals and p from %u bootstrap resamples\n",
		shown(r->created, created, sizeof(created)),
		shown(r->baseline_name, base, sizeof(base)), h, r->config.noise * 100,
		r->config.confidence * 100, r->config.resamples);
	for (size_t i = 0; i < r->env.nwarnings; i++)
		fprintf(fp, "warning (new run): %s\n", shown(r->env.warnings[i], id, sizeof(id)));
	fprintf(fp, "\n%-32s %12s %12s %9s  %-21s %7s  %s\n", "benchmark", "base", "new", "change",
		"interval", "p", "verdict");
	size_t n[3] = {0}, missing = 0;
	for (size_t i = 0; i < r->nresults; i++) {
		const scorch_bench_result *x = &r->results[i];
		if (!x->has_comparison) {
			fprintf(fp, "%-32s %12s %12s %9s  %-21s %7s  %s\n",
				shown(x->id, id, sizeof(id)), "-", "-", "-", "", "",
				x->error ? "failed" : "not in base");
			missing++;
			continue;
		}
		char a[32], b[32], ci[48];
		snprintf(ci, sizeof(ci), "[%+.2f%%, %+.2f%%]", x->cmp.change.lo * 100,
			 x->cmp.change.hi * 100);
		fprintf(fp, "%-32s ", shown(x->id, id, sizeof(id)));
		put_right(fp, sc_bench_fmt_time(x->cmp.base_value, x->unit, a, 32), 12);
		fputc(' ', fp);
		put_right(fp, sc_bench_fmt_time(x->cmp.new_value, x->unit, b, 32), 12);
		fprintf(fp, " %+8.2f%%  %-21s %7.3g  %s\n", x->cmp.change.point * 100, ci,
			x->cmp.p_value, sc_bench_verdict_name(x->cmp.verdict));
		n[x->cmp.verdict]++;
	}
	fprintf(fp, "\nsummary: %zu improved, %zu regressed, %zu no change",
		n[SCORCH_BENCH_IMPROVED], n[SCORCH_BENCH_REGRESSED], n[SCORCH_BENCH_NO_CHANGE]);
	if (missing)
		fprintf(fp, ", %zu not compared", missing);
	fputc('\n', fp);
	return finish(fp);
}

/* --- JSON --- */

static void jnum(FILE *fp, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", fp);
	else
		fprintf(fp, "%.17g", v);
}

static void jstr(FILE *fp, const char *s)
{
	if (!s) {
		fputs("null", fp);
		return;
	}
	sc_strbuf sb = {0};
	if (sc_strbuf_add_json(&sb, s) < 0) {
		fputs("null", fp);
		return;
	}
	fprintf(fp, "\"%s\"", sc_strbuf_cstr(&sb));
	sc_strbuf_release(&sb);
}

static void jest(FILE *fp, const char *key, const scorch_bench_estimate *e)
{
	fprintf(fp, "\"%s\": {\"point\": ", key);
	jnum(fp, e->point);
	fputs(", \"lo\": ", fp);
	jnum(fp, e->lo);
	fputs(", \"hi\": ", fp);
	jnum(fp, e->hi);
	fputs("}", fp);
}

static void jarray(FILE *fp, const double *v, size_t n)
{
	fputc('[', fp);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", fp);
		jnum(fp, v[i]);
	}
	fputc(']', fp);
}

static const char *tp_name(enum scorch_bench_throughput k)
{
	return k == SCORCH_BENCH_TP_BYTES      ? "bytes"
	       : k == SCORCH_BENCH_TP_ELEMENTS ? "elements"
					       : NULL;
}

static void json_result(const scorch_bench_result *r, FILE *fp)
{
	fputs("    {\"id\": ", fp);
	jstr(fp, r->id);
	fputs(", \"group\": ", fp);
	jstr(fp, r->group);
	fputs(", \"name\": ", fp);
	jstr(fp, r->name);
	fputs(", \"arg\": ", fp);
	if (r->has_arg)
		fprintf(fp, "%lld", (long long)r->arg);
	else
		fputs("null", fp);
	fputs(", \"unit\": ", fp);
	jstr(fp, r->unit);
	fprintf(fp, ", \"error\": ");
	char eb[64];
	jstr(fp, r->error ? error_text(r, eb, sizeof(eb)) : NULL);
	fputs(",\n     \"estimates\": {", fp);
	jest(fp, "headline", &r->headline);
	fputs(", ", fp);
	jest(fp, "slope", &r->slope);
	fputs(", ", fp);
	jest(fp, "mean", &r->mean);
	fputs(", ", fp);
	jest(fp, "median", &r->median);
	const struct {
		const char *k;
		double v;
	} plain[] = {{"min", r->min},	    {"p10", r->p10}, {"mad", r->mad},
		     {"stddev", r->stddev}, {"r2", r->r2},   {"cpu_slope", r->cpu_slope}};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		fprintf(fp, ", \"%s\": ", plain[i].k);
		jnum(fp, plain[i].v);
	}
	fprintf(fp,
		"},\n     \"outliers\": {\"low_severe\": %u, \"low_mild\": %u, \"high_mild\": %u, "
		"\"high_severe\": %u}, \"unstable\": %s",
		r->outliers[0], r->outliers[1], r->outliers[2], r->outliers[3],
		r->unstable ? "true" : "false");
	fputs(",\n     \"throughput\": ", fp);
	if (r->throughput_kind) {
		fputs("{\"kind\": ", fp);
		jstr(fp, tp_name(r->throughput_kind));
		fputs(", \"per_iter\": ", fp);
		jnum(fp, r->throughput_per_iter);
		fputs(", \"per_second\": ", fp);
		jnum(fp, r->throughput);
		fputs("}", fp);
	} else {
		fputs("null", fp);
	}
	fputs(",\n     \"samples\": {\"iters\": ", fp);
	jarray(fp, r->iters, r->nsamples);
	fputs(", \"wall\": ", fp);
	jarray(fp, r->wall, r->nsamples);
	fputs(", \"cpu\": ", fp);
	if (r->cpu)
		jarray(fp, r->cpu, r->nsamples);
	else
		fputs("null", fp);
	fputs("}", fp);
	if (r->is_ab) {
		fputs(",\n     \"ab\": {\"a\": ", fp);
		jstr(fp, r->name_a);
		fputs(", \"b\": ", fp);
		jstr(fp, r->name_b);
		fputs(", ", fp);
		jest(fp, "slope_b", &r->slope_b);
		fputs(", ", fp);
		jest(fp, "ratio", &r->ratio);
		fputs(", \"wall_b\": ", fp);
		jarray(fp, r->wall_b, r->nsamples);
		fputs("}", fp);
	}
	if (r->has_comparison) {
		fputs(",\n     \"comparison\": {\"base_median\": ", fp);
		jnum(fp, r->cmp.base_median);
		fputs(", \"new_median\": ", fp);
		jnum(fp, r->cmp.new_median);
		fputs(", \"base\": ", fp);
		jnum(fp, r->cmp.base_value);
		fputs(", \"new\": ", fp);
		jnum(fp, r->cmp.new_value);
		fputs(", ", fp);
		jest(fp, "change", &r->cmp.change);
		fputs(", \"p_value\": ", fp);
		jnum(fp, r->cmp.p_value);
		fputs(", \"verdict\": ", fp);
		jstr(fp, sc_bench_verdict_name(r->cmp.verdict));
		if (r->confirm_runs) {
			fprintf(fp, ", \"confirmed\": %s, \"changes\": ",
				r->confirmed ? "true" : "false");
			jarray(fp, r->confirm_change, 1 + (size_t)r->confirm_runs);
		}
		fputs("}", fp);
	}
	if (r->runs > 1) {
		fprintf(fp, ",\n     \"repeat\": {\"runs\": %u, \"cv\": {\"slope\": ", r->runs);
		jnum(fp, r->cv[0]);
		fputs(", \"median\": ", fp);
		jnum(fp, r->cv[1]);
		fputs(", \"mean\": ", fp);
		jnum(fp, r->cv[2]);
		fputs(", \"min\": ", fp);
		jnum(fp, r->cv[3]);
		fputs(", \"headline\": ", fp);
		jnum(fp, r->cv_headline);
		fprintf(fp, "}, \"unstable\": %s}", r->repeat_unstable ? "true" : "false");
	}
	fputs("}", fp);
}

int scorch_bench_write_json(const scorch_bench_report *r, FILE *fp)
{
	const scorch_bench_config *c = &r->config;
	const scorch_bench_env *e = &r->env;
	fputs("{\"schema\": \"scorch.bench\", \"version\": 1, \"created\": ", fp);
	jstr(fp, r->created);
	fprintf(fp, ", \"headline\": \"%s\"", scorch_bench_headline_name(r));
	fprintf(fp,
		",\n \"config\": {\"warmup_s\": %.17g, \"measure_s\": %.17g, \"samples\": %u, "
		"\"resamples\": %u, \"confidence\": %.17g, \"noise\": %.17g, \"seed\": %llu, "
		"\"repeat\": %u, \"confirm\": %u, \"measure\": \"%s\"},\n",
		c->warmup_s, c->measure_s, c->samples, c->resamples, c->confidence, c->noise,
		(unsigned long long)c->seed, c->repeat, c->confirm,
		c->measure == SCORCH_BENCH_MEASURE_INSTRUCTIONS ? "instructions" : "time");
	fputs(" \"environment\": {\"hostname\": ", fp);
	jstr(fp, e->hostname);
	fputs(", \"kernel\": ", fp);
	jstr(fp, e->kernel);
	fputs(", \"cpu_model\": ", fp);
	jstr(fp, e->cpu_model);
	fprintf(fp, ", \"ncpus\": %d, \"hypervisor\": %s, \"governor\": ", e->ncpus,
		e->hypervisor ? "true" : "false");
	jstr(fp, e->governor);
	fputs(", \"loadavg\": ", fp);
	jarray(fp, e->loadavg, 3);
	fputs(", \"loadavg_end\": ", fp);
	jnum(fp, e->loadavg_end);
	fputs(", \"steal\": ", fp);
	jnum(fp, e->steal);
	fprintf(fp, ", \"debug_build\": %s, \"lib_debug_build\": %s, \"timer_res_ns\": ",
		e->debug_build ? "true" : "false", e->lib_debug_build ? "true" : "false");
	jnum(fp, e->timer_res_ns);
	fputs(", \"timer_step_ns\": ", fp);
	jnum(fp, e->timer_step_ns);
	fputs(", \"timer_cost_ns\": ", fp);
	jnum(fp, e->timer_cost_ns);
	fputs(", \"warnings\": [", fp);
	for (size_t i = 0; i < e->nwarnings; i++) {
		if (i)
			fputs(", ", fp);
		jstr(fp, e->warnings[i]);
	}
	fputs("]},\n \"baseline\": ", fp);
	jstr(fp, r->baseline_name);
	fputs(",\n \"benchmarks\": [\n", fp);
	for (size_t i = 0; i < r->nresults; i++) {
		json_result(&r->results[i], fp);
		fputs(i + 1 < r->nresults ? ",\n" : "\n", fp);
	}
	fputs(" ],\n \"complexity\": [", fp);
	for (size_t i = 0; i < r->ncomplexity; i++) {
		const scorch_bench_complexity *cx = &r->complexity[i];
		fputs(i ? ",\n  {\"benchmark\": " : "\n  {\"benchmark\": ", fp);
		jstr(fp, cx->base_id);
		fputs(", \"best\": ", fp);
		jstr(fp, sc_bench_big_o_name(cx->best));
		fputs(", \"fits\": [", fp);
		for (int o = 0; o < SCORCH_BENCH_O_COUNT; o++) {
			fprintf(fp, "%s{\"model\": \"%s\", \"coef\": ", o ? ", " : "",
				sc_bench_big_o_name(o));
			jnum(fp, cx->coef[o]);
			fputs(", \"rms\": ", fp);
			jnum(fp, cx->rms[o]);
			fputs("}", fp);
		}
		fputs("]}", fp);
	}
	fputs("]\n}\n", fp);
	return finish(fp);
}

/* --- CSV --- */

static void csv_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; s && *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static void csv_num(FILE *fp, double v)
{
	if (!isnan(v))
		fprintf(fp, "%.10g", v);
}

int scorch_bench_write_csv(const scorch_bench_report *r, FILE *fp)
{
	fputs("id,group,name,arg,unit,samples,headline,headline_lo,headline_hi,slope,slope_lo,"
	      "slope_hi,mean,median,median_lo,"
	      "median_hi,min,p10,mad,stddev,r2,cpu_slope,outliers_low_severe,outliers_low_mild,"
	      "outliers_high_mild,outliers_high_severe,unstable,throughput_kind,throughput_per_s,"
	      "ab_ratio,ab_ratio_lo,ab_ratio_hi,change,change_lo,change_hi,p_value,verdict,"
	      "error\n",
	      fp);
	for (size_t i = 0; i < r->nresults; i++) {
		const scorch_bench_result *x = &r->results[i];
		csv_str(fp, x->id);
		fputc(',', fp);
		csv_str(fp, x->group);
		fputc(',', fp);
		csv_str(fp, x->name);
		fputc(',', fp);
		if (x->has_arg)
			fprintf(fp, "%lld", (long long)x->arg);
		fprintf(fp, ",%s,%zu", x->unit, x->nsamples);
		double v[] = {x->headline.point,
			      x->headline.lo,
			      x->headline.hi,
			      x->slope.point,
			      x->slope.lo,
			      x->slope.hi,
			      x->mean.point,
			      x->median.point,
			      x->median.lo,
			      x->median.hi,
			      x->min,
			      x->p10,
			      x->mad,
			      x->stddev,
			      x->r2,
			      x->cpu_slope};
		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
			fputc(',', fp);
			csv_num(fp, x->error ? NAN : v[k]);
		}
		fprintf(fp, ",%u,%u,%u,%u,%d,%s,", x->outliers[0], x->outliers[1], x->outliers[2],
			x->outliers[3], x->unstable, tp_name(x->throughput_kind) ?: "");
		csv_num(fp, x->throughput_kind ? x->throughput : NAN);
		double ab[] = {x->ratio.point, x->ratio.lo, x->ratio.hi};
		for (int k = 0; k < 3; k++) {
			fputc(',', fp);
			csv_num(fp, x->is_ab ? ab[k] : NAN);
		}
		double cm[] = {x->cmp.change.point, x->cmp.change.lo, x->cmp.change.hi,
			       x->cmp.p_value};
		for (int k = 0; k < 4; k++) {
			fputc(',', fp);
			csv_num(fp, x->has_comparison ? cm[k] : NAN);
		}
		fputc(',', fp);
		if (x->has_comparison)
			fputs(sc_bench_verdict_name(x->cmp.verdict), fp);
		fputc(',', fp);
		char eb[64];
		if (x->error)
			csv_str(fp, error_text(x, eb, sizeof(eb)));
		fputc('\n', fp);
	}
	return finish(fp);
}

/* --- HTML --- */

#define PW  420
#define PH  240
#define PAD 40

/* Samples (iterations, total time) with the fitted line through the origin. */
static void svg_regression(const scorch_bench_result *r, FILE *fp)
{
	double mx = 0, my = 0;
	for (size_t i = 0; i < r->nsamples; i++) {
		mx = fmax(mx, r->iters[i]);
		my = fmax(my, r->wall[i]);
	}
	my = fmax(my, r->slope.hi * mx);
	if (mx <= 0 || my <= 0)
		return;
	fprintf(fp,
		"<svg width='%d' height='%d' class='plot'><text x='%d' y='14'>total time vs "
		"iterations (line: slope, band: %.0f%% CI)</text>\n",
		PW, PH, PAD, 95.0);
	double sx = (PW - PAD - 10) / mx, sy = (PH - PAD - 20) / my;
#define X(v) (PAD + (v)*sx)
#define Y(v) (PH - PAD - (v)*sy)
	fprintf(fp, "<line x1='%d' y1='%d' x2='%d' y2='%d' class='axis'/>", PAD, PH - PAD, PW - 10,
		PH - PAD);
	fprintf(fp, "<line x1='%d' y1='%d' x2='%d' y2='%d' class='axis'/>\n", PAD, PH - PAD, PAD,
		20);
	fprintf(fp, "<polygon class='band' points='%.1f,%.1f %.1f,%.1f %.1f,%.1f'/>\n", X(0), Y(0),
		X(mx), Y(r->slope.lo * mx), X(mx), Y(r->slope.hi * mx));
	fprintf(fp, "<line class='fit' x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f'/>\n", X(0), Y(0),
		X(mx), Y(r->slope.point * mx));
	for (size_t i = 0; i < r->nsamples; i++)
		fprintf(fp, "<circle cx='%.1f' cy='%.1f' r='2.5'/>", X(r->iters[i]), Y(r->wall[i]));
	char a[32], b[32];
	fprintf(fp,
		"\n<text x='%d' y='%d'>%.3g iterations</text><text x='2' y='30'>%s</text>"
		"<text x='%d' y='%d' class='muted'>slope %s</text></svg>\n",
		PW - 150, PH - 8, mx, sc_bench_fmt_time(my, r->unit, a, 32), PAD + 10, 34,
		sc_bench_fmt_time(r->slope.point, r->unit, b, 32));
#undef X
#undef Y
}

/* Histogram of per-iteration times, with the median and the mild outlier fences marked. */
static void svg_distribution(const scorch_bench_result *r, FILE *fp)
{
	size_t n = r->nsamples;
	double *v = malloc(n * sizeof(*v));
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = r->wall[i] / r->iters[i];
	sc_bench_sort(v, n);
	double lo = v[0], hi = v[n - 1];
	if (hi <= lo)
		hi = lo + fmax(1e-9, fabs(lo) * 1e-3);
	enum { BINS = 30 };
	unsigned bins[BINS] = {0}, top = 1;
	for (size_t i = 0; i < n; i++) {
		int b = (int)((v[i] - lo) / (hi - lo) * BINS);
		if (b >= BINS)
			b = BINS - 1;
		if (++bins[b] > top)
			top = bins[b];
	}
	fprintf(fp,
		"<svg width='%d' height='%d' class='plot'><text x='%d' y='14'>per-iteration "
		"time distribution (%zu samples)</text>\n",
		PW, PH, PAD, n);
	double bw = (double)(PW - PAD - 10) / BINS, sy = (double)(PH - PAD - 30) / top;
	for (int b = 0; b < BINS; b++)
		if (bins[b])
			fprintf(fp,
				"<rect class='bar' x='%.1f' y='%.1f' width='%.1f' height='%.1f'/>",
				PAD + b * bw, PH - PAD - bins[b] * sy, bw - 1, bins[b] * sy);
	double med = r->median.point;
	double xm = PAD + (med - lo) / (hi - lo) * (PW - PAD - 10);
	fprintf(fp, "\n<line class='fit' x1='%.1f' y1='%d' x2='%.1f' y2='%d'/>", xm, PH - PAD, xm,
		25);
	fprintf(fp, "<line x1='%d' y1='%d' x2='%d' y2='%d' class='axis'/>", PAD, PH - PAD, PW - 10,
		PH - PAD);
	char a[32], b2[32], c[32];
	fprintf(fp,
		"<text x='%d' y='%d'>%s</text><text x='%d' y='%d'>%s</text>"
		"<text x='%.1f' y='%d' class='muted'>median %s</text></svg>\n",
		PAD, PH - PAD + 16, sc_bench_fmt_time(lo, r->unit, a, 32), PW - 90, PH - PAD + 16,
		sc_bench_fmt_time(hi, r->unit, b2, 32), fmin(xm + 4, PW - 120.0), 36,
		sc_bench_fmt_time(med, r->unit, c, 32));
	free(v);
}

int scorch_bench_write_html(const scorch_bench_report *r, FILE *fp)
{
	sc_strbuf sb = {0};
	fputs("<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>scorch bench "
	      "report</title>\n<style>\nbody{font:14px system-ui,sans-serif;margin:2em;color:#222}"
	      "table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}"
	      "td:first-child,th:first-child{text-align:left}tr:nth-child(even){background:#f4f4f4}"
	      ".plot{border:1px solid #ddd;margin:4px;font-size:11px}.axis{stroke:#888}"
	      ".fit{stroke:#c0392b;stroke-width:1.5}.band{fill:#c0392b;opacity:.15}"
	      "circle{fill:#2c3e50}.bar{fill:#5d8aa8}.muted{fill:#666}.warn{color:#b35900}"
	      ".unstable{color:#c0392b;font-weight:bold}\n</style></head><body>\n"
	      "<h1>scorch bench report</h1>\n",
	      fp);
	const scorch_bench_env *e = &r->env;
	sc_strbuf_reset(&sb);
	sc_strbuf_addf(&sb, "%s, %s, %d CPUs%s, %s; load %.2f; steal %s; governor %s",
		       e->hostname ?: "?", e->kernel ?: "?", e->ncpus, e->hypervisor ? " (VM)" : "",
		       e->cpu_model ?: "?", e->loadavg[0], isnan(e->steal) ? "unknown" : "",
		       e->governor ?: "unavailable");
	if (!isnan(e->steal))
		sc_strbuf_addf(&sb, " (steal %.2f%%)", e->steal * 100);
	fputs("<p>", fp);
	sc_strbuf sb2 = {0};
	sc_strbuf_add_html(&sb2, sc_strbuf_cstr(&sb));
	fputs(sc_strbuf_cstr(&sb2), fp);
	sc_strbuf_release(&sb2);
	fprintf(fp, "<br>created %s, %u samples per benchmark, %.0f%% bootstrap intervals</p>\n",
		r->created ?: "?", r->config.samples, r->config.confidence * 100);
	for (size_t i = 0; i < e->nwarnings; i++) {
		sc_strbuf_reset(&sb);
		sc_strbuf_add_html(&sb, e->warnings[i]);
		fprintf(fp, "<p class='warn'>warning: %s</p>\n", sc_strbuf_cstr(&sb));
	}
	fprintf(fp,
		"<table><tr><th>benchmark</th><th>%s (headline)</th><th>95%% CI</th><th>slope</th>"
		"<th>median</th><th>MAD</th><th>outliers</th><th>change</th></tr>\n",
		scorch_bench_headline_name(r));
	for (size_t i = 0; i < r->nresults; i++) {
		const scorch_bench_result *x = &r->results[i];
		char a[32], b[32], c[32], d[32], f[32], g[32];
		sc_strbuf_reset(&sb);
		sc_strbuf_add_html(&sb, x->id);
		if (x->error) {
			fprintf(fp, "<tr><td>%s</td><td colspan='7'>failed</td></tr>\n",
				sc_strbuf_cstr(&sb));
			continue;
		}
		fprintf(
		    fp,
		    "<tr><td><a href='#b%zu'>%s</a>%s</td><td>%s</td><td>%s – %s</td><td>%s</td>"
		    "<td>%s</td><td>%s</td><td>%u</td>",
		    i, sc_strbuf_cstr(&sb),
		    x->unstable ? " <span class='unstable'>unstable</span>" : "",
		    sc_bench_fmt_time(x->headline.point, x->unit, a, 32),
		    sc_bench_fmt_time(x->headline.lo, x->unit, b, 32),
		    sc_bench_fmt_time(x->headline.hi, x->unit, c, 32),
		    sc_bench_fmt_time(x->slope.point, x->unit, d, 32),
		    sc_bench_fmt_time(x->median.point, x->unit, f, 32),
		    sc_bench_fmt_time(x->mad, x->unit, g, 32),
		    x->outliers[0] + x->outliers[1] + x->outliers[2] + x->outliers[3]);
		if (x->has_comparison)
			fprintf(fp, "<td>%+.2f%% %s</td></tr>\n", x->cmp.change.point * 100,
				sc_bench_verdict_name(x->cmp.verdict));
		else if (x->is_ab)
			fprintf(fp, "<td>B/A %.3f [%.3f, %.3f]</td></tr>\n", x->ratio.point,
				x->ratio.lo, x->ratio.hi);
		else
			fputs("<td></td></tr>\n", fp);
	}
	fputs("</table>\n", fp);
	for (size_t i = 0; i < r->ncomplexity; i++) {
		sc_strbuf_reset(&sb);
		sc_strbuf_add_html(&sb, r->complexity[i].base_id);
		fprintf(fp, "<p>%s: best fit %s (RMS %.1f%%)</p>\n", sc_strbuf_cstr(&sb),
			sc_bench_big_o_name(r->complexity[i].best),
			r->complexity[i].rms[r->complexity[i].best] * 100);
	}
	for (size_t i = 0; i < r->nresults; i++) {
		const scorch_bench_result *x = &r->results[i];
		if (x->error || !x->nsamples)
			continue;
		sc_strbuf_reset(&sb);
		sc_strbuf_add_html(&sb, x->id);
		fprintf(fp, "<h2 id='b%zu'>%s</h2>\n<div>", i, sc_strbuf_cstr(&sb));
		svg_regression(x, fp);
		svg_distribution(x, fp);
		fputs("</div>\n", fp);
	}
	fputs("</body></html>\n", fp);
	sc_strbuf_release(&sb);
	return finish(fp);
}
