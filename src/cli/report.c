/*
 * report.c: `scorch report`, read a profile and show where the time goes, and why.
 *
 * Flow: read the input (src/cli/load.h: pprof or folded, "-" for standard input) -> pick the
 * sample type -> apply the filters (src/profile/filter.h: --focus, --ignore, --fold,
 * --merge-recursion, --no-inline, --tid, --pid, --comm, --from/--to), which build a new profile ->
 * write one view of it to standard output or, through a temporary file renamed into place, to
 * -o FILE (one file; --all writes the report set into the folder -o DIR):
 *
 *   hot spots    (default) functions, source lines (--by line) or addresses (--by address)
 *                ranked by self and by total cost (src/report/top.h)
 *   --butterfly  callers and callees of the functions matching a regex (src/report/butterfly.h;
 *                the html form is the butterfly page, src/report/butterfly_html.h)
 *   --modules    cost by executable / shared object / kernel (src/report/modules.h)
 *   --by thread  cost by thread or process, with names and times (src/report/threads.h)
 *   --group      cost by named component (src/report/groups.h); with --format html the
 *                flamegraph is coloured by component instead
 *   --annotate   source lines of the functions matching a regex (src/report/annotate.h)
 *   --disasm     their instructions, from the binary that ran (src/report/disasm.h)
 *
 * in one of the formats: text, json (each view is a JSON document with "schema" and "version"),
 * folded (the filtered profile as FlameGraph's folded stacks) or html (the flamegraph page).
 *
 * Exit status: 0; 1 when the input (or a --groups file) cannot be read or parsed, the output
 * cannot be written, or --butterfly matches no function; 2 for bad usage (unknown option, format
 * or sample type, a bad regex or group, conflicting views, a time window the profile cannot
 * answer, --format chrome on a profile without per-sample times).
 */
#include "cli/commands.h"
#include "cli/load.h"
#include "cli/options.h"
#include "cli/report_all.h"
#include "formats/chrome.h"
#include "formats/folded.h"
#include "formats/pprof.h"
#include "formats/speedscope.h"
#include "profile/filter.h"
#include "report/annotate.h"
#include "report/butterfly.h"
#include "report/butterfly_html.h"
#include "report/disasm.h"
#include "report/flamegraph.h"
#include "report/groups.h"
#include "report/modules.h"
#include "report/reportset.h"
#include "report/threads.h"
#include "report/top.h"
#include "session/outdir.h"
#include "util/diag.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const usage[] = {
    "scorch report [options] FILE",
    NULL,
};

static const char *const examples[] = {
    "scorch report scorch-out/myprog-20261122-101500/profile.pb.gz",
    "scorch report -n 20 --sample-type cpu profile.pb.gz",
    "scorch report --by line --focus 'parse_' profile.pb.gz",
    "scorch report --no-inline --by line profile.pb.gz",
    "scorch report --wide -n 50 profile.pb.gz | less -S",
    "scorch report --butterfly '^malloc$' profile.pb.gz",
    "scorch report --annotate '^parse_line$' profile.pb.gz",
    "scorch report --disasm '^parse_line$' profile.pb.gz",
    "scorch report --modules --format json profile.pb.gz",
    "scorch report --group similarity='cosine|dot' --group activation=spread_ profile.pb.gz",
    "scorch report --fold '^__libc|^_dl_' --merge-recursion --format html -o fg.html FILE",
    "scorch report --tid 4242 --from 2.5 --to 4 profile.pb.gz",
    "scorch report --by thread --comm worker profile.pb.gz",
    "scorch report --format html -o flamegraph.html stacks.folded",
    "scorch report --format folded profile.pb.gz > stacks.folded",
    "cat stacks.folded | scorch report --format json -",
    NULL,
};

static const char *const formats[] = {"text",	    "json",   "folded", "html",
				      "speedscope", "chrome", "pprof",	NULL};
static const char *const keys[] = {"function", "line", "address", NULL};

enum format { TEXT, JSON, FOLDED, HTML, SPEEDSCOPE, CHROME, PPROF };
enum kind { TOP, BUTTERFLY, MODULES, GROUPS, THREADS, ANNOTATE, DISASM };

