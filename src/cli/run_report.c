/*
 * run_report.c: [reporting] of scorch.toml applied to the session's combined report
 * (docs/cmd/run.md#the-combined-report): report.md always goes into the session folder; the
 * format asked for (markdown, json, text, html) goes into output_directory (empty: the session
 * folder) as report.md, report.json, report.txt or report.html.
 *
 * report.json, schema "scorch.run-report" version 1, holds what report.md says as data:
 *
 *   {"schema":"scorch.run-report","version":1,"name":"hot","folder":"profiles/hot-2026...",
 *    "command":["./hot"],"seconds":1.7,"config":"scorch.toml",      <- null: the defaults
 *    "modes":[{"mode":"cpu","status":"ok","seconds":1.68,"reason":""}],
 *    "cpu":{"profile":"cpu/filtered.pb.gz","filtered":true,"sample_type":"cpu",
 *           "unit":"nanoseconds","total":676000000,
 *           "functions":[{"name":"hot_a","self":330000000,"self_pct":48.8,
 *                         "total":334000000,"total_pct":49.4}, ...]},     <- top 10 by self
 *    "cpu_hot_stack":{"value":..,"pct":30.0,"frames":["_start",..,"main"]},  <- the heaviest
 *                                        stack; null with include_call_stacks = false
 *    "memory":{"allocs":..,"bytes_allocated":..,"peak_bytes":..,"leaked_bytes":..,
 *              "leaked_blocks":..,"largest":..,"allocating":[...],"leaking":[...]},
 *    "trace":{"spans":[...]},"gpu":{"kernels":[...]},   <- each only for a mode that was asked
 *    "gates":[{"name":"memory.peak","failed":true,"line":"gate memory.peak: ..."}]}
 *
 * A table whose profile is missing or unreadable is null.
 */
#include "cli/commands.h"
#include "cli/load.h"
#include "cli/run.h"
#include "report/top.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "KEY":{...} or null: the top n functions by self of FILE's sample type `type`. With `head`,
 * the profile's name, type, unit and total come first (the cpu object). */
static void top_json(sc_strbuf *sb, const run_session *s, const char *rel, const char *type,
		     size_t n, bool head)
{
	char file[PATH_MAX + 64];
	sc_profile *p = NULL;
	sc_top t = {0};
	int ti;
	snprintf(file, sizeof(file), "%s/%s", s->dir, rel);
	if (access(file, R_OK) < 0 || sc_cli_load_profile("run", file, &p) != 0 ||
	    (ti = sc_cli_pick_sample_type("run", p, type)) < 0 || sc_top_compute(p, ti, &t) < 0) {
		sc_strbuf_adds(sb, "null");
		goto out;
	}
	double g = t.grand_total > 0 ? (double)t.grand_total : 1;
	if (head) {
		sc_strbuf_adds(sb, "{\"profile\":");
		sc_strbuf_add_json_string(sb, rel);
		sc_strbuf_addf(sb, ",\"filtered\":%s,\"sample_type\":",
			       strstr(rel, "filtered") ? "true" : "false");
		sc_strbuf_add_json_string(sb, sc_profile_str(p, p->sample_types[ti].type));
		sc_strbuf_adds(sb, ",\"unit\":");
		sc_strbuf_add_json_string(sb, sc_profile_str(p, p->sample_types[ti].unit));
		sc_strbuf_addf(sb, ",\"total\":%lld,\"functions\":", (long long)t.grand_total);
	}
	sc_strbuf_addc(sb, '[');
	for (size_t i = 0; i < t.len && i < n && t.entries[i].self > 0; i++) {
		const sc_top_entry *e = &t.entries[i];
		sc_strbuf_adds(sb, i ? ",{\"name\":" : "{\"name\":");
		sc_strbuf_add_json_string(sb, e->name);
		sc_strbuf_addf(sb, ",\"self\":%lld,\"self_pct\":", (long long)e->self);
		sc_strbuf_add_json_number(sb, round(1000.0 * (double)e->self / g) / 10);
		sc_strbuf_addf(sb, ",\"total\":%lld,\"total_pct\":", (long long)e->total);
		sc_strbuf_add_json_number(sb, round(1000.0 * (double)e->total / g) / 10);
		sc_strbuf_addc(sb, '}');
	}
	sc_strbuf_addc(sb, ']');
	if (head)
		sc_strbuf_addc(sb, '}');
out:
	sc_top_release(&t);
	sc_profile_free(p);
}

