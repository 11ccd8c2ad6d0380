/*
 * test_trace_decode.c: the trace decoder (src/trace/decode.c) on crafted records, no runtime:
 *
 *   nesting    spans nested three deep: each one's depth, enclosing sites and self time;
 *   late_loc   an event whose site's LOC comes later (another ring, or the next round): held,
 *              then delivered; a site whose LOC never comes gets a placeholder at finish;
 *   unmatched  an END with nothing open, spans still open at finish (and seen open before it);
 *   async      an async span begun in one ring and ended in another, in either order of
 *              draining, matched by name and id (different sites, one name); unmatched ones;
 *   loop       WAIT/WAKE pairs: idle, busy since the previous wake, lag of a timed-out wait;
 *   points     counters (a double's bits), marks, frames, thread names;
 *   lost       ring->lost counted once per stream, by increments;
 *   corrupt    records too short, site 0, an unknown kind, strings without their NUL;
 *   errors     a callback's error stops the feed and is returned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/decode.h"

/* --- crafting records --- */

static _Alignas(8) unsigned char buf[4096];

static sc_agent_ring ring(uint32_t stream, uint32_t instance, uint32_t pid, uint32_t tid)
{
	sc_agent_ring r = {0};
	r.state = SC_AGENT_RING_OWNED;
	r.stream = stream;
	r.instance = instance;
	r.pid = pid;
	r.tid = tid;
	return r;
}

static const sc_agent_rec *mk_loc(uint32_t id, uint32_t kind, const char *name, const char *file,
				  const char *func, uint32_t line)
{
	memset(buf, 0, sizeof(buf));
	sc_agent_rec *rec = (void *)buf;
	sc_agent_trace_loc *l = (void *)(rec + 1);
	l->id = id;
	l->kind = kind;
	l->line = line;
	l->name_len = (uint16_t)strlen(name);
	l->file_len = (uint16_t)strlen(file);
	l->func_len = (uint16_t)strlen(func);
	char *p = (char *)(l + 1);
	strcpy(p, name);
	strcpy(p + l->name_len + 1, file);
	strcpy(p + l->name_len + 1 + l->file_len + 1, func);
	size_t n = sizeof(*rec) + sizeof(*l) + l->name_len + l->file_len + l->func_len + 3;
	rec->type = SC_AGENT_REC_TRACE_LOC;
	rec->size = (uint32_t)((n + 7) & ~(size_t)7);
	return rec;
}

static const sc_agent_rec *mk_ev(uint64_t time, uint32_t loc, uint32_t kind, uint64_t arg)
{
	memset(buf, 0, sizeof(buf));
	sc_agent_rec *rec = (void *)buf;
	sc_agent_trace_ev *e = (void *)(rec + 1);
	e->time = time;
	e->loc = loc;
	e->kind = kind;
	e->arg = arg;
	rec->type = SC_AGENT_REC_TRACE;
	rec->size = sizeof(*rec) + sizeof(*e);
	return rec;
}

static const sc_agent_rec *mk_thread(uint64_t time, uint32_t tid, const char *name)
{
	memset(buf, 0, sizeof(buf));
	sc_agent_rec *rec = (void *)buf;
	sc_agent_trace_thread *t = (void *)(rec + 1);
	t->time = time;
	t->tid = tid;
	t->len = (uint32_t)strlen(name);
	strcpy((char *)(t + 1), name);
	rec->type = SC_AGENT_REC_TRACE_THREAD;
	rec->size = (uint32_t)((sizeof(*rec) + sizeof(*t) + t->len + 1 + 7) & ~(size_t)7);
	return rec;
}

/* --- what the callbacks saw --- */

#define MAXOUT 64

typedef struct got_span {
	char name[32], stack[128]; /* stack: the enclosing names joined by ';' */
	uint32_t pid, tid, depth;
	uint64_t start, end, self;
	bool open, known;
} got_span;

typedef struct got {
	got_span spans[MAXOUT];
	int nspans;
	sc_trace_async asyncs[MAXOUT];
	char async_names[MAXOUT][32];
	int nasyncs;
	sc_trace_loop_iter loops[MAXOUT];
	int nloops;
	sc_trace_point points[MAXOUT];
	char point_names[MAXOUT][32];
	int npoints;
	char threads[MAXOUT][32];
	uint32_t thread_tids[MAXOUT];
	int nthreads;
	int sites;
	int fail_at; /* the span callback fails on this span (1-based), 0 never */
} got;

