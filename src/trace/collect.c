/*
 * collect.c: running an instrumented command and draining its trace events. See collect.h.
 */
#include "trace/collect.h"

#include "record/agentfile.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct run {
	sc_trace_collect *c;
	sc_agentfile f;
};

static int on_record(void *ctx, uint32_t ring, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	sc_trace_collect *c = ctx;
	(void)ring;
	int ret = sc_trace_decoder_feed(c->dec, r, rec);
	return ret < 0 || !c->record ? ret : c->record(c->ctx, r, rec);
}

static int round_cb(void *ctx, bool last)
{
	struct run *run = ctx;
	sc_trace_collect *c = run->c;
	for (uint32_t i = 0; i < run->f.nrings; i++) {
		sc_agent_ring *ring = sc_agentfile_ring(&run->f, i);
		uint32_t state =
		    atomic_load_explicit((_Atomic uint32_t *)&ring->state, memory_order_acquire);
		if (state != SC_AGENT_RING_OWNED && state != SC_AGENT_RING_CLOSED)
			continue;
		/* Its lost count before the drain: a drained CLOSED ring is freed (and zeroed). */
		sc_trace_decoder_ring(c->dec, ring);
		/* Threads that are gone (a killed process) are reclaimed: every round, since a
		 * process of the command may die at any time and its rings are wanted by others. */
		int r = sc_agentfile_drain(&run->f, i, true, on_record, c);
		if (r < 0)
			return r;
	}
	int r = sc_trace_decoder_round(c->dec);
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
