/*
 * trace.c: `scorch trace`, the spans, counters and marks of a program instrumented with
 * scorch/trace.h (linked with -lscorch), collected while it runs.
 *
 * Flow: parse options -> collect() runs the command (src/trace/collect.h: the agent file named
 * in its environment, no LD_PRELOAD) and drains its rings into the model's decoder every round,
 * calling the round callback it is given (none here; `--live` draws the console from it) ->
 * sc_trace_model_finish -> the outputs as one set in the output folder: trace.json (Chrome trace
 * format), spans.txt and spans.json (statistics), spans.pb.gz (a profile of spans) and
 * flamegraph.html from it -> the busiest spans on standard output, problems on standard error.
 *
 * Exit status: the command's (128 + signal when killed, 127/126 when it cannot be run), 1 when
 * scorch failed or the command wrote no trace event (it does not link libscorch), 2 for bad
 * options.
 */
#include "cli/commands.h"
#include "cli/consoleui.h"
#include "cli/options.h"
#include "formats/chrome_trace.h"
#include "formats/pprof.h"
#include "report/flamegraph.h"
#include "session/outdir.h"
#include "trace/collect.h"
#include "trace/model.h"
#include "trace/stats.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const usage[] = {
    "scorch trace [options] -- COMMAND [ARGS...]",
    NULL,
};

static const char *const examples[] = {
    "scorch trace -- ./server 8080",
    "scorch trace -o trace-out --duration 10 -- ./game",
    "scorch trace --buffer 16M -- ./busy-loop",
    "scorch trace --live -- ./server",
    NULL,
};

/* The outputs, in the order they are written. */
static const char *const file_names[] = {"trace.json", "spans.txt", "spans.json", "spans.pb.gz",
					 "flamegraph.html"};
#define NFILES (sizeof(file_names) / sizeof(file_names[0]))

struct writing {
	const sc_trace_model *m;
	const sc_trace_info *info;
	const sc_flamegraph_options *fo;
};

static int write_one(FILE *f, size_t i, void *ctx)
{
	const struct writing *w = ctx;
	switch (i) {
	case 0:
		return sc_chrome_trace_write(w->m, f);
	case 1:
		return sc_trace_write_text(w->m, w->info, 0, f);
	case 2:
		return sc_trace_write_json(w->m, w->info, f);
	case 3:
		return sc_pprof_write_stream(w->m->profile, f);
	default:
		return sc_flamegraph_write_html(w->m->profile, w->fo, f);
	}
}

/* "1M", "256K", "4096": bytes per ring, rounded up to a power of two, 4 KiB to 1 GiB. */
static int parse_buffer(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-')
		return -1;
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v < 1 || v > (1ull << 30) >> shift)
		return -1;
	v <<= shift;
	if (v < 4096)
		return -1;
	uint64_t p = 4096;
	while (p < v)
		p <<= 1;
	*out = (uint32_t)p;
	return 0;
}

/* --live: the console (consoleui.h) fed by the same drain, redrawn every LIVE_MS; the keys read
 * every round. The session hands the terminal to the command; the console takes it back at the
 * first round, since it reads the keys. q closes the console (tracing goes on). */
