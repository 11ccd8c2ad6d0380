/*
 * reportset.c: writes the report set (see reportset.h): five files from one profile.
 *
 * The numbers are computed once (sc_top for functions, per-module self sums, sc_groups_totals for
 * components, sc_advice for the rules) and each file is a writer over them, written through
 * sc_afile so it appears complete or not at all.
 *
 * hotspots.json, annotated (schema "scorch.hotspots", version 1; a new field may appear in a later
 * version 1 file, a changed meaning bumps the version):
 *
 *   {"schema":"scorch.hotspots","version":1,
 *    "source":"profile.pb.gz",                 the input's name
 *    "sample_type":"cpu","unit":"nanoseconds", the value shown
 *    "total":5066000000,                       its sum over all samples
 *    "samples":5066,                           the "samples" value if the profile has that type,
 *                                              else the number of sample records
 *    "duration_ns":5100000000,                 wall-clock length, 0 when unknown
 *    "functions":[                             top N by self (self > 0), hottest first
 *      {"rank":1,"name":"embed_text","module":"memgraph","file":"memgraph.c","line":318,
 *       "self":1902000000,"self_pct":37.54,"total":1913000000,"total_pct":37.76}],
 *    "by_total":[...],                         top N by total, same fields
 *    "modules":[{"name":"memgraph","self":..,"self_pct":..}],   every module with self > 0
 *    "components":[{"name":"sim","value":..,"pct":..}],         only with components, "other" last
 *    "findings":[                              every advice rule (advice.h), in its table's order
 *      {"rule":"allocator","title":"...","pct":12.30,"threshold":5.00,"fired":true,
 *       "evidence":"malloc 6.10% total","advice":"..."}]}
 */
#include "report/reportset.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/advice.h"
#include "report/butterfly_html.h"
#include "report/flamegraph.h"
#include "report/frames.h"
#include "report/top.h"
#include "util/fileio.h"
#include "util/strbuf.h"

struct module_row {
	const char *name;
	int64_t self;
};

struct ctx {
	const sc_profile *p;
	const sc_reportset_options *o;
	int type;
	size_t top;
	const char *title, *source, *type_name, *unit;
	sc_top t;			/* sorted by self */
	SC_VEC(struct module_row) mods; /* by self, descending */
	bool has_modules;
	sc_group_row *groups; /* count + 1 rows, or NULL */
	size_t ngroups;
	sc_advice advice;
	int64_t samples;
};

/* A value in its unit, scaled for reading: "1.25 s", "723 ms", "3.00 MiB", "12" (a count). */
static const char *fmt_value(char *buf, size_t size, int64_t v, const char *unit)
{
	double d = (double)v, a = d < 0 ? -d : d;
	if (strcmp(unit, "nanoseconds") == 0 && a >= 1e3)
		snprintf(buf, size, "%.3g %s",
			 a >= 1e9   ? d / 1e9
			 : a >= 1e6 ? d / 1e6
				    : d / 1e3,
			 a >= 1e9   ? "s"
			 : a >= 1e6 ? "ms"
				    : "us");
	else if (strcmp(unit, "bytes") == 0 && a >= 1024)
		snprintf(buf, size, "%.3g %s",
			 a >= 1073741824.0 ? d / 1073741824.0
			 : a >= 1048576.0  ? d / 1048576.0
					   : d / 1024.0,
			 a >= 1073741824.0 ? "GiB"
			 : a >= 1048576.0  ? "MiB"
					   : "KiB");
	else if (strcmp(unit, "count") == 0)
		snprintf(buf, size, "%" PRId64, v);
	else {
		/* Any other unit is the file's text: neutralised like every name. */
		sc_strbuf u = {0};
		if (sc_strbuf_add_text(&u, unit) < 0)
			snprintf(buf, size, "%" PRId64, v);
		else
			snprintf(buf, size, "%" PRId64 " %s", v, sc_strbuf_cstr(&u));
		sc_strbuf_release(&u);
	}
	return buf;
}

static bool module_eq(uint64_t value, const void *key, const void *c)
{
	const struct ctx *x = c;
	return strcmp(x->mods.data[value].name, key) == 0;
}

