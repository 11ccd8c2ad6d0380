/*
 * collect.c: running an instrumented command and draining its trace events. See collect.h.
 */
#include "trace/collect.h"

#include "record/agentfile.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct run {
	sc_trace_collect *c;
	sc_agentfile f;
};

/* Where the drained records go: the decoder, then `record` (may be NULL) with ctx. */
struct feed {
	sc_trace_decoder *dec;
	int (*record)(void *ctx, const sc_agent_ring *r, const sc_agent_rec *rec);
	void *ctx;
};

static int on_record(void *ctx, uint32_t ring, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	const struct feed *fd = ctx;
	(void)ring;
	int ret = sc_trace_decoder_feed(fd->dec, r, rec);
	return ret < 0 || !fd->record ? ret : fd->record(fd->ctx, r, rec);
}

/* Drains every ring of `f` into fd (the lost counts noted first), then the decoder's round. */
static int drain_all(sc_agentfile *f, const struct feed *fd)
{
	sc_trace_decoder *dec = fd->dec;
	for (uint32_t i = 0; i < f->nrings; i++) {
		sc_agent_ring *ring = sc_agentfile_ring(f, i);
		uint32_t state =
		    atomic_load_explicit((_Atomic uint32_t *)&ring->state, memory_order_acquire);
		if (state != SC_AGENT_RING_OWNED && state != SC_AGENT_RING_CLOSED)
			continue;
		/* Its lost count before the drain: a drained CLOSED ring is freed (and zeroed). */
		sc_trace_decoder_ring(dec, ring);
		/* Threads that are gone (a killed process) are reclaimed: every round, since a
		 * process of the command may die at any time and its rings are wanted by others. */
		int r = sc_agentfile_drain(f, i, true, on_record, (void *)fd);
		if (r < 0)
			return r;
	}
	return sc_trace_decoder_round(dec);
}

static int round_cb(void *ctx, bool last)
{
	struct run *run = ctx;
	sc_trace_collect *c = run->c;
	struct feed fd = {c->dec, c->record, c->ctx};
	int r = drain_all(&run->f, &fd);
	if (r < 0)
		return r;
	return c->round ? c->round(c->ctx, last) : 0;
}

int sc_trace_collect_run(sc_trace_collect *c)
{
	c->err[0] = c->note[0] = 0;
	if (!c->argv || !c->argv[0] || !c->dec || !c->p) {
		snprintf(c->err, sizeof(c->err), "nothing to run");
		return -EINVAL;
	}
	uint32_t bytes = c->ring_bytes ? c->ring_bytes : SC_TRACE_RING_BYTES;
	if (bytes & (bytes - 1) || bytes < 4096) {
		snprintf(c->err, sizeof(c->err), "ring size %u is not a power of two >= 4096",
			 bytes);
		return -EINVAL;
	}
	struct run run = {.c = c, .f = {.fd = -1}};
	int ret = sc_agentfile_create(&run.f, c->nrings ? c->nrings : SC_TRACE_NRINGS, bytes,
				      c->err, sizeof(c->err));
	if (ret < 0)
		return ret;
	sc_agent_header *hdr = run.f.hdr;
	hdr->minor = SC_AGENT_MINOR;
	hdr->scorch_pid = (uint32_t)getpid();
	sc_agentfile_run ar = {.argv = c->argv,
			       .lib = NULL,
			       .duration = c->duration,
			       .poll_ms = c->poll_ms ? c->poll_ms : 20,
			       .p = c->p,
			       .round = round_cb,
			       .ctx = &run};
	ret = sc_agentfile_run_command(&run.f, &ar);
	if (ar.err[0])
		snprintf(c->err, sizeof(c->err), "%s", ar.err);
	c->exec_errno = ar.exec_errno;
	c->pid = (uint32_t)ar.sess.pid;
	c->exited = ar.sess.exited;
	c->killed = ar.sess.killed;
	c->stopped = ar.sess.stopped;
	c->wait_status = ar.sess.wait_status;
	c->seconds = ar.seconds;
	c->processes = atomic_load((_Atomic uint32_t *)&hdr->processes);
	c->lost_no_ring = atomic_load((_Atomic uint64_t *)&hdr->lost_no_ring);
	c->lost = sc_trace_decoder_stats(c->dec)->lost + c->lost_no_ring;
	sc_agentfile_note(&run.f, c->note, sizeof(c->note));
	sc_agentfile_close(&run.f);
	return ret;
}

struct sc_trace_side {
	sc_agentfile f;
	sc_trace_decoder *dec;
	pthread_t thread;
	_Atomic int stop;
	int err; /* the drain's first error (the thread stops draining then) */
};

static void *side_main(void *arg)
{
	sc_trace_side *s = arg;
	while (!atomic_load(&s->stop)) {
		struct feed fd = {s->dec, NULL, NULL};
		int r = s->err ? 0 : drain_all(&s->f, &fd);
		if (r < 0)
			s->err = r;
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int sc_trace_side_start(sc_trace_side **out, sc_trace_decoder *dec, uint32_t ring_bytes, char *err,
			size_t errsize)
{
	*out = NULL;
	sc_trace_side *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errsize, "out of memory");
		return -ENOMEM;
	}
	s->dec = dec;
	s->f.fd = -1;
	int r = sc_agentfile_create(&s->f, SC_TRACE_NRINGS,
				    ring_bytes ? ring_bytes : SC_TRACE_RING_BYTES, err, errsize);
	if (r < 0)
		goto fail;
	s->f.hdr->minor = SC_AGENT_MINOR;
	s->f.hdr->scorch_pid = (uint32_t)getpid();
	if (setenv(SC_AGENT_ENV_FILE, s->f.path, 1) < 0) {
		r = -errno;
		snprintf(err, errsize, "cannot set %s: %s", SC_AGENT_ENV_FILE, strerror(errno));
		goto fail;
	}
	/* Signals are the main thread's business (the recorder's stopping policy). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&s->thread, NULL, side_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		snprintf(err, errsize, "cannot start the thread that reads trace events: %s",
			 strerror(-r));
		unsetenv(SC_AGENT_ENV_FILE);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	sc_agentfile_close(&s->f);
	free(s);
	return r;
}

int sc_trace_side_stop(sc_trace_side *s, sc_trace_side_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!s)
		return 0;
	atomic_store(&s->stop, 1);
	pthread_join(s->thread, NULL);
	unsetenv(SC_AGENT_ENV_FILE);
	struct feed fd = {s->dec, NULL, NULL};
	int r = s->err ? s->err : drain_all(&s->f, &fd);
	sc_agent_header *hdr = s->f.hdr;
	res->processes = atomic_load((_Atomic uint32_t *)&hdr->processes);
	res->lost_no_ring = atomic_load((_Atomic uint64_t *)&hdr->lost_no_ring);
	res->lost = sc_trace_decoder_stats(s->dec)->lost + res->lost_no_ring;
	sc_agentfile_close(&s->f);
	free(s);
	return r;
}