#define LIVE_MS 500
struct live {
	sc_cui *ui;
	uint64_t next;
	bool took_tty, closed;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int live_record(void *ctx, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	struct live *lv = ctx;
	return lv->closed ? 0 : sc_cui_record(lv->ui, r, rec);
}

static int live_round(void *ctx, bool last)
{
	struct live *lv = ctx;
	if (lv->closed)
		return 0;
	if (!lv->took_tty) {
		sc_cui_take_terminal();
		lv->took_tty = true;
	}
	uint64_t now = now_ns();
	if (last || now >= lv->next) {
		int r = sc_cui_round(lv->ui, now);
		if (r < 0)
			return r;
		lv->next = now + LIVE_MS * 1000000ull;
	}
	if (sc_cui_keys(lv->ui)) {
		sc_cui_restore_terminal();
		lv->closed = true;
		fprintf(stderr, "scorch trace: console closed; tracing goes on until the command "
				"ends (Ctrl-C stops it)\n");
	}
	return 0;
}

/* Runs the command and drains its events into `m`'s decoder; `round` (may be NULL) after each
 * round, with `ctx`: the live console's hook. Results in *c. */
static int collect(char *const *argv, double duration, uint32_t ring_bytes, uint32_t nrings,
		   sc_trace_model *m, struct live *lv, sc_trace_collect *c)
{
	memset(c, 0, sizeof(*c));
	c->argv = argv;
	c->duration = duration;
	c->ring_bytes = ring_bytes;
	c->nrings = nrings;
	c->dec = sc_trace_model_decoder(m);
	c->p = m->profile;
	if (lv) {
		c->round = live_round;
		c->record = live_record;
		c->ctx = lv;
	}
	return sc_trace_collect_run(c);
}

static void command_line(char *const *argv, char *buf, size_t size)
{
	buf[0] = 0;
	for (size_t i = 0, used = 0; argv[i] && used + 1 < size; i++) {
		int w = snprintf(buf + used, size - used, "%s%s", i ? " " : "", argv[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* What happened to the command, when it did not simply exit 0. */
static void say_status(const sc_trace_collect *c)
{
	if (!c->exited || c->stopped)
		return;
	if (WIFSIGNALED(c->wait_status)) {
		int sig = WTERMSIG(c->wait_status);
		fprintf(stderr,
			"scorch trace: the command was killed by signal %d (%s); the events it "
			"wrote before are kept\n",
			sig, strsignal(sig));
	}
}

int cmd_trace(int argc, char **argv)
{
	const char *outdir = NULL, *buffer = NULL;
	int top = 10, rings = 0;
	double duration = 0;
	bool quiet = false, live = false;
	sc_option opts[] = {
	    SC_OPT_STR('o', "output", &outdir, "DIR",
		       "output folder (default scorch-out/trace-COMMAND-TIMESTAMP)"),
	    SC_OPT_DOUBLE_RANGE(0, "duration", &duration, "SECONDS", 0, 1e9,
				"stop after SECONDS (default: when the command exits)"),
	    SC_OPT_STR(0, "buffer", &buffer, "SIZE",
		       "each thread's ring of events, e.g. 4M (default 1M; rounded up to a power "
		       "of two, 4K to 1G): raise it when events are lost"),
	    SC_OPT_INT_RANGE(0, "rings", &rings, "N", 1, 65536,
			     "rings, one per thread alive at once (default 128): raise it when "
			     "threads find none free"),
	    SC_OPT_INT_RANGE('n', "top", &top, "N", 0, 1000,
			     "span names shown in the summary (default 10)"),
	    SC_OPT_FLAG('q', "quiet", &quiet, "print no summary"),
	    SC_OPT_FLAG(0, "live", &live,
			"show the live console while the command runs (keys as in scorch "
			"console); the outputs are written at the end as usual"),
	    SC_OPT_END(),
	};
	int argi = sc_options_parse("trace", usage, opts, examples, argc, argv);
	if (argi == SC_OPTIONS_HELP)
		return 0;
	if (argi < 0)
		return 2;
	if (argi >= argc) {
		sc_cli_error("trace", 0, "no command to trace (usage: scorch trace -- COMMAND)");
		return 2;
	}
	uint32_t ring_bytes = 0;
	if (buffer && parse_buffer(buffer, &ring_bytes) < 0) {
		sc_cli_error("trace", 0,
			     "--buffer must be a size in bytes with an optional K, M or G "
			     "(1024-based), from 4K to 1G, not '%s'",
			     buffer);
		return 2;
	}
	char *const *cmd = argv + argi;
	if (live && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		sc_cli_error("trace", 0, "--live needs a terminal (standard input and output)");
		return 2;
	}

	int rc = 1;
	sc_outdir dir = {0};
	sc_trace_model *m = sc_trace_model_new();
	if (!m) {
		sc_cli_error("trace", -ENOMEM, "cannot start");
		goto out;
	}
	const char *base = strrchr(cmd[0], '/');
	char name[160];
	snprintf(name, sizeof(name), "trace-%s", base ? base + 1 : cmd[0]);
	int r =
	    outdir ? sc_outdir_make(&dir, outdir) : sc_outdir_make_dated(&dir, "scorch-out", name);
	if (r < 0) {
		sc_cli_error("trace", r, "cannot create output folder '%s'",
			     dir.path.buf ? dir.path.buf : outdir);
		goto out;
	}
	if (sc_profile_add_command_comment(m->profile, cmd) < 0 ||
	    sc_profile_add_host_comment(m->profile) < 0) {
		sc_cli_error("trace", -ENOMEM, "cannot start");
		goto out;
	}
	sc_trace_collect c;
	struct live lv = {0};
	if (live) {
		sc_cui_options o = {.program = base ? base + 1 : cmd[0], .screen = true};
		if (!(lv.ui = sc_cui_new(&o))) {
			sc_cli_error("trace", errno, "cannot set up the live console");
			goto out;
		}
	}
	r = collect(cmd, duration, ring_bytes, (uint32_t)rings, m, live ? &lv : NULL, &c);
	if (lv.ui && !lv.closed && r >= 0) {
		sc_cui_exited(lv.ui, "program exited (q: write the outputs)");
		sc_cui_wait_quit(lv.ui);
	}
	sc_cui_free(lv.ui);
	if (r < 0) {
		if (c.exec_errno) {
			sc_cli_error("trace", c.exec_errno, "cannot run '%s'", cmd[0]);
			rc = c.exec_errno == ENOENT ? 127 : 126;
		} else if (c.err[0]) {
			sc_cli_error("trace", 0, "%s", c.err);
		} else {
			sc_cli_error("trace", r, "tracing failed");
		}
		goto out;
	}
	rc = sc_cli_exit_status(c.exited, c.wait_status);
	m->root_pid = c.pid;
	m->root_name = base ? base + 1 : cmd[0];
	if ((r = sc_trace_model_finish(m)) < 0) {
		sc_cli_error("trace", r, "cannot analyse the events");
		rc = 1;
		goto out;
	}
	say_status(&c);
	const sc_trace_stats *st = sc_trace_decoder_stats(m->dec);
	if (!c.processes && !st->records) {
		sc_cli_error("trace", 0,
			     "no trace events: does %s link libscorch (-lscorch, "
			     "include/scorch/trace.h)? A program that does not, or a static one "
			     "built without it, cannot be traced",
			     cmd[0]);
		if (!rc)
			rc = 1;
		goto out;
	}
	char command[1024];
	command_line(cmd, command, sizeof(command));
	sc_trace_info info = {.command = command, .lost = c.lost, .seconds = c.seconds};
	char title[1100];
	snprintf(title, sizeof(title), "scorch trace: %s", command);
	sc_flamegraph_options fo = {.title = title, .type = 0};
	struct writing w = {m, &info, &fo};
	size_t bad = 0;
	r = sc_afile_write_set(dir.path.buf, file_names, NFILES, write_one, &w, &bad);
	if (r < 0) {
		sc_cli_error("trace", r, "cannot write '%s/%s'", dir.path.buf, file_names[bad]);
		rc = 1;
		goto out;
	}
	if (c.lost > c.lost_no_ring) {
		uint32_t rb = ring_bytes ? ring_bytes : SC_TRACE_RING_BYTES;
		fprintf(
		    stderr,
		    "scorch trace: %llu events lost (a thread's ring was full): rerun with a "
		    "bigger --buffer (now %u%s per thread); spans around the gaps may be missing\n",
		    (unsigned long long)(c.lost - c.lost_no_ring),
		    rb >= 1u << 20 ? rb >> 20 : rb >> 10, rb >= 1u << 20 ? "M" : "K");
	}
	if (c.lost_no_ring)
		fprintf(
		    stderr,
		    "scorch trace: %llu events lost by threads that found no free ring (more than "
		    "%d threads at once): rerun with more --rings\n",
		    (unsigned long long)c.lost_no_ring, rings ? rings : (int)SC_TRACE_NRINGS);
	if (c.processes && c.note[0] && strstr(c.note, "no process") == NULL)
		fprintf(stderr, "scorch trace: %s\n", c.note);
	if (!st->records)
		fprintf(stderr, "scorch trace: %s loaded libscorch but wrote no trace event\n",
			cmd[0]);
	if (!quiet) {
		sc_trace_write_text(m, &info, (size_t)top, stdout);
		printf("\nscorch trace: wrote %s/{trace.json,spans.txt,spans.json,spans.pb.gz,"
		       "flamegraph.html}\n",
		       dir.path.buf);
	}
out:
	sc_outdir_remove_if_empty(&dir);
	sc_outdir_release(&dir);
	sc_trace_model_free(m);
	return rc;
}