static int cmp_module(const void *a, const void *b)
{
	const struct module_row *x = a, *y = b;
	if (x->self != y->self)
		return x->self > y->self ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int compute(struct ctx *x)
{
	const sc_profile *p = x->p;
	sc_hashmap index = {0};
	int r = sc_top_compute(p, x->type, &x->t);
	if (r < 0)
		return r;
	r = -ENOMEM;
	for (size_t i = 0; i < x->t.len; i++) {
		const sc_top_entry *e = &x->t.entries[i];
		if (!e->self)
			continue;
		uint64_t h = sc_hash_bytes(e->module, strlen(e->module), 0), v;
		if (!sc_hashmap_get(&index, h, module_eq, e->module, x, &v)) {
			v = x->mods.len;
			if (sc_vec_push(&x->mods, ((struct module_row){e->module, 0})) < 0 ||
			    sc_hashmap_put(&index, h, v) < 0)
				goto out;
		}
		x->mods.data[v].self = sc_sat_add(x->mods.data[v].self, e->self);
		x->has_modules |= strcmp(e->module, "?") != 0;
	}
	qsort(x->mods.data, x->mods.len, sizeof(*x->mods.data), cmp_module);
	if (x->o->groups) {
		x->ngroups = sc_groups_count(x->o->groups);
		x->groups = calloc(x->ngroups + 1, sizeof(*x->groups));
		if (!x->groups)
			goto out;
		sc_groups_totals(x->o->groups, p, x->type, x->groups);
	}
	if ((r = sc_advice_compute(p, x->type, &x->advice)) < 0)
		goto out;
	int s = sc_profile_find_sample_type(p, "samples");
	x->samples = (int64_t)p->samples.len;
	if (s >= 0) {
		x->samples = 0;
		for (size_t i = 0; i < p->samples.len; i++)
			x->samples = sc_sat_add(x->samples, sc_profile_sample_values(p, i)[s]);
	}
	r = 0;
out:
	sc_hashmap_release(&index);
	return r;
}

static void release(struct ctx *x)
{
	sc_top_release(&x->t);
	sc_vec_release(&x->mods);
	free(x->groups);
	sc_advice_release(&x->advice);
}

static int put(sc_strbuf *sb, FILE *f)
{
	if (sc_flush_strbuf(sb, f) < 0)
		return -EIO;
	return ferror(f) ? -EIO : 0;
}

static int summary_txt(struct ctx *x, FILE *f)
{
	sc_strbuf sb = {0};
	char total[48], dur[48];
	int r = -ENOMEM;
	if (sc_strbuf_add_text(&sb, x->title) < 0 || sc_strbuf_adds(&sb, ": ") < 0 ||
	    sc_strbuf_add_text(&sb, x->source) < 0 || sc_strbuf_adds(&sb, "\nsample type: ") < 0 ||
	    sc_add_type_unit(&sb, x->type_name, x->unit) < 0 ||
	    sc_strbuf_addf(&sb, "; total %s ",
			   fmt_value(total, sizeof(total), x->t.grand_total, x->unit)) < 0 ||
	    sc_strbuf_add_text(&sb, x->type_name) < 0 ||
	    sc_strbuf_addf(&sb, " from %" PRId64 " samples", x->samples) < 0 ||
	    (x->p->duration_nanos > 0 &&
	     sc_strbuf_addf(&sb, "; recorded for %s",
			    fmt_value(dur, sizeof(dur), x->p->duration_nanos, "nanoseconds")) <
		 0) ||
	    sc_strbuf_adds(&sb, "\n\n") < 0 || (r = put(&sb, f)) < 0)
		goto out;
	if ((r = sc_top_print_text(x->p, &x->t, x->top, f)) < 0)
		goto out;
	r = -ENOMEM;
	if (x->has_modules) {
		if (sc_strbuf_adds(&sb, "\nby module (self):\n") < 0)
			goto out;
		for (size_t i = 0; i < x->mods.len; i++)
			if (sc_strbuf_addf(&sb, "%7.2f%%  ",
					   sc_pct(x->mods.data[i].self, x->t.grand_total)) < 0 ||
			    sc_strbuf_add_text(&sb, x->mods.data[i].name) < 0 ||
			    sc_strbuf_addc(&sb, '\n') < 0)
				goto out;
	}
	if (x->groups) {
		if (sc_strbuf_adds(&sb, "\nby component:\n") < 0)
			goto out;
		for (size_t i = 0; i <= x->ngroups; i++)
			if (sc_strbuf_addf(&sb, "%7.2f%%  ", x->groups[i].pct) < 0 ||
			    sc_strbuf_add_text(&sb, x->groups[i].name) < 0 ||
			    sc_strbuf_addc(&sb, '\n') < 0)
				goto out;
	}
	if (sc_strbuf_addf(&sb, "\nfindings (details in report.md):\n") < 0)
		goto out;
	for (size_t i = 0; i < x->advice.len; i++) {
		const sc_advice_finding *a = &x->advice.items[i];
		if (sc_strbuf_addf(&sb, "  %-13s %6.2f%% (threshold %.0f%%)  %s\n", a->rule, a->pct,
				   a->threshold, a->title) < 0)
			goto out;
	}
	if (!x->advice.len && sc_strbuf_adds(&sb, "  none\n") < 0)
		goto out;
	r = put(&sb, f);
out:
	sc_strbuf_release(&sb);
	return r;
}

static int json_functions(sc_strbuf *sb, const struct ctx *x, const char *key, bool by_total)
{
	const sc_top_entry **v = malloc((x->t.len ? x->t.len : 1) * sizeof(*v));
	size_t n = 0;
	int r = -ENOMEM;
	if (!v)
		return r;
	for (size_t i = 0; i < x->t.len; i++)
		if (by_total || x->t.entries[i].self)
			v[n++] = &x->t.entries[i];
	if (by_total) /* stable insertion by total: entries are already by self, n is small */
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && v[j]->total > v[j - 1]->total; j--) {
				const sc_top_entry *tmp = v[j];
				v[j] = v[j - 1];
				v[j - 1] = tmp;
			}
	if (n > x->top)
		n = x->top;
	if (sc_strbuf_addf(sb, ",\n\"%s\":[", key) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const sc_top_entry *e = v[i];
		if (sc_strbuf_addf(sb, "%s\n{\"rank\":%zu,\"name\":", i ? "," : "", i + 1) < 0 ||
		    sc_add_json_quoted(sb, e->name) < 0 || sc_strbuf_adds(sb, ",\"module\":") < 0 ||
		    sc_add_json_quoted(sb, e->module) < 0 || sc_strbuf_adds(sb, ",\"file\":") < 0 ||
		    sc_add_json_quoted(sb, e->file) < 0 ||
		    sc_strbuf_addf(sb,
				   ",\"line\":%" PRId64 ",\"self\":%" PRId64 ",\"self_pct\":%.2f"
				   ",\"total\":%" PRId64 ",\"total_pct\":%.2f}",
				   e->line, e->self, sc_pct(e->self, x->t.grand_total), e->total,
				   sc_pct(e->total, x->t.grand_total)) < 0)
			goto out;
	}
	r = sc_strbuf_adds(sb, n ? "\n]" : "]");
out:
	free(v);
	return r;
}