static int on_span(void *ctx, const sc_trace_span *s)
{
	got *g = ctx;
	assert_true(g->nspans < MAXOUT);
	if (g->fail_at && g->nspans + 1 == g->fail_at)
		return -EIO;
	got_span *o = &g->spans[g->nspans++];
	snprintf(o->name, sizeof(o->name), "%s", s->site->name);
	o->stack[0] = 0;
	for (uint32_t i = 0; i < s->depth; i++) {
		size_t n = strlen(o->stack);
		snprintf(o->stack + n, sizeof(o->stack) - n, "%s%s", i ? ";" : "",
			 s->stack[i]->name);
	}
	o->pid = s->pid;
	o->tid = s->tid;
	o->depth = s->depth;
	o->start = s->start;
	o->end = s->end;
	o->self = s->self;
	o->open = s->open;
	o->known = s->site->known;
	return 0;
}

static int on_async(void *ctx, const sc_trace_async *a)
{
	got *g = ctx;
	assert_true(g->nasyncs < MAXOUT);
	snprintf(g->async_names[g->nasyncs], 32, "%s", a->site->name);
	g->asyncs[g->nasyncs++] = *a;
	return 0;
}

static int on_loop(void *ctx, const sc_trace_loop_iter *l)
{
	got *g = ctx;
	assert_true(g->nloops < MAXOUT);
	g->loops[g->nloops++] = *l;
	return 0;
}

static int on_point(void *ctx, const sc_trace_point *p)
{
	got *g = ctx;
	assert_true(g->npoints < MAXOUT);
	snprintf(g->point_names[g->npoints], 32, "%s", p->site->name);
	g->points[g->npoints++] = *p;
	return 0;
}

static int on_thread(void *ctx, const sc_trace_thread *t)
{
	got *g = ctx;
	assert_true(g->nthreads < MAXOUT);
	snprintf(g->threads[g->nthreads], 32, "%s", t->name);
	g->thread_tids[g->nthreads++] = t->tid;
	return 0;
}

static int on_site(void *ctx, const sc_trace_site *s)
{
	(void)s;
	((got *)ctx)->sites++;
	return 0;
}

static const sc_trace_ops ops = {on_site, on_thread, on_span, on_point, on_async, on_loop};

static sc_trace_decoder *new_decoder(got *g)
{
	memset(g, 0, sizeof(*g));
	sc_trace_decoder *d = sc_trace_decoder_new(&ops, g);
	assert_non_null(d);
	return d;
}

#define FEED(d, r, rec) assert_int_equal(sc_trace_decoder_feed((d), (r), (rec)), 0)

/* --- the tests --- */

/* A [0,100] holds B [10,40] and C [50,70]; C holds D [55,60]. Self: B 30, D 5, C 20-5 = 15,
 * A 100-30-20 = 50. Reported as they end: B, D, C, A. */
static void test_nesting(void **state)
{
	(void)state;
	got g;
	sc_trace_decoder *d = new_decoder(&g);
	sc_agent_ring r = ring(1, 1, 100, 101);
	const char *names[] = {"A", "B", "C", "D"};
	for (uint32_t i = 0; i < 4; i++)
		FEED(d, &r, mk_loc(i + 1, SC_AGENT_LOC_SPAN, names[i], "x.c", "f", 10 + i));
	assert_int_equal(g.sites, 4);
	FEED(d, &r, mk_ev(0, 1, SC_AGENT_EV_BEGIN, 0));
	FEED(d, &r, mk_ev(10, 2, SC_AGENT_EV_BEGIN, 0));
	FEED(d, &r, mk_ev(40, 2, SC_AGENT_EV_END, 0));
	FEED(d, &r, mk_ev(50, 3, SC_AGENT_EV_BEGIN, 0));
	FEED(d, &r, mk_ev(55, 4, SC_AGENT_EV_BEGIN, 0));
	FEED(d, &r, mk_ev(60, 0, SC_AGENT_EV_END, 0)); /* loc 0: the innermost */
	FEED(d, &r, mk_ev(70, 3, SC_AGENT_EV_END, 0));
	FEED(d, &r, mk_ev(100, 1, SC_AGENT_EV_END, 0));
	assert_int_equal(g.nspans, 4);
	struct {
		const char *name, *stack;
		uint32_t depth;
		uint64_t start, end, self;
	} want[] = {{"B", "A", 1, 10, 40, 30},
		    {"D", "A;C", 2, 55, 60, 5},
		    {"C", "A", 1, 50, 70, 15},
		    {"A", "", 0, 0, 100, 50}};
	for (int i = 0; i < 4; i++) {
		assert_string_equal(g.spans[i].name, want[i].name);
		assert_string_equal(g.spans[i].stack, want[i].stack);
		assert_int_equal(g.spans[i].depth, want[i].depth);
		assert_int_equal(g.spans[i].start, want[i].start);
		assert_int_equal(g.spans[i].end, want[i].end);
		assert_int_equal(g.spans[i].self, want[i].self);
		assert_int_equal(g.spans[i].pid, 100);
		assert_int_equal(g.spans[i].tid, 101);
		assert_false(g.spans[i].open);
	}
	const sc_trace_site *s = sc_trace_decoder_site(d, 1, 3);
	assert_non_null(s);
	assert_string_equal(s->name, "C");
	assert_string_equal(s->file, "x.c");
	assert_string_equal(s->func, "f");
	assert_int_equal(s->line, 12);
	assert_int_equal(s->kind, SC_AGENT_LOC_SPAN);
	assert_int_equal(sc_trace_decoder_finish(d), 0);
	const sc_trace_stats *st = sc_trace_decoder_stats(d);
	assert_int_equal(st->spans, 4);
	assert_int_equal(st->open_spans, 0);
	assert_int_equal(st->unmatched_end, 0);
	assert_int_equal(st->corrupt, 0);
	assert_int_equal(st->streams, 1);
	assert_int_equal(st->last_time, 100);
	assert_int_equal(g.nspans, 4);
	sc_trace_decoder_free(d);
}

