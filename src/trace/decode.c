/*
 * decode.c: trace records into spans, points, async spans and loop iterations. See decode.h.
 *
 * Tables: instances (a vector indexed by instance number) of sites (a vector of pointers indexed
 * by site number: a site is allocated once, so the pointers handed out stay valid); streams by
 * stream number (a hash map to a vector of pointers); async begins and early ends in a vector
 * with a hash map on (instance, name, id), entries marked dead when matched and the two rebuilt
 * when the dead outnumber the live; outputs waiting for a site in `held`.
 *
 * Not here: draining the rings (record/agentfile.c, the console's own), statistics over spans
 * (trace/model.c), writing anything.
 */
#include "trace/decode.h"

#include "util/hashmap.h"
#include "util/vec.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds that keep a corrupt number from sizing a table. */
#define MAX_INSTANCE (1u << 20)
#define MAX_SITE     (1u << 22)

typedef struct frame {
	uint32_t loc;
	uint64_t start, child; /* child: the direct children's durations */
} frame;

typedef struct loopstate {
	uint32_t loc;
	bool waiting, has_wake;
	uint64_t wait, timeout, last_wake;
} loopstate;

typedef struct stream {
	uint32_t number, instance, pid, tid;
	uint64_t lost, last_time;
	SC_VEC(frame) stack;
	SC_VEC(loopstate) loops;
} stream;

typedef struct instance {
	SC_VEC(sc_trace_site *) sites; /* index: site number */
} instance;

enum { OUT_SPAN, OUT_POINT, OUT_ASYNC_BEGIN, OUT_ASYNC_END, OUT_LOOP };

/* An output before its sites are resolved; `stack` is the enclosing spans' site numbers. */
typedef struct out {
	uint8_t type;
	uint32_t kind, instance, pid, tid, stream, loc, depth;
	uint64_t t0, t1, self, arg;
	sc_trace_loop_iter loop; /* OUT_LOOP: all but site */
	uint32_t *stack;	 /* OUT_SPAN: `depth` site numbers; malloc'ed when held */
} out;

typedef struct asyncent {
	uint32_t instance, pid, tid;
	bool is_end, dead;
	const sc_trace_site *site;
	uint64_t id, time;
} asyncent;

struct sc_trace_decoder {
	sc_trace_ops ops;
	void *ctx;
	sc_trace_stats st;
	SC_VEC(instance) instances;
	SC_VEC(stream *) streams;
	sc_hashmap stream_map; /* stream number -> index in streams */
	SC_VEC(out) held;
	SC_VEC(asyncent) asyncs;
	size_t async_dead;
	sc_hashmap async_map;		       /* hash of (instance, name, id) -> index */
	SC_VEC(const sc_trace_site *) scratch; /* a span's stack, resolved */
	SC_VEC(uint32_t) scratch_ids;	       /* a span's stack, as numbers */
};

sc_trace_decoder *sc_trace_decoder_new(const sc_trace_ops *ops, void *ctx)
{
	sc_trace_decoder *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (ops)
		d->ops = *ops;
	d->ctx = ctx;
	return d;
}

/* A site and the memory of its strings (name, file and func in one block when known; the
 * placeholder name otherwise). */
typedef struct site_box {
	sc_trace_site pub;
	char *mem;
} site_box;

static void site_free(sc_trace_site *s)
{
	if (!s)
		return;
	free(((site_box *)s)->mem);
	free(s);
}

void sc_trace_decoder_free(sc_trace_decoder *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->instances.len; i++) {
		instance *in = &d->instances.data[i];
		for (size_t j = 0; j < in->sites.len; j++)
			site_free(in->sites.data[j]);
		sc_vec_release(&in->sites);
	}
	sc_vec_release(&d->instances);
	for (size_t i = 0; i < d->streams.len; i++) {
		stream *s = d->streams.data[i];
		sc_vec_release(&s->stack);
		sc_vec_release(&s->loops);
		free(s);
	}
	sc_vec_release(&d->streams);
	sc_hashmap_release(&d->stream_map);
	for (size_t i = 0; i < d->held.len; i++)
		free(d->held.data[i].stack);
	sc_vec_release(&d->held);
	sc_vec_release(&d->asyncs);
	sc_hashmap_release(&d->async_map);
	sc_vec_release(&d->scratch);
	sc_vec_release(&d->scratch_ids);
	free(d);
}

