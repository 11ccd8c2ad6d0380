/*
 * scorch/bench.h: a statistics-first micro-benchmark library for C (libscorch-bench).
 *
 * What it is for: timing small pieces of code reliably on noisy machines (VMs included) and
 * telling whether a change made them faster. A benchmark is a function that runs its body
 * `iters` times; the runner calls it with growing batch sizes (1d, 2d, ... nd, criterion's
 * "linear" sampling), records wall-clock and CPU time of each batch, and estimates the time per
 * iteration as the slope of time = slope * iters (least squares through the origin) and by robust
 * estimators of the per-iteration times (median, minimum, 10th percentile, MAD), with bootstrap
 * confidence intervals, Tukey outlier counts and an "unstable" flag. One estimate is the
 * headline, the one reports lead with and baselines are compared on: the smallest CPU time per
 * iteration among the batches (scorch_bench_headline_name says why). Baselines saved as JSON are
 * compared on it with a bootstrap test plus a noise threshold. Instruction counts come from a
 * hardware counter or, without one, from re-running the program under valgrind's callgrind.
 *
 * The smallest program:
 *
 *     #include <scorch/bench.h>
 *
 *     static void bench_sum(scorch_bench_ctx *ctx, uint64_t iters)
 *     {
 *             const int *v = scorch_bench_fixture(ctx);      // made by setup, untimed
 *             for (uint64_t i = 0; i < iters; i++) {
 *                     long s = 0;
 *                     for (int k = 0; k < 1000; k++)
 *                             s += v[k];
 *                     SCORCH_DO_NOT_OPTIMIZE(s);
 *             }
 *     }
 *
 *     static int register_benches(scorch_bench_suite *s)
 *     {
 *             return scorch_bench_add(s, &(scorch_bench_def){.name = "sum", .fn = bench_sum,
 *                                                            .setup = make_vec, .teardown = ...});
 *     }
 *
 *     SCORCH_BENCH_MAIN(register_benches)
 *
 * Link with scorch_bench_dep (meson) or -lscorch-bench -lm. The library depends on libc and libm
 * only. Run the program with --help for the command line (filter, --list, baselines, formats).
 *
 * What it is not: a profiler (use `scorch record` on the benchmark program for that), nor
 * thread-safe: one suite is run by one thread at a time; different suites are independent. The
 * library keeps no global state, except, during a run with config.catch_crashes, the signal
 * handlers and their jump target: one such run at a time per process.
 *
 * Ownership, in one place: scorch_bench_add() copies the def's strings and args; `user` stays
 * borrowed. scorch_bench_run() fills a caller-owned scorch_bench_report whose arrays and strings
 * it owns until scorch_bench_report_release(). Functions return 0 or -Exxx and never print or
 * exit, except scorch_bench_main(), which is the program's top layer and prints.
 *
 * Read next: docs/bench.md in scorch's documentation (the statistics, sampling, the command line
 * and the JSON format, with examples).
 */
#ifndef SCORCH_BENCH_H
#define SCORCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <scorch/api.h> /* SCORCH_API, SCORCH_DO_NOT_OPTIMIZE */