/* Thread 2 uses sites 5 (outer) and 6 that thread 1 numbered: ring 2 is drained before ring 1
 * brings their LOCs. Site 7's LOC never comes. Sites are per instance: instance 2's site 5 is
 * another site. */
static void test_late_loc(void **state)
{
	(void)state;
	got g;
	sc_trace_decoder *d = new_decoder(&g);
	sc_agent_ring r1 = ring(1, 1, 100, 101), r2 = ring(2, 1, 100, 102);
	sc_agent_ring other = ring(3, 2, 200, 201);
	FEED(d, &r2, mk_ev(10, 5, SC_AGENT_EV_BEGIN, 0));
	FEED(d, &r2, mk_ev(20, 6, SC_AGENT_EV_BEGIN, 0));
	FEED(d, &r2, mk_ev(30, 6, SC_AGENT_EV_END, 0));
	FEED(d, &r2, mk_ev(35, 5, SC_AGENT_EV_COUNTER, 0));
	assert_int_equal(g.nspans, 0);
	assert_int_equal(g.npoints, 0);
	assert_int_equal(sc_trace_decoder_stats(d)->held, 2);
	/* Ring 1 in the same round: the inner site first; the span still waits for its parent. */
	FEED(d, &r1, mk_loc(6, SC_AGENT_LOC_SPAN, "inner", "y.c", "g", 3));
	assert_int_equal(sc_trace_decoder_round(d), 0);
	assert_int_equal(g.nspans, 0);
	/* Next round: the outer site's LOC. */
	FEED(d, &r1, mk_loc(5, SC_AGENT_LOC_SPAN, "outer", "y.c", "g", 2));
	FEED(d, &other, mk_loc(5, SC_AGENT_LOC_SPAN, "elsewhere", "z.c", "h", 9));
	assert_int_equal(g.nspans, 0);
	assert_int_equal(sc_trace_decoder_round(d), 0);
	assert_int_equal(g.nspans, 1);
	assert_string_equal(g.spans[0].name, "inner");
	assert_string_equal(g.spans[0].stack, "outer");
	assert_int_equal(g.spans[0].self, 10);
	assert_int_equal(g.spans[0].tid, 102);
	/* The counter named site 5 of instance 1 (its value's bits are 0: 0.0). */
	assert_int_equal(g.npoints, 1);
	assert_string_equal(g.point_names[0], "outer");
	assert_int_equal(sc_trace_decoder_stats(d)->held, 0);
	/* Now known: delivered at once. */
	FEED(d, &r2, mk_ev(40, 5, SC_AGENT_EV_END, 0));
	assert_int_equal(g.nspans, 2);
	assert_string_equal(g.spans[1].name, "outer");
	assert_int_equal(g.spans[1].self, 20);
	assert_string_equal(sc_trace_decoder_site(d, 2, 5)->name, "elsewhere");
	/* Site 7 never gets its LOC: held through rounds, a placeholder at finish. */
	FEED(d, &r2, mk_ev(50, 7, SC_AGENT_EV_BEGIN, 0));
	FEED(d, &r2, mk_ev(60, 7, SC_AGENT_EV_END, 0));
	assert_int_equal(sc_trace_decoder_round(d), 0);
	assert_int_equal(g.nspans, 2);
	assert_int_equal(sc_trace_decoder_finish(d), 0);
	assert_int_equal(g.nspans, 3);
	assert_string_equal(g.spans[2].name, "site 7");
	assert_false(g.spans[2].known);
	assert_int_equal(g.spans[2].end - g.spans[2].start, 10);
	const sc_trace_stats *st = sc_trace_decoder_stats(d);
	assert_int_equal(st->unknown_sites, 1);
	assert_int_equal(st->held, 0);
	assert_int_equal(st->spans, 3);
	sc_trace_decoder_free(d);
}

