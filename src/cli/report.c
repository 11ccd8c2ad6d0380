/*
 * report.c: `scorch report`, read a profile and show where the time goes.
 *
 * Flow: read the whole input (a file, or "-" for standard input) -> detect its format (pprof when
 * sc_pprof_sniff says so, folded stacks otherwise) -> pick the sample type -> write one view to
 * standard output or, through a temporary file renamed into place, to -o FILE:
 *
 *   text    hottest functions by self and by total (src/report/top.h)
 *   json    the same as a "scorch.top" document
 *   folded  FlameGraph's folded stacks (src/formats/folded.h), e.g. to convert pprof to folded
 *   html    the self-contained flamegraph page (src/report/flamegraph.h)
 *
 * Exit status: 0, 1 when the input cannot be read or parsed or the output written, 2 for bad
 * usage (unknown option, format or sample type: the message lists the valid ones).
 */
#include "cli/commands.h"
#include "cli/options.h"
#include "formats/folded.h"
#include "formats/pprof.h"
#include "report/flamegraph.h"
#include "report/top.h"
#include "util/diag.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "scorch report [options] FILE",
    NULL,
};

static const char *const examples[] = {
    "scorch report scorch-out/myprog-20261122-101500/profile.pb.gz",
    "scorch report -n 20 --sample-type cpu profile.pb.gz",
    "scorch report --format html -o flamegraph.html stacks.folded",
    "scorch report --format folded profile.pb.gz > stacks.folded",
    "cat stacks.folded | scorch report --format json -",
    NULL,
};

static const char *const formats[] = {"text", "json", "folded", "html", NULL};

enum format { TEXT, JSON, FOLDED, HTML };

struct view {
	enum format format;
	int type;
	size_t top;
	const char *title;
};

static int find_format(const char *name)
{
	for (int i = 0; formats[i]; i++)
		if (strcmp(formats[i], name) == 0)
			return i;
	return -1;
}

/* The sample type to show: the one asked for, else the profile's default, else the last one (as
 * pprof does). Returns its index, or -1 after printing why there is none. */
static int pick_sample_type(const sc_profile *p, const char *name)
{
	if (!p->nsample_types) {
		sc_cli_error("report", 0, "the profile has no sample types");
		return -1;
	}
	if (!name) {
		int t =
		    p->default_sample_type
			? sc_profile_find_sample_type(p, sc_profile_str(p, p->default_sample_type))
			: -1;
		return t >= 0 ? t : (int)p->nsample_types - 1;
	}
	int t = sc_profile_find_sample_type(p, name);
	if (t >= 0)
		return t;
	sc_strbuf valid = {0};
	for (size_t i = 0; i < p->nsample_types; i++)
		sc_strbuf_addf(&valid, "%s%s", i ? ", " : "",
			       sc_profile_str(p, p->sample_types[i].type));
	sc_cli_error("report", 0, "unknown sample type '%s' (this profile has: %s)", name,
		     sc_strbuf_cstr(&valid));
	sc_strbuf_release(&valid);
	return -1;
}

/* Reads and parses the input. Returns 0, or 1 after printing what went wrong. */
static int load(const char *path, sc_profile **out)
{
	char *data = NULL;
	size_t n = 0;
	*out = NULL;
	int r = sc_read_file(path, &data, &n);
	if (r < 0) {
		sc_cli_error("report", r, "cannot read '%s'", path);
		return 1;
	}
	sc_diag d;
	sc_diag_clear(&d);
	sc_diag_set_file(&d, strcmp(path, "-") == 0 ? "<stdin>" : path);
	if (sc_pprof_sniff(data, n))
		r = sc_pprof_decode(data, n, out, &d);
	else
		r = sc_folded_parse(data, n, out, &d);
	free(data);
	if (r == -EINVAL) {
		char buf[1024];
		sc_cli_error("report", 0, "%s", sc_diag_format(&d, buf, sizeof(buf)));
		return 1;
	}
	if (r < 0) {
		sc_cli_error("report", r, "cannot load '%s'", path);
		return 1;
	}
	return 0;
}

