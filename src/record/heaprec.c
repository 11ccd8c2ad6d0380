/*
 * heaprec.c: scorch heap's recorder: the tracker's shared file drained into ordered allocation
 * events. See heaprec.h; the tracker is src/agent/heap.c.
 *
 * Per ring, the current claim (a stream: one thread of one process image) keeps the table from
 * the stream's STACK ids to stacks of the profile; MAP records fill the stream's address-space
 * table (keyed by the stream number), so a stack is attributed with its own process's modules.
 *
 * Per process image (instance), events wait in a reorder window indexed by their number (seq)
 * until every smaller number has arrived, then go to the caller in order: threads write their
 * events in their own rings, so a free read from one ring may carry a smaller number than an
 * allocation read earlier from another. The window grows as needed; it holds only the events
 * read ahead of a number still missing (a thread between taking its number and publishing).
 *
 * Rings are larger than the signal backend's (RING_BYTES, 4 MiB: about 70 000 events) and
 * drained every POLL_MS; a thread whose ring is full waits for the drain (the tracker never drops
 * events while scorch reads).
 */
#include "record/heaprec.h"

#include "agent/stream.h"
#include "record/addrspace.h"
#include "record/agentfile.h"
#include "record/heapscan.h"
#include "session/session.h"
#include "util/hashmap.h"
#include "util/strbuf.h"
#include "util/vec.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NRINGS	       128u
#define RING_BYTES     (1u << 22)
#define POLL_MS	       10
#define RECLAIM_ROUNDS 50
#define RSS_ROUNDS     5
#define BATCH	       4096

/* The current claim of a ring. */
struct stream {
	uint32_t stream;	    /* 0: none seen yet */
	uint32_t inst;		    /* index + 1 into instances */
	SC_VEC(sc_stack_id) stacks; /* STACK id - 1 -> profile stack (0: not announced) */
};

/* One process image, and its reorder window. */
struct inst {
	uint32_t instance, pid;
	bool ended;
	uint64_t next;	    /* the next seq to hand over */
	sc_heap_event *win; /* cap slots, seq % cap */
	uint8_t *present;   /* cap flags */
	size_t cap;	    /* a power of two, or 0 */
	uint64_t hi;	    /* one past the largest seq in the window */
	uint64_t last_time;
	SC_VEC(sc_heap_event) out; /* events in order, not yet handed over */
};

struct heaprec {
	const sc_heaprec_options *o;
	sc_profile *p;
	const sc_heaprec_callbacks *cb;
	sc_heaprec_result *r;
	sc_agentfile_run *run; /* the launched command's session */
	sc_addrspace as;
	sc_agentfile f;
	struct stream streams[NRINGS];
	SC_VEC(struct inst) insts;
	sc_hashmap inst_index; /* instance number -> index into insts */
	SC_VEC(uint32_t) locs;
	unsigned rounds;
	int err;
	sc_heapscan scan; /* the exit scans (leak kinds) */
};