/* An END with nothing open is counted; spans open at the end are reported open, with the
 * stream's last time as their end, and counted; each_open shows them without closing them. */
static void test_unmatched(void **state)
{
	(void)state;
	got g;
	sc_trace_decoder *d = new_decoder(&g);
	sc_agent_ring r = ring(1, 1, 100, 101);
	FEED(d, &r, mk_loc(1, SC_AGENT_LOC_SPAN, "outer", "x.c", "f", 1));
	FEED(d, &r, mk_loc(2, SC_AGENT_LOC_SPAN, "inner", "x.c", "f", 2));
	FEED(d, &r, mk_ev(5, 1, SC_AGENT_EV_END, 0));
	assert_int_equal(sc_trace_decoder_stats(d)->unmatched_end, 1);
	FEED(d, &r, mk_ev(10, 1, SC_AGENT_EV_BEGIN, 0));
	FEED(d, &r, mk_ev(20, 2, SC_AGENT_EV_BEGIN, 0));
	FEED(d, &r, mk_ev(25, 2, SC_AGENT_EV_MARK, 0)); /* not a site of this kind: still a point */
	assert_int_equal(g.nspans, 0);
	/* Open now (time 100): inner 80 with self 80; outer 90 with self 10. */
	assert_int_equal(sc_trace_decoder_each_open(d, 100), 0);
	assert_int_equal(g.nspans, 2);
	assert_string_equal(g.spans[0].name, "inner");
	assert_true(g.spans[0].open);
	assert_int_equal(g.spans[0].end, 100);
	assert_int_equal(g.spans[0].self, 80);
	assert_string_equal(g.spans[1].name, "outer");
	assert_int_equal(g.spans[1].self, 10);
	assert_int_equal(sc_trace_decoder_stats(d)->open_spans, 0);
	g.nspans = 0;
	assert_int_equal(sc_trace_decoder_finish(d), 0);
	assert_int_equal(g.nspans, 2);
	assert_string_equal(g.spans[0].name, "inner");
	assert_string_equal(g.spans[0].stack, "outer");
	assert_true(g.spans[0].open);
	assert_int_equal(g.spans[0].end, 25);
	assert_int_equal(g.spans[0].self, 5);
	assert_string_equal(g.spans[1].name, "outer");
	assert_true(g.spans[1].open);
	assert_int_equal(g.spans[1].end, 25);
	assert_int_equal(g.spans[1].self, 10);
	const sc_trace_stats *st = sc_trace_decoder_stats(d);
	assert_int_equal(st->open_spans, 2);
	assert_int_equal(st->spans, 0);
	assert_int_equal(st->unmatched_end, 1);
	/* Closed by finish: a second one finds nothing open. */
	g.nspans = 0;
	assert_int_equal(sc_trace_decoder_finish(d), 0);
	assert_int_equal(g.nspans, 0);
	assert_int_equal(st->open_spans, 2);
	sc_trace_decoder_free(d);
}

/* "req" begun by thread 11 (site 1) and ended by thread 12 (site 2, same name): once with the
 * begin's ring drained first, once the end's. Id 9 never ends; id 8's end has no begin; another
 * name with the same id is another span. */
