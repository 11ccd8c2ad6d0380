/*
 * run_out.c: what `scorch run` writes beside the modes' folders, each file atomically:
 *
 *   report.md     the findings of every mode in one page: the top CPU functions
 *                 (cpu/profile.pb.gz), the heap totals (memory/heap.json) and the top allocating
 *                 and leaking functions (memory/heap.pb.gz), the busiest spans
 *                 (trace/spans.pb.gz), the GPU mode's outcome with its kernels (gpu/kernels.txt
 *                 as written, GPU time by kernel from gpu/gpu.pb.gz), the gates
 *   index.html    links to every file of the session, one list per mode; self-contained (inline
 *                 style, no script, no network)
 *   session.json  the session's record, schema "scorch.session" version 1:
 *
 *     {"schema":"scorch.session","version":1,  <- bumped only on an incompatible change
 *      "name":"hot","folder":"profiles/hot-20261203-073000",
 *      "command":["./hot","0.5"],
 *      "start_unix":1764747000,"seconds":2.41,   <- wall time of the whole session
 *      "config":{"file":"scorch.toml",           <- null: the defaults
 *                "sample_rate_hz":1000,"stack_depth":127,"memory_stack_trace_depth":16,
 *                "memory_sample_rate":1,"baseline":null,"bench_baseline":null},
 *      "modes":[{"mode":"cpu","status":"ok",     <- ok, failed or skipped
 *                "exit_code":0,"seconds":1.2,"reason":""}, ...],  <- reason: why failed or
 *                                                 skipped; when ok, what gpu could not measure
 *      "gates":[{"name":"memory.peak","failed":true,"value":1288490188,"limit":1073741824,
 *                "line":"gate memory.peak: 1.2 GiB > 1 GiB (max_peak_usage_mb = 1024)"}],
 *      "result":"fail"}                          <- pass, fail (a gate) or error (a mode)
 *
 * The heap totals come from heap.json's "totals" object (docs/formats.md): a document of ours with
 * integer fields, read by looking up each field's name after "totals" rather than by a general
 * JSON reader (scorch has none in C).
 */
#include "cli/commands.h"
#include "cli/load.h"
#include "cli/run.h"
#include "report/top.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int64_t totals_field(const char *totals, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(totals, pat);
	if (!p)
		return -1;
	return strtoll(p + strlen(pat), NULL, 10);
}

int run_read_heap_totals(const char *session_dir, run_heap_totals *t)
{
	char path[PATH_MAX], *data = NULL;
	size_t n;
	snprintf(path, sizeof(path), "%s/memory/heap.json", session_dir);
	int r = sc_read_file_max(path, (size_t)1 << 30, &data, &n);
	if (r < 0)
		return r;
	const char *totals = strstr(data, "\"totals\":{");
	if (!totals) {
		free(data);
		return -EINVAL;
	}
	t->allocs = totals_field(totals, "allocs");
	t->bytes_allocated = totals_field(totals, "bytes_allocated");
	t->peak_bytes = totals_field(totals, "peak_bytes");
	t->leaked_bytes = totals_field(totals, "leaked_bytes");
	t->leaked_blocks = totals_field(totals, "leaked_blocks");
	t->largest = totals_field(totals, "largest");
	free(data);
	return 0;
}

/* A table cell: '|' and newlines would break the table. */
static void md_cell(sc_strbuf *sb, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			sc_strbuf_adds(sb, "\\|");
		else if (*s == '\n' || *s == '\r')
			sc_strbuf_addc(sb, ' ');
		else
			sc_strbuf_addc(sb, *s);
	}
}

static void fmt_value(sc_strbuf *sb, double v, const char *unit)
{
	char buf[32];
	if (strcmp(unit, "nanoseconds") == 0) {
		if (v >= 1e9)
			sc_strbuf_addf(sb, "%.3g s", v / 1e9);
		else
			sc_strbuf_addf(sb, "%.3g ms", v / 1e6);
	} else if (strcmp(unit, "bytes") == 0) {
		sc_strbuf_adds(sb, run_fmt_bytes(v, buf, sizeof(buf)));
	} else {
		sc_strbuf_addf(sb, "%.0f", v);
	}
}

/* The n functions with the most self of sample type `type` (NULL: the default) of `file`, as a
 * Markdown table. Writes a line saying why when the file is missing or unreadable. */
