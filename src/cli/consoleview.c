/*
 * consoleview.c: the live console's screen as text. See consoleview.h.
 */
#include "cli/consoleview.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sc_cview_sort_names[SC_CVIEW_NSORTS] = {"rate", "p99", "total", "count", "name"};

static void fmt_ns(char *buf, size_t size, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, size, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, size, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, size, "%.1fms", (double)ns / 1e6);
	else if (ns < 600ull * 1000000000)
		snprintf(buf, size, "%.2fs", (double)ns / 1e9);
	else
		snprintf(buf, size, "%llum%02llus", (unsigned long long)(ns / 60000000000ull),
			 (unsigned long long)(ns / 1000000000 % 60));
}

static void fmt_count(char *buf, size_t size, double v)
{
	if (v < 100000)
		snprintf(buf, size, v == (double)(long long)v ? "%.0f" : "%.1f", v);
	else if (v < 1e8)
		snprintf(buf, size, "%.1fk", v / 1e3);
	else
		snprintf(buf, size, "%.1fM", v / 1e6);
}

/* One line of the screen: text already safe for the terminal, cut to `cols` columns (a column
 * per UTF-8 character). */
typedef struct screen {
	sc_strbuf *sb;
	int cols, rows, used;
	bool ansi;
	sc_strbuf line;
} screen;