static void test_async(void **state)
{
	(void)state;
	got g;
	sc_trace_decoder *d = new_decoder(&g);
	sc_agent_ring r1 = ring(1, 1, 100, 11), r2 = ring(2, 1, 100, 12);
	FEED(d, &r1, mk_loc(1, SC_AGENT_LOC_ASYNC, "req", "a.c", "begin", 1));
	FEED(d, &r2, mk_loc(2, SC_AGENT_LOC_ASYNC, "req", "a.c", "end", 2));
	FEED(d, &r2, mk_loc(3, SC_AGENT_LOC_ASYNC, "other", "a.c", "end", 3));
	/* Begin first. */
	FEED(d, &r1, mk_ev(100, 1, SC_AGENT_EV_ASYNC_BEGIN, 42));
	FEED(d, &r2, mk_ev(500, 3, SC_AGENT_EV_ASYNC_END, 42)); /* "other": no match */
	assert_int_equal(g.nasyncs, 0);
	FEED(d, &r2, mk_ev(500, 2, SC_AGENT_EV_ASYNC_END, 42));
	assert_int_equal(g.nasyncs, 1);
	assert_string_equal(g.async_names[0], "req");
	assert_int_equal(g.asyncs[0].id, 42);
	assert_int_equal(g.asyncs[0].begin_tid, 11);
	assert_int_equal(g.asyncs[0].end_tid, 12);
	assert_int_equal(g.asyncs[0].start, 100);
	assert_int_equal(g.asyncs[0].end, 500);
	assert_false(g.asyncs[0].open);
	/* End first: ring 2 drained before ring 1 in a round. */
	FEED(d, &r2, mk_ev(900, 2, SC_AGENT_EV_ASYNC_END, 43));
	assert_int_equal(g.nasyncs, 1);
	FEED(d, &r1, mk_ev(600, 1, SC_AGENT_EV_ASYNC_BEGIN, 43));
	assert_int_equal(g.nasyncs, 2);
	assert_int_equal(g.asyncs[1].id, 43);
	assert_int_equal(g.asyncs[1].begin_tid, 11);
	assert_int_equal(g.asyncs[1].end_tid, 12);
	assert_int_equal(g.asyncs[1].start, 600);
	assert_int_equal(g.asyncs[1].end, 900);
	/* Reused id 42 after its match: a new span. */
	FEED(d, &r1, mk_ev(1000, 1, SC_AGENT_EV_ASYNC_BEGIN, 42));
	FEED(d, &r2, mk_ev(1100, 2, SC_AGENT_EV_ASYNC_END, 42));
	assert_int_equal(g.nasyncs, 3);
	assert_int_equal(g.asyncs[2].end - g.asyncs[2].start, 100);
	FEED(d, &r1, mk_ev(1200, 1, SC_AGENT_EV_ASYNC_BEGIN, 9));
	FEED(d, &r2, mk_ev(1300, 2, SC_AGENT_EV_ASYNC_END, 8));
	assert_int_equal(sc_trace_decoder_each_open(d, 2000), 0);
	assert_int_equal(g.nasyncs, 4);
	assert_true(g.asyncs[3].open);
	assert_int_equal(g.asyncs[3].id, 9);
	assert_int_equal(g.asyncs[3].end, 2000);
	assert_int_equal(sc_trace_decoder_finish(d), 0);
	assert_int_equal(g.nasyncs, 5);
	assert_true(g.asyncs[4].open);
	assert_int_equal(g.asyncs[4].id, 9);
	assert_int_equal(g.asyncs[4].end, 1300);
	const sc_trace_stats *st = sc_trace_decoder_stats(d);
	assert_int_equal(st->async_spans, 3);
	assert_int_equal(st->async_open, 1);
	assert_int_equal(st->async_unmatched_end, 2); /* id 8, and "other" 42 */
	sc_trace_decoder_free(d);
}

/* Many requests: the matched entries are dropped as they go (the table does not keep them). */
static void test_async_many(void **state)
{
	(void)state;
	got g;
	sc_trace_decoder *d = new_decoder(&g);
	sc_agent_ring r1 = ring(1, 1, 100, 11), r2 = ring(2, 1, 100, 12);
	FEED(d, &r1, mk_loc(1, SC_AGENT_LOC_ASYNC, "req", "a.c", "begin", 1));
	FEED(d, &r2, mk_loc(2, SC_AGENT_LOC_ASYNC, "req", "a.c", "end", 2));
	uint64_t matched = 0;
	for (uint64_t i = 0; i < 5000; i++) {
		FEED(d, &r1, mk_ev(10 * i, 1, SC_AGENT_EV_ASYNC_BEGIN, i));
		if (i >= 2) {
			FEED(d, &r2, mk_ev(10 * i + 5, 2, SC_AGENT_EV_ASYNC_END, i - 2));
			matched++;
		}
		if (g.nasyncs == MAXOUT)
			g.nasyncs = 0;
	}
	assert_int_equal(sc_trace_decoder_stats(d)->async_spans, matched);
	assert_int_equal(sc_trace_decoder_finish(d), 0);
	assert_int_equal(sc_trace_decoder_stats(d)->async_open, 2);
	sc_trace_decoder_free(d);
}

/* Loop "ev" on thread 101: waits of timeout 50 (woke at 80: lag 30), 1000 (woke by an event at
 * 100: no lag; busy 20 since the previous wake) and none (never lag). A WAKE with no WAIT. */
