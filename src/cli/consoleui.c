/*
 * consoleui.c: the live console's screen. See consoleui.h.
 *
 * Drawing: the whole screen is composed as lines in a buffer, each cut to the terminal's width,
 * then written in one write() from the top-left corner, every line ending with "erase to the end
 * of the line" and the last with "erase below": no curses, ANSI sequences only, and no flicker
 * from clearing first. The terminal: raw mode (no echo, no line buffering; signals kept so Ctrl-C
 * still interrupts), the alternate screen and a hidden cursor, all undone by
 * sc_cui_restore_terminal from every way out (sc_cui_free, the signal handlers of console.c,
 * atexit).
 */
#include "cli/consoleui.h"

#include "cli/consolememo.h"
#include "trace/decode.h"
#include "trace/live.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

enum sort { SORT_RATE, SORT_P99, SORT_TOTAL, SORT_COUNT, SORT_NAME, NSORTS };
static const char *const sort_names[NSORTS] = {"rate", "p99", "total", "count", "name"};

struct sc_cui {
	sc_cui_options o;
	char program[64];
	sc_trace_decoder *dec;
	sc_live *live;
	sc_live_view view; /* the one shown (kept while paused) */
	bool have_view;
	int sort;
	bool paused, editing, exited;
	char filter[128];
	char why[128];
	int rows, cols;
	uint64_t rounds;
	long long uptime_ms; /* at the view's making */
	sc_strbuf screen;
	sc_cmemo memo;	     /* sites and thread names, for the next console */
	char memo_path[256]; /* "" : none kept */
};

/* The terminal as it was, for sc_cui_restore_terminal (one screen per process). */
static struct termios saved_tio;
static volatile sig_atomic_t tio_saved, screen_on;

void sc_cui_restore_terminal(void)
{
	if (screen_on) {
		static const char leave[] = "\x1b[?25h\x1b[?1049l";
		ssize_t w = write(STDOUT_FILENO, leave, sizeof(leave) - 1);
		(void)w;
		screen_on = 0;
	}
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		tio_saved = 0;
	}
}

static void restore_at_exit(void)
{
	sc_cui_restore_terminal();
}

static int enter_screen(void)
{
	static bool registered;
	if (!registered) {
		atexit(restore_at_exit);
		registered = true;
	}
	if (isatty(STDIN_FILENO)) {
		struct termios t;
		if (tcgetattr(STDIN_FILENO, &saved_tio) < 0)
			return -errno;
		t = saved_tio;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		tio_saved = 1;
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0)
			return -errno;
	}
	static const char enter[] = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J";
	screen_on = 1;
	if (write(STDOUT_FILENO, enter, sizeof(enter) - 1) < 0)
		return -errno;
	return 0;
}

static void term_size(sc_cui *ui)
{
	struct winsize ws;
	ui->rows = 24;
	ui->cols = 80;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
		ui->rows = ws.ws_row;
		ui->cols = ws.ws_col;
	}
}