struct view {
	enum kind kind;
	enum format format;
	int type;
	size_t top;
	sc_key_mode by;
	const char *title;
	const char *butterfly;
	const char *annotate; /* the regex of --annotate or --disasm */
	const sc_groups *groups;
	sc_folded_root root;
	sc_threads_key threads; /* --by thread or process */
	size_t width;		/* the text tables' line width, 0: names never cut */
};

static int find(const char *const *names, const char *name)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

static int write_butterfly(const sc_profile *p, const struct view *v, FILE *f)
{
	sc_butterfly b;
	int r = sc_butterfly_compute(p, v->type, v->butterfly, &b);
	if (r < 0)
		return r;
	if (v->format == HTML) {
		sc_butterfly_html_options o = {
		    .title = v->title, .type = v->type, .focus = b.matched[0]};
		r = sc_butterfly_html_write(p, &o, f);
	} else if (v->format == JSON) {
		r = sc_butterfly_print_json(p, &b, v->top, f);
	} else {
		r = sc_butterfly_print_text(p, &b, v->top, f);
	}
	sc_butterfly_release(&b);
	return r;
}

static int write_annotate(const sc_profile *p, const struct view *v, FILE *f, sc_diag *d)
{
	if (v->kind == DISASM) {
		sc_disasm ds;
		int r = sc_disasm_compute(p, v->type, v->annotate, NULL, &ds, d);
		if (r == 0)
			r = sc_disasm_print_text(p, &ds, v->top, f);
		sc_disasm_release(&ds);
		return r;
	}
	sc_annotate a;
	int r = sc_annotate_compute(p, v->type, v->annotate, &a);
	if (r == 0)
		r = sc_annotate_print_text(p, &a, v->top, f);
	sc_annotate_release(&a);
	return r;
}

static int write_view(const sc_profile *p, const struct view *v, FILE *f, sc_diag *d)
{
	if (v->kind == BUTTERFLY)
		return write_butterfly(p, v, f);
	if (v->kind == ANNOTATE || v->kind == DISASM)
		return write_annotate(p, v, f, d);
	if (v->format == FOLDED)
		return sc_folded_write_root(p, v->type, v->root, f);
	if (v->format == PPROF) /* the profile itself, filters applied */
		return sc_pprof_write_stream(p, f);
	if (v->format == SPEEDSCOPE) {
		sc_speedscope_options o = {.type = v->type, .name = v->title};
		return sc_speedscope_write(p, &o, f);
	}
	if (v->format == CHROME) {
		sc_chrome_options o = {.type = v->type, .name = v->title};
		return sc_chrome_write(p, &o, f);
	}
	if (v->format == HTML) {
		sc_flamegraph_options o = {.title = v->title, .type = v->type, .groups = v->groups};
		return sc_flamegraph_write_html(p, &o, f);
	}
	bool json = v->format == JSON;
	if (v->kind == GROUPS)
		return json ? sc_groups_print_json(v->groups, p, v->type, f)
			    : sc_groups_print_text(v->groups, p, v->type, f);
	if (v->kind == THREADS) {
		sc_threads t;
		int r = sc_threads_compute(p, v->type, v->threads, &t);
		if (r < 0)
			return r;
		r = json ? sc_threads_print_json(p, &t, v->top, f)
			 : sc_threads_print_text(p, &t, v->top, f);
		sc_threads_release(&t);
		return r;
	}
	if (v->kind == MODULES) {
		sc_modules m;
		int r = sc_modules_compute(p, v->type, &m);
		if (r < 0)
			return r;
		r = json ? sc_modules_print_json(p, &m, v->top, f)
			 : sc_modules_print_text(p, &m, v->top, f);
		sc_modules_release(&m);
		return r;
	}
	sc_top t;
	int r = sc_top_compute_by(p, v->type, v->by, &t);
	if (r < 0)
		return r;
	size_t n = v->top ? v->top : t.len;
	r = json ? sc_top_print_json(p, &t, n, f) : sc_top_print_text_width(p, &t, n, v->width, f);
	sc_top_release(&t);
	return r;
}