static int hotspots_json(struct ctx *x, FILE *f)
{
	sc_strbuf sb = {0};
	int r = -ENOMEM;
	if (sc_strbuf_adds(&sb, "{\"schema\":\"scorch.hotspots\",\"version\":1,\"source\":") < 0 ||
	    sc_add_json_quoted(&sb, x->source) < 0 ||
	    sc_strbuf_adds(&sb, ",\"sample_type\":") < 0 ||
	    sc_add_json_quoted(&sb, x->type_name) < 0 || sc_strbuf_adds(&sb, ",\"unit\":") < 0 ||
	    sc_add_json_quoted(&sb, x->unit) < 0 ||
	    sc_strbuf_addf(
		&sb, ",\n\"total\":%" PRId64 ",\"samples\":%" PRId64 ",\"duration_ns\":%" PRId64,
		x->t.grand_total, x->samples,
		x->p->duration_nanos > 0 ? x->p->duration_nanos : 0) < 0 ||
	    json_functions(&sb, x, "functions", false) < 0 ||
	    json_functions(&sb, x, "by_total", true) < 0 ||
	    sc_strbuf_adds(&sb, ",\n\"modules\":[") < 0)
		goto out;
	for (size_t i = 0; i < x->mods.len; i++)
		if (sc_strbuf_adds(&sb, i ? ",\n{\"name\":" : "\n{\"name\":") < 0 ||
		    sc_add_json_quoted(&sb, x->mods.data[i].name) < 0 ||
		    sc_strbuf_addf(&sb, ",\"self\":%" PRId64 ",\"self_pct\":%.2f}",
				   x->mods.data[i].self,
				   sc_pct(x->mods.data[i].self, x->t.grand_total)) < 0)
			goto out;
	if (sc_strbuf_adds(&sb, x->mods.len ? "\n]" : "]") < 0)
		goto out;
	if (x->groups) {
		if (sc_strbuf_adds(&sb, ",\n\"components\":[") < 0)
			goto out;
		for (size_t i = 0; i <= x->ngroups; i++)
			if (sc_strbuf_adds(&sb, i ? ",\n{\"name\":" : "\n{\"name\":") < 0 ||
			    sc_add_json_quoted(&sb, x->groups[i].name) < 0 ||
			    sc_strbuf_addf(&sb, ",\"value\":%" PRId64 ",\"pct\":%.2f}",
					   x->groups[i].value, x->groups[i].pct) < 0)
				goto out;
		if (sc_strbuf_adds(&sb, "\n]") < 0)
			goto out;
	}
	if (sc_strbuf_adds(&sb, ",\n\"findings\":[") < 0)
		goto out;
	for (size_t i = 0; i < x->advice.nall; i++) {
		const sc_advice_finding *a = &x->advice.all[i];
		if (sc_strbuf_adds(&sb, i ? ",\n{\"rule\":" : "\n{\"rule\":") < 0 ||
		    sc_add_json_quoted(&sb, a->rule) < 0 ||
		    sc_strbuf_adds(&sb, ",\"title\":") < 0 ||
		    sc_add_json_quoted(&sb, a->title) < 0 ||
		    sc_strbuf_addf(
			&sb, ",\"pct\":%.2f,\"threshold\":%.2f,\"fired\":%s,\"evidence\":", a->pct,
			a->threshold,
			x->t.grand_total > 0 && a->pct >= a->threshold ? "true" : "false") < 0 ||
		    sc_add_json_quoted(&sb, a->evidence) < 0 ||
		    sc_strbuf_adds(&sb, ",\"advice\":") < 0 ||
		    sc_add_json_quoted(&sb, a->advice) < 0 || sc_strbuf_addc(&sb, '}') < 0)
			goto out;
	}
	if (sc_strbuf_adds(&sb, "\n]}\n") < 0)
		goto out;
	r = put(&sb, f);
out:
	sc_strbuf_release(&sb);
	return r;
}

