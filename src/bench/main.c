/*
 * main.c: scorch_bench_main(), the command line of every benchmark program (SCORCH_BENCH_MAIN).
 *
 * This is the top layer of a benchmark program, so unlike the rest of src/bench it prints:
 * progress to stderr, the chosen format to stdout, errors as "PROGRAM: what went wrong". The
 * usage text below is the reference for the options; --help prints it.
 *
 * Exit status: 0 ok, 1 error (a benchmark failed through scorch_bench_fail included), 2 usage,
 * 3 a regression beyond --fail-on-regression (confirmed by measuring again unless --confirm 0),
 * 128 + N when a benchmark crashed with signal N (the outputs then hold what finished).
 */
#include "bench/bench_impl.h"
#include "util/fileio.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: %s [OPTIONS] [REGEX]\n"
    "\n"
    "Runs the benchmarks whose id ([group/]name[/arg]) matches REGEX (POSIX extended).\n"
    "The headline estimate, which baselines are compared on, is min_cpu: the smallest CPU\n"
    "time per iteration among the batches (slope when counting instructions).\n"
    "\n"
    "  -l, --list                  list the benchmark ids and exit\n"
    "      --filter REGEX          same as the positional REGEX\n"
    "  -t, --measurement-time S    target measurement time per benchmark, 0 to 3600 (default 2)\n"
    "  -w, --warm-up-time S        warm-up per benchmark, 0 to 3600 (default 0.5)\n"
    "  -n, --samples N             samples (batches of d, 2d, ... N*d iterations), 5 to 100000\n"
    "                              (default 50)\n"
    "      --quick                 -w 0.1 -t 0.5 -n 30: a fast, rougher run\n"
    "      --resamples N           bootstrap resamples, 100 to 10000000 (default 10000)\n"
    "      --confidence C          confidence level of intervals, 0.5 to 0.9999 (default 0.95)\n"
    "      --seed N                seed of the bootstrap PRNG (default 1)\n"
    "  -f, --format FMT            stdout format: table (default), json, csv, none\n"
    "      --json FILE             also write the JSON report (schema scorch.bench v1)\n"
    "      --csv FILE              also write CSV\n"
    "      --html FILE             also write an HTML report with SVG plots\n"
    "      --save-baseline NAME    save this run as DIR/NAME.json\n"
    "      --baseline NAME         compare with DIR/NAME.json: improved/regressed/no change\n"
    "      --baseline-dir DIR      where baselines live (default scorch-bench)\n"
    "      --noise PCT             changes smaller than PCT%% (0 to 1000) are no change\n"
    "                              (default 5)\n"
    "      --confirm N             measure a benchmark that improved or regressed against the\n"
    "                              baseline N more times (default 1; 0: never); the verdict\n"
    "                              stands only if each re-run agrees, else it is no change\n"
    "      --fail-on-regression PCT  exit 3 if a benchmark regressed (confirmed) by more than\n"
    "                              PCT%% (0 to 1000)\n"
    "      --ab A,B                run registered benchmarks A and B interleaved, report B/A\n"
    "      --repeat N              run the suite N times (1 to 1000); report and flag (>5%%)\n"
    "                              the CV of each estimate\n"
    "      --measure WHAT          time (default); instructions (hardware counter, or callgrind\n"
    "                              where there is none); callgrind (always under callgrind)\n"
    "  -q, --quiet                 no progress on stderr\n"
    "  -h, --help                  this text\n"
    "\n"
    "Exit status: 0; 1 error (a benchmark that failed included); 2 usage; 3 a regression beyond\n"
    "--fail-on-regression; 128+N a benchmark crashed with signal N (the outputs hold the\n"
    "benchmarks that finished; no baseline is saved).\n"
    "\n"
    "EXAMPLES\n"
    "  %s --list\n"
    "  %s --quick 'similarity'\n"
    "  %s --save-baseline main            # on the main branch\n"
    "  %s --baseline main --fail-on-regression 5\n"
    "  %s --json out.json --html out.html\n"
    "  %s --measure instructions 'similarity/250'   # deterministic counts\n";

