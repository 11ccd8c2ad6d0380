/*
 * diff.c: `scorch diff BASE NEW`, what got slower and what got faster between two profiles.
 *
 * Flow: load both inputs (pprof or folded, src/cli/load.h; --no-inline folds inlined frames into
 * their functions, src/profile/filter.h) -> pick the sample type of each (the
 * one named by --sample-type, else each profile's default) -> compare function by function
 * (src/report/diff.h: absolute values when both measure the same thing, else or with --normalize
 * shares) -> label each input by its recorded command and path -> write the text or JSON table, or
 * the differential flamegraph (src/report/flamegraph.h), to standard output or atomically to -o
 * FILE; --html FILE also writes the flamegraph beside the table. With --fail-above POINTS the exit
 * status tells a CI job whether any function's self grew by more than POINTS (percent of the base
 * total; share points when the comparison is of shares).
 *
 * Exit status: 0; 1 when an input cannot be read or an output written; 2 for bad usage; 3 when
 * --fail-above was exceeded (the outputs are written first).
 */
#include "cli/commands.h"
#include "cli/load.h"
#include "cli/options.h"
#include "profile/filter.h"
#include "report/diff.h"
#include "report/flamegraph.h"
#include "report/frames.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const usage[] = {
    "scorch diff [options] BASE NEW",
    NULL,
};

static const char *const examples[] = {
    "scorch diff before/profile.pb.gz after/profile.pb.gz",
    "scorch diff -n 20 --html diff.html base.folded new.folded",
    "scorch diff --normalize short-run.pb.gz long-run.pb.gz",
    "scorch diff -o diff.html before.pb.gz after.pb.gz",
    "scorch diff --format json --fail-above 2 main.pb.gz branch.pb.gz > diff.json",
    NULL,
};

enum format { TEXT, JSON, HTML };

struct job {
	const sc_profile *base, *new;
	int base_type, new_type;
	const sc_diff *diff;
	size_t top;
	const char *title;
};

static int write_view(const struct job *j, enum format fmt, FILE *f)
{
	if (fmt == HTML) {
		sc_flamegraph_options o = {
		    .title = j->title, .type = j->new_type, .base_scale = j->diff->scale};
		return sc_flamegraph_write_diff_html(j->base, j->base_type, j->new, &o, f);
	}
	return fmt == JSON ? sc_diff_print_json(j->diff, j->top, f)
			   : sc_diff_print_text(j->diff, j->top, f);
}

/* Writes one view to `path` atomically, or to standard output when `path` is NULL. Returns 0 or 1
 * after printing the error. */
static int output(const struct job *j, enum format fmt, const char *path)
{
	if (!path) {
		int r = write_view(j, fmt, stdout);
		if (r < 0)
			sc_cli_error("diff", r, "cannot write the comparison");
		return r < 0;
	}
	sc_afile f;
	int r = sc_afile_open(&f, path);
	if (r >= 0) {
		r = write_view(j, fmt, f.fp);
		r = r < 0 ? sc_afile_fail(&f, r) : sc_afile_commit(&f);
	}
	if (r < 0)
		sc_cli_error("diff", r, "cannot write '%s'", path);
	return r < 0;
}

/* "COMMAND (PATH)" or "PATH" ("stdin" for "-"), malloc'd; NULL on -ENOMEM. */
static char *label_of(const char *path, const char *command)
{
	const char *shown = strcmp(path, "-") == 0 ? "stdin" : path;
	char *s = NULL;
	if (command ? asprintf(&s, "%s (%s)", command, shown) < 0 : !(s = strdup(shown)))
		return NULL;
	return s;
}

/* The --fail-above message of an absolute comparison: values in their unit ("1.20s"), or
 * counted as the sample type ("30 -> 50 samples"). */
