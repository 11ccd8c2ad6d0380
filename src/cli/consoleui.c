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

#include "cli/consoleview.h"
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
	uint64_t catalog_pos; /* bytes of the file's catalogue read */
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
	return sc_trace_decoder_feed(ui->dec, r, rec);
}

int sc_cui_catalog(sc_cui *ui, const sc_agent_header *h, uint64_t file_bytes)
{
	return sc_trace_decoder_catalog(ui->dec, h, file_bytes, &ui->catalog_pos);
}

int sc_cui_drain_fn(void *ctx, uint32_t ring, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	(void)ring;
	return sc_cui_record(ctx, r, rec);
}

/* The screen's text (consoleview.h) for the current state. */
static void compose(const sc_cui *ui, sc_strbuf *out, int rows, int cols, bool ansi)
{
	const sc_trace_stats *stats = sc_trace_decoder_stats(ui->dec);
	sc_cview st = {.view = &ui->view,
		       .program = ui->program,
		       .pid = ui->o.pid,
		       .uptime_ms = ui->uptime_ms,
		       .lost = stats->lost,
		       .held = stats->held,
		       .sort = ui->sort,
		       .filter = ui->filter,
		       .editing = ui->editing,
		       .paused = ui->paused,
		       .exited = ui->exited,
		       .why = ui->why};
	sc_cview_compose(&st, out, rows, cols, ansi);
}

static void draw(sc_cui *ui)
{
	if (!ui->o.screen)
		return;
	term_size(ui); /* cheap, and a resize shows at the next redraw without SIGWINCH */
	sc_strbuf_reset(&ui->screen);
	sc_strbuf_adds(&ui->screen, "\x1b[H");
	compose(ui, &ui->screen, ui->rows, ui->cols, true);
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
			ui->sort = (ui->sort + 1) % SC_CVIEW_NSORTS;
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
	compose(ui, &sb, 100000, 1000, false);
	int r = fputs(sc_strbuf_cstr(&sb), f) < 0 ? -EIO : 0;
	sc_strbuf_release(&sb);
	return r;
}