static void top_table(sc_strbuf *sb, const char *file, const char *type, size_t n, const char *what,
		      const char *row)
{
	sc_profile *p = NULL;
	sc_top t = {0};
	int ti;
	if (access(file, R_OK) < 0) {
		sc_strbuf_addf(sb, "%s: none, the mode wrote no `%s`.\n\n", what,
			       strrchr(file, '/') + 1);
		return;
	}
	if (sc_cli_load_profile("run", file, &p) != 0 ||
	    (ti = sc_cli_pick_sample_type("run", p, type)) < 0 || sc_top_compute(p, ti, &t) < 0) {
		sc_strbuf_addf(sb, "%s: none, `%s` cannot be read.\n\n", what, file);
		goto out;
	}
	if (t.grand_total == 0) {
		sc_strbuf_addf(sb, "%s: none, the profile has no samples.\n\n", what);
		goto out;
	}
	const char *unit = sc_profile_str(p, p->sample_types[ti].unit);
	sc_strbuf_addf(sb, "%s (%s, total ", what, sc_profile_str(p, p->sample_types[ti].type));
	fmt_value(sb, (double)t.grand_total, unit);
	sc_strbuf_addf(sb,
		       "):\n\n| %s | self | self %% | total | total %% |\n"
		       "|---|---:|---:|---:|---:|\n",
		       row);
	for (size_t i = 0; i < t.len && i < n; i++) {
		const sc_top_entry *e = &t.entries[i];
		if (e->self <= 0)
			break;
		double g = t.grand_total > 0 ? (double)t.grand_total : 1;
		sc_strbuf_adds(sb, "| ");
		md_cell(sb, e->name);
		sc_strbuf_adds(sb, " | ");
		fmt_value(sb, (double)e->self, unit);
		sc_strbuf_addf(sb, " | %.1f%% | ", 100.0 * (double)e->self / g);
		fmt_value(sb, (double)e->total, unit);
		sc_strbuf_addf(sb, " | %.1f%% |\n", 100.0 * (double)e->total / g);
	}
	sc_strbuf_addc(sb, '\n');
out:
	sc_top_release(&t);
	sc_profile_free(p);
}

static void mode_note(sc_strbuf *sb, const run_mode *m)
{
	if (m->status == RUN_OK)
		return;
	sc_strbuf_adds(sb, m->status == RUN_SKIPPED ? "Skipped" : "Failed");
	if (m->reason[0]) {
		sc_strbuf_adds(sb, ": ");
		md_cell(sb, m->reason);
	}
	sc_strbuf_adds(sb, ".\n\n");
}