/* Says why a view failed; returns the exit status. */
static int view_error(const struct view *v, int r, const char *what, const sc_diag *d)
{
	const char *opt = v->kind == DISASM ? "--disasm" : "--annotate";
	if (d->message[0]) {
		char buf[1024];
		sc_cli_error("report", 0, "%s '%s': %s", opt, v->annotate,
			     sc_diag_format(d, buf, sizeof(buf)));
		return 1;
	}
	if ((v->kind == ANNOTATE || v->kind == DISASM) && r == -ENOENT) {
		sc_cli_error("report", 0, "%s '%s': no function with %s matches", opt, v->annotate,
			     v->kind == DISASM ? "self samples" : "samples");
		return 1;
	}
	if (v->kind == BUTTERFLY && r == -ENOENT) {
		sc_cli_error("report", 0, "--butterfly '%s': no function matches", v->butterfly);
		return 1;
	}
	if (v->kind == BUTTERFLY && r == -EINVAL) {
		sc_cli_error("report", 0, "--butterfly '%s': not a valid regex", v->butterfly);
		return 2;
	}
	sc_cli_error("report", r, "%s", what);
	return 1;
}

/* The width text tables fit on terminal `fd`: COLUMNS when it is a number, else the terminal's
 * (TIOCGWINSZ), else 80; 0 (nothing cut) when fd is no terminal, as perf report --stdio and
 * pprof -text print names whole into files and pipes. */