long long sc_cui_uptime_ms(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* Field 22 (starttime, clock ticks since boot), counted after the command's ")". */
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	unsigned long long start = 0;
	int field = 2;
	for (p++; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (field != 22 || sscanf(p, "%llu", &start) != 1)
		return -1;
	struct timespec now;
	clock_gettime(CLOCK_BOOTTIME, &now);
	long hz = sysconf(_SC_CLK_TCK);
	long long ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 -
		       (long long)(start * 1000 / (unsigned long long)(hz > 0 ? hz : 100));
	return ms < 0 ? 0 : ms;
}

/* --- the decoder's outputs into the live windows --- */

static int on_thread(void *ctx, const sc_trace_thread *t)
{
	sc_cui *ui = ctx;
	return sc_live_thread(ui->live, t->tid, t->name);
}

static int on_span(void *ctx, const sc_trace_span *s)
{
	sc_cui *ui = ctx;
	if (s->open)
		return sc_live_open(ui->live, s->site->name, s->tid, s->start);
	return sc_live_span(ui->live, s->site->name, s->tid, s->start, s->end, s->depth);
}

static int on_point(void *ctx, const sc_trace_point *p)
{
	sc_cui *ui = ctx;
	if (p->kind == SC_AGENT_EV_COUNTER)
		return sc_live_counter(ui->live, p->site->name, p->tid, p->time, p->value);
	sc_live_event(ui->live, p->time);
	return 0;
}

/* An async span is listed with the spans (its latency is a request's), but is not the busy time
 * of a thread: it is given a depth below the outermost. */
static int on_async(void *ctx, const sc_trace_async *a)
{
	sc_cui *ui = ctx;
	if (a->open)
		return sc_live_open(ui->live, a->site->name, a->begin_tid, a->start);
	return sc_live_span(ui->live, a->site->name, a->end_tid, a->start, a->end, 1);
}

static int on_loop(void *ctx, const sc_trace_loop_iter *it)
{
	sc_cui *ui = ctx;
	return sc_live_loop(ui->live, it->site->name, it->tid, it->wait, it->wake, it->busy,
			    it->has_busy, it->lag);
}

sc_cui *sc_cui_new(const sc_cui_options *o)
{
	sc_cui *ui = calloc(1, sizeof(*ui));
	if (!ui)
		return NULL;
	ui->o = *o;
	snprintf(ui->program, sizeof(ui->program), "%s", o->program ? o->program : "");
	sc_live_config cfg = {.block_ns = o->block_ns, .stuck_ns = o->stuck_ns};
	const sc_trace_ops ops = {.thread = on_thread,
				  .span = on_span,
				  .point = on_point,
				  .async = on_async,
				  .loop = on_loop};
	ui->live = sc_live_new(&cfg);
	ui->dec = sc_trace_decoder_new(&ops, ui);
	if (!ui->live || !ui->dec) {
		sc_cui_free(ui);
		errno = ENOMEM;
		return NULL;
	}
	term_size(ui);
	if (o->screen) {
		int r = enter_screen();
		if (r < 0) {
			sc_cui_free(ui);
			errno = -r;
			return NULL;
		}
	}
	return ui;
}

void sc_cui_free(sc_cui *ui)
{
	if (!ui)
		return;
	if (ui->o.screen)
		sc_cui_restore_terminal();
	if (ui->memo_path[0])
		sc_cmemo_save(&ui->memo, ui->memo_path, ui->o.pid); /* best effort */
	sc_cmemo_release(&ui->memo);
	sc_trace_decoder_free(ui->dec);
	sc_live_free(ui->live);
	sc_live_view_release(&ui->view);
	sc_strbuf_release(&ui->screen);
	free(ui);
}

int sc_cui_record(void *ctx, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	sc_cui *ui = ctx;
	if (!ui->o.pid)
		ui->o.pid = (pid_t)r->pid;
	sc_trace_decoder_ring(ui->dec, r);
	int ret = sc_trace_decoder_feed(ui->dec, r, rec);
	if (ret >= 0 && ui->memo_path[0])
		ret = sc_cmemo_keep(&ui->memo, r, rec);
	return ret;
}

int sc_cui_memo(sc_cui *ui, const char *path)
{
	if (snprintf(ui->memo_path, sizeof(ui->memo_path), "%s", path) >=
	    (int)sizeof(ui->memo_path)) {
		ui->memo_path[0] = 0;
		return -ENAMETOOLONG;
	}
	return sc_cmemo_load(&ui->memo, path, ui->o.pid, ui->dec);
}

void sc_cui_memo_forget(sc_cui *ui)
{
	if (ui->memo_path[0])
		unlink(ui->memo_path);
	ui->memo_path[0] = 0;
}

int sc_cui_drain_fn(void *ctx, uint32_t ring, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	(void)ring;
	return sc_cui_record(ctx, r, rec);
}

/* --- composing the screen --- */

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

static int cmp_sort;
static int span_cmp(const void *a, const void *b)
{
	const sc_live_span_row *x = *(sc_live_span_row *const *)a,
			       *y = *(sc_live_span_row *const *)b;
	double dx = 0, dy = 0;
	switch (cmp_sort) {
	case SORT_RATE:
		dx = x->rate1, dy = y->rate1;
		if (dx == dy)
			dx = x->rate10, dy = y->rate10;
		break;
	case SORT_P99:
		dx = (double)x->p99, dy = (double)y->p99;
		break;
	case SORT_TOTAL:
		dx = (double)x->total_ns, dy = (double)y->total_ns;
		break;
	case SORT_COUNT:
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

static void compose(sc_cui *ui, screen *s)
{
	const sc_live_view *v = &ui->view;
	char a[32], b[32], c[32], d[32], e[32], f[32];

	/* Header. */
	long long up = ui->uptime_ms < 0 ? 0 : ui->uptime_ms / 1000;
	line_add(s, "scorch console  ");
	line_name(s, ui->program, 0);
	fmt_count(a, sizeof(a), v->events1);
	line_add(s, "  pid %d  up %lld:%02lld:%02lld  events/s %s  lost %llu  sort: %s",
		 (int)ui->o.pid, up / 3600, up / 60 % 60, up % 60, a,
		 (unsigned long long)sc_trace_decoder_stats(ui->dec)->lost, sort_names[ui->sort]);
	/* Events whose call site this console has not seen: normal for a moment (a site's record
	 * may come a round later), lasting when a console attached before consumed the records. */
	uint64_t held = sc_trace_decoder_stats(ui->dec)->held;
	if (held)
		line_add(s, "  unnamed %llu", (unsigned long long)held);
	if (ui->paused)
		line_add(s, "  PAUSED");
	if (ui->exited) {
		line_add(s, "  ");
		line_name(s, ui->why, 0);
	}
	line_end(s, true);
	if (ui->editing || ui->filter[0]) {
		line_add(s, "filter: ");
		line_name(s, ui->filter, 0);
		line_add(s, "%s", ui->editing ? "_  (Enter: keep, Esc: clear)" : "");
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
		if (!ui->filter[0] || strstr(v->spans[i].name, ui->filter))
			rows[n++] = &v->spans[i];
	cmp_sort = ui->sort;
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

static void draw(sc_cui *ui)
{
	if (!ui->o.screen)
		return;
	term_size(ui); /* cheap, and a resize shows at the next redraw without SIGWINCH */
	sc_strbuf_reset(&ui->screen);
	screen s = {.sb = &ui->screen, .cols = ui->cols, .rows = ui->rows, .ansi = true};
	sc_strbuf_adds(&ui->screen, "\x1b[H");
	compose(ui, &s);
	sc_strbuf_release(&s.line);
	/* The last line ends without a newline (it would scroll): drop it, erase below. */
	if (ui->screen.len >= 2 && ui->screen.buf[ui->screen.len - 1] == '\n')
		ui->screen.len -= 2, ui->screen.buf[ui->screen.len] = 0;
	sc_strbuf_adds(&ui->screen, "\x1b[J");
	const char *p = sc_strbuf_cstr(&ui->screen);
	size_t len = strlen(p);
	while (len) {
		ssize_t w = write(STDOUT_FILENO, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		len -= (size_t)w;
	}
}

void sc_cui_suspend(sc_cui *ui)
{
	if (ui->o.screen)
		sc_cui_restore_terminal();
}

void sc_cui_resume(sc_cui *ui)
{
	if (ui->o.screen && enter_screen() == 0)
		draw(ui);
}

void sc_cui_redraw(sc_cui *ui)
{
	term_size(ui);
	draw(ui);
}

int sc_cui_round(sc_cui *ui, uint64_t now)
{
	if (ui->exited)
		return 0;
	int r = sc_trace_decoder_round(ui->dec);
	sc_live_open_reset(ui->live);
	if (r >= 0)
		r = sc_trace_decoder_each_open(ui->dec, now);
	if (r < 0)
		return r;
	ui->rounds++;
	if (ui->paused && ui->have_view)
		return 0;
	sc_live_view_release(&ui->view);
	r = sc_live_view_make(ui->live, now, &ui->view);
	ui->have_view = true;
	long long up = sc_cui_uptime_ms(ui->o.pid);
	if (up >= 0)
		ui->uptime_ms = up; /* else gone: the last one known */
	draw(ui);
	return r;
}

void sc_cui_exited(sc_cui *ui, const char *why)
{
	if (ui->exited)
		return;
	ui->exited = true;
	snprintf(ui->why, sizeof(ui->why), "%s", why);
	draw(ui);
}

int sc_cui_keys(sc_cui *ui)
{
	unsigned char buf[64];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	for (ssize_t i = 0; i < n; i++) {
		unsigned char k = buf[i];
		if (k == 0x1b && i + 1 < n && (buf[i + 1] == '[' || buf[i + 1] == 'O')) {
			/* An escape sequence (arrows, function keys): skipped. */
			for (i += 2; i < n && !(buf[i] >= 0x40 && buf[i] <= 0x7e); i++)
				;
			continue;
		}
		if (k == 3 || k == 4)
			return 1;
		if (ui->editing) {
			size_t len = strlen(ui->filter);
			if (k == '\r' || k == '\n') {
				ui->editing = false;
			} else if (k == 0x1b) {
				ui->editing = false;
				ui->filter[0] = 0;
			} else if (k == 0x7f || k == 8) {
				while (len && ((unsigned char)ui->filter[len - 1] & 0xc0) == 0x80)
					len--;
				if (len)
					ui->filter[len - 1] = 0;
			} else if (k >= 0x20 && len + 1 < sizeof(ui->filter)) {
				ui->filter[len] = (char)k;
				ui->filter[len + 1] = 0;
			}
			continue;
		}
		switch (k) {
		case 'q':
		case 'Q':
			return 1;
		case 's':
			ui->sort = (ui->sort + 1) % NSORTS;
			break;
		case '/':
			ui->editing = true;
			ui->filter[0] = 0;
			break;
		case 0x1b:
			ui->filter[0] = 0;
			break;
		case 'p':
		case ' ':
			ui->paused = !ui->paused;
			break;
		default:
			break;
		}
	}
	draw(ui);
	return 0;
}

static int wait_pipe[2] = {-1, -1};
static volatile sig_atomic_t wait_quit, wait_winch;

static void on_wait_signal(int sig)
{
	int e = errno;
	if (sig == SIGWINCH)
		wait_winch = 1;
	else
		wait_quit = 1;
	char c = 0;
	ssize_t w = write(wait_pipe[1], &c, 1);
	(void)w;
	errno = e;
}

void sc_cui_wait_quit(sc_cui *ui)
{
	if (!ui->o.screen || pipe2(wait_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return;
	const int sigs[4] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
	struct sigaction sa = {.sa_handler = on_wait_signal}, old[4];
	wait_quit = wait_winch = 0;
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	while (!wait_quit) {
		struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
				      {.fd = wait_pipe[0], .events = POLLIN}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		char buf[16];
		while (p[1].revents && read(wait_pipe[0], buf, sizeof(buf)) > 0)
			;
		if (wait_winch) {
			wait_winch = 0;
			sc_cui_redraw(ui);
		}
		if ((p[0].revents & POLLIN) && sc_cui_keys(ui))
			break;
		if (p[0].revents & (POLLHUP | POLLERR))
			break;
	}
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	close(wait_pipe[0]);
	close(wait_pipe[1]);
}

void sc_cui_take_terminal(void)
{
	if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) == getpgrp())
		return;
	sigset_t ttou, old;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	tcsetpgrp(STDIN_FILENO, getpgrp());
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int sc_cui_print(sc_cui *ui, FILE *f)
{
	sc_strbuf sb = {0};
	screen s = {.sb = &sb, .cols = 1000, .rows = 100000, .ansi = false};
	compose(ui, &s);
	sc_strbuf_release(&s.line);
	int r = fputs(sc_strbuf_cstr(&sb), f) < 0 ? -EIO : 0;
	sc_strbuf_release(&sb);
	return r;
}