static void fail_message(const sc_diff *d, const sc_diff_row *max, double fail_above)
{
	char b[32], n[32];
	bool count = strcmp(d->unit, "count") == 0;
	sc_fmt_value(b, sizeof(b), max->base_self, d->unit);
	sc_fmt_value(n, sizeof(n), max->new_self, d->unit);
	/* The name is the profile's bytes: sc_cli_error shows the message escaped. */
	sc_cli_error("diff", 0,
		     "%s's self grew by %.2f points of the base total (%s -> %s%s%s), more "
		     "than --fail-above %g",
		     max->name, max->self_pts, b, n, count ? " " : "", count ? d->type : "",
		     fail_above);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Do a and b name one pipe, FIFO or socket ("-" is standard input), which only one read can
 * empty? (Files and devices such as /dev/zero read the same twice.) */
static bool same_stream(const char *a, const char *b)
{
	struct stat sa, sb;
	if ((strcmp(a, "-") == 0 ? fstat(0, &sa) : stat(a, &sa)) != 0 ||
	    (strcmp(b, "-") == 0 ? fstat(0, &sb) : stat(b, &sb)) != 0)
		return false;
	return (S_ISFIFO(sa.st_mode) || S_ISSOCK(sa.st_mode)) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* --no-inline: *p is replaced by its copy without inlined frames. Returns 0 or 1 (said why). */
static int without_inlines(sc_profile **p)
{
	sc_filter f = {.no_inline = true};
	sc_profile *out = NULL;
	sc_diag d;
	sc_diag_clear(&d);
	int r = sc_profile_filter(*p, &f, &out, &d);
	if (r < 0) {
		sc_cli_error("diff", r, "cannot fold the inlined frames");
		return 1;
	}
	sc_profile_free(*p);
	*p = out;
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	int top = 10;
	double fail_above = -1;
	bool normalize = false, no_inline = false;
	const char *format = NULL, *sample_type = NULL, *out = NULL, *html = NULL,
		   *max_input = NULL;
	sc_option opts[] = {
	    SC_OPT_INT_RANGE('n', "top", &top, "N", 0, 1000000,
			     "show the N biggest changes each way (default 10, 0 for all)"),
	    SC_OPT_STR(0, "format", &format, "FMT",
		       "text (default), json, or html (the differential flamegraph)"),
	    SC_OPT_FLAG(0, "normalize", &normalize,
			"compare shares, the base scaled to the new total (default: values, "
			"when both measure the same thing)"),
	    SC_OPT_STR(0, "sample-type", &sample_type, "NAME",
		       "value to compare, e.g. cpu (default: each profile's default)"),
	    SC_OPT_FLAG(0, "no-inline", &no_inline,
			"fold inlined functions into the function they were inlined into"),
	    SC_OPT_STR('o', "output", &out, "FILE",
		       "write to the file FILE instead of standard output (FILE.html: the "
		       "flamegraph)"),
	    SC_OPT_STR(0, "html", &html, "FILE", "also write the differential flamegraph to FILE"),
	    SC_OPT_DOUBLE_RANGE(
		0, "fail-above", &fail_above, "POINTS", 0, 100,
		"exit 3 if a function's self grew by more than POINTS (% of the base "
		"total, or share points)"),
	    SC_OPT_STR(0, "max-input", &max_input, "SIZE",
		       "refuse inputs that need more than SIZE bytes in memory (K, M, G; "
		       "default 1G)"),
	    SC_OPT_END(),
	};
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args) {
		sc_cli_error("diff", -ENOMEM, "cannot start");
		return 1;
	}
	int nargs = sc_options_parse_args("diff", usage, opts, examples, argc, argv, args);
	const char *base_path = nargs == 2 ? args[0] : NULL,
		   *new_path = nargs == 2 ? args[1] : NULL;
	free(args);
	if (nargs == SC_OPTIONS_HELP)
		return 0;
	if (nargs < 0)
		return 2;
	if (nargs != 2) {
		sc_cli_error("diff", 0, "give two profiles, BASE and NEW, not %d (usage: %s)",
			     nargs, usage[0]);
		return 2;
	}
	/* Standard input can be read once: the second read would see an empty profile, and
	 * every function would look faster. */
	if (strcmp(base_path, "-") == 0 && strcmp(new_path, "-") == 0) {
		sc_cli_error(
		    "diff", 0,
		    "BASE and NEW are both '-': standard input can be read only once; give "
		    "at least one of them as a file");
		return 2;
	}
	/* The same for any one stream named twice (/dev/stdin and -, a FIFO). */
	if (same_stream(base_path, new_path)) {
		sc_cli_error(
		    "diff", 0,
		    "BASE '%s' and NEW '%s' are the same pipe or stream, which can be read "
		    "only once; give at least one of them as a file",
		    base_path, new_path);
		return 2;
	}
	static const char hint[] = "give a file name (diff writes one file)";
	if (sc_cli_check_output("diff", "-o", out, false, hint) ||
	    sc_cli_check_output("diff", "--html", html, false, hint))
		return 2;
	enum format fmt = TEXT;
	if (!format)
		fmt = out && ends_with(out, ".html") ? HTML : TEXT;
	else if (strcmp(format, "text") == 0)
		fmt = TEXT;
	else if (strcmp(format, "json") == 0)
		fmt = JSON;
	else if (strcmp(format, "html") == 0)
		fmt = HTML;
	else {
		sc_cli_error("diff", 0, "unknown format '%s' (valid: text, json, html)", format);
		return 2;
	}

	sc_profile *base = NULL, *new = NULL;
	sc_diff diff = {0};
	char *base_label = NULL, *new_label = NULL;
	sc_cli_load_options lo = {0};
	if (max_input && sc_cli_parse_max_input("diff", max_input, &lo.max_input) != 0)
		return 2;
	int rc = sc_cli_load_profile_opts("diff", base_path, &lo, &base);
	if (!rc)
		rc = sc_cli_load_profile_opts("diff", new_path, &lo, &new);
	if (!rc && no_inline)
		rc = without_inlines(&base) || without_inlines(&new);
	if (rc)
		goto out;
	struct job j = {.base = base, .new = new, .diff = &diff, .top = (size_t)top};
	if ((j.base_type = sc_cli_pick_sample_type("diff", base, sample_type)) < 0 ||
	    (j.new_type = sc_cli_pick_sample_type("diff", new, sample_type)) < 0) {
		rc = base->nsample_types && new->nsample_types ? 2 : 1;
		goto out;
	}
	int r = sc_diff_compute(base, j.base_type, new, j.new_type,
				normalize ? SC_DIFF_NORMALIZE : 0, &diff);
	if (r < 0) {
		sc_cli_error("diff", r, "cannot compare the profiles");
		rc = 1;
		goto out;
	}
	base_label = label_of(base_path, diff.base_command);
	new_label = label_of(new_path, diff.new_command);
	if (!base_label || !new_label) {
		sc_cli_error("diff", -ENOMEM, "cannot compare the profiles");
		rc = 1;
		goto out;
	}
	char title[512];
	diff.base_name = base_label;
	diff.new_name = new_label;
	diff.base_path = base_path;
	diff.new_path = new_path;
	snprintf(title, sizeof(title), "scorch diff: %s \u2192 %s", base_label, new_label);
	j.title = title;
	if ((rc = output(&j, fmt, out)) != 0 || (html && (rc = output(&j, HTML, html)) != 0))
		goto out;
	const sc_diff_row *max = sc_diff_max_self_growth(&diff);
	if (fail_above >= 0 && max && max->self_pts > fail_above) {
		/* The name is the profile's bytes: sc_cli_error shows the message escaped. */
		if (diff.normalized)
			sc_cli_error("diff", 0,
				     "%s's self share grew by %.2f points (%.2f%% -> %.2f%%), more "
				     "than --fail-above %g",
				     max->name, max->self_pts, max->base_self_pct,
				     max->new_self_pct, fail_above);
		else
			fail_message(&diff, max, fail_above);
		rc = 3;
	}
out:
	free(base_label);
	free(new_label);
	sc_diff_release(&diff);
	sc_profile_free(base);
	sc_profile_free(new);
	return rc;
}
