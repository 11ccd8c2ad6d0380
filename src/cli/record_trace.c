/*
 * record_trace.c: `scorch record --trace`. See record_trace.h.
 */
#include "cli/record_trace.h"

#include "cli/commands.h"
#include "formats/chrome.h"
#include "formats/chrome_trace.h"
#include "formats/pprof.h"
#include "trace/stats.h"
#include "util/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int sc_record_trace_start(sc_record_trace *t)
{
	memset(t, 0, sizeof(*t));
	char err[512] = "";
	t->m = sc_trace_model_new();
	if (!t->m) {
		sc_cli_error("record", -ENOMEM, "--trace: cannot start");
		return -1;
	}
	int r = sc_trace_side_start(&t->side, sc_trace_model_decoder(t->m), 0, err, sizeof(err));
	if (r < 0) {
		sc_cli_error("record", 0, "--trace: %s", err);
		return -1;
	}
	return 0;
}

/* The spans as the profile's intervals, drawn on flamegraph.html's timeline tracks. */
static int add_intervals(const sc_trace_model *m, sc_profile *p)
{
	for (size_t i = 0; i < m->spans.len; i++) {
		const sc_trace_span_rec *s = &m->spans.data[i];
		if (sc_profile_add_interval(p, s->pid, s->tid, s->start, s->end, s->depth,
					    s->site->name,
					    sc_trace_model_thread_name(m, s->pid, s->tid)) < 0)
			return -ENOMEM;
	}
	return 0;
}

int sc_record_trace_stop(sc_record_trace *t, sc_profile *p)
{
	if (t->stopped || !t->side)
		return 0;
	t->stopped = true;
	int r = sc_trace_side_stop(t->side, &t->res);
	t->side = NULL;
	if (r == 0)
		r = sc_trace_model_finish(t->m);
	if (r == 0 && p)
		r = add_intervals(t->m, p);
	if (r < 0) {
		sc_cli_error("record", r, "--trace: reading the trace events failed");
		return -1;
	}
	return 0;
}

static int more(void *ctx, sc_strbuf *out, size_t *nevents)
{
	/* The spans are the profile's intervals, which chrome.c writes: the rest here. */
	const sc_record_trace *t = ctx;
	int r = sc_chrome_trace_events(t->m, SC_CHROME_SPAN_TID, false, out, nevents);
	return r == 0 && t->also ? t->also(t->also_ctx, out, nevents) : r;
}

struct writing {
	const sc_trace_model *m;
	const sc_profile *p;
	const sc_chrome_options *co;
	const sc_trace_info *info;
};

static const char *const names[] = {"trace.json", "spans.txt", "spans.json", "spans.pb.gz"};

static int write_one(FILE *f, size_t i, void *ctx)
{
	const struct writing *w = ctx;
	switch (i) {
	case 0:
		return sc_chrome_write(w->p, w->co, f);
	case 1:
		return sc_trace_write_text(w->m, w->info, 0, f);
	case 2:
		return sc_trace_write_json(w->m, w->info, f);
	default:
		return sc_pprof_write_stream(w->m->profile, f);
	}
}

int sc_record_trace_write(sc_record_trace *t, const sc_outdir *dir, const sc_profile *p, int type,
			  const char *name, char *const *argv, bool quiet)
{
	if (!t->m || !t->stopped)
		return 0;
	const sc_trace_stats *st = sc_trace_decoder_stats(t->m->dec);
	if (!t->res.processes && !st->records) {
		sc_cli_error("record", 0,
			     "--trace: no trace events: does %s link libscorch (-lscorch, "
			     "include/scorch/trace.h)?",
			     argv && argv[0] ? argv[0] : "the command");
		return -1;
	}
	char command[1024] = "";
	for (size_t i = 0, used = 0; argv && argv[i] && used + 1 < sizeof(command); i++) {
		int w =
		    snprintf(command + used, sizeof(command) - used, "%s%s", i ? " " : "", argv[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	sc_trace_info info = {.command = command, .lost = t->res.lost};
	sc_chrome_options co = {.type = type, .name = name, .more = more, .more_ctx = t};
	struct writing w = {t->m, p, &co, &info};
	size_t bad = 0;
	int r = sc_afile_write_set(dir->path.buf, names, sizeof(names) / sizeof(names[0]),
				   write_one, &w, &bad);
	if (r < 0) {
		sc_cli_error("record", r, "--trace: cannot write '%s/%s'", dir->path.buf,
			     names[bad]);
		return -1;
	}
	if (t->res.lost)
		fprintf(stderr,
			"scorch record: --trace: %llu trace events lost (a thread's ring was "
			"full): scorch trace --buffer takes bigger rings\n",
			(unsigned long long)t->res.lost);
	if (!quiet) {
		uint64_t spans = 0;
		for (size_t i = 0; i < t->m->names.len; i++)
			spans += t->m->names.data[i].count;
		fprintf(stderr,
			"scorch record: --trace: %llu spans of %zu names; wrote "
			"%s/{trace.json,spans.txt,spans.json,spans.pb.gz}\n",
			(unsigned long long)spans, t->m->names.len, dir->path.buf);
	}
	return 0;
}

void sc_record_trace_release(sc_record_trace *t)
{
	if (t->side) {
		sc_trace_side_result res;
		sc_trace_side_stop(t->side, &res);
		t->side = NULL;
	}
	sc_trace_model_free(t->m);
	t->m = NULL;
}
