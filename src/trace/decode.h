/*
 * decode.h: the instrumentation runtime's records (src/agent/stream.h, version 1.2: TRACE_LOC,
 * TRACE, TRACE_THREAD) turned into spans, counters, marks, async spans and loop iterations, as
 * callbacks. Used by `scorch trace` (src/cli/trace.c) and the live console alike: both drain the
 * rings of an agent file and hand every record to sc_trace_decoder_feed.
 *
 *     sc_trace_decoder *d = sc_trace_decoder_new(&ops, ctx);
 *     each round: for each ring: sc_trace_decoder_ring(d, r); drain it, feeding each record;
 *                 then sc_trace_decoder_round(d);
 *     at the end: sc_trace_decoder_finish(d); read sc_trace_decoder_stats(d); free it.
 *
 * What it keeps, per stream (one claim of a ring: a thread of a process image): the stack of
 * open spans; an END closes the innermost and is reported as a completed span with its depth, the
 * sites of its enclosing spans and its self time (its duration minus its direct children's). Per
 * process image (`instance`): the call sites (TRACE_LOC), numbered from 1. Across images and
 * threads: async spans, matched by (instance, the site's name, id) whichever thread and ring
 * brings the begin or the end first.
 *
 * Ordering: a site's LOC may be read after an event naming it (another thread's ring, drained
 * earlier in the round: stream.h). An output whose sites are not all known yet is held and
 * delivered by sc_trace_decoder_round once they are; at finish, what is still held is delivered
 * with a placeholder site ("site N", known false) and counted. So callbacks come in time order
 * within a stream only where no output was held; across streams they never are: a consumer that
 * needs time order sorts.
 *
 * Never crashes on bad input: an END with no open span, a LOOP_WAKE with no wait, an unmatched
 * ASYNC_END, a record too short for its type, a site number out of range are counted in
 * sc_trace_stats. Records that are not trace records (SAMPLE, MAP...) are ignored.
 *
 * Not thread-safe: one decoder per draining thread. Strings and sites handed to callbacks are
 * the decoder's, valid until sc_trace_decoder_free.
 */
#ifndef SC_TRACE_DECODE_H
#define SC_TRACE_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/stream.h"

/* A call site of a process image. */
typedef struct sc_trace_site {
	uint32_t instance, id;
	uint32_t kind;			/* SC_AGENT_LOC_*, 0 while unknown */
	uint32_t line;			/* 0: unknown */
	const char *name, *file, *func; /* never NULL: "" until known, "site N" if never known */
	bool known;			/* its TRACE_LOC was read */
} sc_trace_site;

/* A completed span (or, with `open`, one still open: see sc_trace_decoder_each_open). */
typedef struct sc_trace_span {
	const sc_trace_site *site;
	uint32_t instance, pid, tid, stream;
	uint64_t start, end; /* CLOCK_MONOTONIC ns */
	uint64_t self;	     /* ns: end - start minus its direct children's durations */
	uint32_t depth;	     /* 0: outermost on its thread */
	const sc_trace_site *const *stack; /* the `depth` enclosing spans, outermost first */
	bool open; /* not ended: `end` is the stream's last event (finish) or the time asked */
} sc_trace_span;

/* A COUNTER, MARK or FRAME event. */
typedef struct sc_trace_point {
	const sc_trace_site *site;
	uint32_t kind; /* SC_AGENT_EV_COUNTER, _MARK or _FRAME */
	uint32_t instance, pid, tid;
	uint64_t time;
	double value; /* COUNTER: the value; else 0 */
} sc_trace_point;

/* An async span: begun on one thread, ended on any. */
typedef struct sc_trace_async {
	const sc_trace_site *site; /* the begin's site (its name names the span) */
	uint64_t id;
	uint32_t instance, pid;
	uint32_t begin_tid, end_tid; /* end_tid 0 while open */
	uint64_t start, end;	     /* end: as sc_trace_span's when open */
	bool open;
} sc_trace_async;

/* One iteration of an event loop: a wait (LOOP_WAIT) and its wake (LOOP_WAKE) on one thread. */
typedef struct sc_trace_loop_iter {
	const sc_trace_site *site; /* the loop */
	uint32_t instance, pid, tid;
	uint64_t wait, wake; /* times of the wait and the wake */
	uint64_t idle;	     /* wake - wait */
	uint64_t busy;	  /* wait - the previous wake (the callbacks run since); 0 the first time */
	bool has_busy;	  /* false for the loop's first wait on this thread */
	uint64_t timeout; /* ns the wait was given, UINT64_MAX for none */
	uint64_t lag;	  /* idle - timeout when the wait outlived its timeout, else 0 */
} sc_trace_loop_iter;

