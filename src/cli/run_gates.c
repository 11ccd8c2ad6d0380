/*
 * run_gates.c: the CI gates of `scorch run`, checked after the modes ran.
 *
 *   memory.largest   [thresholds] max_allocation_size_mb: the largest single allocation
 *   memory.peak      [thresholds] max_peak_usage_mb: the heap's peak (requested bytes live)
 *   memory.leaks     [thresholds] leak_detection_threshold_bytes: bytes leaked at exit
 *   cpu.total        [thresholds] cpu_regression_total_pct: the total of the CPU profile grew by
 *                    more than this % over the baseline
 *   cpu.function     [thresholds] cpu_regression_function_pct: a function's self grew by more
 *                    than this many points over the baseline (scorch diff --fail-above's measure)
 *
 * The memory gates read the memory mode's heap.json (run_read_heap_totals); the CPU gates compare
 * the cpu mode's profile with the baseline through report/diff.h, as `scorch diff` does. A gate
 * whose data is missing (its mode did not run or failed) fails: a CI job must not pass for want
 * of a measurement. Each gate fills one line for the user; run.c prints them.
 */
#include "cli/commands.h"
#include "cli/load.h"
#include "cli/run.h"
#include "report/diff.h"
#include "util/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define MIB (1024.0 * 1024.0)