#ifdef __cplusplus
extern "C" {
#endif

/* Pointer form: the pointed-to memory escapes (it may be read by someone we cannot see). */
static inline void scorch_do_not_optimize(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* A compiler memory barrier: all pending writes to memory are considered observed. */
static inline void scorch_clobber_memory(void)
{
	__asm__ volatile("" : : : "memory");
}

/* --- Defining benchmarks --- */

typedef struct scorch_bench_suite scorch_bench_suite;
/* The runner's per-benchmark context handed to every callback; valid only during the call. */
typedef struct scorch_bench_ctx scorch_bench_ctx;

/* Runs the benchmark's body exactly `iters` times. Everything it does is timed. */
typedef void (*scorch_bench_fn)(scorch_bench_ctx *ctx, uint64_t iters);
/* Called before every batch (warm-up and samples) and never timed: returns the fixture the
 * batch uses (scorch_bench_fixture()), or NULL. A setup that fails should return NULL and call
 * scorch_bench_fail(). */
typedef void *(*scorch_bench_setup_fn)(scorch_bench_ctx *ctx);
/* Called after every batch, untimed; receives what setup returned. */
typedef void (*scorch_bench_teardown_fn)(scorch_bench_ctx *ctx, void *fixture);

enum scorch_bench_throughput {
	SCORCH_BENCH_TP_NONE = 0,
	SCORCH_BENCH_TP_BYTES,	  /* reported as bytes per second */
	SCORCH_BENCH_TP_ELEMENTS, /* reported as elements per second */
};

typedef struct scorch_bench_def {
	const char *name;  /* required; [A-Za-z0-9_.-], copied */
	const char *group; /* optional; ids are "group/name" or "name", plus "/ARG" per argument */
	scorch_bench_fn fn;
	scorch_bench_setup_fn setup;	   /* optional, per batch, untimed */
	scorch_bench_teardown_fn teardown; /* optional, per batch, untimed */
	/* Parameters, e.g. sizes: the benchmark runs once per value (scorch_bench_arg()). With
	 * three or more values the report fits O(1) .. O(N^2) to the headline estimates. Copied. */
	const int64_t *args;
	size_t nargs;
	/* Units processed per iteration; with args and throughput == 0, the argument is used. */
	enum scorch_bench_throughput throughput_kind;
	uint64_t throughput;
	void *user; /* borrowed, handed back by scorch_bench_user() */
} scorch_bench_def;

/* Accessors for callbacks. */
SCORCH_API int64_t scorch_bench_arg(const scorch_bench_ctx *ctx); /* 0 without args */
SCORCH_API void *scorch_bench_user(const scorch_bench_ctx *ctx);
SCORCH_API void *scorch_bench_fixture(const scorch_bench_ctx *ctx);
/* Overrides the def's throughput from inside setup (e.g. after building the input). */
SCORCH_API void scorch_bench_set_throughput(scorch_bench_ctx *ctx, enum scorch_bench_throughput k,
					    uint64_t per_iter);
/* Marks the benchmark failed (e.g. setup could not allocate); it stops after this batch and the
 * run reports it with `error` set. err is a negative errno. */
SCORCH_API void scorch_bench_fail(scorch_bench_ctx *ctx, int err);

SCORCH_API scorch_bench_suite *scorch_bench_suite_new(void);
SCORCH_API void scorch_bench_suite_free(scorch_bench_suite *s); /* NULL-safe */
/* Adds a benchmark. Returns 0, -EINVAL (no name or fn, bad name, duplicate id) or -ENOMEM. */
SCORCH_API int scorch_bench_add(scorch_bench_suite *s, const scorch_bench_def *def);
/* Adds an interleaved A/B pair: both variants run alternately (A B B A ...) in the same batches
 * so that drift affects both alike; the report gives slope(B)/slope(A) with a bootstrap CI.
 * The id is `name` (in a's group); a's and b's own names label the variants. a and b may have
 * args only if both have the same ones. Returns 0, -EINVAL or -ENOMEM. */
SCORCH_API int scorch_bench_add_ab(scorch_bench_suite *s, const char *name,
				   const scorch_bench_def *a, const scorch_bench_def *b);
/* Number of registered benchmark instances (one per def and argument) and their ids. */
SCORCH_API size_t scorch_bench_count(const scorch_bench_suite *s);
SCORCH_API const char *scorch_bench_id(const scorch_bench_suite *s, size_t i);

/* --- Running --- */

/* A clock for the runner: nanoseconds (or, for instruction counting, instructions) from any
 * fixed origin. Injectable so tests can drive the runner with a fake clock. */
typedef struct scorch_bench_clock {
	uint64_t (*wall)(void *data);
	uint64_t (*cpu)(void *data); /* NULL: CPU time is not recorded */
	void *data;
} scorch_bench_clock;

enum scorch_bench_measure {
	SCORCH_BENCH_MEASURE_TIME = 0,	   /* CLOCK_MONOTONIC + CLOCK_THREAD_CPUTIME_ID */
	SCORCH_BENCH_MEASURE_INSTRUCTIONS, /* perf_event_open(PERF_COUNT_HW_INSTRUCTIONS), user */
};

typedef struct scorch_bench_result scorch_bench_result;

/* The most re-measurements scorch_bench_config.confirm may ask for. */
#define SCORCH_BENCH_CONFIRM_MAX 9

typedef struct scorch_bench_config {
	double warmup_s;     /* warm-up per benchmark, default 0.5 */
	double measure_s;    /* target measurement time per benchmark, default 2 */
	unsigned samples;    /* n of the 1d..nd batches, default 50 (>= 5) */
	unsigned resamples;  /* bootstrap resamples, default 10000 */
	double confidence;   /* of every interval, default 0.95 */
	double noise;	     /* relative change below which it is "no change", default 0.05 */
	double unstable_mad; /* MAD/median above which a result is unstable, default 0.05 */
	double unstable_ci;  /* slope CI width/slope above which it is unstable, default 0.10 */
	uint64_t seed;	     /* of the bootstrap PRNG, default 1 */
	const char *filter;  /* POSIX extended regex over ids; NULL = all */
	unsigned repeat;     /* run the suite this many times and report CVs, default 1 */
	double repeat_cv;    /* CV above which a repeated estimate is flagged, default 0.05 */
	/* Re-measurements of a verdict other than "no change" against a baseline before it is
	 * believed (scorch_bench_confirm_baseline), default 1; 0 disables. At most
	 * SCORCH_BENCH_CONFIRM_MAX. */
	unsigned confirm;
	enum scorch_bench_measure measure;
	const scorch_bench_clock *clock; /* NULL: the real clocks of `measure` */
	/* Called after each result is complete (progress output); may be NULL. */
	void (*on_result)(const scorch_bench_result *r, void *data);
	void *on_result_data;
	bool debug_build; /* the benchmark was compiled without optimization (set by the macro) */
	/* Catch SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT while a benchmark's callbacks run (its
	 * setup, body and teardown): the run then stops at that benchmark instead of the program
	 * dying, and scorch_bench_run (or scorch_bench_confirm_baseline) returns -ECANCELED with
	 * the report's crashed_id and crash_signal set. Handlers and an alternate signal stack are
	 * installed around each benchmark and the previous ones restored; one such run at a time
	 * per process. Off by default (the library installs no handler unless asked);
	 * scorch_bench_main turns it on. */
	bool catch_crashes;
} scorch_bench_config;

SCORCH_API void scorch_bench_config_init(scorch_bench_config *c);

/* A point estimate with its confidence interval. */
typedef struct scorch_bench_estimate {
	double point, lo, hi;
} scorch_bench_estimate;

enum scorch_bench_verdict {
	SCORCH_BENCH_NO_CHANGE = 0,
	SCORCH_BENCH_IMPROVED,
	SCORCH_BENCH_REGRESSED,
};

/* The comparison of one benchmark against a baseline (or file A against file B). */
typedef struct scorch_bench_comparison {
	double base_median, new_median; /* per-iteration, in the result's unit */
	scorch_bench_estimate change;	/* new/base - 1 of the headline estimates, bootstrap CI */
	double p_value;			/* two-sided, bootstrap test of the headline estimates */
	enum scorch_bench_verdict verdict;
	double base_value, new_value; /* the headline estimates compared */
} scorch_bench_comparison;

struct scorch_bench_result {
	char *id, *group, *name; /* id = [group/]name[/arg] */
	int64_t arg;
	bool has_arg;
	int error;	  /* 0, or the -errno a callback reported; then no estimates */
	int crash_signal; /* with error -ECANCELED: the signal that crashed it (catch_crashes) */
	/* Warnings, also added to the report's env.warnings as text: */
	bool few_samples;      /* slow: fewer batches than config.samples fit in measure_s */
	bool below_resolution; /* the batches took about as long as reading the clock: the
				  body does nothing measurable (optimized away?) */
	const char *unit;      /* "ns" or "instructions" (static) */
	/* The samples: batch sizes and the measured totals per batch. */
	size_t nsamples;
	double *iters, *wall, *cpu; /* cpu is NULL when not recorded */
	/* Per iteration, in `unit`. The headline is the estimate named by headline_name (see
	 * scorch_bench_headline_name), with its bootstrap interval. */
	scorch_bench_estimate headline;
	const char *headline_name; /* "min_cpu", "min" or "slope" (static) */
	scorch_bench_estimate slope, mean, median;
	double min, p10, mad, stddev, r2; /* r2 of the fit through the origin */
	double cpu_slope;		  /* CPU time per iteration (NaN if not recorded) */
	unsigned outliers[4];		  /* low severe, low mild, high mild, high severe */
	bool unstable;
	enum scorch_bench_throughput throughput_kind;
	double throughput_per_iter; /* units per iteration */
	double throughput;	    /* units per second from the headline (time only) */
	/* A/B pairs: the B samples (wall only) and slope(B)/slope(A). */
	bool is_ab;
	char *name_a, *name_b;
	double *wall_b;
	scorch_bench_estimate slope_b, ratio;
	/* Baseline comparison (filled by scorch_bench_compare_baseline). */
	bool has_comparison;
	scorch_bench_comparison cmp;
	/* Confirmation (scorch_bench_confirm_baseline): the benchmark was measured again
	 * confirm_runs times (0: never) because cmp said improved or regressed. `confirmed` when
	 * every re-measurement gave the same verdict; otherwise cmp.verdict was set to no change.
	 * confirm_change[0] is the first measurement's change (cmp.change.point), [1..confirm_runs]
	 * the re-measurements' (NaN where one failed). cmp otherwise stays the first measurement's,
	 * like the samples and estimates. */
	unsigned confirm_runs;
	bool confirmed;
	double confirm_change[1 + SCORCH_BENCH_CONFIRM_MAX];
	/* --repeat: coefficient of variation of slope, median, mean, min across the runs, and of
	 * the headline; repeat_unstable when one of them is above config.repeat_cv. */
	unsigned runs;
	double cv[4];
	bool repeat_unstable;
	double cv_headline;
};

/* One asymptotic model fitted to a parameterized benchmark's slopes. */
enum scorch_bench_big_o {
	SCORCH_BENCH_O_1 = 0,
	SCORCH_BENCH_O_LOGN,
	SCORCH_BENCH_O_N,
	SCORCH_BENCH_O_NLOGN,
	SCORCH_BENCH_O_N2,
	SCORCH_BENCH_O_COUNT
};

typedef struct scorch_bench_complexity {
	char *base_id; /* [group/]name */
	enum scorch_bench_big_o best;
	double coef[SCORCH_BENCH_O_COUNT]; /* time = coef * g(N) */
	double rms[SCORCH_BENCH_O_COUNT];  /* root mean square of residuals / mean time */
} scorch_bench_complexity;

/* What the run saw around it. Strings are owned by the report. */
typedef struct scorch_bench_env {
	char *hostname, *kernel, *cpu_model;
	char *governor; /* NULL when /sys shows no cpufreq (typical of VMs) */
	int ncpus;
	bool hypervisor;      /* the "hypervisor" cpuinfo flag */
	double loadavg[3];    /* at the start */
	double loadavg_end;   /* 1-minute, at the end */
	double steal;	      /* steal time / total CPU time between start and end, or NaN */
	bool debug_build;     /* benchmarks compiled without optimization */
	bool lib_debug_build; /* this library compiled without optimization */
	double timer_res_ns;  /* clock_getres(CLOCK_MONOTONIC) */
	double timer_step_ns; /* smallest nonzero difference of two consecutive readings */
	double timer_cost_ns; /* mean cost of one clock reading */
	char **warnings;      /* human-readable, nwarnings of them */
	size_t nwarnings;
} scorch_bench_env;

typedef struct scorch_bench_report {
	scorch_bench_result *results;
	size_t nresults;
	scorch_bench_complexity *complexity;
	size_t ncomplexity;
	scorch_bench_env env;
	scorch_bench_config config; /* a copy; filter/clock/on_result pointers are not kept */
	char *created;		    /* ISO 8601 UTC */
	char *baseline_name;	    /* set by scorch_bench_compare_baseline */
	/* After -ECANCELED (config.catch_crashes): the id of the benchmark that crashed and the
	 * signal. The results before it are complete; a crash in the first run leaves the crashed
	 * one last among results, with error -ECANCELED; the benchmarks after it were not run. */
	char *crashed_id;
	int crash_signal;
} scorch_bench_report;

/* Runs every benchmark whose id matches config->filter (all when c is NULL or the filter is
 * NULL) and fills *out, which the caller releases even after a failure. Returns 0, -EINVAL (bad
 * regex or config), -ENOMEM, -EOPNOTSUPP when config->measure asks for a counter this
 * machine lacks (a VM without a PMU: then nothing was run), or -ECANCELED when a benchmark
 * crashed (config.catch_crashes; out holds what finished, see crashed_id). A benchmark that
 * fails through scorch_bench_fail() does not fail the run: its result carries `error`.
 *
 * A slow benchmark is measured on fewer batches than config.samples when the linear batches
 * (1, 2, ... n iterations) would take longer than measure_s, but on at least 3: a body of 2 s
 * takes 12 s rather than 42 minutes. Such results have few_samples set, and the report a
 * warning. */
SCORCH_API int scorch_bench_run(scorch_bench_suite *s, const scorch_bench_config *c,
				scorch_bench_report *out);
SCORCH_API void scorch_bench_report_release(scorch_bench_report *r); /* NULL-safe */

/* The estimator a report leads with and compares baselines on:
 *   "min_cpu"  when timing (the default): the smallest CPU time per iteration among the batches.
 *              The thread's CPU time leaves out the time it waited while other processes ran,
 *              and the fastest of many short batches leaves out what CPU time still catches
 *              (interrupts, caches disturbed by a context switch): noise only ever adds time.
 *              Measured on a shared 2-CPU VM, its run-to-run spread stays at 1-2% where the
 *              wall-clock slope, mean and median vary by 20-40% under load (docs/bench.md).
 *              Not for code that sleeps or blocks: read the wall-clock estimates then.
 *   "min"      the same on wall-clock time, when the clock records no CPU time;
 *   "slope"    when counting instructions (deterministic; the slope drops the constant
 *              per-batch overhead).
 * Returns the name of r's first result, or of what a run with r's config would use. */
SCORCH_API const char *scorch_bench_headline_name(const scorch_bench_report *r);

/* Whether perf_event_open(PERF_COUNT_HW_INSTRUCTIONS) works here; 0 or the -errno it failed with.
 */
SCORCH_API int scorch_bench_instructions_available(void);

/* --- Output (each writes to a caller's stream and returns 0 or -EIO) --- */

/* The terminal table, with the environment and any warnings. */
SCORCH_API int scorch_bench_write_table(const scorch_bench_report *r, FILE *fp);
/* JSON, schema "scorch.bench" version 1 (documented in docs/bench.md). */
SCORCH_API int scorch_bench_write_json(const scorch_bench_report *r, FILE *fp);
/* One row per benchmark, with a header line. */
SCORCH_API int scorch_bench_write_csv(const scorch_bench_report *r, FILE *fp);
/* A self-contained HTML page with SVG plots (samples + regression line, distribution). */
SCORCH_API int scorch_bench_write_html(const scorch_bench_report *r, FILE *fp);

/* --- Baselines --- */

/* Writes DIR/NAME.json (atomically, creating DIR). Returns 0 or -errno. */
SCORCH_API int scorch_bench_save_baseline(const scorch_bench_report *r, const char *dir,
					  const char *name);
/* Loads DIR/NAME.json and fills each result's comparison (results absent from the baseline are
 * left without one). msg (may be NULL) receives a reason on failure, naming the file. Returns 0,
 * -ENOENT, -EINVAL (not a well-formed scorch.bench v1 file; see msg), -EFBIG (larger than 64 MiB)
 * or -ENOMEM. */
SCORCH_API int scorch_bench_compare_baseline(scorch_bench_report *r, const char *dir,
					     const char *name, char *msg, size_t msgsize);
/* Confirms the verdicts scorch_bench_compare_baseline(r, dir, name) gave (-ECANCELED with
 * r->crashed_id set when a re-measured benchmark crashed under c->catch_crashes), the way a careful
 * person re-runs a surprising benchmark before believing it: each result whose verdict is
 * improved or regressed is measured again (a fresh warm-up and sample set, with c's settings,
 * clock and on_result callback) and compared with DIR/NAME.json again, up to c->confirm times.
 * The verdict stands only if every re-measurement gives the same one; otherwise it becomes no
 * change with `confirmed` false (see scorch_bench_result). Interference that lasts a whole run
 * (another VM on the host) is invisible to any statistic within that run; a second measurement
 * at another time sees it. s must be the suite r was run from. Does nothing when c->confirm is 0
 * or when counting instructions with the real counter (counts are deterministic). Returns 0,
 * -ENOENT, -EINVAL (msg says why), -ENOMEM or an error of the re-measurement; after a failure
 * some verdicts may be confirmed and others not yet. */
SCORCH_API int scorch_bench_confirm_baseline(scorch_bench_suite *s, const scorch_bench_config *c,
					     scorch_bench_report *r, const char *dir,
					     const char *name, char *msg, size_t msgsize);
/* Counts results whose verdict is regressed (after confirmation, confirmed ones only) by more
 * than `pct` percent: the change of the headline, and of every re-measurement, exceeds it. */
SCORCH_API size_t scorch_bench_count_regressions(const scorch_bench_report *r, double pct);

/* --- The program's main --- */

typedef int (*scorch_bench_register_fn)(scorch_bench_suite *s);

/* Parses the command line (run with --help), registers the benchmarks, runs, prints, saves and
 * compares. Returns the exit status: 0, 1 (error), 2 (usage), 3 (a regression beyond
 * --fail-on-regression). `debug_build` says whether the caller was compiled without
 * optimization; SCORCH_BENCH_MAIN passes it. */
SCORCH_API int scorch_bench_main(int argc, char **argv, scorch_bench_register_fn reg,
				 bool debug_build);

#ifdef __OPTIMIZE__
#define SCORCH_BENCH_DEBUG_BUILD_ false
#else
#define SCORCH_BENCH_DEBUG_BUILD_ true
#endif

/* Defines main() for a benchmark program; `reg` adds the benchmarks to the suite. */
#define SCORCH_BENCH_MAIN(reg)                                                                     \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		return scorch_bench_main(argc, argv, (reg), SCORCH_BENCH_DEBUG_BUILD_);            \
	}

#ifdef __cplusplus
}
#endif

#endif