/* Address-space randomization places the heap, the stacks and the libraries anew in every run,
 * and with them the cache-set and 4 KiB-aliasing conflicts of the code being measured: on the
 * project's VM, memgraph/decay's headline moved by 4% between runs with it (two layouts, 240 and
 * 248 us) and by 0.9% without, which is more than a 5% noise threshold can absorb. So, as
 * `setarch -R` would, the program re-executes itself once with ADDR_NO_RANDOMIZE; if that is
 * refused it runs as it is. --aslr keeps randomization. */
static void fix_layout(char **argv)
{
	int pers = personality(0xffffffff);
	if (pers == -1 || (pers & ADDR_NO_RANDOMIZE))
		return;
	if (personality((unsigned long)pers | ADDR_NO_RANDOMIZE) == -1)
		return;
	fflush(NULL);
	execv("/proc/self/exe", argv);
	personality((unsigned long)pers); /* exec failed: carry on with a random layout */
}

static void usage(FILE *fp, const char *prog)
{
	fprintf(fp, usage_text, prog, prog, prog, prog, prog, prog, prog);
}

static void progress(const scorch_bench_result *r, void *data)
{
	(void)data;
	char a[32];
	if (r->error)
		fprintf(stderr, "  %-44s failed: %s\n", r->id, strerror(-r->error));
	else if (r->is_ab)
		fprintf(stderr, "  %-44s B/A %.3f\n", r->id, r->ratio.point);
	else
		fprintf(stderr, "  %-44s %s %s%s\n", r->id,
			r->headline_name ? r->headline_name : "",
			sc_bench_fmt_time(r->headline.point, r->unit, a, sizeof(a)),
			r->unstable ? "  (unstable)" : "");
	if (r->few_samples)
		fprintf(stderr,
			"  %-44s warning: slow, only %zu samples fit in the measurement time: the "
			"estimates rest on few samples (raise -t for more)\n",
			"", r->nsamples);
	if (r->below_resolution)
		fprintf(stderr,
			"  %-44s warning: the batches take about as long as reading the clock: the "
			"body does nothing measurable (optimized away?)\n",
			"");
}

/* A numeric option's value: finite, within [lo, hi], whole when `whole`. Prints "PROG: --NAME
 * must be ... between LO and HI, not 'ARG'" and returns -1 otherwise. */
static int num_opt(const char *prog, const char *name, const char *arg, double lo, double hi,
		   bool whole, double *out)
{
	char *e;
	errno = 0;
	double v = strtod(arg, &e);
	if (errno || e == arg || *e || !isfinite(v) || v < lo || v > hi ||
	    (whole && v != floor(v))) {
		fprintf(stderr, "%s: %s must be %s between %g and %g, not '%s'\n", prog, name,
			whole ? "an integer" : "a number", lo, hi, arg);
		return -1;
	}
	*out = v;
	return 0;
}

/* A baseline name becomes DIR/NAME.json: one path component, not hidden. */
static int name_opt(const char *prog, const char *opt, const char *arg)
{
	if (*arg && arg[0] != '.' && !strchr(arg, '/'))
		return 0;
	fprintf(stderr,
		"%s: %s must be a name that is not empty, has no '/' and does not start with "
		"'.', not '%s'\n",
		prog, opt, arg);
	return -1;
}

/* Writes one output file through the atomic writer: the previous file stays whole unless the new
 * one was written completely; the message gives the real cause (No space left on device). */
static int write_file(const char *prog, const char *path, const scorch_bench_report *rep,
		      int (*writer)(const scorch_bench_report *, FILE *))
{
	sc_afile f;
	int r = sc_afile_open(&f, path);
	if (r < 0) {
		fprintf(stderr, "%s: cannot open '%s': %s\n", prog, path, strerror(-r));
		return -1;
	}
	r = writer(rep, f.fp);
	r = r < 0 ? sc_afile_fail(&f, r) : sc_afile_commit(&f);
	if (r < 0) {
		fprintf(stderr,
			"%s: cannot write '%s' (the previous file, if any, is unchanged): %s\n",
			prog, path, strerror(-r));
		return -1;
	}
	return 0;
}

/* Said first, before anything that could trip over what the crash damaged. */
static void report_crash(const char *prog, const scorch_bench_report *rep)
{
	size_t done = 0;
	for (size_t i = 0; i < rep->nresults; i++)
		done += !rep->results[i].crash_signal;
	fprintf(stderr,
		"%s: benchmark '%s' crashed: signal %d (%s); the run stops there, writing the "
		"results of the %zu benchmark%s that finished\n",
		prog, rep->crashed_id ? rep->crashed_id : "?", rep->crash_signal,
		strsignal(rep->crash_signal), done, done == 1 ? "" : "s");
}