static void test_loop(void **state)
{
	(void)state;
	got g;
	sc_trace_decoder *d = new_decoder(&g);
	sc_agent_ring r = ring(1, 1, 100, 101);
	FEED(d, &r, mk_loc(1, SC_AGENT_LOC_LOOP, "ev", "l.c", "run", 1));
	FEED(d, &r, mk_ev(100, 1, SC_AGENT_EV_LOOP_WAIT, 50));
	FEED(d, &r, mk_ev(180, 1, SC_AGENT_EV_LOOP_WAKE, 0));
	FEED(d, &r, mk_ev(200, 1, SC_AGENT_EV_LOOP_WAIT, 1000));
	FEED(d, &r, mk_ev(300, 1, SC_AGENT_EV_LOOP_WAKE, 0));
	FEED(d, &r, mk_ev(350, 1, SC_AGENT_EV_LOOP_WAIT, UINT64_MAX));
	FEED(d, &r, mk_ev(5350, 1, SC_AGENT_EV_LOOP_WAKE, 0));
	FEED(d, &r, mk_ev(6000, 1, SC_AGENT_EV_LOOP_WAKE, 0));
	assert_int_equal(g.nloops, 3);
	sc_trace_loop_iter *l = g.loops;
	assert_string_equal(l[0].site->name, "ev");
	assert_int_equal(l[0].tid, 101);
	assert_int_equal(l[0].idle, 80);
	assert_int_equal(l[0].lag, 30);
	assert_false(l[0].has_busy);
	assert_int_equal(l[0].busy, 0);
	assert_int_equal(l[1].idle, 100);
	assert_int_equal(l[1].lag, 0);
	assert_true(l[1].has_busy);
	assert_int_equal(l[1].busy, 20);
	assert_int_equal(l[1].timeout, 1000);
	assert_int_equal(l[2].idle, 5000);
	assert_int_equal(l[2].lag, 0);
	assert_int_equal(l[2].busy, 50);
	const sc_trace_stats *st = sc_trace_decoder_stats(d);
	assert_int_equal(st->loop_iters, 3);
	assert_int_equal(st->loop_unmatched, 1);
	sc_trace_decoder_free(d);
}

/* Counters carry a double's bits; marks and frames have no value; thread names as written. */
static void test_points(void **state)
{
	(void)state;
	got g;
	sc_trace_decoder *d = new_decoder(&g);
	sc_agent_ring r = ring(1, 1, 100, 101);
	FEED(d, &r, mk_thread(1, 101, "worker-1"));
	FEED(d, &r, mk_thread(2, 0, "renamed")); /* tid 0: the ring's */
	FEED(d, &r, mk_loc(1, SC_AGENT_LOC_COUNTER, "depth", "c.c", "f", 1));
	FEED(d, &r, mk_loc(2, SC_AGENT_LOC_MARK, "tick", "c.c", "f", 2));
	FEED(d, &r, mk_loc(3, SC_AGENT_LOC_FRAME, "frame", "c.c", "f", 3));
	double v = 2.5;
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	FEED(d, &r, mk_ev(10, 1, SC_AGENT_EV_COUNTER, bits));
	FEED(d, &r, mk_ev(20, 2, SC_AGENT_EV_MARK, 0));
	FEED(d, &r, mk_ev(30, 3, SC_AGENT_EV_FRAME, 0));
	assert_int_equal(g.nthreads, 2);
	assert_string_equal(g.threads[0], "worker-1");
	assert_int_equal(g.thread_tids[0], 101);
	assert_string_equal(g.threads[1], "renamed");
	assert_int_equal(g.thread_tids[1], 101);
	assert_int_equal(g.npoints, 3);
	assert_int_equal(g.points[0].kind, SC_AGENT_EV_COUNTER);
	assert_true(g.points[0].value == 2.5);
	assert_string_equal(g.point_names[0], "depth");
	assert_int_equal(g.points[1].kind, SC_AGENT_EV_MARK);
	assert_int_equal(g.points[1].time, 20);
	assert_int_equal(g.points[2].kind, SC_AGENT_EV_FRAME);
	assert_string_equal(g.point_names[2], "frame");
	sc_trace_decoder_free(d);
}

/* ring->lost is a running count per claim: counted by increments, per stream. */
static void test_lost(void **state)
{
	(void)state;
	got g;
	sc_trace_decoder *d = new_decoder(&g);
	sc_agent_ring r1 = ring(1, 1, 100, 101), r2 = ring(2, 1, 100, 102);
	r1.lost = 3;
	sc_trace_decoder_ring(d, &r1);
	sc_trace_decoder_ring(d, &r1);
	assert_int_equal(sc_trace_decoder_stats(d)->lost, 3);
	r1.lost = 5;
	FEED(d, &r1, mk_ev(1, 1, SC_AGENT_EV_MARK, 0));
	r2.lost = 4;
	sc_trace_decoder_ring(d, &r2);
	assert_int_equal(sc_trace_decoder_stats(d)->lost, 9);
	assert_int_equal(sc_trace_decoder_stats(d)->streams, 2);
	sc_trace_decoder_free(d);
}