static void line_add(screen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line_add(screen *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sc_strbuf_vaddf(&s->line, fmt, ap);
	va_end(ap);
}

/* A name from the program, escaped, cut or padded to `width` columns (0: as is). */
static void line_name(screen *s, const char *name, int width)
{
	sc_strbuf t = {0};
	sc_strbuf_add_text(&t, name);
	const char *p = sc_strbuf_cstr(&t);
	int w = 0;
	size_t i = 0, len = strlen(p);
	while (i < len && (width == 0 || w < width)) {
		size_t n = 1;
		while (i + n < len && ((unsigned char)p[i + n] & 0xc0) == 0x80)
			n++;
		if (width && w == width - 1 && i + n < len) {
			sc_strbuf_adds(&s->line, "~");
			w++;
			i = len;
			break;
		}
		sc_strbuf_add(&s->line, p + i, n);
		i += n;
		w++;
	}
	for (; width && w < width; w++)
		sc_strbuf_addc(&s->line, ' ');
	sc_strbuf_release(&t);
}

/* Ends the current line: cut to the width, appended to the screen if there is room. */
static void line_end(screen *s, bool bold)
{
	if (s->used >= s->rows) {
		sc_strbuf_reset(&s->line);
		return;
	}
	const char *p = sc_strbuf_cstr(&s->line);
	size_t len = strlen(p), i = 0;
	int w = 0;
	while (i < len && w < s->cols) {
		size_t n = 1;
		while (i + n < len && ((unsigned char)p[i + n] & 0xc0) == 0x80)
			n++;
		i += n;
		w++;
	}
	if (s->ansi && bold)
		sc_strbuf_adds(s->sb, "\x1b[1m");
	sc_strbuf_add(s->sb, p, i);
	if (s->ansi)
		sc_strbuf_adds(s->sb, bold ? "\x1b[0m\x1b[K\r\n" : "\x1b[K\r\n");
	else
		sc_strbuf_addc(s->sb, '\n');
	s->used++;
	sc_strbuf_reset(&s->line);
}

static int cmp_sort; /* qsort has no context argument */
static int span_cmp(const void *a, const void *b)
{
	const sc_live_span_row *x = *(sc_live_span_row *const *)a,
			       *y = *(sc_live_span_row *const *)b;
	double dx = 0, dy = 0;
	switch (cmp_sort) {
	case SC_CVIEW_RATE:
		dx = x->rate1, dy = y->rate1;
		if (dx == dy)
			dx = x->rate10, dy = y->rate10;
		break;
	case SC_CVIEW_P99:
		dx = (double)x->p99, dy = (double)y->p99;
		break;
	case SC_CVIEW_TOTAL:
		dx = (double)x->total_ns, dy = (double)y->total_ns;
		break;
	case SC_CVIEW_COUNT:
		dx = (double)x->count, dy = (double)y->count;
		break;
	default:
		break;
	}
	if (dx != dy)
		return dx < dy ? 1 : -1;
	return strcmp(x->name, y->name);
}

static const char *const spark[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
				     "\u2585", "\u2586", "\u2587", "\u2588"};

static void compose(const sc_cview *st, screen *s)
{
	const sc_live_view *v = st->view;
	char a[32], b[32], c[32], d[32], e[32], f[32];

	/* Header. */
	long long up = st->uptime_ms < 0 ? 0 : st->uptime_ms / 1000;
	line_add(s, "scorch console  ");
	line_name(s, st->program, 0);
	fmt_count(a, sizeof(a), v->events1);
	line_add(s, "  pid %d  up %lld:%02lld:%02lld  events/s %s  lost %llu  sort: %s",
		 (int)st->pid, up / 3600, up / 60 % 60, up % 60, a, (unsigned long long)st->lost,
		 sc_cview_sort_names[st->sort]);
	/* Events whose call site this console has not seen: normal for a moment (a site's record
	 * may come a round later), lasting when a console attached before consumed the records. */
	uint64_t held = st->held;
	if (held)
		line_add(s, "  unnamed %llu", (unsigned long long)held);
	if (st->paused)
		line_add(s, "  PAUSED");
	if (st->exited) {
		line_add(s, "  ");
		line_name(s, st->why, 0);
	}
	line_end(s, true);
	if (st->editing || st->filter[0]) {
		line_add(s, "filter: ");
		line_name(s, st->filter, 0);
		line_add(s, "%s", st->editing ? "_  (Enter: keep, Esc: clear)" : "");
		line_end(s, false);
	}

	/* The rows the other sections need, so the spans take what is left. */
	int others = (int)(v->nthreads + 2) + (v->nloops ? (int)v->nloops + 2 : 0) +
		     (v->ncounters ? (int)v->ncounters + 2 : 0) + (int)v->nwarnings + 2 + 1;
	int span_rows = s->rows - s->used - 3 - others;
	if (span_rows < 3)
		span_rows = 3;

	int nw = s->cols - 62;
	if (nw < 12)
		nw = 12;
	if (nw > 48)
		nw = 48;
	line_end(s, false);
	line_add(s, "SPANS%*s%9s %9s %9s %9s %9s %10s", nw - 5 + 2, "", "count", "rate/s", "p50",
		 "p99", "max", "total");
	line_end(s, true);
	const sc_live_span_row **rows = calloc(v->nspans + 1, sizeof(*rows));
	size_t n = 0;
	for (size_t i = 0; rows && i < v->nspans; i++)
		if (!st->filter[0] || strstr(v->spans[i].name, st->filter))
			rows[n++] = &v->spans[i];
	cmp_sort = st->sort;
	if (rows)
		qsort(rows, n, sizeof(*rows), span_cmp);
	for (size_t i = 0; i < n && (int)i < span_rows; i++) {
		const sc_live_span_row *r = rows[i];
		fmt_count(a, sizeof(a), (double)r->count);
		fmt_count(b, sizeof(b), r->rate1);
		fmt_ns(c, sizeof(c), r->p50);
		fmt_ns(d, sizeof(d), r->p99);
		fmt_ns(e, sizeof(e), r->max);
		fmt_ns(f, sizeof(f), r->total_ns);
		line_add(s, "  ");
		line_name(s, r->name, nw);
		if (r->win_count)
			line_add(s, "%9s %9s %9s %9s %9s %10s", a, b, c, d, e, f);
		else
			line_add(s, "%9s %9s %9s %9s %9s %10s", a, b, "-", "-", "-", f);
		line_end(s, false);
	}
	if (n > (size_t)span_rows) {
		line_add(s, "  ... %zu more", n - (size_t)span_rows);
		line_end(s, false);
	} else if (!n) {
		line_add(s, v->nspans ? "  (none matches the filter)" : "  (no span yet)");
		line_end(s, false);
	}
	free(rows);

	line_end(s, false);
	line_add(s, "THREADS");
	line_end(s, true);
	for (size_t i = 0; i < v->nthreads; i++) {
		const sc_live_thread_row *t = &v->threads[i];
		line_add(s, "  ");
		char tid[24];
		snprintf(tid, sizeof(tid), " (%u)", t->tid);
		sc_strbuf nm = {0};
		sc_strbuf_adds(&nm, t->name[0] ? t->name : "thread");
		line_name(s, nm.buf ? nm.buf : "", 16);
		sc_strbuf_release(&nm);
		line_add(s, "%-9s ", tid);
		int cells = 20, full = t->busy > 0 ? (int)(t->busy * cells + 0.5) : 0;
		for (int k = 0; k < cells; k++)
			line_add(s, "%s", k < full ? "\u2588" : "\u00b7");
		if (t->busy < 0)
			line_add(s, "    -  busy");
		else
			line_add(s, " %3.0f%% busy", t->busy * 100);
		line_add(s, "%s", t->loop ? "  (loop: wake to wait)" : "");
		line_end(s, false);
	}
	if (v->nloops) {
		line_end(s, false);
		line_add(s, "LOOPS%*s%9s %9s %9s %9s %9s", nw - 5 + 2, "", "iters", "iters/s",
			 "lag p50", "lag p99", "lag max");
		line_end(s, true);
		for (size_t i = 0; i < v->nloops; i++) {
			const sc_live_loop_row *r = &v->loops[i];
			fmt_count(a, sizeof(a), (double)r->iters);
			fmt_count(b, sizeof(b), r->rate1);
			fmt_ns(c, sizeof(c), r->p50);
			fmt_ns(d, sizeof(d), r->p99);
			fmt_ns(e, sizeof(e), r->max);
			line_add(s, "  ");
			line_name(s, r->name, nw);
			line_add(s, "%9s %9s %9s %9s %9s", a, b, c, d, e);
			line_end(s, false);
		}
	}
	if (v->ncounters) {
		line_end(s, false);
		line_add(s, "COUNTERS");
		line_end(s, true);
		for (size_t i = 0; i < v->ncounters; i++) {
			const sc_live_counter_row *r = &v->counters[i];
			line_add(s, "  ");
			line_name(s, r->name, nw);
			snprintf(a, sizeof(a), "%.6g", r->last);
			line_add(s, "%12s  ", a);
			size_t width = (size_t)(s->cols > nw + 20 ? s->cols - nw - 20 : 0);
			if (width > SC_LIVE_SECONDS)
				width = SC_LIVE_SECONDS;
			size_t from = r->nhist > width ? r->nhist - width : 0;
			double lo = 0, hi = 0;
			for (size_t k = from; k < r->nhist; k++) {
				if (k == from || r->hist[k] < lo)
					lo = r->hist[k];
				if (k == from || r->hist[k] > hi)
					hi = r->hist[k];
			}
			for (size_t k = from; k < r->nhist; k++) {
				int level =
				    hi > lo ? (int)((r->hist[k] - lo) / (hi - lo) * 7 + 0.5) : 3;
				line_add(s, "%s", spark[level < 0 ? 0 : level > 7 ? 7 : level]);
			}
			line_end(s, false);
		}
	}
	line_end(s, false);
	line_add(s, "WARNINGS");
	line_end(s, true);
	for (size_t i = 0; i < v->nwarnings; i++) {
		const sc_live_warning *w = &v->warnings[i];
		line_add(s, "  ! ");
		switch (w->kind) {
		case SC_LIVE_WARN_BLOCKED:
			fmt_ns(a, sizeof(a), w->ns);
			fmt_ns(b, sizeof(b), v->now > w->last ? v->now - w->last : 0);
			line_add(s, w->by_loop ? "loop " : "span ");
			line_name(s, w->name, 0);
			line_add(s, w->by_loop ? " was busy between a wake and a wait for "
					       : " blocked its loop for ");
			line_add(s, "%s (worst; %llu times, last %s ago) on ", a,
				 (unsigned long long)w->count, b);
			break;
		case SC_LIVE_WARN_STUCK:
			fmt_ns(a, sizeof(a), w->ns);
			line_add(s, "span ");
			line_name(s, w->name, 0);
			line_add(s, " open for %s and never ended, on ", a);
			break;
		default:
			line_add(s, "busy %.0f%% of the last %d s: ", w->busy * 100,
				 SC_LIVE_WINDOW);
			break;
		}
		line_name(s, w->thread[0] ? w->thread : "thread", 0);
		line_add(s, " (%u)", w->tid);
		line_end(s, false);
	}
	if (!v->nwarnings) {
		line_add(s, "  (none)");
		line_end(s, false);
	}
	/* The keys on the last line. */
	if (s->ansi) {
		while (s->used < s->rows - 1)
			line_end(s, false);
		line_add(s, "keys: s sort  / filter  p pause  q quit");
		line_end(s, false);
	}
}

void sc_cview_compose(const sc_cview *st, sc_strbuf *out, int rows, int cols, bool ansi)
{
	screen s = {.sb = out, .cols = cols, .rows = rows, .ansi = ansi};
	compose(st, &s);
	sc_strbuf_release(&s.line);
}