/* Markdown text: neutralised like any text (control characters and newlines as \xNN, so a name
 * cannot end a line or a table row), then the characters that would start markup in a table or
 * line backslash-escaped. */
static int md(sc_strbuf *sb, const char *s)
{
	sc_strbuf t = {0};
	int r = sc_strbuf_add_text(&t, s);
	for (const char *q = sc_strbuf_cstr(&t); !r && *q; q++) {
		if (strchr("\\`*_[]<>|#", *q))
			r = sc_strbuf_addc(sb, '\\');
		if (!r)
			r = sc_strbuf_addc(sb, *q);
	}
	sc_strbuf_release(&t);
	return r;
}

/* A code span for a function or module name, neutralised like any text. Backticks in it are
 * replaced (names rarely have them, and a longer fence would be noise); in a table cell, '|' is
 * escaped as GFM asks even inside code spans, or it would end the cell. */
static int md_code(sc_strbuf *sb, const char *s, bool in_table)
{
	sc_strbuf t = {0};
	int r = sc_strbuf_addc(sb, '`');
	if (!r)
		r = sc_strbuf_add_text(&t, s);
	for (const char *q = sc_strbuf_cstr(&t); !r && *q; q++) {
		if (*q == '|' && in_table)
			r = sc_strbuf_addc(sb, '\\');
		if (!r)
			r = sc_strbuf_addc(sb, *q == '`' ? '\'' : *q);
	}
	sc_strbuf_release(&t);
	return r ? r : sc_strbuf_addc(sb, '`');
}