/* Bad records are counted and skipped; nothing else is disturbed. */
static void test_corrupt(void **state)
{
	(void)state;
	got g;
	sc_trace_decoder *d = new_decoder(&g);
	sc_agent_ring r = ring(1, 1, 100, 101);
	FEED(d, &r, mk_loc(1, SC_AGENT_LOC_SPAN, "s", "x.c", "f", 1));
	/* An event record cut short. */
	sc_agent_rec *rec = (void *)mk_ev(5, 1, SC_AGENT_EV_BEGIN, 0);
	rec->size = sizeof(*rec) + 8;
	FEED(d, &r, rec);
	/* Site 0, a site beyond any table, an unknown kind. */
	FEED(d, &r, mk_ev(6, 0, SC_AGENT_EV_BEGIN, 0));
	FEED(d, &r, mk_ev(6, UINT32_MAX, SC_AGENT_EV_BEGIN, 0));
	FEED(d, &r, mk_ev(6, 1, 77, 0));
	/* A LOC whose lengths run past the record, one whose name lacks its NUL. */
	rec = (void *)mk_loc(2, SC_AGENT_LOC_SPAN, "t", "x.c", "f", 1);
	((sc_agent_trace_loc *)(rec + 1))->file_len = 4000;
	FEED(d, &r, rec);
	rec = (void *)mk_loc(2, SC_AGENT_LOC_SPAN, "t", "x.c", "f", 1);
	((sc_agent_trace_loc *)(rec + 1))->name_len = 2;
	FEED(d, &r, rec);
	/* A thread name without room. */
	rec = (void *)mk_thread(1, 101, "abc");
	((sc_agent_trace_thread *)(rec + 1))->len = 500;
	FEED(d, &r, rec);
	/* Not a trace record: ignored, not counted. */
	rec = (void *)mk_ev(1, 1, SC_AGENT_EV_BEGIN, 0);
	rec->type = SC_AGENT_REC_SAMPLE;
	FEED(d, &r, rec);
	const sc_trace_stats *st = sc_trace_decoder_stats(d);
	assert_int_equal(st->corrupt, 7);
	assert_int_equal(g.sites, 1);
	assert_int_equal(g.nthreads, 0);
	assert_null(sc_trace_decoder_site(d, 1, 2));
	/* Still decoding. */
	FEED(d, &r, mk_ev(10, 1, SC_AGENT_EV_BEGIN, 0));
	FEED(d, &r, mk_ev(12, 1, SC_AGENT_EV_END, 0));
	assert_int_equal(g.nspans, 1);
	assert_int_equal(g.spans[0].self, 2);
	assert_int_equal(sc_trace_decoder_finish(d), 0);
	assert_int_equal(st->open_spans, 0);
	sc_trace_decoder_free(d);
}

/* A callback's error comes back from feed; a held output that fails stays held for later. */
static void test_errors(void **state)
{
	(void)state;
	got g;
	sc_trace_decoder *d = new_decoder(&g);
	sc_agent_ring r = ring(1, 1, 100, 101);
	g.fail_at = 1;
	FEED(d, &r, mk_loc(1, SC_AGENT_LOC_SPAN, "s", "x.c", "f", 1));
	FEED(d, &r, mk_ev(1, 1, SC_AGENT_EV_BEGIN, 0));
	assert_int_equal(sc_trace_decoder_feed(d, &r, mk_ev(2, 1, SC_AGENT_EV_END, 0)), -EIO);
	g.fail_at = 0;
	FEED(d, &r, mk_ev(3, 2, SC_AGENT_EV_BEGIN, 0));
	FEED(d, &r, mk_ev(4, 2, SC_AGENT_EV_END, 0));
	g.fail_at = g.nspans + 1;
	FEED(d, &r, mk_loc(2, SC_AGENT_LOC_SPAN, "late", "x.c", "f", 2));
	assert_int_equal(sc_trace_decoder_round(d), -EIO);
	assert_int_equal(sc_trace_decoder_stats(d)->held, 1);
	g.fail_at = 0;
	assert_int_equal(sc_trace_decoder_round(d), 0);
	assert_int_equal(g.nspans, 1);
	assert_string_equal(g.spans[0].name, "late");
	sc_trace_decoder_free(d);
	/* No callbacks at all. */
	d = sc_trace_decoder_new(NULL, NULL);
	assert_non_null(d);
	FEED(d, &r, mk_ev(1, 1, SC_AGENT_EV_BEGIN, 0));
	FEED(d, &r, mk_ev(2, 1, SC_AGENT_EV_END, 0));
	assert_int_equal(sc_trace_decoder_finish(d), 0);
	assert_int_equal(sc_trace_decoder_stats(d)->spans, 1);
	assert_int_equal(sc_trace_decoder_stats(d)->unknown_sites, 1);
	sc_trace_decoder_free(d);
	sc_trace_decoder_free(NULL);
}