int run_write_report(const run_session *s)
{
	sc_strbuf sb = {0};
	char path[PATH_MAX], b1[32];
	sc_strbuf_adds(&sb, "# scorch run: ");
	md_cell(&sb, s->name);
	sc_strbuf_adds(&sb, "\n\nCommand: `");
	for (int i = 0; i < s->ncmd; i++)
		sc_strbuf_addf(&sb, "%s%s", i ? " " : "", s->cmd[i]);
	sc_strbuf_addf(&sb, "`  \nSession: %.1f s, configuration: %s\n\n", s->seconds,
		       s->config_path ? s->config_path : "the defaults");
	sc_strbuf_adds(&sb, "| mode | status | seconds | note |\n|---|---|---:|---|\n");
	for (int m = 0; m < RUN_NMODES; m++) {
		const run_mode *rm = &s->modes[m];
		if (!rm->wanted)
			continue;
		sc_strbuf_addf(&sb, "| %s | %s | %.2f | ", run_mode_names[m],
			       run_status_name(rm->status), rm->seconds);
		md_cell(&sb, rm->reason);
		sc_strbuf_adds(&sb, " |\n");
	}
	sc_strbuf_addc(&sb, '\n');

	if (s->modes[RUN_CPU].wanted) {
		sc_strbuf_adds(&sb, "## CPU\n\n");
		mode_note(&sb, &s->modes[RUN_CPU]);
		bool filtered = run_filters_active(&s->cfg);
		snprintf(path, sizeof(path), "%s/cpu/%s.pb.gz", s->dir,
			 filtered ? "filtered" : "profile");
		if (filtered)
			sc_strbuf_adds(&sb, "Filtered by the configuration's [filters] "
					    "(`cpu/filtered.pb.gz`; `cpu/profile.pb.gz` is as "
					    "recorded).\n\n");
		top_table(&sb, path, NULL, 10, "Top functions by self time", "function");
		if (s->cfg.reporting.include_call_stacks)
			run_hot_stack(&sb, path, false);
	}
	if (s->modes[RUN_MEMORY].wanted) {
		run_heap_totals t;
		sc_strbuf_adds(&sb, "## Memory\n\n");
		mode_note(&sb, &s->modes[RUN_MEMORY]);
		if (run_read_heap_totals(s->dir, &t) == 0) {
			sc_strbuf_addf(&sb, "- allocations: %" PRId64 " (", t.allocs);
			sc_strbuf_addf(&sb, "%s)\n",
				       run_fmt_bytes((double)t.bytes_allocated, b1, sizeof(b1)));
			sc_strbuf_addf(&sb, "- peak: %s\n",
				       run_fmt_bytes((double)t.peak_bytes, b1, sizeof(b1)));
			sc_strbuf_addf(&sb, "- leaked: %s in %" PRId64 " blocks\n",
				       run_fmt_bytes((double)t.leaked_bytes, b1, sizeof(b1)),
				       t.leaked_blocks);
			sc_strbuf_addf(&sb, "- largest allocation: %s\n\n",
				       run_fmt_bytes((double)t.largest, b1, sizeof(b1)));
		} else {
			sc_strbuf_adds(&sb, "No heap totals: the mode wrote no `heap.json`.\n\n");
		}
		snprintf(path, sizeof(path), "%s/memory/heap.pb.gz", s->dir);
		top_table(&sb, path, "alloc_space", 5, "Top allocating functions", "function");
		if (s->cfg.heap_analysis.detect_leaks)
			top_table(&sb, path, "inuse_space", 5, "Leaks by function", "function");
	}
	if (s->modes[RUN_TRACE].wanted) {
		sc_strbuf_adds(&sb, "## Trace\n\n");
		mode_note(&sb, &s->modes[RUN_TRACE]);
		if (s->modes[RUN_TRACE].status == RUN_OK) {
			snprintf(path, sizeof(path), "%s/trace/spans.pb.gz", s->dir);
			top_table(&sb, path, "span_time", 10, "Top spans by self time", "span");
		}
	}
	if (s->modes[RUN_GPU].wanted) {
		sc_strbuf_adds(&sb, "## GPU\n\n");
		mode_note(&sb, &s->modes[RUN_GPU]);
		if (s->modes[RUN_GPU].status == RUN_OK && s->modes[RUN_GPU].reason[0]) {
			sc_strbuf_adds(&sb, "Not measured: ");
			md_cell(&sb, s->modes[RUN_GPU].reason);
			sc_strbuf_adds(&sb, ".\n\n");
		}
		/* kernels.txt as the gpu command wrote it: every kernel with its calls and exact
		 * total, then the copies. */
		char *txt = NULL;
		size_t tn = 0;
		snprintf(path, sizeof(path), "%s/gpu/kernels.txt", s->dir);
		if (sc_read_file_max(path, (size_t)1 << 20, &txt, &tn) == 0 && tn) {
			sc_strbuf_adds(&sb, "Kernels by GPU time (`gpu/kernels.txt`):\n\n```\n");
			sc_strbuf_add(&sb, txt, tn);
			sc_strbuf_adds(&sb, tn && txt[tn - 1] == '\n' ? "```\n\n" : "\n```\n\n");
		}
		free(txt);
		snprintf(path, sizeof(path), "%s/gpu/gpu.pb.gz", s->dir);
		if (access(path, R_OK) == 0)
			top_table(&sb, path, NULL, 10, "GPU time by kernel and copy (self)",
				  "kernel or copy");
		if (s->modes[RUN_GPU].status == RUN_OK)
			sc_strbuf_adds(&sb,
				       "The timeline is `gpu/trace.json`; the NVML metrics, when "
				       "there were any, `gpu/metrics.csv` and `gpu/gpu.svg`.\n\n");
	}
	if (s->modes[RUN_BENCH].wanted) {
		char *txt = NULL;
		size_t tn = 0;
		sc_strbuf_adds(&sb, "## Benchmarks\n\n");
		mode_note(&sb, &s->modes[RUN_BENCH]);
		snprintf(path, sizeof(path), "%s/bench/compare.txt", s->dir);
		if (sc_read_file_max(path, (size_t)1 << 20, &txt, &tn) == 0) {
			sc_strbuf_addf(&sb, "Compared with `%s`:\n\n```\n", s->bench_baseline);
			sc_strbuf_add(&sb, txt, tn);
			sc_strbuf_adds(&sb, "```\n\n");
		} else if (s->modes[RUN_BENCH].status == RUN_OK) {
			sc_strbuf_adds(&sb,
				       "Measured into `bench/bench.json` (no baseline given).\n\n");
		}
		free(txt);
	}
	if (s->ngates) {
		sc_strbuf_adds(&sb, "## Gates\n\n| gate | result | detail |\n|---|---|---|\n");
		for (int g = 0; g < s->ngates; g++) {
			sc_strbuf_addf(&sb, "| %s | %s | ", s->gates[g].name,
				       s->gates[g].failed ? "FAIL" : "pass");
			md_cell(&sb, s->gates[g].line);
			sc_strbuf_adds(&sb, " |\n");
		}
		sc_strbuf_addc(&sb, '\n');
	}
	int r = run_emit_report(s, &sb);
	sc_strbuf_release(&sb);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends a link per file under dir/rel (sorted, folders depth first, at most 4 deep). */
static void list_files(sc_strbuf *sb, const char *dir, const char *rel, int depth)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s%s%s", dir, rel[0] ? "/" : "", rel);
	DIR *d = opendir(path);
	if (!d)
		return;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (!rel[0] && strcmp(e->d_name, "index.html") == 0))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof(*names));
			if (!nn)
				break;
			names = nn;
		}
		if (!(names[n] = strdup(e->d_name)))
			break;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char sub[PATH_MAX], full[2 * PATH_MAX + 2];
		struct stat st;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", names[i]);
		snprintf(full, sizeof(full), "%s/%s", dir, sub);
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < 4) {
				sc_strbuf_adds(sb, "<li>");
				sc_strbuf_add_html(sb, names[i]);
				sc_strbuf_adds(sb, "/<ul>\n");
				list_files(sb, dir, sub, depth + 1);
				sc_strbuf_adds(sb, "</ul></li>\n");
			}
		} else {
			sc_strbuf_adds(sb, "<li><a href=\"");
			sc_strbuf_add_html(sb, sub);
			sc_strbuf_adds(sb, "\">");
			sc_strbuf_add_html(sb, names[i]);
			sc_strbuf_addf(sb, "</a> <span>%lld bytes</span></li>\n",
				       (long long)st.st_size);
		}
		free(names[i]);
	}
	free(names);
}