static int report_md(struct ctx *x, FILE *f)
{
	sc_strbuf sb = {0};
	char total[48], dur[48];
	int64_t grand = x->t.grand_total;
	int r = -ENOMEM;
	if (sc_strbuf_adds(&sb, "# Profile report: ") < 0 || md(&sb, x->source) < 0 ||
	    sc_strbuf_addf(&sb, "\n\n**Total:** %s ",
			   fmt_value(total, sizeof(total), grand, x->unit)) < 0 ||
	    md(&sb, x->type_name) < 0 ||
	    sc_strbuf_addf(&sb, " from %" PRId64 " samples", x->samples) < 0 ||
	    (x->p->duration_nanos > 0 &&
	     sc_strbuf_addf(&sb, ", recorded for %s",
			    fmt_value(dur, sizeof(dur), x->p->duration_nanos, "nanoseconds")) <
		 0) ||
	    sc_strbuf_addf(&sb, "; %zu functions.\n\n## Main bottlenecks\n\n", x->t.len) < 0)
		goto out;
	/* The hottest functions by self: where the time is actually spent. */
	size_t shown = 0;
	for (size_t i = 0; i < x->t.len && shown < 5; i++) {
		const sc_top_entry *e = &x->t.entries[i];
		if (!e->self || (shown && sc_pct(e->self, grand) < 1.0))
			break;
		if (sc_strbuf_addf(&sb, "%zu. **", ++shown) < 0 ||
		    md_code(&sb, e->name, false) < 0 || sc_strbuf_adds(&sb, "**") < 0 ||
		    (strcmp(e->module, "?") != 0 &&
		     (sc_strbuf_adds(&sb, " in ") < 0 || md_code(&sb, e->module, false) < 0)) ||
		    sc_strbuf_addf(&sb,
				   ": %.1f%% of the time in the function itself, %.1f%% including "
				   "what it calls.\n",
				   sc_pct(e->self, grand), sc_pct(e->total, grand)) < 0)
			goto out;
	}
	if (!shown && sc_strbuf_adds(&sb, "The profile is empty.\n") < 0)
		goto out;
	if (x->has_modules) {
		if (sc_strbuf_adds(
			&sb, "\n## Time by module\n\n| module | self |\n| --- | ---: |\n") < 0)
			goto out;
		for (size_t i = 0; i < x->mods.len && i < 8; i++)
			if (sc_strbuf_adds(&sb, "| ") < 0 ||
			    md_code(&sb, x->mods.data[i].name, true) < 0 ||
			    sc_strbuf_addf(&sb, " | %.1f%% |\n",
					   sc_pct(x->mods.data[i].self, grand)) < 0)
				goto out;
	}
	if (x->groups) {
		if (sc_strbuf_adds(&sb, "\n## Time by component\n\n| component | share |\n"
					"| --- | ---: |\n") < 0)
			goto out;
		for (size_t i = 0; i <= x->ngroups; i++)
			if (sc_strbuf_adds(&sb, "| ") < 0 || md(&sb, x->groups[i].name) < 0 ||
			    sc_strbuf_addf(&sb, " | %.1f%% |\n", x->groups[i].pct) < 0)
				goto out;
	}
	if (sc_strbuf_adds(&sb, "\n## Findings and recommendations\n\n") < 0)
		goto out;
	if (!x->advice.len &&
	    sc_strbuf_adds(&sb, "No rule fired: none of the known costly patterns reaches its "
				"threshold (see the table below).\n") < 0)
		goto out;
	for (size_t i = 0; i < x->advice.len; i++) {
		const sc_advice_finding *a = &x->advice.items[i];
		if (sc_strbuf_addf(&sb,
				   "### %zu. %s (`%s`)\n\n- **Measured:** %.1f%% of the total "
				   "(the rule fires at %.0f%%)\n",
				   i + 1, a->title, a->rule, a->pct, a->threshold) < 0 ||
		    (a->evidence[0] &&
		     (sc_strbuf_adds(&sb, "- **Behind it:** ") < 0 || md(&sb, a->evidence) < 0 ||
		      sc_strbuf_addc(&sb, '\n') < 0)) ||
		    sc_strbuf_adds(&sb, "- **What to do:** ") < 0 ||
		    sc_strbuf_adds(&sb, a->advice) < 0 || sc_strbuf_adds(&sb, "\n\n") < 0)
			goto out;
	}
	if (sc_strbuf_adds(&sb,
			   "\n## Every rule checked\n\n| rule | measured | threshold | fired |\n"
			   "| --- | ---: | ---: | --- |\n") < 0)
		goto out;
	for (size_t i = 0; i < x->advice.nall; i++) {
		const sc_advice_finding *a = &x->advice.all[i];
		if (sc_strbuf_addf(&sb, "| %s | %.1f%% | %.0f%% | %s |\n", a->rule, a->pct,
				   a->threshold,
				   grand > 0 && a->pct >= a->threshold ? "yes" : "no") < 0)
			goto out;
	}
	if (sc_strbuf_adds(
		&sb, "\n## Files\n\n"
		     "- `flamegraph.html`: the interactive flamegraph (search, zoom, "
		     "colour by module or component)\n"
		     "- `butterfly.html`: callers and callees of any function\n"
		     "- `summary.txt`: the tables in plain text\n"
		     "- `hotspots.json`: the same for tools (schema `scorch.hotspots`)\n") < 0)
		goto out;
	r = put(&sb, f);
out:
	sc_strbuf_release(&sb);
	return r;
}

