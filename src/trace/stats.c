/*
 * stats.c: span statistics as text and JSON. See stats.h.
 *
 * spans.json, annotated (schema "scorch.spans", version 1; a new field may appear in a later
 * version 1 file, a changed meaning bumps the version). Times are integer nanoseconds;
 * percentiles come from a histogram and are within "percentile_error" (relative) of the exact
 * value; count, total, self, mean and max are exact.
 *
 *   {"schema":"scorch.spans","version":1,
 *    "command":"./server --port 80",                    or null
 *    "duration_ns":1203000000,                          first to last event
 *    "percentile_error":0.015625,
 *    "spans":[                                          by total, largest first
 *      {"name":"handle","async":false,"file":"server.c","line":42,
 *       "count":100,"total_ns":..,"self_ns":..,"mean_ns":..,"min_ns":..,
 *       "p50_ns":..,"p90_ns":..,"p99_ns":..,"max_ns":..,"threads":2,"open":0}],
 *    "counters":[{"name":"queue","count":10,"min":0,"mean":4.5,"max":9,"last":9}],
 *    "marks":[{"name":"tick","kind":"mark","count":3},
 *             {"name":"frame","kind":"frame","count":60,"frame_p50_ns":..,"frame_max_ns":..}],
 *    "loops":[{"name":"ev","iterations":..,"busy_ns":..,"idle_ns":..,"busy_pct":12.5,
 *              "lag_p50_ns":..,"lag_p99_ns":..,"lag_max_ns":..}],
 *    "threads":[{"pid":1,"tid":2,"name":"worker-1"}],
 *    "lost_events":0,"open_spans":0,"unmatched_ends":0,"async_open":0,
 *    "async_unmatched_ends":0,"loop_unmatched_wakes":0,"corrupt_records":0,"unknown_sites":0}
 *
 * A span of a site whose LOC never arrived is named "site N". A counter value that is not a
 * finite number is written null.
 */
#include "trace/stats.h"

#include "util/strbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void sc_trace_fmt_ns(char *buf, size_t size, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, size, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, size, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, size, "%.2fms", (double)ns / 1e6);
	else
		snprintf(buf, size, "%.2fs", (double)ns / 1e9);
}