int run_write_index(const run_session *s)
{
	sc_strbuf sb = {0};
	char path[PATH_MAX];
	sc_strbuf_adds(
	    &sb, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>scorch run: ");
	sc_strbuf_add_html(&sb, s->name);
	sc_strbuf_adds(&sb, "</title>\n<style>body{font:14px sans-serif;margin:2em;max-width:60em}"
			    "span{color:#777}li{margin:.2em 0}.fail{color:#b00}.ok{color:#070}"
			    "</style></head><body>\n<h1>scorch run: ");
	sc_strbuf_add_html(&sb, s->name);
	sc_strbuf_adds(&sb, "</h1>\n<p>Command: <code>");
	for (int i = 0; i < s->ncmd; i++) {
		if (i)
			sc_strbuf_addc(&sb, ' ');
		sc_strbuf_add_html(&sb, s->cmd[i]);
	}
	sc_strbuf_adds(&sb, "</code></p>\n<ul>\n");
	for (int m = 0; m < RUN_NMODES; m++) {
		const run_mode *rm = &s->modes[m];
		if (!rm->wanted)
			continue;
		sc_strbuf_addf(&sb, "<li>%s: <b class=\"%s\">%s</b> ", run_mode_names[m],
			       rm->status == RUN_FAILED ? "fail" : "ok",
			       run_status_name(rm->status));
		sc_strbuf_add_html(&sb, rm->reason);
		sc_strbuf_adds(&sb, "</li>\n");
	}
	for (int g = 0; g < s->ngates; g++) {
		sc_strbuf_addf(&sb, "<li class=\"%s\">", s->gates[g].failed ? "fail" : "ok");
		sc_strbuf_add_html(&sb, s->gates[g].line);
		sc_strbuf_adds(&sb, "</li>\n");
	}
	sc_strbuf_adds(&sb, "</ul>\n<h2>Files</h2>\n<ul>\n");
	list_files(&sb, s->dir, "", 0);
	sc_strbuf_adds(&sb, "</ul>\n</body></html>\n");
	snprintf(path, sizeof(path), "%s/index.html", s->dir);
	int r = sb.buf ? sc_write_file(path, sb.buf, sb.len) : -ENOMEM;
	sc_strbuf_release(&sb);
	return r;
}

int run_write_session_json(const run_session *s)
{
	sc_strbuf sb = {0};
	char path[PATH_MAX];
	bool gate_failed = false, mode_failed = false;
	sc_strbuf_adds(&sb, "{\"schema\":\"scorch.session\",\"version\":1,\n \"name\":");
	sc_strbuf_add_json_string(&sb, s->name);
	sc_strbuf_adds(&sb, ",\"folder\":");
	sc_strbuf_add_json_string(&sb, s->dir);
	sc_strbuf_adds(&sb, ",\n \"command\":[");
	for (int i = 0; i < s->ncmd; i++) {
		if (i)
			sc_strbuf_addc(&sb, ',');
		sc_strbuf_add_json_string(&sb, s->cmd[i]);
	}
	sc_strbuf_addf(&sb,
		       "],\n \"start_unix\":%" PRId64 ",\"seconds\":%.3f,\n \"config\":{\"file\":",
		       s->start_unix, s->seconds);
	sc_strbuf_add_json_string(&sb, s->config_path);
	sc_strbuf_addf(&sb,
		       ",\"sample_rate_hz\":%" PRId64 ",\"stack_depth\":%" PRId64
		       ",\"memory_stack_trace_depth\":%" PRId64 ",\"memory_sample_rate\":%" PRId64
		       ",\"baseline\":",
		       s->cfg.profiling.sample_rate_hz, s->cfg.profiling.stack_depth,
		       s->cfg.memory.stack_trace_depth, s->cfg.memory.sample_rate);
	sc_strbuf_add_json_string(&sb, s->baseline);
	sc_strbuf_adds(&sb, ",\"bench_baseline\":");
	sc_strbuf_add_json_string(&sb, s->bench_baseline);
	sc_strbuf_adds(&sb, "},\n \"modes\":[");
	bool first = true;
	for (int m = 0; m < RUN_NMODES; m++) {
		const run_mode *rm = &s->modes[m];
		if (!rm->wanted)
			continue;
		mode_failed |= rm->status == RUN_FAILED;
		sc_strbuf_addf(&sb,
			       "%s\n  {\"mode\":\"%s\",\"status\":\"%s\",\"exit_code\":%d,"
			       "\"seconds\":%.3f,\"reason\":",
			       first ? "" : ",", run_mode_names[m], run_status_name(rm->status),
			       rm->exit_code, rm->seconds);
		sc_strbuf_add_json_string(&sb, rm->reason);
		sc_strbuf_addc(&sb, '}');
		first = false;
	}
	sc_strbuf_adds(&sb, "],\n \"gates\":[");
	for (int g = 0; g < s->ngates; g++) {
		const run_gate *gt = &s->gates[g];
		gate_failed |= gt->failed;
		sc_strbuf_addf(&sb, "%s\n  {\"name\":", g ? "," : "");
		sc_strbuf_add_json_string(&sb, gt->name);
		sc_strbuf_addf(&sb, ",\"failed\":%s,\"value\":", gt->failed ? "true" : "false");
		sc_strbuf_add_json_number(&sb, gt->value);
		sc_strbuf_adds(&sb, ",\"limit\":");
		sc_strbuf_add_json_number(&sb, gt->limit);
		sc_strbuf_adds(&sb, ",\"line\":");
		sc_strbuf_add_json_string(&sb, gt->line);
		sc_strbuf_addc(&sb, '}');
	}
	sc_strbuf_addf(&sb, "],\n \"result\":\"%s\"}\n",
		       gate_failed   ? "fail"
		       : mode_failed ? "error"
				     : "pass");
	snprintf(path, sizeof(path), "%s/session.json", s->dir);
	int r = sb.buf ? sc_write_file(path, sb.buf, sb.len) : -ENOMEM;
	sc_strbuf_release(&sb);
	return r;
}