static int report_json(const run_session *s, sc_strbuf *sb)
{
	sc_strbuf_adds(sb, "{\"schema\":\"scorch.run-report\",\"version\":1,\"name\":");
	sc_strbuf_add_json_string(sb, s->name);
	sc_strbuf_adds(sb, ",\"folder\":");
	sc_strbuf_add_json_string(sb, s->dir);
	sc_strbuf_adds(sb, ",\"command\":[");
	for (int i = 0; i < s->ncmd; i++) {
		sc_strbuf_adds(sb, i ? "," : "");
		sc_strbuf_add_json_string(sb, s->cmd[i]);
	}
	sc_strbuf_adds(sb, "],\"seconds\":");
	sc_strbuf_add_json_number(sb, s->seconds);
	sc_strbuf_adds(sb, ",\"config\":");
	sc_strbuf_add_json_string(sb, s->config_path);
	sc_strbuf_adds(sb, ",\"modes\":[");
	bool first = true;
	for (int m = 0; m < RUN_NMODES; m++) {
		const run_mode *rm = &s->modes[m];
		if (!rm->wanted)
			continue;
		sc_strbuf_adds(sb, first ? "{\"mode\":" : ",{\"mode\":");
		first = false;
		sc_strbuf_add_json_string(sb, run_mode_names[m]);
		sc_strbuf_adds(sb, ",\"status\":");
		sc_strbuf_add_json_string(sb, run_status_name(rm->status));
		sc_strbuf_adds(sb, ",\"seconds\":");
		sc_strbuf_add_json_number(sb, rm->seconds);
		sc_strbuf_adds(sb, ",\"reason\":");
		sc_strbuf_add_json_string(sb, rm->reason);
		sc_strbuf_addc(sb, '}');
	}
	sc_strbuf_addc(sb, ']');
	if (s->modes[RUN_CPU].wanted) {
		sc_strbuf_adds(sb, ",\"cpu\":");
		const char *rel =
		    run_filters_active(&s->cfg) ? "cpu/filtered.pb.gz" : "cpu/profile.pb.gz";
		char file[PATH_MAX + 64];
		top_json(sb, s, rel, NULL, 10, true);
		sc_strbuf_adds(sb, ",\"cpu_hot_stack\":");
		snprintf(file, sizeof(file), "%s/%s", s->dir, rel);
		if (s->cfg.reporting.include_call_stacks)
			run_hot_stack(sb, file, true);
		else
			sc_strbuf_adds(sb, "null");
	}
	if (s->modes[RUN_MEMORY].wanted) {
		run_heap_totals t;
		sc_strbuf_adds(sb, ",\"memory\":{");
		if (run_read_heap_totals(s->dir, &t) == 0)
			sc_strbuf_addf(
			    sb,
			    "\"allocs\":%lld,\"bytes_allocated\":%lld,\"peak_bytes\":%lld,"
			    "\"leaked_bytes\":%lld,\"leaked_blocks\":%lld,\"largest\":%lld,",
			    (long long)t.allocs, (long long)t.bytes_allocated,
			    (long long)t.peak_bytes, (long long)t.leaked_bytes,
			    (long long)t.leaked_blocks, (long long)t.largest);
		sc_strbuf_adds(sb, "\"allocating\":");
		top_json(sb, s, "memory/heap.pb.gz", "alloc_space", 5, false);
		sc_strbuf_adds(sb, ",\"leaking\":");
		if (s->cfg.heap_analysis.detect_leaks)
			top_json(sb, s, "memory/heap.pb.gz", "inuse_space", 5, false);
		else
			sc_strbuf_adds(sb, "null");
		sc_strbuf_addc(sb, '}');
	}
	if (s->modes[RUN_TRACE].wanted) {
		sc_strbuf_adds(sb, ",\"trace\":{\"spans\":");
		if (s->modes[RUN_TRACE].status == RUN_OK)
			top_json(sb, s, "trace/spans.pb.gz", "span_time", 10, false);
		else
			sc_strbuf_adds(sb, "null");
		sc_strbuf_addc(sb, '}');
	}
	if (s->modes[RUN_GPU].wanted) {
		sc_strbuf_adds(sb, ",\"gpu\":{\"kernels\":");
		top_json(sb, s, "gpu/gpu.pb.gz", NULL, 10, false);
		sc_strbuf_addc(sb, '}');
	}
	sc_strbuf_adds(sb, ",\"gates\":[");
	for (int g = 0; g < s->ngates; g++) {
		sc_strbuf_adds(sb, g ? ",{\"name\":" : "{\"name\":");
		sc_strbuf_add_json_string(sb, s->gates[g].name);
		sc_strbuf_addf(sb,
			       ",\"failed\":%s,\"line\":", s->gates[g].failed ? "true" : "false");
		sc_strbuf_add_json_string(sb, s->gates[g].line);
		sc_strbuf_addc(sb, '}');
	}
	sc_strbuf_adds(sb, "]}\n");
	return sb->buf ? 0 : -ENOMEM;
}