const char *run_fmt_bytes(double b, char *buf, unsigned long size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;
	while (fabs(b) >= 1024.0 && u < 4) {
		b /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%.0f B", b);
	else
		snprintf(buf, size, "%.3g %s", b, units[u]);
	return buf;
}

static run_gate *add_gate(run_session *s, const char *name)
{
	if (s->ngates >= RUN_MAX_GATES)
		return NULL;
	run_gate *g = &s->gates[s->ngates++];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	return g;
}

static void missing(run_gate *g, const char *why)
{
	g->failed = true;
	g->value = NAN;
	char name[sizeof(g->name)];
	memcpy(name, g->name, sizeof(name));
	snprintf(g->line, sizeof(g->line), "gate %s: not measured: %s", name, why);
}

/* One byte gate: value > limit fails. `key` and `setting` name the config line. */
static void byte_gate(run_session *s, const char *name, int64_t value, double limit,
		      const char *key, const char *setting, const char *why_missing)
{
	run_gate *g = add_gate(s, name);
	char v[32], l[32];
	if (!g)
		return;
	g->limit = limit;
	if (why_missing) {
		missing(g, why_missing);
		return;
	}
	g->value = (double)value;
	g->failed = g->value > limit;
	snprintf(g->line, sizeof(g->line), "gate %s: %s %s %s (%s = %s)", name,
		 run_fmt_bytes(g->value, v, sizeof(v)),
		 g->failed ? ">" : "<=", run_fmt_bytes(limit, l, sizeof(l)), key, setting);
}

static void memory_gates(run_session *s)
{
	const sc_config *c = &s->cfg;
	bool any = c->thresholds.max_allocation_size_mb > 0 ||
		   c->thresholds.max_peak_usage_mb > 0 ||
		   c->thresholds.leak_detection_threshold_bytes >= 0;
	if (!any)
		return;
	run_heap_totals t;
	const char *why = NULL;
	if (!s->modes[RUN_MEMORY].wanted)
		why = "the memory mode was not asked for (--mode memory)";
	else if (run_read_heap_totals(s->dir, &t) < 0)
		why = "the memory mode wrote no heap.json";
	char set[64];
	if (c->thresholds.max_allocation_size_mb > 0) {
		snprintf(set, sizeof(set), "%g", c->thresholds.max_allocation_size_mb);
		byte_gate(s, "memory.largest", why ? 0 : t.largest,
			  c->thresholds.max_allocation_size_mb * MIB, "max_allocation_size_mb", set,
			  why);
	}
	if (c->thresholds.max_peak_usage_mb > 0) {
		snprintf(set, sizeof(set), "%g", c->thresholds.max_peak_usage_mb);
		byte_gate(s, "memory.peak", why ? 0 : t.peak_bytes,
			  c->thresholds.max_peak_usage_mb * MIB, "max_peak_usage_mb", set, why);
	}
	if (c->thresholds.leak_detection_threshold_bytes >= 0) {
		snprintf(set, sizeof(set), "%lld",
			 (long long)c->thresholds.leak_detection_threshold_bytes);
		byte_gate(s, "memory.leaks", why ? 0 : t.leaked_bytes,
			  (double)c->thresholds.leak_detection_threshold_bytes,
			  "leak_detection_threshold_bytes", set, why);
	}
}

/* The baseline's profile: PATH itself, or in a folder PATH/cpu/profile.pb.gz (a session) or
 * PATH/profile.pb.gz (a recording). */
static void baseline_file(const char *path, char *out, size_t size)
{
	struct stat st;
	snprintf(out, size, "%s", path);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	snprintf(out, size, "%s/cpu/profile.pb.gz", path);
	if (stat(out, &st) == 0)
		return;
	snprintf(out, size, "%s/profile.pb.gz", path);
}

/* Returns 0, or -1 after printing why the baseline cannot be read. */
static int cpu_gates(run_session *s)
{
	double total_pct = s->cfg.thresholds.cpu_regression_total_pct;
	double fn_pct = s->cfg.thresholds.cpu_regression_function_pct;
	if (!s->baseline)
		return 0;
	if (total_pct <= 0 && fn_pct <= 0)
		fn_pct =
		    5; /* a baseline alone: the per-function gate at scorch diff's usual 5 points */
	char base_path[PATH_MAX], new_path[PATH_MAX];
	baseline_file(s->baseline, base_path, sizeof(base_path));
	snprintf(new_path, sizeof(new_path), "%s/cpu/profile.pb.gz", s->dir);
	sc_profile *base = NULL, *p = NULL;
	sc_diff d = {0};
	int rc = 0, bt, nt;
	const char *why = NULL;
	if (sc_cli_load_profile("run", base_path, &base) != 0) {
		sc_cli_error("run", 0, "--baseline: cannot read the profile '%s'", base_path);
		rc = -1;
		goto out;
	}
	if (!s->modes[RUN_CPU].wanted)
		why = "the cpu mode was not asked for (--mode cpu)";
	else if (s->modes[RUN_CPU].status != RUN_OK ||
		 sc_cli_load_profile("run", new_path, &p) != 0)
		why = "the cpu mode wrote no profile";
	else if ((bt = sc_cli_pick_sample_type("run", base, NULL)) < 0 ||
		 (nt = sc_cli_pick_sample_type("run", p, NULL)) < 0 ||
		 sc_diff_compute(base, bt, p, nt, 0, &d) < 0)
		why = "the profiles cannot be compared";
	if (total_pct > 0) {
		run_gate *g = add_gate(s, "cpu.total");
		if (g && why) {
			missing(g, why);
		} else if (g) {
			g->limit = total_pct;
			g->value = d.base_total > 0 ? 100.0 * (double)(d.new_total - d.base_total) /
							  (double)d.base_total
						    : 0;
			g->failed = g->value > total_pct;
			snprintf(g->line, sizeof(g->line),
				 "gate cpu.total: %+.1f%% over the baseline %s %g%% "
				 "(cpu_regression_total_pct = %g)",
				 g->value, g->failed ? ">" : "<=", total_pct, total_pct);
		}
	}
	if (fn_pct > 0) {
		run_gate *g = add_gate(s, "cpu.function");
		if (g && why) {
			missing(g, why);
		} else if (g) {
			const sc_diff_row *row = sc_diff_max_self_growth(&d);
			g->limit = fn_pct;
			g->value = row ? row->self_pts : 0;
			g->failed = g->value > fn_pct;
			snprintf(g->line, sizeof(g->line),
				 "gate cpu.function: %s self %+.1f points over the baseline %s %g "
				 "(cpu_regression_function_pct = %g)",
				 row ? row->name : "no function", g->value,
				 g->failed ? ">" : "<=", fn_pct, fn_pct);
		}
	}
out:
	sc_diff_release(&d);
	sc_profile_free(p);
	sc_profile_free(base);
	return rc;
}

/* bench.regression: scorch bench compare --fail-on-regression's verdict (exit 3: regressed). */
static void bench_gate(run_session *s)
{
	if (!s->bench_baseline || !s->modes[RUN_BENCH].wanted)
		return;
	run_gate *g = add_gate(s, "bench.regression");
	if (!g)
		return;
	g->limit = s->bench_fail_pct;
	if (s->bench_compare_status != 0 && s->bench_compare_status != 3) {
		missing(g, "the benchmark was not measured or compared (bench.log)");
		return;
	}
	g->failed = s->bench_compare_status == 3;
	g->value = g->failed;
	/* The regressed benchmarks: the rows of compare.txt's table whose verdict is "regressed".
	 */
	char path[PATH_MAX], line[1024];
	sc_strbuf which = {0};
	snprintf(path, sizeof(path), "%s/bench/compare.txt", s->dir);
	FILE *f = g->failed ? fopen(path, "r") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\n");
		line[len] = 0;
		if (len < 10 || strcmp(line + len - 10, " regressed") != 0)
			continue;
		line[strcspn(line, " ")] = 0;
		sc_strbuf_addf(&which, "%s%s", which.len ? ", " : "", line);
	}
	if (f)
		fclose(f);
	snprintf(
	    g->line, sizeof(g->line),
	    "gate bench.regression: %s regressed by more than %g%% against %s (bench/compare.txt)",
	    which.len	? which.buf
	    : g->failed ? "a benchmark"
			: "no benchmark",
	    s->bench_fail_pct, s->bench_baseline);
	sc_strbuf_release(&which);
}

int run_check_gates(run_session *s)
{
	memory_gates(s);
	bench_gate(s);
	if (cpu_gates(s) < 0)
		return -1;
	int failed = 0;
	for (int i = 0; i < s->ngates; i++)
		failed += s->gates[i].failed;
	return failed;
}
