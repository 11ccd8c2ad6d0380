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
#include "cli/load.h"
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

static const char *const examples[] = {
    "scorch bench compare scorch-bench/main.json new.json",
    "scorch bench compare --noise 3 --fail-on-regression 5 base.json new.json",
    "scorch bench compare --format json base.json new.json > change.json",
    NULL,
};

/* The percentages' range; -1 (the default, outside it) means "not given". */
#define PCT_MAX 1000.0

int cmd_bench(int argc, char **argv)
{
	double noise = -1, fail_pct = -1;
	const char *format = "table", *max_arg = NULL;
	uint64_t max_bytes = 0;
	sc_option opts[] = {
	    SC_OPT_DOUBLE_RANGE(
		0, "noise", &noise, "PCT", 0, PCT_MAX,
		"changes smaller than PCT% (0 to 1000) are no change (default: B's own, 5)"),
	    SC_OPT_DOUBLE_RANGE(0, "fail-on-regression", &fail_pct, "PCT", 0, PCT_MAX,
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
	if (max_arg && sc_cli_parse_max_input("bench", max_arg, &max_bytes) != 0)
		goto out;

	sc_diag d;
	sc_diag_clear(&d);
	int e = sc_bench_compare_files(args[1], args[2], noise >= 0 ? noise / 100 : -1, max_bytes,
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
	if (fail_pct >= 0) {
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
