/*
 * sigrec.c: the signal backend's side in scorch: the shared file, the launch with the agent
 * preloaded, draining the rings, and the profile. See sigrec.h; the agent is src/agent/cpu.c and
 * the file's format src/agent/stream.h.
 *
 * The shared file (agentfile.h) has NRINGS rings of RING_BYTES: room for 1000 samples a second of
 * 127 frames per thread for a second or more between two drains. Rings are reclaimed every
 * RECLAIM_ROUNDS rounds (threads gone). Each claim of a ring is a stream with an address-space
 * table of its own (keyed by the stream number), filled by its MAP records.
 */
#include "record/sigrec.h"

#include "agent/stream.h"
#include "record/agentfile.h"
#include "record/events.h"
#include "record/addrspace.h"
#include "record/sample.h"
#include "session/session.h"
#include "util/strbuf.h"
#include "util/vec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NRINGS	       256u
#define RING_BYTES     (1u << 19)
#define POLL_MS	       50
#define RECLAIM_ROUNDS 20

struct sigrec {
	const sc_record_options *o;
	sc_profile *p;
	sc_record_result *r;
	sc_addrspace as;
	sc_sample_decoder dec;
	sc_agentfile f;
	unsigned rounds;
	SC_VEC(uint64_t) pcs;
};

int sc_record_signal_agent(char *buf, size_t size)
{
	return sc_agentfile_lib("libscorch-cpu.so", buf, size);
}

/* Creates the shared file and fills its header from the options. */
static int make_file(struct sigrec *s)
{
	int r = sc_agentfile_create(&s->f, NRINGS, RING_BYTES, s->r->err, sizeof(s->r->err));
	if (r < 0)
		return r;
	sc_agent_header *h = s->f.hdr;
	h->interval_ns =
	    s->o->count > 0 ? (uint64_t)s->o->count : 1000000000ull / (uint64_t)s->o->frequency;
	if (!h->interval_ns)
		h->interval_ns = 1;
	h->max_depth = (uint32_t)s->o->max_depth;
	h->unwind = s->o->callgraph == SC_RECORD_CG_FP	    ? SC_AGENT_UNWIND_FP
		    : s->o->callgraph == SC_RECORD_CG_DWARF ? SC_AGENT_UNWIND_DWARF
							    : SC_AGENT_UNWIND_AUTO;
	h->flags = s->o->inherit ? 0 : SC_AGENT_NO_INHERIT;
	h->signo = SIGPROF;
	return 0;
}

/* One record of stream `ring` (its pid and tid). */
static int on_record(void *ctx, uint32_t i, const sc_agent_ring *ring, const sc_agent_rec *rec)
{
	struct sigrec *s = ctx;
	(void)i;
	uint32_t stream = ring->stream;
	const unsigned char *body = (const unsigned char *)(rec + 1);
	size_t len = rec->size - sizeof(*rec);
	switch (rec->type) {
	case SC_AGENT_REC_SAMPLE: {
		const sc_agent_sample *smp = (const sc_agent_sample *)body;
		if (len < sizeof(*smp) || smp->nframes == 0 ||
		    smp->nframes > (len - sizeof(*smp)) / 8) {
			s->f.corrupt++;
			return 0;
		}
		if (sc_vec_reserve(&s->pcs, smp->nframes) < 0) {
			return -ENOMEM;
		}
		memcpy(s->pcs.data, smp + 1, 8u * smp->nframes);
		sc_sample_stop stop =
		    smp->stop == SC_AGENT_STOP_END_OF_STACK ? SC_SAMPLE_STOP_END_OF_STACK
		    : smp->stop == SC_AGENT_STOP_NO_MAPPING ? SC_SAMPLE_STOP_NO_MAPPING
		    : smp->stop == SC_AGENT_STOP_NO_RULE    ? SC_SAMPLE_STOP_NO_RULE
							    : SC_SAMPLE_STOP_COMPLETE;
		sc_sample_store_pcs(&s->dec, stream, ring->pid, ring->tid, smp->time, s->pcs.data,
				    smp->nframes, smp->weight, stop);
		break;
	}
	case SC_AGENT_REC_MAP:
		return sc_agentfile_map(&s->f, &s->as, stream, ring->pid, rec);
	case SC_AGENT_REC_COMM: {
		const sc_agent_comm *c = (const sc_agent_comm *)body;
		if (len < sizeof(*c)) {
			s->f.corrupt++;
			return 0;
		}
		sc_sample_set_name(&s->dec, ring->tid, c->name, sizeof(c->name));
		break;
	}
	default:
		s->f.corrupt++;
		break;
	}
	return s->dec.err;
}

static int round_cb(void *ctx, bool last)
{
	struct sigrec *s = ctx;
	bool reclaim = last || ++s->rounds % RECLAIM_ROUNDS == 0;
	for (uint32_t i = 0; i < NRINGS; i++) {
		int r = sc_agentfile_drain(&s->f, i, reclaim, on_record, s);
		if (r < 0)
			return r;
	}
	return sc_sample_err(&s->dec);
}