const sc_trace_stats *sc_trace_decoder_stats(const sc_trace_decoder *d)
{
	return &d->st;
}

const sc_trace_site *sc_trace_decoder_site(const sc_trace_decoder *d, uint32_t inst, uint32_t id)
{
	if (inst >= d->instances.len || id >= d->instances.data[inst].sites.len)
		return NULL;
	return d->instances.data[inst].sites.data[id];
}

/* The site (instance, id), created unknown if need be; NULL with *err set on a bad number or
 * -ENOMEM. */
static sc_trace_site *site_get(sc_trace_decoder *d, uint32_t inst, uint32_t id, int *err)
{
	*err = 0;
	if (inst >= MAX_INSTANCE || id == 0 || id >= MAX_SITE) {
		d->st.corrupt++;
		*err = -EINVAL;
		return NULL;
	}
	while (d->instances.len <= inst) {
		instance zero = {0};
		if (sc_vec_push(&d->instances, zero) < 0)
			goto nomem;
	}
	instance *in = &d->instances.data[inst];
	while (in->sites.len <= id) {
		if (sc_vec_push(&in->sites, (sc_trace_site *)NULL) < 0)
			goto nomem;
	}
	if (!in->sites.data[id]) {
		sc_trace_site *s = calloc(1, sizeof(site_box));
		if (!s)
			goto nomem;
		s->instance = inst;
		s->id = id;
		s->name = s->file = s->func = "";
		in->sites.data[id] = s;
	}
	return in->sites.data[id];
nomem:
	*err = -ENOMEM;
	return NULL;
}

static stream *stream_get(sc_trace_decoder *d, const sc_agent_ring *r)
{
	uint64_t idx;
	uint32_t number = r->stream;
	if (sc_hashmap_get(&d->stream_map, sc_hash_u64(number), NULL, NULL, NULL, &idx))
		return d->streams.data[idx];
	stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->number = number;
	s->instance = r->instance;
	s->pid = r->pid;
	s->tid = r->tid;
	if (sc_vec_push(&d->streams, s) < 0)
		goto nomem;
	if (sc_hashmap_put(&d->stream_map, sc_hash_u64(number), d->streams.len - 1) < 0) {
		d->streams.len--;
		goto nomem;
	}
	d->st.streams++;
	return s;
nomem:
	free(s);
	return NULL;
}

static void note_lost(sc_trace_decoder *d, stream *s, const sc_agent_ring *r)
{
	uint64_t lost = atomic_load_explicit((_Atomic uint64_t *)&r->lost, memory_order_relaxed);
	if (lost > s->lost) {
		d->st.lost += lost - s->lost;
		s->lost = lost;
	}
}

void sc_trace_decoder_ring(sc_trace_decoder *d, const sc_agent_ring *r)
{
	stream *s = stream_get(d, r);
	if (s)
		note_lost(d, s, r);
}

/* --- async matching --- */

typedef struct async_key {
	uint32_t instance;
	const char *name;
	uint64_t id;
	bool want_end; /* looking for an early end (true) or a waiting begin */
} async_key;

static uint64_t async_hash(uint32_t inst, const char *name, uint64_t id)
{
	uint64_t h = sc_hash_bytes(name, strlen(name), inst);
	h = sc_hash_combine(h, id);
	return h == UINT64_MAX ? 0 : h;
}

static bool async_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_trace_decoder *d = ctx;
	const async_key *k = key;
	const asyncent *e = &d->asyncs.data[value];
	return !e->dead && e->is_end == k->want_end && e->instance == k->instance &&
	       e->id == k->id && strcmp(e->site->name, k->name) == 0;
}