static void fmt_num(char *buf, size_t size, double v)
{
	if (!isfinite(v))
		snprintf(buf, size, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
	else
		snprintf(buf, size, "%.6g", v);
}

/* A name for a text file: control bytes escaped. */
static const char *text(sc_strbuf *sb, const char *s)
{
	sc_strbuf_reset(sb);
	if (sc_strbuf_add_text(sb, s) < 0)
		return "?";
	return sc_strbuf_cstr(sb);
}

static int text_spans(const sc_trace_model *m, size_t top, FILE *f, sc_strbuf *sb)
{
	const sc_trace_name **v = sc_trace_model_by_total(m);
	if (!v)
		return -ENOMEM;
	size_t n = m->names.len, w = 4;
	if (top && n > top)
		n = top;
	for (size_t i = 0; i < n; i++) {
		size_t c = sc_text_columns(v[i]->name) + (v[i]->async ? 8 : 0);
		if (c > w)
			w = c;
	}
	if (w > 48)
		w = 48;
	fprintf(f, "%-*s %8s %9s %9s %9s %9s %9s %9s %9s %7s\n", (int)w, "span", "count", "total",
		"self", "mean", "p50", "p90", "p99", "max", "threads");
	for (size_t i = 0; i < n; i++) {
		const sc_trace_name *s = v[i];
		char c[7][32];
		uint64_t vals[7] = {s->total,
				    s->self,
				    s->count ? s->total / s->count : 0,
				    sc_hist_quantile(&s->hist, 0.5),
				    sc_hist_quantile(&s->hist, 0.9),
				    sc_hist_quantile(&s->hist, 0.99),
				    s->hist.max};
		for (int k = 0; k < 7; k++)
			sc_trace_fmt_ns(c[k], sizeof(c[k]), vals[k]);
		sc_strbuf_reset(sb);
		sc_strbuf_add_text(sb, s->name);
		if (s->async)
			sc_strbuf_adds(sb, " (async)");
		const char *name = sb->buf ? sb->buf : "?";
		int pad = (int)w - (int)sc_text_columns(s->name) - (s->async ? 8 : 0);
		fprintf(f, "%s%*s %8" PRIu64 " %9s %9s %9s %9s %9s %9s %9s %7u", name,
			pad > 0 ? pad : 0, "", s->count, c[0], c[1], c[2], c[3], c[4], c[5], c[6],
			s->threads);
		if (s->open)
			fprintf(f, "  (%" PRIu64 " open)", s->open);
		fputc('\n', f);
	}
	if (n < m->names.len)
		fprintf(f, "(%zu more span names)\n", m->names.len - n);
	free(v);
	return 0;
}

int sc_trace_write_text(const sc_trace_model *m, const sc_trace_info *info, size_t top, FILE *f)
{
	sc_strbuf sb = {0};
	const sc_trace_stats *st = sc_trace_decoder_stats(m->dec);
	char d[32];
	sc_trace_fmt_ns(d, sizeof(d), m->last_time - m->first_time);
	uint64_t spans = 0;
	for (size_t i = 0; i < m->names.len; i++)
		spans += m->names.data[i].count;
	fprintf(f,
		"%" PRIu64 " spans of %zu names over %s (percentiles from a histogram: within "
		"%.1f%%)\n\n",
		spans, m->names.len, d, 100.0 * SC_HIST_REL_ERROR);
	int r = 0;
	if (m->names.len && (r = text_spans(m, top, f, &sb)) < 0)
		goto out;
	int counters = 0, marks = 0;
	for (size_t i = 0; i < m->series.len; i++) {
		const sc_trace_series *s = &m->series.data[i];
		if (s->kind != SC_AGENT_EV_COUNTER)
			continue;
		if (!counters++)
			fprintf(f, "\n%-24s %8s %12s %12s %12s %12s\n", "counter", "count", "min",
				"mean", "max", "last");
		char c[4][32];
		fmt_num(c[0], 32, s->min);
		fmt_num(c[1], 32, s->sum / (double)s->count);
		fmt_num(c[2], 32, s->max);
		fmt_num(c[3], 32, s->last);
		fprintf(f, "%-24s %8" PRIu64 " %12s %12s %12s %12s\n", text(&sb, s->name), s->count,
			c[0], c[1], c[2], c[3]);
	}
	for (size_t i = 0; i < m->series.len; i++) {
		const sc_trace_series *s = &m->series.data[i];
		if (s->kind == SC_AGENT_EV_COUNTER)
			continue;
		if (!marks++)
			fprintf(f, "\n%-24s %6s %8s %12s %12s\n", "mark", "kind", "count",
				"frame p50", "frame max");
		char p50[32] = "-", mx[32] = "-";
		if (s->interval.count) {
			sc_trace_fmt_ns(p50, 32, sc_hist_quantile(&s->interval, 0.5));
			sc_trace_fmt_ns(mx, 32, s->interval.max);
		}
		fprintf(f, "%-24s %6s %8" PRIu64 " %12s %12s\n", text(&sb, s->name),
			s->kind == SC_AGENT_EV_FRAME ? "frame" : "mark", s->count, p50, mx);
	}
	for (size_t i = 0; i < m->loopstats.len; i++) {
		const sc_trace_loopstat *l = &m->loopstats.data[i];
		if (!i)
			fprintf(f, "\n%-24s %10s %7s %10s %10s %10s\n", "loop", "iterations",
				"busy", "lag p50", "lag p99", "lag max");
		char c[3][32];
		sc_trace_fmt_ns(c[0], 32, sc_hist_quantile(&l->lag, 0.5));
		sc_trace_fmt_ns(c[1], 32, sc_hist_quantile(&l->lag, 0.99));
		sc_trace_fmt_ns(c[2], 32, l->lag.max);
		double all = (double)l->busy + (double)l->idle;
		fprintf(f, "%-24s %10" PRIu64 " %6.1f%% %10s %10s %10s\n", text(&sb, l->name),
			l->iterations, all > 0 ? 100.0 * (double)l->busy / all : 0.0, c[0], c[1],
			c[2]);
	}
	if (info && info->lost)
		fprintf(f, "\n%" PRIu64 " events lost (rings full): raise --buffer\n", info->lost);
	if (st->open_spans || st->async_open)
		fprintf(f, "%sstill open at the end: %" PRIu64 " spans, %" PRIu64 " async spans\n",
			info && info->lost ? "" : "\n", st->open_spans, st->async_open);
	if (st->unmatched_end || st->async_unmatched_end)
		fprintf(f,
			"ends that matched no begin: %" PRIu64 " spans, %" PRIu64 " async spans\n",
			st->unmatched_end, st->async_unmatched_end);
out:
	sc_strbuf_release(&sb);
	if (r == 0 && ferror(f))
		r = -EIO;
	return r;
}

/* --- JSON --- */

/* A document being built; `bad` once an append failed (the text is then short: never written). */
struct jw {
	sc_strbuf sb;
	bool bad;
};

static void jw_adds(struct jw *w, const char *s)
{
	w->bad |= sc_strbuf_adds(&w->sb, s) < 0;
}

static void jw_addc(struct jw *w, char c)
{
	w->bad |= sc_strbuf_addc(&w->sb, c) < 0;
}

static void jw_addf(struct jw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jw_addf(struct jw *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	w->bad |= sc_strbuf_vaddf(&w->sb, fmt, ap) < 0;
	va_end(ap);
}

static void jstr(struct jw *w, const char *key, const char *s)
{
	jw_addf(w, "\"%s\":", key);
	if (!s) {
		jw_adds(w, "null");
		return;
	}
	jw_addc(w, '"');
	w->bad |= sc_strbuf_add_json(&w->sb, s) < 0;
	jw_addc(w, '"');
}

static void jnum(struct jw *w, const char *key, double v)
{
	if (isfinite(v))
		jw_addf(w, "\"%s\":%.17g", key, v);
	else
		jw_addf(w, "\"%s\":null", key);
}

int sc_trace_write_json(const sc_trace_model *m, const sc_trace_info *info, FILE *f)
{
	struct jw w = {0};
	const sc_trace_stats *st = sc_trace_decoder_stats(m->dec);
	const sc_trace_name **v = sc_trace_model_by_total(m);
	if (!v)
		return -ENOMEM;
	jw_adds(&w, "{\"schema\":\"scorch.spans\",\"version\":1,\n");
	jstr(&w, "command", info ? info->command : NULL);
	jw_addf(&w, ",\"duration_ns\":%" PRIu64 ",\"percentile_error\":%g,\n\"spans\":[",
		m->last_time - m->first_time, SC_HIST_REL_ERROR);
	for (size_t i = 0; i < m->names.len; i++) {
		const sc_trace_name *s = v[i];
		jw_adds(&w, i ? ",\n{" : "\n{");
		jstr(&w, "name", s->name);
		jw_addf(&w, ",\"async\":%s,", s->async ? "true" : "false");
		jstr(&w, "file", s->site->file);
		jw_addf(&w,
			",\"line\":%u,\"count\":%" PRIu64 ",\"total_ns\":%" PRIu64
			",\"self_ns\":%" PRIu64 ",\"mean_ns\":%" PRIu64 ",\"min_ns\":%" PRIu64
			",\"p50_ns\":%" PRIu64 ",\"p90_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64
			",\"max_ns\":%" PRIu64 ",\"threads\":%u,\"open\":%" PRIu64 "}",
			s->site->line, s->count, s->total, s->self,
			s->count ? s->total / s->count : 0, s->hist.min,
			sc_hist_quantile(&s->hist, 0.5), sc_hist_quantile(&s->hist, 0.9),
			sc_hist_quantile(&s->hist, 0.99), s->hist.max, s->threads, s->open);
	}
	free(v);
	jw_adds(&w, "],\n\"counters\":[");
	int k = 0;
	for (size_t i = 0; i < m->series.len; i++) {
		const sc_trace_series *s = &m->series.data[i];
		if (s->kind != SC_AGENT_EV_COUNTER)
			continue;
		jw_adds(&w, k++ ? ",\n{" : "\n{");
		jstr(&w, "name", s->name);
		jw_addf(&w, ",\"count\":%" PRIu64 ",", s->count);
		jnum(&w, "min", s->min);
		jw_addc(&w, ',');
		jnum(&w, "mean", s->sum / (double)s->count);
		jw_addc(&w, ',');
		jnum(&w, "max", s->max);
		jw_addc(&w, ',');
		jnum(&w, "last", s->last);
		jw_addc(&w, '}');
	}
	jw_adds(&w, "],\n\"marks\":[");
	k = 0;
	for (size_t i = 0; i < m->series.len; i++) {
		const sc_trace_series *s = &m->series.data[i];
		if (s->kind == SC_AGENT_EV_COUNTER)
			continue;
		jw_adds(&w, k++ ? ",\n{" : "\n{");
		jstr(&w, "name", s->name);
		jw_addf(&w, ",\"kind\":\"%s\",\"count\":%" PRIu64,
			s->kind == SC_AGENT_EV_FRAME ? "frame" : "mark", s->count);
		if (s->kind == SC_AGENT_EV_FRAME)
			jw_addf(&w, ",\"frame_p50_ns\":%" PRIu64 ",\"frame_max_ns\":%" PRIu64,
				sc_hist_quantile(&s->interval, 0.5), s->interval.max);
		jw_addc(&w, '}');
	}
	jw_adds(&w, "],\n\"loops\":[");
	for (size_t i = 0; i < m->loopstats.len; i++) {
		const sc_trace_loopstat *l = &m->loopstats.data[i];
		jw_adds(&w, i ? ",\n{" : "\n{");
		jstr(&w, "name", l->name);
		double all = (double)l->busy + (double)l->idle;
		jw_addf(
		    &w,
		    ",\"iterations\":%" PRIu64 ",\"busy_ns\":%" PRIu64 ",\"idle_ns\":%" PRIu64
		    ",\"busy_pct\":%.3f,\"lag_p50_ns\":%" PRIu64 ",\"lag_p99_ns\":%" PRIu64
		    ",\"lag_max_ns\":%" PRIu64 "}",
		    l->iterations, l->busy, l->idle, all > 0 ? 100.0 * (double)l->busy / all : 0.0,
		    sc_hist_quantile(&l->lag, 0.5), sc_hist_quantile(&l->lag, 0.99), l->lag.max);
	}
	jw_adds(&w, "],\n\"threads\":[");
	for (size_t i = 0; i < m->threads.len; i++) {
		const sc_trace_thread_rec *t = &m->threads.data[i];
		jw_addf(&w, "%s{\"pid\":%u,\"tid\":%u,", i ? ",\n" : "\n", t->pid, t->tid);
		jstr(&w, "name", t->name);
		jw_addc(&w, '}');
	}
	jw_addf(&w,
		"],\n\"lost_events\":%" PRIu64 ",\"open_spans\":%" PRIu64
		",\"unmatched_ends\":%" PRIu64 ",\"async_open\":%" PRIu64
		",\"async_unmatched_ends\":%" PRIu64 ",\"loop_unmatched_wakes\":%" PRIu64
		",\"corrupt_records\":%" PRIu64 ",\"unknown_sites\":%" PRIu64 "}\n",
		info ? info->lost : st->lost, st->open_spans, st->unmatched_end, st->async_open,
		st->async_unmatched_end, st->loop_unmatched, st->corrupt, st->unknown_sites);
	int r = 0;
	if (w.bad)
		r = -ENOMEM;
	else if (fwrite(w.sb.buf, 1, w.sb.len, f) != w.sb.len || ferror(f))
		r = -EIO;
	sc_strbuf_release(&w.sb);
	return r;
}