/* After a crash, the outputs are written by a process the crash may have damaged: should that
 * fail with a second fatal signal, remove the temporaries and die of that signal. Signal
 * context: only async-signal-safe calls. */
static void on_second_crash(int sig)
{
	sc_afile_unlink_temporaries();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void die_cleanly_on_crash(void)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_second_crash;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* --ab A,B: finds both registered entries and adds an interleaved pair named from their ids
 * ("g.x.10-vs-g.y.20"); each variant runs at its own argument. */
static int add_ab_flag(scorch_bench_suite *s, const char *spec, const char *prog)
{
	const char *comma = strchr(spec, ',');
	if (!comma) {
		fprintf(stderr, "%s: --ab wants two ids separated by a comma\n", prog);
		return -1;
	}
	size_t la = (size_t)(comma - spec), ia = SIZE_MAX, ib = SIZE_MAX;
	for (size_t i = 0; i < scorch_bench_count(s); i++) {
		const char *id = scorch_bench_id(s, i);
		if (strlen(id) == la && !strncmp(id, spec, la))
			ia = i;
		if (!strcmp(id, comma + 1))
			ib = i;
	}
	char name[256];
	snprintf(name, sizeof(name), "%.*s-vs-%s", (int)la, spec, comma + 1);
	for (char *p = name; *p; p++)
		if (*p == '/')
			*p = '.';
	int e =
	    ia == SIZE_MAX || ib == SIZE_MAX ? -ENOENT : sc_bench_add_ab_entries(s, name, ia, ib);
	if (e < 0) {
		fprintf(stderr, "%s: --ab %s: %s\n", prog, spec,
			e == -ENOENT ? "both must be registered benchmark ids (see --list)"
				     : "cannot pair these (A/B pairs or bad names)");
		return -1;
	}
	return 0;
}

int scorch_bench_main(int argc, char **argv, scorch_bench_register_fn reg, bool debug_build)
{
	const char *prog = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
	prog = prog ? prog + 1 : (argc > 0 && argv[0] ? argv[0] : "bench");
	enum {
		O_FILTER = 256,
		O_QUICK,
		O_RESAMPLES,
		O_CONF,
		O_SEED,
		O_JSON,
		O_CSV,
		O_HTML,
		O_SAVE,
		O_BASE,
		O_BASEDIR,
		O_NOISE,
		O_FAIL,
		O_AB,
		O_REPEAT,
		O_MEASURE,
		O_CONFIRM,
		O_ASLR
	};
	static const struct option opts[] = {
	    {"list", no_argument, NULL, 'l'},
	    {"filter", required_argument, NULL, O_FILTER},
	    {"measurement-time", required_argument, NULL, 't'},
	    {"warm-up-time", required_argument, NULL, 'w'},
	    {"samples", required_argument, NULL, 'n'},
	    {"quick", no_argument, NULL, O_QUICK},
	    {"resamples", required_argument, NULL, O_RESAMPLES},
	    {"confidence", required_argument, NULL, O_CONF},
	    {"seed", required_argument, NULL, O_SEED},
	    {"format", required_argument, NULL, 'f'},
	    {"json", required_argument, NULL, O_JSON},
	    {"csv", required_argument, NULL, O_CSV},
	    {"html", required_argument, NULL, O_HTML},
	    {"save-baseline", required_argument, NULL, O_SAVE},
	    {"baseline", required_argument, NULL, O_BASE},
	    {"baseline-dir", required_argument, NULL, O_BASEDIR},
	    {"noise", required_argument, NULL, O_NOISE},
	    {"fail-on-regression", required_argument, NULL, O_FAIL},
	    {"confirm", required_argument, NULL, O_CONFIRM},
	    {"ab", required_argument, NULL, O_AB},
	    {"repeat", required_argument, NULL, O_REPEAT},
	    {"measure", required_argument, NULL, O_MEASURE},
	    {"aslr", no_argument, NULL, O_ASLR},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	scorch_bench_config c;
	scorch_bench_config_init(&c);
	c.debug_build = debug_build;
	c.catch_crashes = true;
	bool list = false, quiet = false, force_cg = false, set_t = false, set_n = false;
	bool keep_aslr = false;
	const char *format = "table", *json = NULL, *csv = NULL, *html = NULL, *save = NULL,
		   *base = NULL, *dir = "scorch-bench", *ab[16];
	size_t nab = 0;
	double fail_pct = NAN, v;
	int opt, status = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "lt:w:n:f:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			list = true;
			break;
		case O_FILTER:
			c.filter = optarg;
			break;
		case 't':
			if (num_opt(prog, "-t/--measurement-time", optarg, 0, 3600, false,
				    &c.measure_s) < 0)
				return 2;
			set_t = true;
			break;
		case 'w':
			if (num_opt(prog, "-w/--warm-up-time", optarg, 0, 3600, false,
				    &c.warmup_s) < 0)
				return 2;
			break;
		case 'n':
			if (num_opt(prog, "-n/--samples", optarg, 5, 100000, true, &v) < 0)
				return 2;
			c.samples = (unsigned)v;
			set_n = true;
			break;
		case O_QUICK:
			c.warmup_s = 0.1;
			c.measure_s = 0.5;
			c.samples = 30;
			break;
		case O_RESAMPLES:
			if (num_opt(prog, "--resamples", optarg, 100, 1e7, true, &v) < 0)
				return 2;
			c.resamples = (unsigned)v;
			break;
		case O_CONF:
			if (num_opt(prog, "--confidence", optarg, 0.5, 0.9999, false,
				    &c.confidence) < 0)
				return 2;
			break;
		case O_SEED: {
			char *e;
			errno = 0;
			c.seed = strtoull(optarg, &e, 0);
			if (errno || e == optarg || *e || optarg[strspn(optarg, " ")] == '-') {
				fprintf(stderr,
					"%s: --seed must be an integer between 0 and 2^64-1, not "
					"'%s'\n",
					prog, optarg);
				return 2;
			}
			break;
		}
		case 'f':
			format = optarg;
			if (strcmp(format, "table") && strcmp(format, "json") &&
			    strcmp(format, "csv") && strcmp(format, "none")) {
				fprintf(
				    stderr,
				    "%s: -f/--format must be table, json, csv or none, not '%s'\n",
				    prog, format);
				return 2;
			}
			break;
		case O_JSON:
			json = optarg;
			break;
		case O_CSV:
			csv = optarg;
			break;
		case O_HTML:
			html = optarg;
			break;
		case O_SAVE:
			if (name_opt(prog, "--save-baseline", optarg) < 0)
				return 2;
			save = optarg;
			break;
		case O_BASE:
			if (name_opt(prog, "--baseline", optarg) < 0)
				return 2;
			base = optarg;
			break;
		case O_BASEDIR:
			dir = optarg;
			break;
		case O_NOISE:
			if (num_opt(prog, "--noise", optarg, 0, 1000, false, &v) < 0)
				return 2;
			c.noise = v / 100;
			break;
		case O_FAIL:
			if (num_opt(prog, "--fail-on-regression", optarg, 0, 1000, false,
				    &fail_pct) < 0)
				return 2;
			break;
		case O_CONFIRM:
			if (num_opt(prog, "--confirm", optarg, 0, SCORCH_BENCH_CONFIRM_MAX, true,
				    &v) < 0)
				return 2;
			c.confirm = (unsigned)v;
			break;
		case O_AB:
			if (nab == sizeof(ab) / sizeof(ab[0])) {
				fprintf(stderr, "%s: --ab may be given at most %zu times\n", prog,
					sizeof(ab) / sizeof(ab[0]));
				return 2;
			}
			ab[nab++] = optarg;
			break;
		case O_REPEAT:
			if (num_opt(prog, "--repeat", optarg, 1, 1000, true, &v) < 0)
				return 2;
			c.repeat = (unsigned)v;
			break;
		case O_MEASURE:
			if (!strcmp(optarg, "time"))
				c.measure = SCORCH_BENCH_MEASURE_TIME;
			else if (!strcmp(optarg, "instructions"))
				c.measure = SCORCH_BENCH_MEASURE_INSTRUCTIONS;
			else if (!strcmp(optarg, "callgrind")) {
				c.measure = SCORCH_BENCH_MEASURE_INSTRUCTIONS;
				force_cg = true;
			} else {
				fprintf(
				    stderr,
				    "%s: --measure must be time, instructions or callgrind, not "
				    "'%s'\n",
				    prog, optarg);
				return 2;
			}
			break;
		case 'q':
			quiet = true;
			break;
		case O_ASLR:
			keep_aslr = true;
			break;
		case 'h':
			usage(stdout, prog);
			return 0;
		default:
			usage(stderr, prog);
			return 2;
		}
	}
	if (optind < argc)
		c.filter = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		return 2;
	}
	if (fail_pct == fail_pct && !base) {
		fprintf(stderr, "%s: --fail-on-regression needs --baseline NAME\n", prog);
		return 2;
	}
	if (!keep_aslr)
		fix_layout(argv);
	if (c.measure == SCORCH_BENCH_MEASURE_INSTRUCTIONS && sc_bench_callgrind_active()) {
		/* The child under callgrind, some 50 times slower: a budget of 1e8 instructions
		 * ("0.1 s") over 5 batches unless -t / -n say otherwise. Counts need no warm-up. */
		if (!set_t)
			c.measure_s = 0.1;
		if (!set_n)
			c.samples = 5;
	} else if (c.measure == SCORCH_BENCH_MEASURE_INSTRUCTIONS && !list) {
		int e = force_cg ? -EOPNOTSUPP : scorch_bench_instructions_available();
		if (e < 0) {
			int st = 1;
			if (!quiet)
				fprintf(
				    stderr,
				    "%s: counting instructions under valgrind's callgrind (%s)\n",
				    prog,
				    force_cg ? "--measure callgrind"
					     : "no hardware instruction counter here");
			int ce = sc_bench_callgrind_exec(argc, argv, &st);
			if (ce == 0)
				return st;
			if (ce == -ENOENT)
				fprintf(stderr,
					"%s: cannot run valgrind: is it installed (Debian "
					"package valgrind)?\n",
					prog);
			else if (ce != -EOPNOTSUPP)
				fprintf(stderr, "%s: cannot run under callgrind: %s\n", prog,
					strerror(-ce));
			if (ce != -EOPNOTSUPP)
				return 1;
		}
		if (e < 0) {
			fprintf(stderr,
				"%s: instruction counting is unavailable here: "
				"perf_event_open(PERF_COUNT_HW_INSTRUCTIONS) failed: %s.\n"
				"%s: this machine exposes no hardware performance counters (usual "
				"on virtual machines without a virtual PMU) and this library was "
				"built without <valgrind/callgrind.h>; measure time instead.\n",
				prog, strerror(-e), prog);
			return 1;
		}
	}

	scorch_bench_suite *s = scorch_bench_suite_new();
	scorch_bench_report rep = {0};
	if (!s) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	int e = reg ? reg(s) : 0;
	if (e < 0) {
		fprintf(stderr, "%s: registering the benchmarks failed: %s\n", prog, strerror(-e));
		goto out;
	}
	for (size_t i = 0; i < nab; i++)
		if (add_ab_flag(s, ab[i], prog) < 0) {
			status = 2;
			goto out;
		}
	if (list) {
		for (size_t i = 0; i < scorch_bench_count(s); i++)
			printf("%s\n", scorch_bench_id(s, i));
		status = 0;
		goto out;
	}
	if (!quiet) {
		c.on_result = progress;
		if (c.measure == SCORCH_BENCH_MEASURE_INSTRUCTIONS)
			fprintf(stderr,
				"%s: counting (about %.3g instructions per benchmark, %u "
				"samples%s)\n",
				prog, c.measure_s * 1e9, c.samples,
				c.repeat > 1 ? ", repeated" : "");
		else
			fprintf(stderr,
				"%s: running (warm-up %.3g s, measurement %.3g s, %u samples%s)\n",
				prog, c.warmup_s, c.measure_s, c.samples,
				c.repeat > 1 ? ", repeated" : "");
	}
	e = scorch_bench_run(s, &c, &rep);
	if (e == -EINVAL && c.filter) {
		fprintf(stderr, "%s: bad filter regex '%s'\n", prog, c.filter);
		status = 2;
		goto out;
	}
	bool crash = e == -ECANCELED;
	if (crash)
		report_crash(prog, &rep);
	else if (e < 0) {
		fprintf(stderr, "%s: the run failed: %s\n", prog, strerror(-e));
		goto out;
	}
	if (rep.nresults == 0) {
		fprintf(stderr, "%s: no benchmark matches '%s' (see --list)\n", prog,
			c.filter ? c.filter : "");
		goto out;
	}
	if (base && !crash) {
		char msg[600];
		e = scorch_bench_compare_baseline(&rep, dir, base, msg, sizeof(msg));
		if (e < 0) {
			fprintf(stderr, "%s: cannot compare with baseline '%s' in '%s': %s\n", prog,
				base, dir, msg[0] ? msg : strerror(-e));
			goto out;
		}
		size_t changed = 0;
		for (size_t i = 0; i < rep.nresults; i++)
			changed += rep.results[i].has_comparison &&
				   rep.results[i].cmp.verdict != SCORCH_BENCH_NO_CHANGE;
		if (changed && c.confirm && c.measure == SCORCH_BENCH_MEASURE_TIME) {
			if (!quiet)
				fprintf(stderr,
					"%s: %zu benchmark%s changed against '%s': measuring again "
					"to confirm\n",
					prog, changed, changed == 1 ? "" : "s", base);
			e = scorch_bench_confirm_baseline(s, &c, &rep, dir, base, msg, sizeof(msg));
			if (e == -ECANCELED) {
				crash = true;
				report_crash(prog, &rep);
			} else if (e < 0) {
				fprintf(stderr, "%s: cannot confirm the changes against '%s': %s\n",
					prog, base, msg[0] ? msg : strerror(-e));
				goto out;
			}
		}
	}
	if (crash)
		die_cleanly_on_crash();
	if (!strcmp(format, "table"))
		e = scorch_bench_write_table(&rep, stdout);
	else if (!strcmp(format, "json"))
		e = scorch_bench_write_json(&rep, stdout);
	else if (!strcmp(format, "csv"))
		e = scorch_bench_write_csv(&rep, stdout);
	else
		e = 0;
	if (e < 0) {
		fprintf(stderr, "%s: cannot write to standard output: %s\n", prog,
			strerror(errno ? errno : EIO));
		goto out;
	}
	if ((json && write_file(prog, json, &rep, scorch_bench_write_json) < 0) ||
	    (csv && write_file(prog, csv, &rep, scorch_bench_write_csv) < 0) ||
	    (html && write_file(prog, html, &rep, scorch_bench_write_html) < 0))
		goto out;
	if (save && crash) {
		fprintf(stderr, "%s: not saving baseline '%s/%s.json': the run did not finish\n",
			prog, dir, save);
	} else if (save) {
		e = scorch_bench_save_baseline(&rep, dir, save);
		if (e < 0) {
			fprintf(
			    stderr,
			    "%s: cannot save baseline '%s/%s.json' (the previous one, if any, is "
			    "unchanged): %s\n",
			    prog, dir, save, strerror(-e));
			goto out;
		}
		if (!quiet)
			fprintf(stderr, "%s: saved baseline %s/%s.json\n", prog, dir, save);
	}
	status = 0;
	/* Failures through scorch_bench_fail: the run went on, the program reports them (exit 1).
	 */
	size_t nfailed = 0;
	for (size_t i = 0; i < rep.nresults; i++) {
		const scorch_bench_result *x = &rep.results[i];
		if (x->error && !x->crash_signal) {
			fprintf(stderr, "%s: benchmark '%s' failed: %s\n", prog, x->id,
				strerror(-x->error));
			nfailed++;
		}
	}
	if (nfailed)
		status = 1;
	if (crash) {
		status = 128 + rep.crash_signal;
	} else if (fail_pct == fail_pct) {
		size_t n = scorch_bench_count_regressions(&rep, fail_pct);
		if (n) {
			fprintf(stderr, "%s: %zu benchmark%s regressed by more than %g%%%s\n", prog,
				n, n == 1 ? "" : "s", fail_pct,
				c.confirm && c.measure == SCORCH_BENCH_MEASURE_TIME
				    ? " (confirmed by measuring again)"
				    : "");
			if (!status)
				status = 3;
		}
	}
out:
	scorch_bench_report_release(&rep);
	scorch_bench_suite_free(s);
	if (fflush(stdout) != 0 && status == 0) {
		fprintf(stderr, "%s: cannot write to standard output: %s\n", prog, strerror(errno));
		status = 1;
	}
	return status;
}