/* Drops the dead entries once they outnumber the live ones (otherwise a long run's table grows
 * with every request). */
static int async_compact(sc_trace_decoder *d)
{
	if (d->async_dead < 1024 || d->async_dead * 2 < d->asyncs.len)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < d->asyncs.len; i++)
		if (!d->asyncs.data[i].dead)
			d->asyncs.data[n++] = d->asyncs.data[i];
	d->asyncs.len = n;
	d->async_dead = 0;
	sc_hashmap_release(&d->async_map);
	for (size_t i = 0; i < n; i++) {
		const asyncent *e = &d->asyncs.data[i];
		if (sc_hashmap_put(&d->async_map, async_hash(e->instance, e->site->name, e->id),
				   i) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int async_report(sc_trace_decoder *d, const asyncent *b, uint32_t end_tid, uint64_t end,
			bool open)
{
	if (!open)
		d->st.async_spans++;
	if (!d->ops.async)
		return 0;
	sc_trace_async a = {.site = b->site,
			    .id = b->id,
			    .instance = b->instance,
			    .pid = b->pid,
			    .begin_tid = b->tid,
			    .end_tid = end_tid,
			    .start = b->time,
			    .end = end < b->time ? b->time : end,
			    .open = open};
	return d->ops.async(d->ctx, &a);
}

static int async_event(sc_trace_decoder *d, const out *o, const sc_trace_site *site)
{
	bool is_end = o->type == OUT_ASYNC_END;
	async_key k = {o->instance, site->name, o->arg, !is_end};
	uint64_t h = async_hash(o->instance, site->name, o->arg), idx;
	if (sc_hashmap_get(&d->async_map, h, async_eq, &k, d, &idx)) {
		asyncent *e = &d->asyncs.data[idx];
		e->dead = true;
		d->async_dead++;
		int ret;
		if (is_end)
			ret = async_report(d, e, o->tid, o->t0, false);
		else {
			/* The end came first (another ring drained earlier). */
			asyncent b = {o->instance, o->pid, o->tid, false,
				      false,	   site,   o->arg, o->t0};
			ret = async_report(d, &b, e->tid, e->time, false);
		}
		if (ret < 0)
			return ret;
		return async_compact(d);
	}
	asyncent e = {o->instance, o->pid, o->tid, is_end, false, site, o->arg, o->t0};
	if (sc_vec_push(&d->asyncs, e) < 0)
		return -ENOMEM;
	if (sc_hashmap_put(&d->async_map, h, d->asyncs.len - 1) < 0) {
		d->asyncs.len--;
		return -ENOMEM;
	}
	return 0;
}

/* --- delivering outputs --- */

/* A site that never got its LOC: named "site N" from now on. */
static int placeholder(sc_trace_decoder *d, sc_trace_site *s)
{
	if (s->known || ((site_box *)s)->mem)
		return 0;
	char buf[32];
	snprintf(buf, sizeof(buf), "site %u", s->id);
	char *name = strdup(buf);
	if (!name)
		return -ENOMEM;
	((site_box *)s)->mem = name;
	s->name = name;
	d->st.unknown_sites++;
	return 0;
}

/* 1 when a site of `o` is still unknown (and not final), else delivers it: 0 or an error. */
static int deliver(sc_trace_decoder *d, const out *o, bool final)
{
	int err;
	sc_trace_site *site = site_get(d, o->instance, o->loc, &err);
	if (!site)
		return err == -EINVAL ? 0 : err;
	if (o->type == OUT_SPAN) {
		d->scratch.len = 0;
		if (sc_vec_reserve(&d->scratch, o->depth) < 0)
			return -ENOMEM;
		for (uint32_t i = 0; i < o->depth; i++) {
			sc_trace_site *p = site_get(d, o->instance, o->stack[i], &err);
			if (!p && err != -EINVAL)
				return err;
			if (p && !p->known && !final)
				return 1;
			if (p && final && (err = placeholder(d, p)) < 0)
				return err;
			d->scratch.data[d->scratch.len++] = p ? p : site;
		}
	}
	if (!site->known) {
		if (!final)
			return 1;
		if ((err = placeholder(d, site)) < 0)
			return err;
	}
	switch (o->type) {
	case OUT_SPAN: {
		d->st.spans++;
		if (!d->ops.span)
			return 0;
		sc_trace_span s = {.site = site,
				   .instance = o->instance,
				   .pid = o->pid,
				   .tid = o->tid,
				   .stream = o->stream,
				   .start = o->t0,
				   .end = o->t1,
				   .self = o->self,
				   .depth = o->depth,
				   .stack = d->scratch.data,
				   .open = false};
		return d->ops.span(d->ctx, &s);
	}
	case OUT_POINT: {
		if (!d->ops.point)
			return 0;
		double v = 0;
		if (o->kind == SC_AGENT_EV_COUNTER)
			memcpy(&v, &o->arg, sizeof(v));
		sc_trace_point p = {site, o->kind, o->instance, o->pid, o->tid, o->t0, v};
		return d->ops.point(d->ctx, &p);
	}
	case OUT_ASYNC_BEGIN:
	case OUT_ASYNC_END:
		return async_event(d, o, site);
	case OUT_LOOP: {
		d->st.loop_iters++;
		if (!d->ops.loop)
			return 0;
		sc_trace_loop_iter l = o->loop;
		l.site = site;
		return d->ops.loop(d->ctx, &l);
	}
	}
	return 0;
}

/* Delivers `o` now, or holds a copy (with its own stack) until its sites are known. */
static int emit(sc_trace_decoder *d, out *o)
{
	int ret = deliver(d, o, false);
	if (ret <= 0)
		return ret;
	out h = *o;
	h.stack = NULL;
	if (o->depth) {
		h.stack = malloc(o->depth * sizeof(*h.stack));
		if (!h.stack)
			return -ENOMEM;
		memcpy(h.stack, o->stack, o->depth * sizeof(*h.stack));
	}
	if (sc_vec_push(&d->held, h) < 0) {
		free(h.stack);
		return -ENOMEM;
	}
	d->st.held = d->held.len;
	return 0;
}

static int deliver_held(sc_trace_decoder *d, bool final)
{
	size_t n = 0, i;
	int ret = 0;
	for (i = 0; i < d->held.len; i++) {
		out *o = &d->held.data[i];
		ret = deliver(d, o, final);
		if (ret < 0)
			break;
		if (ret == 1)
			d->held.data[n++] = *o;
		else
			free(o->stack);
	}
	/* On an error, what was not tried yet stays held. */
	for (; i < d->held.len; i++)
		d->held.data[n++] = d->held.data[i];
	d->held.len = n;
	d->st.held = n;
	return ret < 0 ? ret : 0;
}

int sc_trace_decoder_round(sc_trace_decoder *d)
{
	return d->held.len ? deliver_held(d, false) : 0;
}

/* --- records --- */

static int on_loc(sc_trace_decoder *d, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	const sc_agent_trace_loc *l = (const void *)(rec + 1);
	size_t room = rec->size - sizeof(*rec);
	if (room < sizeof(*l)) {
		d->st.corrupt++;
		return 0;
	}
	size_t strings = (size_t)l->name_len + l->file_len + l->func_len + 3;
	if (strings > room - sizeof(*l)) {
		d->st.corrupt++;
		return 0;
	}
	const char *p = (const char *)(l + 1);
	if (p[l->name_len] || p[l->name_len + 1 + l->file_len] ||
	    p[l->name_len + 1 + l->file_len + 1 + l->func_len]) {
		d->st.corrupt++;
		return 0;
	}
	int err;
	sc_trace_site *s = site_get(d, r->instance, l->id, &err);
	if (!s)
		return err == -EINVAL ? 0 : err;
	if (s->known)
		return 0;
	char *copy = malloc(strings);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, p, strings);
	free(((site_box *)s)->mem); /* a placeholder given at an earlier finish */
	((site_box *)s)->mem = copy;
	s->name = copy;
	s->file = copy + l->name_len + 1;
	s->func = s->file + l->file_len + 1;
	s->kind = l->kind;
	s->line = l->line;
	s->known = true;
	if (d->ops.site)
		return d->ops.site(d->ctx, s);
	return 0;
}

static int on_thread(sc_trace_decoder *d, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	const sc_agent_trace_thread *t = (const void *)(rec + 1);
	size_t room = rec->size - sizeof(*rec);
	if (room < sizeof(*t) || (size_t)t->len + 1 > room - sizeof(*t) ||
	    ((const char *)(t + 1))[t->len]) {
		d->st.corrupt++;
		return 0;
	}
	if (!d->ops.thread)
		return 0;
	sc_trace_thread th = {r->instance, r->pid, t->tid ? t->tid : r->tid, t->time,
			      (const char *)(t + 1)};
	return d->ops.thread(d->ctx, &th);
}

static loopstate *loop_get(stream *s, uint32_t loc)
{
	for (size_t i = 0; i < s->loops.len; i++)
		if (s->loops.data[i].loc == loc)
			return &s->loops.data[i];
	loopstate z = {.loc = loc};
	if (sc_vec_push(&s->loops, z) < 0)
		return NULL;
	return &s->loops.data[s->loops.len - 1];
}

/* Reports a span of `s` that is still open: site `loc`, its `depth` enclosing spans the first
 * of s's stack. At the end (`final`) unknown sites get placeholders; before it (a live view)
 * a span whose site is unknown is left out. */
static int report_open(sc_trace_decoder *d, const stream *s, uint32_t loc, uint32_t depth,
		       uint64_t start, uint64_t end, uint64_t self, bool final)
{
	int err = 0;
	sc_trace_site *site = final ? site_get(d, s->instance, loc, &err)
				    : (sc_trace_site *)sc_trace_decoder_site(d, s->instance, loc);
	if (!site)
		return err == -EINVAL ? 0 : err;
	if (final && (err = placeholder(d, site)) < 0)
		return err;
	if (!d->ops.span)
		return 0;
	d->scratch.len = 0;
	if (sc_vec_reserve(&d->scratch, depth) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < depth; i++) {
		uint32_t id = s->stack.data[i].loc;
		sc_trace_site *p = final
				       ? site_get(d, s->instance, id, &err)
				       : (sc_trace_site *)sc_trace_decoder_site(d, s->instance, id);
		if (p && final && (err = placeholder(d, p)) < 0)
			return err;
		d->scratch.data[d->scratch.len++] = p ? p : site;
	}
	sc_trace_span sp = {.site = site,
			    .instance = s->instance,
			    .pid = s->pid,
			    .tid = s->tid,
			    .stream = s->number,
			    .start = start,
			    .end = end,
			    .self = self,
			    .depth = depth,
			    .stack = d->scratch.data,
			    .open = true};
	return d->ops.span(d->ctx, &sp);
}

/* Closes the innermost span of `s` at time `t`: a completed span, or (open, at the end) one
 * reported open. */
static int close_top(sc_trace_decoder *d, stream *s, uint64_t t, bool open)
{
	frame f = s->stack.data[--s->stack.len];
	uint64_t dur = t > f.start ? t - f.start : 0;
	uint64_t self = dur > f.child ? dur - f.child : 0;
	uint32_t depth = (uint32_t)s->stack.len;
	if (depth)
		s->stack.data[depth - 1].child += dur;
	if (open) {
		d->st.open_spans++; /* its site is valid: BEGIN pushes no other */
		return report_open(d, s, f.loc, depth, f.start, f.start + dur, self, true);
	}
	d->scratch_ids.len = 0;
	if (sc_vec_reserve(&d->scratch_ids, depth + 1) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < depth; i++)
		d->scratch_ids.data[i] = s->stack.data[i].loc;
	out o = {.type = OUT_SPAN,
		 .instance = s->instance,
		 .pid = s->pid,
		 .tid = s->tid,
		 .stream = s->number,
		 .loc = f.loc,
		 .depth = depth,
		 .t0 = f.start,
		 .t1 = f.start + dur,
		 .self = self,
		 .stack = d->scratch_ids.data};
	return emit(d, &o);
}

static int on_event(sc_trace_decoder *d, stream *s, const sc_agent_rec *rec)
{
	const sc_agent_trace_ev *ev = (const void *)(rec + 1);
	if (rec->size - sizeof(*rec) < sizeof(*ev)) {
		d->st.corrupt++;
		return 0;
	}
	if (ev->time > s->last_time)
		s->last_time = ev->time;
	if (ev->time > d->st.last_time)
		d->st.last_time = ev->time;
	int err;
	if (ev->kind != SC_AGENT_EV_END && !site_get(d, s->instance, ev->loc, &err))
		return err == -EINVAL ? 0 : err;
	out o = {.instance = s->instance,
		 .pid = s->pid,
		 .tid = s->tid,
		 .stream = s->number,
		 .loc = ev->loc,
		 .kind = ev->kind,
		 .t0 = ev->time,
		 .arg = ev->arg};
	switch (ev->kind) {
	case SC_AGENT_EV_BEGIN: {
		frame f = {ev->loc, ev->time, 0};
		return sc_vec_push(&s->stack, f);
	}
	case SC_AGENT_EV_END:
		if (!s->stack.len) {
			d->st.unmatched_end++;
			return 0;
		}
		return close_top(d, s, ev->time, false);
	case SC_AGENT_EV_COUNTER:
	case SC_AGENT_EV_MARK:
	case SC_AGENT_EV_FRAME:
		o.type = OUT_POINT;
		return emit(d, &o);
	case SC_AGENT_EV_ASYNC_BEGIN:
		o.type = OUT_ASYNC_BEGIN;
		return emit(d, &o);
	case SC_AGENT_EV_ASYNC_END:
		o.type = OUT_ASYNC_END;
		return emit(d, &o);
	case SC_AGENT_EV_LOOP_WAIT:
	case SC_AGENT_EV_LOOP_WAKE: {
		loopstate *l = loop_get(s, ev->loc);
		if (!l)
			return -ENOMEM;
		if (ev->kind == SC_AGENT_EV_LOOP_WAIT) {
			l->waiting = true;
			l->wait = ev->time;
			l->timeout = ev->arg;
			return 0;
		}
		if (!l->waiting) {
			d->st.loop_unmatched++;
			l->has_wake = true;
			l->last_wake = ev->time;
			return 0;
		}
		sc_trace_loop_iter it = {.instance = s->instance,
					 .pid = s->pid,
					 .tid = s->tid,
					 .wait = l->wait,
					 .wake = ev->time > l->wait ? ev->time : l->wait,
					 .timeout = l->timeout,
					 .has_busy = l->has_wake};
		it.idle = it.wake - it.wait;
		if (l->has_wake && l->wait > l->last_wake)
			it.busy = l->wait - l->last_wake;
		if (l->timeout != UINT64_MAX && it.idle > l->timeout)
			it.lag = it.idle - l->timeout;
		l->waiting = false;
		l->has_wake = true;
		l->last_wake = it.wake;
		o.type = OUT_LOOP;
		o.loop = it;
		return emit(d, &o);
	}
	default:
		d->st.corrupt++;
		return 0;
	}
}

int sc_trace_decoder_feed(sc_trace_decoder *d, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	if (rec->type != SC_AGENT_REC_TRACE && rec->type != SC_AGENT_REC_TRACE_LOC &&
	    rec->type != SC_AGENT_REC_TRACE_THREAD)
		return 0;
	d->st.records++;
	if (rec->size < sizeof(*rec)) {
		d->st.corrupt++;
		return 0;
	}
	stream *s = stream_get(d, r);
	if (!s)
		return -ENOMEM;
	note_lost(d, s, r);
	switch (rec->type) {
	case SC_AGENT_REC_TRACE_LOC:
		return on_loc(d, r, rec);
	case SC_AGENT_REC_TRACE_THREAD:
		return on_thread(d, r, rec);
	default:
		return on_event(d, s, rec);
	}
}

int sc_trace_decoder_catalog(sc_trace_decoder *d, const sc_agent_header *h, uint64_t file_bytes,
			     uint64_t *pos)
{
	uint64_t off = h->catalog_offset, bytes = h->catalog_bytes;
	if (!bytes || off % 8 || off > file_bytes || bytes > file_bytes - off)
		return 0;
	uint64_t end = __atomic_load_n(&h->catalog_end, __ATOMIC_ACQUIRE);
	if (end > bytes)
		end = bytes;
	const unsigned char *base = (const unsigned char *)h + off;
	while (*pos < end && end - *pos >= sizeof(sc_agent_catalog_entry) + sizeof(sc_agent_rec)) {
		const sc_agent_catalog_entry *e = (const sc_agent_catalog_entry *)(base + *pos);
		if (!__atomic_load_n(&e->ready, __ATOMIC_ACQUIRE))
			break; /* being written (or never will be: its writer died) */
		const sc_agent_rec *rec = (const sc_agent_rec *)(e + 1);
		uint64_t left = end - *pos - sizeof(*e);
		if (e->size < sizeof(*rec) || e->size % 8 || e->size > left ||
		    rec->size != e->size) {
			d->st.corrupt++;
			*pos = end; /* not ours: read no further */
			break;
		}
		/* Replayed as the records of a stream of their own, as the ring that had them. */
		sc_agent_ring ring = {.state = SC_AGENT_RING_OWNED,
				      .stream = UINT32_MAX,
				      .pid = e->pid,
				      .tid = e->pid,
				      .instance = e->instance};
		int r = sc_trace_decoder_feed(d, &ring, rec);
		*pos += sizeof(*e) + e->size;
		if (r < 0)
			return r;
	}
	return 0;
}

int sc_trace_decoder_each_open(sc_trace_decoder *d, uint64_t now)
{
	int ret = 0;
	for (size_t i = 0; i < d->streams.len && ret >= 0; i++) {
		stream *s = d->streams.data[i];
		uint64_t child = 0; /* the open child's duration counts in its parent's */
		for (size_t k = s->stack.len; k-- > 0 && ret >= 0;) {
			const frame *f = &s->stack.data[k];
			uint64_t dur = now > f->start ? now - f->start : 0;
			uint64_t kids = f->child + child;
			child = dur;
			ret = report_open(d, s, f->loc, (uint32_t)k, f->start, f->start + dur,
					  dur > kids ? dur - kids : 0, false);
		}
	}
	for (size_t i = 0; i < d->asyncs.len && ret >= 0; i++) {
		const asyncent *e = &d->asyncs.data[i];
		if (!e->dead && !e->is_end && d->ops.async) {
			sc_trace_async a = {
			    e->site, e->id, e->instance, e->pid,
			    e->tid,  0,	    e->time,	 now > e->time ? now : e->time,
			    true};
			ret = d->ops.async(d->ctx, &a);
		}
	}
	return ret < 0 ? ret : 0;
}

int sc_trace_decoder_finish(sc_trace_decoder *d)
{
	int ret = deliver_held(d, true);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < d->streams.len; i++) {
		stream *s = d->streams.data[i];
		while (s->stack.len)
			if ((ret = close_top(d, s, s->last_time, true)) < 0)
				return ret;
		for (size_t k = 0; k < s->loops.len; k++)
			s->loops.data[k].waiting = false;
	}
	for (size_t i = 0; i < d->asyncs.len; i++) {
		asyncent *e = &d->asyncs.data[i];
		if (e->dead)
			continue;
		e->dead = true;
		d->async_dead++;
		if (e->is_end) {
			d->st.async_unmatched_end++;
			continue;
		}
		d->st.async_open++;
		if ((ret = async_report(d, e, 0, d->st.last_time, true)) < 0)
			return ret;
	}
	d->asyncs.len = 0;
	d->async_dead = 0;
	sc_hashmap_release(&d->async_map);
	return 0;
}