static int fail(sc_heaprec_result *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(sc_heaprec_result *r, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return err;
}

int sc_heaprec_agent(char *buf, size_t size)
{
	return sc_agentfile_lib("libscorch-heap.so", buf, size);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool u32_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct heaprec *h = ctx;
	return h->insts.data[value].instance == *(const uint32_t *)key;
}

/* The instance `instance` (of process `pid`), created and begun when first seen; NULL on error. */
static struct inst *instance_of(struct heaprec *h, uint32_t instance, uint32_t pid, uint32_t *idx)
{
	uint64_t hash = sc_hash_u64(instance), v;
	if (sc_hashmap_get(&h->inst_index, hash, u32_eq, &instance, h, &v)) {
		*idx = (uint32_t)v + 1;
		return &h->insts.data[v];
	}
	struct inst in = {.instance = instance, .pid = pid};
	if (sc_vec_push(&h->insts, in) < 0 ||
	    sc_hashmap_put(&h->inst_index, hash, h->insts.len - 1) < 0) {
		h->err = -ENOMEM;
		return NULL;
	}
	h->r->instances++;
	*idx = (uint32_t)h->insts.len;
	if (h->cb->begin && (h->err = h->cb->begin(h->cb->ctx, instance, pid)) < 0)
		return NULL;
	return &h->insts.data[h->insts.len - 1];
}

/* Hands over the events of `in` waiting in `out`. */
static int hand_over(struct heaprec *h, struct inst *in)
{
	if (!in->out.len)
		return 0;
	int r = h->cb->events(h->cb->ctx, in->instance, in->out.data, in->out.len);
	h->r->events += in->out.len;
	in->out.len = 0;
	return r;
}

/* The next event of `in` in order (number in->next): to `out`, handed over by BATCH. */
static int take(struct heaprec *h, struct inst *in, const sc_heap_event *e)
{
	in->next++;
	if (e->time > in->last_time)
		in->last_time = e->time;
	if (!e->addr)
		return 0; /* a failed realloc's number */
	if (sc_vec_push(&in->out, *e) < 0)
		return -ENOMEM;
	return in->out.len == BATCH ? hand_over(h, in) : 0;
}

/* Hands over the events of `in` from `next` while they are there; all of them, skipping gaps,
 * with `all`. */
static int flush(struct heaprec *h, struct inst *in, bool all)
{
	while (in->next < in->hi) {
		size_t slot = in->next & (in->cap - 1);
		if (!in->present[slot]) {
			if (!all)
				break;
			in->next++;
			continue;
		}
		in->present[slot] = 0;
		int r = take(h, in, &in->win[slot]);
		if (r < 0)
			return r;
	}
	return hand_over(h, in);
}

/* Places event number `seq` of `in`: straight to `out` when it is the next in order and none
 * waits (one thread, or threads taking turns: the common case), else into the window, grown as
 * needed. */
static int place(struct heaprec *h, struct inst *in, uint64_t seq, const sc_heap_event *e)
{
	if (seq < in->next)
		return 0; /* a number handed over already (a duplicate): ignored */
	if (seq == in->next && in->hi <= seq) {
		in->hi = seq + 1;
		return take(h, in, e);
	}
	if (seq - in->next >= in->cap) {
		size_t cap = in->cap ? in->cap : 4096;
		while (seq - in->next >= cap)
			cap *= 2;
		sc_heap_event *win = malloc(cap * sizeof(*win));
		uint8_t *present = calloc(cap, 1);
		if (!win || !present) {
			free(win);
			free(present);
			return -ENOMEM;
		}
		for (uint64_t s = in->next; s < in->hi; s++) {
			size_t from = s & (in->cap - 1), to = s & (cap - 1);
			if (in->present[from]) {
				win[to] = in->win[from];
				present[to] = 1;
			}
		}
		free(in->win);
		free(in->present);
		in->win = win;
		in->present = present;
		in->cap = cap;
	}
	size_t slot = seq & (in->cap - 1);
	in->win[slot] = *e;
	in->present[slot] = 1;
	if (seq + 1 > in->hi)
		in->hi = seq + 1;
	return 0; /* handed over at the end of the round, in batches */
}

/* A STACK record: its addresses (return addresses) as a stack of the profile. */
static int on_stack(struct heaprec *h, struct stream *st, const sc_agent_stack *sk, size_t len)
{
	if (len < sizeof(*sk) || !sk->id || sk->nframes > (len - sizeof(*sk)) / 8) {
		h->f.corrupt++;
		return 0;
	}
	const uint64_t *pcs = (const uint64_t *)(sk + 1);
	const sc_proc *pr = sc_addrspace_proc(&h->as, st->stream, false);
	h->locs.len = 0;
	if (sc_vec_reserve(&h->locs, sk->nframes) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < sk->nframes; i++) {
		const sc_vma *v = sc_addrspace_find(pr, pcs[i]);
		/* Every frame is a return address: the call is the instruction before it. */
		int64_t l = sc_profile_location_for_address(h->p, v ? v->mapping : 0, pcs[i] - 1);
		if (l < 0)
			return -ENOMEM;
		h->locs.data[h->locs.len++] = (uint32_t)l;
	}
	int64_t id = sc_profile_intern_stack(h->p, h->locs.data, h->locs.len);
	if (id < 0)
		return -ENOMEM;
	if (sk->id > st->stacks.len) {
		size_t more = sk->id - st->stacks.len;
		if (sc_vec_reserve(&st->stacks, more) < 0)
			return -ENOMEM;
		memset(st->stacks.data + st->stacks.len, 0, more * sizeof(sc_stack_id));
		st->stacks.len = sk->id;
	}
	st->stacks.data[sk->id - 1] = (sc_stack_id)id;
	return 0;
}

static int on_record(void *ctx, uint32_t i, const sc_agent_ring *ring, const sc_agent_rec *rec)
{
	struct heaprec *h = ctx;
	struct stream *st = &h->streams[i];
	if (st->stream != ring->stream) {
		st->stream = ring->stream;
		st->stacks.len = 0;
		st->inst = 0;
		if (!instance_of(h, ring->instance, ring->pid, &st->inst))
			return h->err ? h->err : -ENOMEM;
	}
	struct inst *in = &h->insts.data[st->inst - 1];
	const unsigned char *body = (const unsigned char *)(rec + 1);
	size_t len = rec->size - sizeof(*rec);
	sc_heap_event e = {.tid = ring->tid};
	switch (rec->type) {
	case SC_AGENT_REC_MAP:
		return sc_agentfile_map(&h->f, &h->as, st->stream, ring->pid, rec);
	case SC_AGENT_REC_STACK:
		return on_stack(h, st, (const sc_agent_stack *)body, len);
	case SC_AGENT_REC_ALLOC: {
		const sc_agent_alloc *a = (const sc_agent_alloc *)body;
		if (len < sizeof(*a) || !a->addr) {
			h->f.corrupt++;
			return 0;
		}
		e.time = a->time;
		e.kind = SC_HEAP_ALLOC;
		e.realloc = a->flags & SC_AGENT_ALLOC_REALLOC;
		e.addr = a->addr;
		/* A sampled allocation counts the bytes it stands for. */
		e.size = a->flags & SC_AGENT_ALLOC_SAMPLED ? a->weight : a->size;
		e.usable = a->usable;
		e.stack =
		    a->stack && a->stack <= st->stacks.len ? st->stacks.data[a->stack - 1] : 0;
		return place(h, in, a->seq, &e);
	}
	case SC_AGENT_REC_ALLOC_SHORT: {
		const sc_agent_alloc_short *a = (const sc_agent_alloc_short *)body;
		if (len < sizeof(*a) || !a->addr) {
			h->f.corrupt++;
			return 0;
		}
		e.time = a->time;
		e.kind = SC_HEAP_ALLOC;
		e.realloc = rec->reserved & SC_AGENT_ALLOC_REALLOC;
		e.addr = a->addr;
		e.size = a->size;
		e.usable = (uint64_t)a->size + a->slack;
		e.stack =
		    a->stack && a->stack <= st->stacks.len ? st->stacks.data[a->stack - 1] : 0;
		return place(h, in, a->seq, &e);
	}
	case SC_AGENT_REC_FREE: {
		const sc_agent_free *fr = (const sc_agent_free *)body;
		if (len < sizeof(*fr)) {
			h->f.corrupt++;
			return 0;
		}
		e.time = fr->time;
		e.kind = SC_HEAP_FREE;
		e.addr = fr->addr; /* 0: a failed realloc's number, skipped when handed over */
		return place(h, in, fr->seq, &e);
	}
	case SC_AGENT_REC_MALLINFO: {
		const sc_agent_mallinfo *m = (const sc_agent_mallinfo *)body;
		if (len < sizeof(*m)) {
			h->f.corrupt++;
			return 0;
		}
		return h->cb->allocator ? h->cb->allocator(h->cb->ctx, in->instance, m->time,
							   m->arena + m->hblkhd,
							   m->uordblks + m->hblkhd, m->fordblks)
					: 0;
	}
	case SC_AGENT_REC_COMM:
		return 0;
	default:
		h->f.corrupt++;
		return 0;
	}
}

/* The resident set size of `pid` in bytes, or 0 when it is gone. */
static uint64_t rss_of(uint32_t pid)
{
	char path[64], buf[128];
	snprintf(path, sizeof(path), "/proc/%u/statm", pid);
	FILE *fp = fopen(path, "re");
	if (!fp)
		return 0;
	unsigned long long size, rss;
	int n = fgets(buf, sizeof(buf), fp) ? sscanf(buf, "%llu %llu", &size, &rss) : 0;
	fclose(fp);
	return n == 2 ? rss * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

/* Whether every event of `instance` numbered below `seq` was handed over (heapscan.h). */
static bool caught_up(void *ctx, uint32_t instance, uint64_t seq)
{
	struct heaprec *h = ctx;
	for (size_t i = 0; i < h->insts.len; i++)
		if (h->insts.data[i].instance == instance)
			return h->insts.data[i].next >= seq;
	return seq == 0;
}

static int round_cb(void *ctx, bool last)
{
	struct heaprec *h = ctx;
	h->rounds++;
	bool reclaim = last || h->rounds % RECLAIM_ROUNDS == 0;
	for (uint32_t i = 0; i < NRINGS; i++) {
		int r = sc_agentfile_drain(&h->f, i, reclaim, on_record, h);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < h->insts.len; i++) {
		int r = flush(h, &h->insts.data[i], false);
		if (r < 0)
			return r;
	}
	int sr = sc_heapscan_round(&h->scan, h->f.hdr, h->f.path, h->cb, caught_up, h);
	if (sr < 0)
		return sr;
	if (h->cb->rss && (last || h->rounds % RSS_ROUNDS == 0)) {
		uint64_t t = now_ns();
		for (size_t i = 0; i < h->insts.len; i++) {
			struct inst *in = &h->insts.data[i];
			uint64_t rss = in->ended ? 0 : rss_of(in->pid);
			int r = rss ? h->cb->rss(h->cb->ctx, in->instance, t, rss) : 0;
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Whether `pid` still runs: it exists and is not a zombie (a child its parent never waited
 * for has exited all the same). */
static bool process_running(uint32_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	FILE *fp = fopen(path, "re");
	if (!fp)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = 0;
	const char *paren = strrchr(buf, ')'); /* the name may hold anything but ends at the last */
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

/* The end of every image: the rest of its events in order, then `end`. */
static int finish(struct heaprec *h)
{
	for (size_t i = 0; i < h->insts.len; i++) {
		struct inst *in = &h->insts.data[i];
		int r = flush(h, in, true);
		if (r < 0)
			return r;
		/* Leaks are what a process left when it ended by itself: not what an exec discarded
		 * (a later image of the same pid exists), nor what scorch's stop interrupted. */
		bool superseded = false;
		for (size_t j = 0; j < h->insts.len; j++)
			superseded |= h->insts.data[j].pid == in->pid &&
				      h->insts.data[j].instance > in->instance;
		bool exited = !superseded && !h->run->sess.stopped &&
			      ((in->pid == (uint32_t)h->run->sess.pid && h->run->sess.exited) ||
			       !process_running(in->pid));
		in->ended = true;
		if (h->cb->end &&
		    (r = h->cb->end(h->cb->ctx, in->instance,
				    in->last_time ? in->last_time : now_ns(), exited)) < 0)
			return r;
	}
	return 0;
}

static int add_metadata(struct heaprec *h)
{
	if (sc_profile_add_command_comment(h->p, h->o->argv) < 0 ||
	    sc_profile_add_host_comment(h->p) < 0)
		return -ENOMEM;
	return 0;
}

static int finish_cb(void *ctx)
{
	return finish(ctx);
}

int sc_heaprec_run(const sc_heaprec_options *o, const char *agent, sc_profile *p,
		   const sc_heaprec_callbacks *cb, sc_heaprec_result *r)
{
	memset(r, 0, sizeof(*r));
	if (!o->argv || !o->argv[0])
		return fail(r, -EINVAL, "nothing to record: no command");
	if (o->max_depth < 1 || !cb->events)
		return fail(r, -EINVAL, "invalid recording options");
	struct heaprec h = {.o = o, .p = p, .cb = cb, .r = r, .f = {.fd = -1}};
	sc_heapscan_init(&h.scan);
	sc_addrspace_init(&h.as, p);
	int ret = sc_agentfile_create(&h.f, NRINGS, RING_BYTES, r->err, sizeof(r->err));
	if (ret < 0)
		goto out;
	sc_agent_header *hdr = h.f.hdr;
	hdr->max_depth = (uint32_t)o->max_depth;
	hdr->unwind = o->callgraph == SC_RECORD_CG_FP	   ? SC_AGENT_UNWIND_FP
		      : o->callgraph == SC_RECORD_CG_DWARF ? SC_AGENT_UNWIND_DWARF
							   : SC_AGENT_UNWIND_AUTO;
	hdr->flags = (o->inherit ? 0 : SC_AGENT_NO_INHERIT) | SC_AGENT_HEAP_SHORT;
	hdr->sample_bytes = o->sample_bytes;
	hdr->minor = SC_AGENT_MINOR;
	hdr->scorch_pid = (uint32_t)getpid();
	hdr->sample_seed = o->sample_seed;
	hdr->scan_on = !o->sample_bytes && cb->live && cb->kinds;
	if (add_metadata(&h) < 0) {
		ret = fail(r, -ENOMEM, "out of memory");
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
				.finish = finish_cb,
				.ctx = &h};
	h.run = &run;
	ret = sc_agentfile_run_command(&h.f, &run);
	/* No more rounds: a process of the command still exiting must not wait for a scan. */
	atomic_store((_Atomic uint32_t *)&hdr->scan_on, 0);
	r->exec_errno = run.exec_errno;
	if (run.err[0])
		fail(r, ret, "%s", run.err);
	r->pid = (uint32_t)run.sess.pid;
	r->exited = run.sess.exited;
	r->wait_status = run.sess.wait_status;
	r->killed = run.sess.killed;
	r->lost = h.f.lost + hdr->lost_no_ring;
	r->waits = hdr->heap_waits;
	r->scans = h.scan.answered;
	r->duration = run.seconds;
	sc_agentfile_note(&h.f, r->note, sizeof(r->note));
	if (ret == -ENOMEM && !r->err[0])
		fail(r, ret, "out of memory while recording");
out:
	sc_heapscan_release(&h.scan);
	sc_agentfile_close(&h.f);
	for (size_t i = 0; i < NRINGS; i++)
		sc_vec_release(&h.streams[i].stacks);
	for (size_t i = 0; i < h.insts.len; i++) {
		free(h.insts.data[i].win);
		free(h.insts.data[i].present);
		sc_vec_release(&h.insts.data[i].out);
	}
	sc_vec_release(&h.insts);
	sc_hashmap_release(&h.inst_index);
	sc_vec_release(&h.locs);
	sc_addrspace_release(&h.as);
	return ret < 0 ? ret : 0;
}