static int flamegraph_html(struct ctx *x, FILE *f)
{
	sc_flamegraph_options o = {.title = x->title, .type = x->type, .groups = x->o->groups};
	return sc_flamegraph_write_html(x->p, &o, f);
}

static int butterfly_html(struct ctx *x, FILE *f)
{
	sc_butterfly_html_options o = {.title = x->title, .type = x->type, .top = x->top};
	return sc_butterfly_html_write(x->p, &o, f);
}

static const char *const artifact_names[] = {"summary.txt", "hotspots.json", "flamegraph.html",
					     "butterfly.html", "report.md"};
static int (*const artifact_fns[])(struct ctx *, FILE *) = {
    summary_txt, hotspots_json, flamegraph_html, butterfly_html, report_md,
};
#define NARTIFACTS (sizeof(artifact_names) / sizeof(artifact_names[0]))

static int write_artifact(FILE *f, size_t i, void *ctx)
{
	return artifact_fns[i](ctx, f);
}

/* Writes every artifact, then renames them into place together: the folder holds the whole old
 * set or the whole new one, never a mix. */
static int write_set(struct ctx *x, const char *dir, sc_diag *d)
{
	size_t failed = 0;
	int r = sc_afile_write_set(dir, artifact_names, NARTIFACTS, write_artifact, x, &failed);
	if (r < 0 && d) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, artifact_names[failed]);
		sc_diag_clear(d);
		sc_diag_set_file(d, path);
		sc_diag_error(d, 0, 0, -1, "cannot write: %s", strerror(-r));
	}
	return r;
}

int sc_reportset_write(const sc_profile *p, const sc_reportset_options *o, const char *dir,
		       sc_diag *d)
{
	sc_reportset_options defaults = {0};
	if (!o)
		o = &defaults;
	if (o->type < 0 || (size_t)o->type >= p->nsample_types)
		return -EINVAL;
	struct ctx x = {.p = p, .o = o, .type = o->type};
	x.top = o->top ? o->top : 20;
	x.title = o->title ? o->title : "scorch report";
	x.source = o->source ? o->source : "profile";
	x.type_name = sc_profile_str(p, p->sample_types[o->type].type);
	x.unit = sc_profile_str(p, p->sample_types[o->type].unit);
	int r = sc_mkdir_p(dir);
	if (r < 0) {
		if (d) {
			sc_diag_clear(d);
			sc_diag_set_file(d, dir);
			sc_diag_error(d, 0, 0, -1, "cannot create the directory: %s", strerror(-r));
		}
		return r;
	}
	if ((r = compute(&x)) == 0)
		r = write_set(&x, dir, d);
	release(&x);
	return r;
}