static int write_view(const sc_profile *p, const struct view *v, FILE *f)
{
	if (v->format == FOLDED)
		return sc_folded_write(p, v->type, f);
	if (v->format == HTML) {
		sc_flamegraph_options o = {.title = v->title, .type = v->type};
		return sc_flamegraph_write_html(p, &o, f);
	}
	sc_top t;
	int r = sc_top_compute(p, v->type, &t);
	if (r < 0)
		return r;
	size_t n = v->top ? v->top : t.len;
	r = v->format == JSON ? sc_top_print_json(p, &t, n, f) : sc_top_print_text(p, &t, n, f);
	sc_top_release(&t);
	return r;
}

/* Writes the view to `path` (atomically) or, when it is NULL, to standard output. */
static int output(const sc_profile *p, const struct view *v, const char *path)
{
	if (!path) {
		int r = write_view(p, v, stdout);
		if (r < 0)
			sc_cli_error("report", r, "cannot write the report");
		return r < 0 ? 1 : 0;
	}
	sc_afile f;
	int r = sc_afile_open(&f, path);
	if (r < 0)
		goto fail;
	r = write_view(p, v, f.fp);
	if (r < 0) {
		sc_afile_abort(&f);
		goto fail;
	}
	r = sc_afile_commit(&f);
	if (r < 0)
		goto fail;
	return 0;
fail:
	sc_cli_error("report", r, "cannot write '%s'", path);
	return 1;
}

int cmd_report(int argc, char **argv)
{
	int top = 10;
	const char *format = "text", *sample_type = NULL, *out = NULL;
	sc_option opts[] = {
	    SC_OPT_INT('n', "top", &top, "N",
		       "show the N hottest functions (default 10, 0 for all)"),
	    SC_OPT_STR(0, "format", &format, "FMT", "text (default), json, folded or html"),
	    SC_OPT_STR(0, "sample-type", &sample_type, "NAME",
		       "value to show, e.g. cpu (default: the profile's default)"),
	    SC_OPT_STR('o', "output", &out, "FILE", "write to FILE instead of standard output"),
	    SC_OPT_END(),
	};
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args) {
		sc_cli_error("report", -ENOMEM, "cannot start");
		return 1;
	}
	int nargs = sc_options_parse_args("report", usage, opts, examples, argc, argv, args);
	const char *path = nargs == 1 ? args[0] : NULL;
	free(args);
	if (nargs == SC_OPTIONS_HELP)
		return 0;
	if (nargs < 0)
		return 2;
	if (top < 0) {
		sc_cli_error("report", 0, "--top must be 0 (all) or more, not %d", top);
		return 2;
	}
	int fmt = find_format(format);
	if (fmt < 0) {
		sc_cli_error("report", 0, "unknown format '%s' (valid: text, json, folded, html)",
			     format);
		return 2;
	}
	if (nargs == 0) {
		sc_cli_error("report", 0, "no input file (usage: %s; '-' reads standard input)",
			     usage[0]);
		return 2;
	}
	if (nargs > 1) {
		sc_cli_error("report", 0, "give one input file, not %d", nargs);
		return 2;
	}

	sc_profile *p = NULL;
	int rc = load(path, &p);
	if (rc)
		goto out;
	struct view v = {.format = (enum format)fmt, .top = (size_t)top};
	if ((v.type = pick_sample_type(p, sample_type)) < 0) {
		rc = p->nsample_types ? 2 : 1;
		goto out;
	}
	const char *base = strcmp(path, "-") == 0 ? "stdin" : path;
	const char *slash = strrchr(base, '/');
	char title[256];
	snprintf(title, sizeof(title), "scorch: %s", slash && slash[1] ? slash + 1 : base);
	v.title = title;
	rc = output(p, &v, out);
out:
	sc_profile_free(p);
	return rc;
}