typedef struct sc_trace_thread {
	uint32_t instance, pid, tid;
	uint64_t time;
	const char *name;
} sc_trace_thread;

/* The callbacks; any may be NULL. A negative return stops the feed (or round, or finish) that
 * called it and is returned by it; the decoder stays usable. */
typedef struct sc_trace_ops {
	int (*site)(void *ctx, const sc_trace_site *s); /* a TRACE_LOC read (first time) */
	int (*thread)(void *ctx, const sc_trace_thread *t);
	int (*span)(void *ctx, const sc_trace_span *s);
	int (*point)(void *ctx, const sc_trace_point *p);
	int (*async)(void *ctx, const sc_trace_async *a);
	int (*loop)(void *ctx, const sc_trace_loop_iter *l);
} sc_trace_ops;

typedef struct sc_trace_stats {
	uint64_t records;	      /* trace records fed */
	uint64_t spans;		      /* completed spans reported */
	uint64_t unmatched_end;	      /* END with no open span on its thread */
	uint64_t open_spans;	      /* spans still open at finish (reported with `open`) */
	uint64_t async_spans;	      /* matched async spans */
	uint64_t async_open;	      /* async begins never ended (at finish) */
	uint64_t async_unmatched_end; /* async ends never begun (at finish) */
	uint64_t loop_iters;	      /* WAIT/WAKE pairs */
	uint64_t loop_unmatched;      /* a WAKE with no WAIT before it */
	uint64_t lost;		      /* records the runtime dropped (full rings): ring->lost */
	uint64_t corrupt;	      /* records too short, bad kinds, site numbers out of range */
	uint64_t unknown_sites;	      /* sites named by events whose LOC never came */
	uint64_t held;		      /* outputs waiting for a site now */
	uint64_t streams;	      /* ring claims seen */
	uint64_t last_time;	      /* the latest event time seen, 0 before any */
} sc_trace_stats;

typedef struct sc_trace_decoder sc_trace_decoder;

/* NULL on -ENOMEM. `ops` is copied. */
sc_trace_decoder *sc_trace_decoder_new(const sc_trace_ops *ops, void *ctx);
void sc_trace_decoder_free(sc_trace_decoder *d); /* NULL is fine */

/* Notes ring `r`'s lost count (call once per ring per round, before or after draining it; feed
 * does it too). Reads r's fields; `r` may be a live ring of the shared file. */
void sc_trace_decoder_ring(sc_trace_decoder *d, const sc_agent_ring *r);

/* One record of ring `r` (stream, pid, tid and instance are read from r). 0, -ENOMEM, or a
 * callback's error (the record is then consumed: what it did is done). */
int sc_trace_decoder_feed(sc_trace_decoder *d, const sc_agent_ring *r, const sc_agent_rec *rec);

/* The records of the catalogue of file `h` (stream.h: a console's event file; file_bytes
 * mapped) from byte *pos on, fed as one stream's (UINT32_MAX), *pos moved past them: call it
 * before each round's drain, so that sites and thread names whose records an earlier console
 * consumed are known. 0 (also for a file without a catalogue), or feed's error. */
int sc_trace_decoder_catalog(sc_trace_decoder *d, const sc_agent_header *h, uint64_t file_bytes,
			     uint64_t *pos);

/* After a round that drained every ring: delivers held outputs whose sites have arrived. */
int sc_trace_decoder_round(sc_trace_decoder *d);

/* Reports the spans and async spans open now, with `open` and end = `now` (they stay open). For
 * a live view ("a span that never ends"). */
int sc_trace_decoder_each_open(sc_trace_decoder *d, uint64_t now);

/* The end: delivers what is held (with placeholder sites if need be), reports the spans still
 * open (end = their stream's last event time) and the async spans never ended (end = the last
 * event time of all), closes them and counts them. Feeding may go on after it (a new start). */
int sc_trace_decoder_finish(sc_trace_decoder *d);

const sc_trace_stats *sc_trace_decoder_stats(const sc_trace_decoder *d);

/* A site by (instance, id), NULL if never named. */
const sc_trace_site *sc_trace_decoder_site(const sc_trace_decoder *d, uint32_t instance,
					   uint32_t id);

#endif