/* The catalogue of a console's file: a LOC and a thread name of instance 2 are read (the events
 * of a ring that follow are named by them); an entry not ready yet stops the reading, which
 * goes on from there once it is; a second read finds nothing new; an entry whose size does not
 * match its record is corrupt and ends the reading for good. */
static void test_catalog(void **state)
{
	(void)state;
	got g;
	sc_trace_decoder *d = new_decoder(&g);
	static _Alignas(8) unsigned char file[8192];
	memset(file, 0, sizeof(file));
	sc_agent_header *h = (sc_agent_header *)file;
	h->catalog_offset = 4096;
	h->catalog_bytes = 4096;
	unsigned char *cat = file + 4096;
	uint64_t end = 0;
	uint64_t at[3];
	for (int i = 0; i < 3; i++) {
		const sc_agent_rec *rec =
		    i == 0   ? mk_loc(7, SC_AGENT_LOC_SPAN, "tick", "l.c", "f", 3)
		    : i == 1 ? mk_thread(5, 201, "worker")
			     : mk_loc(8, SC_AGENT_LOC_SPAN, "late", "l.c", "g", 4);
		sc_agent_catalog_entry *e = (sc_agent_catalog_entry *)(cat + end);
		e->instance = 2;
		e->pid = 200;
		e->size = rec->size;
		e->ready = i < 2;
		memcpy(e + 1, rec, rec->size);
		at[i] = end;
		end += sizeof(*e) + rec->size;
	}
	h->catalog_end = end;
	uint64_t pos = 0;
	assert_int_equal(sc_trace_decoder_catalog(d, h, sizeof(file), &pos), 0);
	assert_int_equal(pos, at[2]); /* stopped at the entry not ready */
	assert_int_equal(g.sites, 1);
	assert_int_equal(g.nthreads, 1);
	assert_string_equal(g.threads[0], "worker");
	assert_non_null(sc_trace_decoder_site(d, 2, 7));
	assert_null(sc_trace_decoder_site(d, 2, 8));
	((sc_agent_catalog_entry *)(cat + at[2]))->ready = 1;
	assert_int_equal(sc_trace_decoder_catalog(d, h, sizeof(file), &pos), 0);
	assert_int_equal(pos, end);
	assert_string_equal(sc_trace_decoder_site(d, 2, 8)->name, "late");
	assert_int_equal(sc_trace_decoder_catalog(d, h, sizeof(file), &pos), 0);
	assert_int_equal(g.sites, 2);
	/* A ring of instance 2 uses site 7: named by the catalogue. */
	sc_agent_ring r = ring(3, 2, 200, 201);
	FEED(d, &r, mk_ev(10, 7, SC_AGENT_EV_BEGIN, 0));
	FEED(d, &r, mk_ev(20, 7, SC_AGENT_EV_END, 0));
	assert_int_equal(g.nspans, 1);
	assert_string_equal(g.spans[0].name, "tick");
	assert_true(g.spans[0].known);
	/* A bad entry: corrupt, and nothing after it is read. */
	sc_agent_catalog_entry *bad = (sc_agent_catalog_entry *)(cat + end);
	bad->ready = 1;
	bad->size = 12;
	h->catalog_end = end + 64;
	assert_int_equal(sc_trace_decoder_catalog(d, h, sizeof(file), &pos), 0);
	assert_int_equal(sc_trace_decoder_stats(d)->corrupt, 1);
	assert_int_equal(pos, end + 64);
	/* A catalogue that does not fit the file is not read. */
	uint64_t p2 = 0;
	h->catalog_bytes = 8192;
	assert_int_equal(sc_trace_decoder_catalog(d, h, sizeof(file), &p2), 0);
	assert_int_equal(p2, 0);
	sc_trace_decoder_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nesting),    cmocka_unit_test(test_late_loc),
	    cmocka_unit_test(test_unmatched),  cmocka_unit_test(test_async),
	    cmocka_unit_test(test_async_many), cmocka_unit_test(test_loop),
	    cmocka_unit_test(test_points),     cmocka_unit_test(test_lost),
	    cmocka_unit_test(test_corrupt),    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_catalog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