/* The stack with the most of sample type `ti` in `p` (0 when none), its value in *v. */
static sc_stack_id hottest_stack(const sc_profile *p, int ti, int64_t *v)
{
	int64_t *sum = calloc(p->nodes.len + 1, sizeof(*sum));
	sc_stack_id best = 0;
	*v = 0;
	if (!sum)
		return 0;
	for (size_t i = 0; i < p->samples.len; i++) {
		sc_stack_id id = p->samples.data[i].stack;
		if (id && id < p->nodes.len)
			sum[id] += sc_profile_sample_values(p, i)[ti];
	}
	for (size_t n = 1; n < p->nodes.len; n++)
		if (sum[n] > *v) {
			*v = sum[n];
			best = (sc_stack_id)n;
		}
	free(sum);
	return best;
}

void run_hot_stack(sc_strbuf *sb, const char *file, bool json)
{
	sc_profile *p = NULL;
	sc_frame fr[256];
	int64_t v = 0, tot[64] = {0};
	int ti = -1;
	sc_stack_id id = 0;
	if (access(file, R_OK) == 0 && sc_cli_load_profile("run", file, &p) == 0 &&
	    (ti = sc_cli_pick_sample_type("run", p, NULL)) >= 0 && p->nsample_types <= 64)
		id = hottest_stack(p, ti, &v);
	if (!id) {
		sc_strbuf_adds(sb, json ? "null" : "");
		sc_profile_free(p);
		return;
	}
	sc_profile_totals(p, tot);
	double pct = tot[ti] > 0 ? round(1000.0 * (double)v / (double)tot[ti]) / 10 : 0;
	size_t n = sc_profile_stack_frames(p, id, fr, 256);
	n = n < 256 ? n : 256;
	if (json)
		sc_strbuf_addf(sb, "{\"value\":%lld,\"pct\":%g,\"frames\":[", (long long)v, pct);
	else
		sc_strbuf_addf(
		    sb, "Hottest call stack (%.1f%% of the total, outermost first):\n\n```\n", pct);
	for (size_t i = 0; i < n; i++) {
		const char *name = sc_profile_frame_name(p, &fr[i]);
		if (json) {
			sc_strbuf_adds(sb, i ? "," : "");
			sc_strbuf_add_json_string(sb, name);
		} else {
			sc_strbuf_addf(sb, "%*s%s\n", (int)(i < 20 ? i : 20), "", name);
		}
	}
	sc_strbuf_adds(sb, json ? "]}" : "```\n\n");
	sc_profile_free(p);
}

/* The Markdown in a self-contained page, as preformatted text. */
static void report_html(const run_session *s, const sc_strbuf *md, sc_strbuf *sb)
{
	sc_strbuf_adds(sb,
		       "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>scorch run: ");
	sc_strbuf_add_html(sb, s->name);
	sc_strbuf_adds(sb, "</title></head>\n<body><pre>\n");
	sc_strbuf_add_html(sb, md->buf ? md->buf : "");
	sc_strbuf_adds(sb, "</pre></body></html>\n");
}

int run_emit_report(const run_session *s, const sc_strbuf *md)
{
	char path[PATH_MAX + 32];
	int r;
	snprintf(path, sizeof(path), "%s/report.md", s->dir);
	if ((r = md->buf ? sc_write_file(path, md->buf, md->len) : -ENOMEM) < 0)
		return r;
	const char *fmt = s->cfg.reporting.format ? s->cfg.reporting.format : "markdown";
	const char *odir = s->cfg.reporting.output_directory;
	if (!odir || !odir[0])
		odir = s->dir;
	if (strcmp(fmt, "markdown") == 0 && odir == s->dir)
		return 0;
	if ((r = sc_mkdir_p(odir)) < 0) {
		sc_cli_error("run", r, "cannot make reporting.output_directory '%s'", odir);
		return r;
	}
	const char *ext = strcmp(fmt, "json") == 0   ? "json"
			  : strcmp(fmt, "text") == 0 ? "txt"
			  : strcmp(fmt, "html") == 0 ? "html"
						     : "md";
	snprintf(path, sizeof(path), "%s/report.%s", odir, ext);
	sc_strbuf out = {0};
	if (strcmp(ext, "json") == 0)
		r = report_json(s, &out);
	else if (strcmp(ext, "html") == 0)
		report_html(s, md, &out);
	else
		sc_strbuf_add(&out, md->buf, md->len);
	r = r < 0 ? r : out.buf ? sc_write_file(path, out.buf, out.len) : -ENOMEM;
	if (r < 0)
		sc_cli_error("run", r, "cannot write '%s'", path);
	sc_strbuf_release(&out);
	return r;
}
