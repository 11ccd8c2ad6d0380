/*
 * bench.c: `scorch bench compare A.json B.json`, the verdict between two saved benchmark runs.
 *
 * The runs are JSON reports of libscorch-bench programs (--json FILE, --save-baseline NAME, or
 * `--format json`; schema "scorch.bench" version 1). A is the base, B the new run: each benchmark
 * of B that A also has gets a change with a confidence interval, a p-value and a verdict
 * (improved, regressed, no change), computed by the library (sc_bench_compare_files in
 * src/bench/bench_impl.h), exactly as a benchmark program's own --baseline does. This file only
 * parses options and prints.
 *
 * Exit status: 0; 1 when a file cannot be read or is not a scorch.bench report; 2 for bad usage;
 * 3 when --fail-on-regression PCT is given and some benchmark regressed by more than PCT percent
 * (the same code as the benchmark programs use).
 */
#include "bench/bench_impl.h"
#include "cli/commands.h"
#include "cli/options.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "scorch bench compare [options] A.json B.json",
    NULL,
};

/* --max-input SIZE: bytes, with an optional K, M or G suffix (powers of 1024), at least 1, as
 * `scorch report --max-input`. Prints and returns -1 when ARG is not one. */
static int parse_size(const char *arg, size_t *out)
{
	const char *why = NULL;
	char *end;
	errno = 0;
	if (arg[0] < '0' || arg[0] > '9') {
		why = "expected a number of bytes with an optional K, M or G suffix";
	} else {
		unsigned long long v = strtoull(arg, &end, 10), mul = 1;
		if (*end == 'K' || *end == 'k')
			mul = 1ull << 10, end++;
		else if (*end == 'M' || *end == 'm')
			mul = 1ull << 20, end++;
		else if (*end == 'G' || *end == 'g')
			mul = 1ull << 30, end++;
		if (*end)
			why = "expected a number of bytes with an optional K, M or G suffix";
		else if (errno == ERANGE || v > (unsigned long long)(SIZE_MAX / 2) / mul)
			why = "too large";
		else if (v == 0)
			why = "must be at least 1 byte";
		else
			*out = (size_t)(v * mul);
	}
	if (why) {
		sc_cli_error("bench", 0, "bad value '%s' for --max-input: %s", arg, why);
		return -1;
	}
	return 0;
}

static const char *const examples[] = {
    "scorch bench compare scorch-bench/main.json new.json",
    "scorch bench compare --noise 3 --fail-on-regression 5 base.json new.json",
    "scorch bench compare --format json base.json new.json > change.json",
    NULL,
};

/* The percentages: finite, 0 to 1000. Parsed here rather than as SC_OPT_DOUBLE so that "nan",
 * which would read as "not given" (and turn the gate off), is refused like any bad value. */
#define PCT_MAX 1000.0

static int parse_pct(const char *opt, const char *arg, double *out)
{
	char *end;
	errno = 0;
	double v = arg ? strtod(arg, &end) : NAN;
	if (!arg || errno || end == arg || *end || !isfinite(v) || v < 0 || v > PCT_MAX) {
		sc_cli_error("bench", 0,
			     "--%s must be a number between 0 and %g (a percentage), not '%s'", opt,
			     PCT_MAX, arg ? arg : "");
		return -1;
	}
	*out = v;
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	double noise = NAN, fail_pct = NAN;
	const char *format = "table", *noise_arg = NULL, *fail_arg = NULL, *max_arg = NULL;
	size_t max_bytes = 0;
	sc_option opts[] = {
	    SC_OPT_STR(0, "noise", &noise_arg, "PCT",
		       "changes smaller than PCT% (0 to 1000) are no change (default: B's own, 5)"),
	    SC_OPT_STR(0, "fail-on-regression", &fail_arg, "PCT",
		       "exit 3 if a benchmark regressed by more than PCT% (0 to 1000)"),
	    SC_OPT_STR(0, "format", &format, "FMT",
		       "table (default) or json (B's report with the comparisons)"),
	    SC_OPT_STR(0, "max-input", &max_arg, "SIZE",
		       "refuse a report larger than SIZE bytes (K, M, G; default 64M)"),
	    SC_OPT_END(),
	};
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args) {
		sc_cli_error("bench", -ENOMEM, "cannot start");
		return 1;
	}
	int rc = 2;
	scorch_bench_report rep = {0};
	int nargs = sc_options_parse_args("bench", usage, opts, examples, argc, argv, args);
	if (nargs == SC_OPTIONS_HELP) {
		rc = 0;
		goto out;
	}
	if (nargs < 0)
		goto out;
	if (nargs == 0 || strcmp(args[0], "compare") != 0) {
		if (nargs == 0)
			sc_cli_error("bench", 0, "no subcommand (usage: %s)", usage[0]);
		else
			sc_cli_error("bench", 0, "unknown subcommand '%s' (usage: %s)", args[0],
				     usage[0]);
		goto out;
	}
	if (nargs != 3) {
		sc_cli_error("bench", 0, "compare wants two files, A (base) and B (new): %s",
			     usage[0]);
		goto out;
	}
	if (strcmp(format, "table") && strcmp(format, "json")) {
		sc_cli_error("bench", 0, "unknown format '%s' (valid: table, json)", format);
		goto out;
	}
	if ((noise_arg && parse_pct("noise", noise_arg, &noise) < 0) ||
	    (fail_arg && parse_pct("fail-on-regression", fail_arg, &fail_pct) < 0) ||
	    (max_arg && parse_size(max_arg, &max_bytes) < 0))
		goto out;

	sc_diag d;
	sc_diag_clear(&d);
	int e = sc_bench_compare_files(args[1], args[2], noise_arg ? noise / 100 : -1, max_bytes,
				       &rep, &d);
	rc = 1;
	if (e < 0 && d.message[0]) {
		char msg[600];
		sc_cli_error("bench", 0, "%s%s", sc_diag_format(&d, msg, sizeof(msg)),
			     e == -EFBIG ? " (raise it with --max-input SIZE)" : "");
		goto out;
	}
	if (e < 0 && e != -ENOMEM && d.file[0]) {
		sc_cli_error("bench", e, "cannot read '%s'", d.file);
		goto out;
	}
	if (e < 0) {
		sc_cli_error("bench", e, "cannot compare '%s' with '%s'", args[1], args[2]);
		goto out;
	}
	size_t matched = 0;
	for (size_t i = 0; i < rep.nresults; i++)
		matched += rep.results[i].has_comparison;
	if (!strcmp(format, "json"))
		e = scorch_bench_write_json(&rep, stdout);
	else
		e = sc_bench_write_comparison(&rep, stdout);
	if (e < 0) {
		sc_cli_error("bench", e, "cannot write standard output");
		goto out;
	}
	if (matched == 0)
		fprintf(stderr, "scorch bench: warning: no benchmark of '%s' is in '%s'\n", args[2],
			args[1]);
	rc = 0;
	if (fail_arg) {
		size_t n = scorch_bench_count_regressions(&rep, fail_pct);
		if (n) {
			fprintf(stderr,
				"scorch bench: %zu benchmark%s regressed by more than %g%%\n", n,
				n == 1 ? "" : "s", fail_pct);
			rc = 3;
		}
	}
out:
	scorch_bench_report_release(&rep);
	free(args);
	return rc;
}