static size_t terminal_width(int fd)
{
	if (!isatty(fd))
		return 0;
	const char *c = getenv("COLUMNS");
	char *end;
	long n = c && *c ? strtol(c, &end, 10) : 0;
	if (c && *c && !*end && n > 0 && n < 100000)
		return (size_t)n;
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* Writes the view to `path` (atomically) or, when it is NULL, to standard output (fitted to a
 * terminal's width unless --wide). */
static int output(const sc_profile *p, const struct view *v, const char *path)
{
	char what[1100];
	snprintf(what, sizeof(what), "cannot write '%s'", path ? path : "the report");
	sc_diag d;
	sc_diag_clear(&d);
	if (!path) {
		struct view tty = *v;
		tty.width = v->width ? terminal_width(STDOUT_FILENO) : 0;
		int r = write_view(p, &tty, stdout, &d);
		return r < 0 ? view_error(v, r, what, &d) : 0;
	}
	struct view whole = *v;
	whole.width = 0; /* a file: nothing cut */
	sc_afile f;
	int r = sc_afile_open(&f, path);
	if (r < 0)
		return view_error(v, r, what, &d);
	r = write_view(p, &whole, f.fp, &d);
	if (r < 0)
		return view_error(v, sc_afile_fail(&f, r), what, &d);
	r = sc_afile_commit(&f);
	return r < 0 ? view_error(v, r, what, &d) : 0;
}

/* Ids and names of --tid/--pid/--comm: each occurrence a comma-separated list of numbers
 * (into `ids`) or names (into `names`, which point into `split`). */
struct idlist {
	uint32_t *ids;
	size_t nids;
	const char **names;
	size_t nnames;
	char *split; /* the items joined, cut at the commas */
};

static void idlist_release(struct idlist *l)
{
	free(l->ids);
	free(l->names);
	free(l->split);
}

/* Parses --OPT's items into `out` (`numbers`: a number is an id, anything else a name; else only
 * names, for
 * --comm). Returns 0, or 2 (1 out of memory) after saying what is wrong. */
static int parse_ids(const char *opt, const sc_option_list *l, bool numbers, struct idlist *out)
{
	size_t bytes = 0, items = 0;
	for (int i = 0; i < l->len; i++) {
		bytes += strlen(l->items[i]) + 1;
		for (const char *c = l->items[i]; *c; c++)
			items += *c == ',';
		items++;
	}
	out->split = malloc(bytes ? bytes : 1);
	out->ids = calloc(items ? items : 1, sizeof(*out->ids));
	out->names = calloc(items ? items : 1, sizeof(*out->names));
	if (!out->split || !out->ids || !out->names) {
		sc_cli_error("report", -ENOMEM, "cannot start");
		return 1;
	}
	char *at = out->split;
	for (int i = 0; i < l->len; i++) {
		size_t len = strlen(l->items[i]);
		memcpy(at, l->items[i], len + 1);
		for (char *s = at, *next; s; s = next) {
			next = strchr(s, ',');
			if (next)
				*next++ = '\0';
			char *end;
			errno = 0;
			unsigned long v = numbers ? strtoul(s, &end, 10) : 0;
			if (!*s) {
				sc_cli_error("report", 0, "--%s '%s': an empty %s", opt,
					     l->items[i], numbers ? "id or name" : "name");
				return 2;
			}
			if (numbers && *s >= '0' && *s <= '9' && !*end) {
				if (errno || v > UINT32_MAX) {
					sc_cli_error("report", 0, "--%s '%s': %s is not an id", opt,
						     l->items[i], s);
					return 2;
				}
				out->ids[out->nids++] = (uint32_t)v;
			} else {
				out->names[out->nnames++] = s;
			}
		}
		at += len + 1;
	}
	return 0;
}

/* Builds the set of --group specs and --groups files. Returns 0 (*out NULL when none), or the
 * exit status after saying what is wrong. */
static int load_groups(const sc_option_list *specs, const char *file, sc_groups **out)
{
	*out = NULL;
	if (!specs->len && !file)
		return 0;
	sc_diag d;
	sc_diag_clear(&d);
	char buf[1024];
	int r = sc_groups_new(specs->items, (size_t)specs->len, out, &d);
	if (r == -EINVAL) {
		sc_cli_error("report", 0, "--group %s", sc_diag_format(&d, buf, sizeof(buf)));
		return 2;
	}
	if (r == 0 && file)
		r = sc_groups_add_file(*out, file, &d);
	if (r == -EINVAL) {
		sc_cli_error("report", 0, "--groups %s", sc_diag_format(&d, buf, sizeof(buf)));
	} else if (r < 0) {
		sc_cli_error("report", r, "--groups: cannot read '%s'", file ? file : "");
	}
	if (r < 0) {
		sc_groups_free(*out);
		*out = NULL;
		return r == -EINVAL ? 2 : 1;
	}
	return 0;
}

/* Applies the filters: *p is replaced by the filtered profile. Returns 0 or the exit status. */
static int apply_filter(sc_profile **p, const sc_filter *f)
{
	if (!sc_filter_active(f))
		return 0;
	sc_diag d;
	sc_diag_clear(&d);
	sc_profile *out = NULL;
	int r = sc_profile_filter(*p, f, &out, &d);
	if (r == -EINVAL) {
		char buf[1024];
		sc_cli_error("report", 0, "%s", sc_diag_format(&d, buf, sizeof(buf)));
		return 2;
	}
	if (r < 0) {
		sc_cli_error("report", r, "cannot filter the profile");
		return 1;
	}
	if (!out->samples.len && (*p)->samples.len)
		fprintf(stderr, "scorch report: note: the filters leave no samples\n");
	sc_profile_free(*p);
	*p = out;
	return 0;
}

/* Returns 0 when `re` is a valid POSIX extended regex (or NULL), else 2 after saying why. */
static int check_regex(const char *opt, const char *re)
{
	regex_t compiled;
	int r = re ? regcomp(&compiled, re, REG_EXTENDED | REG_NOSUB) : 0;
	if (!re)
		return 0;
	if (r) {
		char msg[256];
		regerror(r, &compiled, msg, sizeof(msg));
		sc_cli_error("report", 0, "%s '%s': %s", opt, re, msg);
		return 2;
	}
	regfree(&compiled);
	return 0;
}

/* Checks that the options ask for one view in a format it has; fills v. Returns 0 or 2. */
static int pick_view(struct view *v, const char *format, const char *by, bool modules, bool groups,
		     const char *annotate, const char *disasm)
{
	int fmt = find(formats, format);
	if (fmt < 0) {
		sc_cli_error(
		    "report", 0,
		    "unknown format '%s' (valid: text, json, folded, html, speedscope, chrome, "
		    "pprof)",
		    format);
		return 2;
	}
	v->format = (enum format)fmt;
	int k = find(keys, by ? by : "function");
	bool threads = by && (!strcmp(by, "thread") || !strcmp(by, "process"));
	if (k < 0 && !threads) {
		sc_cli_error("report", 0,
			     "unknown --by '%s' (valid: function, line, address, thread, process)",
			     by);
		return 2;
	}
	v->by = k < 0 ? SC_KEY_FUNCTION : (sc_key_mode)k;
	v->threads = by && !strcmp(by, "process") ? SC_THREADS_BY_PROCESS : SC_THREADS_BY_THREAD;
	bool tables = v->format == TEXT || v->format == JSON;
	/* With html, groups colour the flamegraph rather than being a view of their own. */
	int nviews = !!v->butterfly + modules + (groups && tables);
	if (nviews > 1) {
		sc_cli_error("report", 0,
			     "--butterfly, --modules and --group are separate views: "
			     "give one of them");
		return 2;
	}
	if ((annotate || disasm) && nviews + !!annotate + !!disasm + threads > 1) {
		sc_cli_error("report", 0,
			     "--%s is a view of its own: give it without --butterfly, --modules, "
			     "--group, --by thread|process or --%s",
			     annotate ? "annotate" : "disasm", annotate ? "disasm" : "annotate");
		return 2;
	}
	v->kind = v->butterfly	     ? BUTTERFLY
		  : modules	     ? MODULES
		  : groups && tables ? GROUPS
		  : annotate	     ? ANNOTATE
		  : disasm	     ? DISASM
				     : TOP;
	if (threads && v->kind == TOP)
		v->kind = THREADS;
	v->annotate = annotate ? annotate : disasm;
	const char *bad = NULL;
	if ((v->kind == ANNOTATE || v->kind == DISASM) && v->format != TEXT)
		bad = v->kind == ANNOTATE ? "--annotate" : "--disasm";
	else if (by && ((v->kind != TOP && v->kind != THREADS) || !tables))
		bad = "--by";
	else if (v->kind == MODULES && !tables)
		bad = "--modules";
	else if (v->kind == BUTTERFLY && !tables && v->format != HTML)
		bad = "--butterfly";
	else if (groups && !tables && v->format != HTML)
		bad = "--group";
	if (bad) {
		sc_cli_error("report", 0, "%s has no %s form (use --format text%s)", bad, format,
			     v->kind == ANNOTATE || v->kind == DISASM ? "" : " or json");
		return 2;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	int top = 10;
	bool modules = false, merge_recursion = false, all = false, no_inline = false, wide = false;
	double from = 0, to = 0;
	const char *format = "text", *sample_type = NULL, *out = NULL, *by = NULL;
	const char *butterfly = NULL, *groups_file = NULL, *annotate = NULL, *disasm = NULL;
	const char *focus = NULL, *ignore = NULL, *fold = NULL, *max_input = NULL, *root = NULL;
	sc_option_list group_specs = {0}, tids = {0}, pids = {0}, comms = {0};
	sc_option opts[] = {
	    SC_OPT_INT_RANGE('n', "top", &top, "N", 0, 1000000,
			     "show the N hottest rows (default 10, 0 for all)"),
	    SC_OPT_STR(0, "format", &format, "FMT",
		       "text (default), json, folded, html, speedscope, chrome or pprof (the "
		       "profile, filters applied)"),
	    SC_OPT_STR(0, "sample-type", &sample_type, "NAME",
		       "value to show, e.g. cpu (default: the profile's default)"),
	    SC_OPT_STR('o', "output", &out, "FILE",
		       "write to the file FILE instead of standard output (with --all: the folder "
		       "to write into)"),
	    SC_OPT_FLAG(0, "all", &all,
			"write the report set (summary, hotspots.json, flamegraph, butterfly, "
			"report.md) into the folder -o DIR"),
	    SC_OPT_FLAG(0, "wide", &wide,
			"never cut names in text tables (default: fit a terminal's width; output "
			"to a file or pipe is never cut)"),
	    SC_OPT_STR(0, "by", &by, "KEY",
		       "rank hot spots by function (default), line (file:line) or address; or "
		       "cost by thread or process"),
	    SC_OPT_STR(0, "butterfly", &butterfly, "REGEX",
		       "callers and callees of the functions matching REGEX"),
	    SC_OPT_STR(0, "annotate", &annotate, "REGEX",
		       "source lines of the functions matching REGEX, with their share of samples"),
	    SC_OPT_STR(0, "disasm", &disasm, "REGEX",
		       "instructions of the functions matching REGEX, with their share of "
		       "samples (objdump)"),
	    SC_OPT_FLAG(0, "modules", &modules,
			"time by module: executable, shared objects, [kernel]"),
	    SC_OPT_LIST(0, "group", &group_specs, "NAME=REGEX",
			"time by component: frames matching REGEX count as NAME (repeatable)"),
	    SC_OPT_STR(0, "groups", &groups_file, "FILE", "read NAME=REGEX lines from FILE"),
	    SC_OPT_STR(0, "focus", &focus, "REGEX",
		       "keep only samples with a frame matching REGEX"),
	    SC_OPT_STR(0, "ignore", &ignore, "REGEX", "drop samples with a frame matching REGEX"),
	    SC_OPT_STR(0, "fold", &fold, "REGEX",
		       "remove frames matching REGEX (their cost goes to their caller)"),
	    SC_OPT_FLAG(0, "merge-recursion", &merge_recursion,
			"merge directly recursive calls into one frame"),
	    SC_OPT_FLAG(0, "no-inline", &no_inline,
			"fold inlined functions into the function they were inlined into (its "
			"self cost)"),
	    SC_OPT_LIST(0, "tid", &tids, "TID[,TID]",
			"keep only these threads, by id or thread name (repeatable)"),
	    SC_OPT_LIST(0, "pid", &pids, "PID[,PID]",
			"keep only these processes, by id or process name (repeatable)"),
	    SC_OPT_LIST(0, "comm", &comms, "NAME[,NAME]",
			"keep only threads or processes with these names (repeatable)"),
	    SC_OPT_DOUBLE_RANGE(0, "from", &from, "SECONDS", 0, 1e9,
				"keep samples from SECONDS after the first sample on"),
	    SC_OPT_DOUBLE_RANGE(0, "to", &to, "SECONDS", 0, 1e9,
				"keep samples up to SECONDS after the first sample"),
	    SC_OPT_STR(0, "root", &root, "MODE",
		       "folded output's root frame: comm (default: the process name of perf "
		       "script input), pid (comm-PID), tid (comm-PID/TID) or none"),
	    SC_OPT_STR(0, "max-input", &max_input, "SIZE",
		       "refuse inputs that need more than SIZE bytes in memory (K, M, G; "
		       "default 1G)"),
	    SC_OPT_END(),
	};
	sc_profile *p = NULL;
	sc_groups *groups = NULL;
	struct idlist tid_ids = {0}, pid_ids = {0}, comm_names = {0};
	int rc = 2;
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args) {
		sc_cli_error("report", -ENOMEM, "cannot start");
		return 1;
	}
	int nargs = sc_options_parse_args("report", usage, opts, examples, argc, argv, args);
	const char *path = nargs == 1 ? args[0] : NULL;
	free(args);
	if (nargs == SC_OPTIONS_HELP) {
		rc = 0;
		goto out;
	}
	if (nargs < 0)
		goto out;
	if (from < 0 || to < 0 || (to > 0 && to <= from)) {
		sc_cli_error("report", 0, "--from %g --to %g: the window must have 0 <= from < to",
			     from, to);
		goto out;
	}
	if (all && (annotate || disasm)) {
		sc_cli_error("report", 0, "--all writes the report set: give --%s without it",
			     annotate ? "annotate" : "disasm");
		goto out;
	}
	if (all && !out) {
		sc_cli_error("report", 0, "--all writes a folder: give it with -o DIR");
		goto out;
	}
	/* -o is a file, with --all a folder: a mismatch is said before a big input is read. */
	if ((rc = sc_cli_check_output(
		 "report", all ? "--all -o" : "-o", out, all,
		 all ? "give a folder (made if missing), or -o FILE without --all for one view"
		     : "give a file name, or --all -o DIR for the report set in a folder")) != 0)
		goto out;
	rc = 2;
	/* width 1 stands for "fit the terminal, if standard output is one" (see output()). */
	struct view v = {.top = (size_t)top,
			 .butterfly = butterfly,
			 .root = SC_FOLDED_ROOT_COMM,
			 .width = wide ? 0 : 1};
	if (root) {
		static const char *const roots[] = {"none", "comm", "pid", "tid", NULL};
		int i = find(roots, root);
		if (i < 0) {
			sc_cli_error("report", 0,
				     "unknown --root '%s' (valid: comm, pid, tid, none)", root);
			goto out;
		}
		v.root = (sc_folded_root)i;
	}
	/* Regexes are checked before the input is read: a typo should not wait for a big file. */
	if ((rc = check_regex("--butterfly", butterfly)) != 0 ||
	    (rc = check_regex("--focus", focus)) != 0 ||
	    (rc = check_regex("--ignore", ignore)) != 0 ||
	    (rc = check_regex("--fold", fold)) != 0 ||
	    (rc = check_regex("--annotate", annotate)) != 0 ||
	    (rc = check_regex("--disasm", disasm)) != 0 ||
	    (rc = pick_view(&v, format, by, modules, group_specs.len || groups_file, annotate,
			    disasm)) != 0 ||
	    (rc = parse_ids("tid", &tids, true, &tid_ids)) != 0 ||
	    (rc = parse_ids("pid", &pids, true, &pid_ids)) != 0 ||
	    (rc = parse_ids("comm", &comms, false, &comm_names)) != 0 ||
	    (rc = load_groups(&group_specs, groups_file, &groups)) != 0)
		goto out;
	if (nargs == 0) {
		sc_cli_error("report", 0, "no input file (usage: %s; '-' reads standard input)",
			     usage[0]);
		rc = 2;
		goto out;
	}
	if (nargs > 1) {
		sc_cli_error("report", 0, "give one input file, not %d", nargs);
		rc = 2;
		goto out;
	}
	struct stat in_st;
	if (all && stat(path, &in_st) == 0 && S_ISDIR(in_st.st_mode)) {
		rc = sc_cli_report_folder(path, out, (size_t)top);
		goto out;
	}
	/* Timelines and time windows need every sample's time, which merging would lose. */
	sc_cli_load_options lo = {.keep_times = v.format == CHROME || from > 0 || to > 0};
	if ((max_input && (rc = sc_cli_parse_max_input("report", max_input, &lo.max_input)) != 0) ||
	    (rc = sc_cli_load_profile_opts("report", path, &lo, &p)) != 0)
		goto out;
	if ((v.type = sc_cli_pick_sample_type("report", p, sample_type)) < 0) {
		rc = p->nsample_types ? 2 : 1;
		goto out;
	}
	sc_filter f = {.focus = focus,
		       .ignore = ignore,
		       .fold = fold,
		       .merge_recursion = merge_recursion,
		       .no_inline = no_inline,
		       .tids = tid_ids.ids,
		       .ntids = tid_ids.nids,
		       .pids = pid_ids.ids,
		       .npids = pid_ids.nids,
		       .tid_names = tid_ids.names,
		       .ntid_names = tid_ids.nnames,
		       .pid_names = pid_ids.names,
		       .npid_names = pid_ids.nnames,
		       .comms = comm_names.names,
		       .ncomms = comm_names.nnames,
		       .from = from,
		       .to = to};
	if ((rc = apply_filter(&p, &f)) != 0)
		goto out;
	if (v.format == CHROME && sc_chrome_check(p, v.type) == -ENODATA) {
		sc_cli_error("report", 0,
			     "--format chrome is a timeline and needs per-sample times, which '%s' "
			     "does not have (scorch's recordings and perf script output have them; "
			     "folded stacks never; other pprof files only as a numeric label "
			     "\"time_ns\" or \"time\"): use --format speedscope or html",
			     path);
		rc = 2;
		goto out;
	}
	char title[256];
	v.title = sc_cli_title(path, title, sizeof(title));
	v.groups = groups;
	if (all) {
		sc_reportset_options ro = {.type = v.type,
					   .top = (size_t)top,
					   .title = v.title,
					   .source = path,
					   .groups = groups};
		sc_diag d;
		sc_diag_clear(&d);
		/* The folders this run creates go again if the set cannot be written. */
		sc_outdir od = {0};
		int r = sc_outdir_make(&od, out);
		if (r < 0) {
			sc_cli_error("report", r, "cannot create the folder '%s'", out);
			sc_outdir_release(&od);
			rc = 1;
			goto out;
		}
		r = sc_reportset_write(p, &ro, out, &d);
		rc = 0;
		if (r < 0) {
			char buf[1024];
			sc_cli_error("report", d.message[0] ? 0 : r, "%s",
				     d.message[0] ? sc_diag_format(&d, buf, sizeof(buf))
						  : "cannot write the report set");
			sc_outdir_remove_if_empty(&od);
			rc = 1;
		}
		sc_outdir_release(&od);
		goto out;
	}
	rc = output(p, &v, out);
out:
	sc_profile_free(p);
	sc_groups_free(groups);
	idlist_release(&tid_ids);
	idlist_release(&pid_ids);
	idlist_release(&comm_names);
	sc_option_list_release(&group_specs);
	sc_option_list_release(&tids);
	sc_option_list_release(&pids);
	sc_option_list_release(&comms);
	return rc;
}
