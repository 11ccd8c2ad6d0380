/*
 * run_filters.c: scorch.toml's [filters] applied to a session's CPU profile (docs/config.md).
 *
 * The globs become anchored POSIX regexes for the profile filter (profile/filter.h):
 * include_functions and include_crates keep the samples with a matching frame (focus),
 * include_modules those with a frame in a matching module; exclude_functions, exclude_std,
 * exclude_modules and exclude_system remove the matching frames, their cost going to the caller
 * (fold). cpu/profile.pb.gz stays as recorded; the filtered profile is cpu/filtered.pb.gz, and
 * the report set of cpu/ (summary.txt, hotspots.json, flamegraph.html, butterfly.html,
 * report.md) and the session's report.md are made from it.
 */
#include "cli/commands.h"
#include "cli/load.h"
#include "cli/run.h"
#include "formats/chrome.h"
#include "formats/pprof.h"
#include "formats/speedscope.h"
#include "profile/filter.h"
#include "report/reportset.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends glob `g` as a regex: '*' any run, '?' one character, the rest literal. */
static void glob_regex(sc_strbuf *sb, const char *g, bool dash_as_underscore)
{
	for (const char *c = g; *c; c++) {
		if (*c == '*')
			sc_strbuf_adds(sb, ".*");
		else if (*c == '?')
			sc_strbuf_addc(sb, '.');
		else if (dash_as_underscore && *c == '-')
			sc_strbuf_addc(sb, '_');
		else if (strchr("\\^$.|+()[]{}", *c)) {
			sc_strbuf_addc(sb, '\\');
			sc_strbuf_addc(sb, *c);
		} else
			sc_strbuf_addc(sb, *c);
	}
}

/* Appends "|PRE(glob)POST" for each pattern (no '|' before the first of an empty buffer). */
static void add_globs(sc_strbuf *sb, const sc_config_strings *v, const char *pre, const char *post,
		      bool dash)
{
	for (size_t i = 0; i < v->len; i++) {
		sc_strbuf_adds(sb, sb->len ? "|" : "");
		sc_strbuf_adds(sb, pre);
		glob_regex(sb, v->items[i], dash);
		sc_strbuf_adds(sb, post);
	}
}

static void add_raw(sc_strbuf *sb, const char *re)
{
	sc_strbuf_adds(sb, sb->len ? "|" : "");
	sc_strbuf_adds(sb, re);
}

bool run_filters_active(const sc_config *c)
{
	return c->filters.include_modules.len || c->filters.exclude_modules.len ||
	       c->filters.include_functions.len || c->filters.exclude_functions.len ||
	       c->filters.include_crates.len || c->filters.exclude_system || c->filters.exclude_std;
}

/* Function names are matched whole ("^(...)$"), module globs against the whole path or its
 * last component. */
static int apply(const run_session *s, const char *in, const char *out, const char *dir)
{
	const sc_config *c = &s->cfg;
	sc_strbuf focus = {0}, fold = {0}, mfocus = {0}, mfold = {0};
	sc_profile *p = NULL, *q = NULL;
	sc_diag d = {0};
	int r;
	add_globs(&focus, &c->filters.include_functions, "^(", ")$", false);
	add_globs(&focus, &c->filters.include_crates, "^(", ")::", true);
	add_globs(&fold, &c->filters.exclude_functions, "^(", ")$", false);
	if (c->filters.exclude_std)
		add_raw(&fold, "^(std|core|alloc|__gnu_cxx|__cxxabiv1)::");
	add_globs(&mfocus, &c->filters.include_modules, "(^|/)(", ")$", false);
	add_globs(&mfold, &c->filters.exclude_modules, "(^|/)(", ")$", false);
	if (c->filters.exclude_system)
		add_raw(&mfold, "^(/usr)?/lib(32|64|x32)?/|^\\[(kernel|vdso|vsyscall)");
	sc_filter f = {
	    .focus = focus.len ? focus.buf : NULL,
	    .fold = fold.len ? fold.buf : NULL,
	    .focus_module = mfocus.len ? mfocus.buf : NULL,
	    .fold_module = mfold.len ? mfold.buf : NULL,
	};
	if ((r = sc_cli_load_profile("run", in, &p)) != 0) {
		r = -EINVAL;
		goto out;
	}
	if ((r = sc_profile_filter(p, &f, &q, &d)) < 0) {
		sc_cli_error("run", r, "[filters] of '%s': %s",
			     s->config_path ? s->config_path : "", d.message);
		goto out;
	}
	if ((r = sc_pprof_write(q, out)) < 0) {
		sc_cli_error("run", r, "cannot write '%s'", out);
		goto out;
	}
	sc_reportset_options ro = {.title = "scorch run (filtered)", .source = in};
	if ((r = sc_reportset_write(q, &ro, dir, &d)) < 0)
		sc_cli_error("run", r, "cannot write the report set in '%s': %s", dir, d.message);
out:
	sc_profile_free(p);
	sc_profile_free(q);
	sc_strbuf_release(&focus);
	sc_strbuf_release(&fold);
	sc_strbuf_release(&mfocus);
	sc_strbuf_release(&mfold);
	return r;
}

int run_apply_filters(const run_session *s)
{
	if (!run_filters_active(&s->cfg) || !s->modes[RUN_CPU].wanted ||
	    s->modes[RUN_CPU].status != RUN_OK)
		return 0;
	char in[PATH_MAX + 32], out[PATH_MAX + 32], dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/cpu", s->dir);
	snprintf(in, sizeof(in), "%s/profile.pb.gz", dir);
	snprintf(out, sizeof(out), "%s/filtered.pb.gz", dir);
	return apply(s, in, out, dir);
}

/* [output] format: flamegraph, pprof and folded are what `scorch record` writes already
 * (flamegraph.html, profile.pb.gz, stacks.folded); speedscope and chrome add
 * cpu/profile.speedscope.json or cpu/profile.chrome.json, from the filtered profile when
 * [filters] apply. */
int run_write_main_view(const run_session *s)
{
	const char *fmt = s->cfg.output.format;
	bool speed = fmt && strcmp(fmt, "speedscope") == 0, chrome = fmt && !strcmp(fmt, "chrome");
	if ((!speed && !chrome) || !s->modes[RUN_CPU].wanted || s->modes[RUN_CPU].status != RUN_OK)
		return 0;
	char in[PATH_MAX + 32], out[PATH_MAX + 32];
	snprintf(in, sizeof(in), "%s/cpu/%s.pb.gz", s->dir,
		 run_filters_active(&s->cfg) ? "filtered" : "profile");
	snprintf(out, sizeof(out), "%s/cpu/profile.%s.json", s->dir,
		 speed ? "speedscope" : "chrome");
	sc_profile *p = NULL;
	sc_afile f;
	int r, ti;
	if (sc_cli_load_profile("run", in, &p) != 0 ||
	    (ti = sc_cli_pick_sample_type("run", p, NULL)) < 0) {
		sc_profile_free(p);
		return -EINVAL;
	}
	if ((r = sc_afile_open(&f, out)) == 0) {
		if (speed) {
			sc_speedscope_options o = {.type = ti, .name = s->name};
			r = sc_speedscope_write(p, &o, f.fp);
		} else {
			sc_chrome_options o = {.type = ti, .name = s->name};
			r = sc_chrome_write(p, &o, f.fp);
		}
		r = r < 0 ? sc_afile_fail(&f, r) : sc_afile_commit(&f);
	}
	if (r < 0)
		sc_cli_error("run", r, "[output] format %s: cannot write '%s'", fmt, out);
	sc_profile_free(p);
	return r;
}