static int add_metadata(struct sigrec *s)
{
	sc_profile *p = s->p;
	if (sc_profile_add_sample_type(p, "samples", "count") < 0 ||
	    sc_profile_add_sample_type(p, "cpu", "nanoseconds") < 0)
		return -ENOMEM;
	int64_t t = sc_profile_intern(p, "cpu"), u = sc_profile_intern(p, "nanoseconds");
	if (t < 0 || u < 0)
		return -ENOMEM;
	p->period_type = (sc_value_type){(sc_str)t, (sc_str)u};
	p->default_sample_type = (sc_str)t;
	p->period = (int64_t)s->f.hdr->interval_ns;
	if (sc_profile_add_command_comment(p, s->o->argv) < 0 ||
	    sc_profile_add_comment(p, "event: cpu-clock (signal backend: a timer on each thread's "
				      "CPU time, user space only)") < 0 ||
	    sc_profile_add_host_comment(p) < 0)
		return -ENOMEM;
	return 0;
}

static int check_options(const sc_record_options *o, sc_record_result *r)
{
	if (!o->argv || !o->argv[0])
		return sc_rec_fail(
		    r, -EINVAL,
		    "the signal backend records a command it starts (-- COMMAND): it cannot "
		    "attach to running processes (-p, -t) or sample all CPUs (-a)");
	if (o->system_wide)
		return sc_rec_fail(r, -EINVAL, "the signal backend cannot sample all CPUs (-a)");
	if (o->mode != SC_RECORD_MODE_CPU)
		return sc_rec_fail(
		    r, -EINVAL,
		    "the signal backend samples CPU time only (--mode cpu); off-CPU and "
		    "wall modes need perf events");
	bool time = false;
	const char *ev = o->event ? sc_record_event_canonical(o->event, &time, NULL) : "cpu-clock";
	if (!ev || (strcmp(ev, "cpu-clock") && strcmp(ev, "task-clock")))
		return sc_rec_fail(
		    r, -EINVAL,
		    "the signal backend samples cpu-clock (each thread's CPU time), not "
		    "'%s'",
		    o->event);
	if (o->frequency < 1 || o->max_depth < 1 || o->count < 0)
		return sc_rec_fail(r, -EINVAL, "invalid recording options");
	return 0;
}

/* After the loop: the files deleted meanwhile. */
static int finish(void *ctx)
{
	struct sigrec *s = ctx;
	return sc_addrspace_finish(&s->as, &s->r->gone, &s->r->ngone);
}

int sc_record_signal_run(const sc_record_options *o, const char *agent, sc_profile *p,
			 sc_record_result *r)
{
	memset(r, 0, sizeof(*r));
	int ret = check_options(o, r);
	if (ret < 0)
		return ret;
	if (p->nsample_types || p->samples.len)
		return sc_rec_fail(r, -EINVAL, "the profile to record into is not empty");
	struct sigrec s = {.o = o, .p = p, .r = r, .f = {.fd = -1}};
	sc_addrspace_init(&s.as, p);
	if (sc_sample_init(&s.dec, p, &s.as, (size_t)o->max_depth) < 0) {
		ret = sc_rec_fail(r, -ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = make_file(&s)) < 0)
		goto out;
	if ((ret = add_metadata(&s)) < 0) {
		sc_rec_fail(r, ret, "out of memory");
		goto out;
	}
	sc_agentfile_run run = {.argv = o->argv,
				.lib = agent,
				.duration = o->duration,
				.poll_ms = POLL_MS,
				.p = p,
				.on_start = o->on_start,
				.start_ctx = o->ctx,
				.round = round_cb,
				.finish = finish,
				.ctx = &s};
	ret = sc_agentfile_run_command(&s.f, &run);
	r->exec_errno = run.exec_errno;
	if (run.err[0])
		sc_rec_fail(r, ret, "%s", run.err);
	r->exited = run.sess.exited;
	r->wait_status = run.sess.wait_status;
	r->killed = run.sess.killed;
	r->samples = s.dec.samples;
	r->lost = s.f.lost + s.f.hdr->lost_no_ring;
	sc_sample_cuts(&s.dec, &r->cuts);
	r->processes = s.dec.processes;
	r->threads = s.dec.threads;
	r->duration = run.seconds;
	sc_agentfile_note(&s.f, r->note, sizeof(r->note));
	if (ret == -ENOMEM && !r->err[0])
		sc_rec_fail(r, ret, "out of memory while recording");
out:
	sc_agentfile_close(&s.f);
	sc_vec_release(&s.pcs);
	sc_sample_release(&s.dec);
	sc_addrspace_release(&s.as);
	return ret < 0 ? ret : 0;
}
