/*
 * live.h: the live console's aggregation (`scorch console`, `scorch trace --live`): decoded
 * events (src/trace/decode.h) in, a snapshot of "what the program does now" out, over sliding
 * windows of the last seconds.
 *
 *     sc_live *l = sc_live_new(&cfg);
 *     each round: sc_live_span/_counter/_loop/_thread for what the decoder reported;
 *                 sc_live_open_reset, then sc_live_open for each span open now;
 *                 sc_live_view(l, now, &v): render v; sc_live_view_release(&v);
 *     sc_live_free(l);
 *
 * Time is the events' clock (CLOCK_MONOTONIC ns) and `now` the caller's reading of it. History
 * is kept per second of that clock (slot s holds events with time / 1e9 == s; a span is counted
 * at its end), in rings of the last SC_LIVE_SECONDS seconds; events older than the ring are
 * counted in the totals only.
 *
 * What a view says, per span name (sites of the same name merge): the count and time since the
 * start; the rate over the last completed second and over the last 10 (or since the first event,
 * if later); p50, p99 and max of the durations of the spans that ended in the last 10 seconds
 * and the current one (from per-second log histograms: a percentile is within 1/16 of the true
 * value, and never outside the window's min and max; max is exact). Per thread: the share of the
 * last 10 s (completed tenths of a second, since the thread's first event if later) spent busy:
 * inside its outermost spans, or, for a thread that runs an event loop, between each wake and the
 * next wait. Per loop: iterations over the last completed second, lag p50/p99/max over the last 10
 * s. Per counter: the last value and one value per second (the last of that second) for a
 * sparkline. Warnings, in the spirit of tokio-console's lints:
 *   - BLOCKED: an outermost span on a loop's thread (a callback between a wake and the next wait)
 *     that lasted longer than cfg.block_ns, or a loop iteration busy that long; kept with its
 *     count, worst duration and last time;
 *   - STUCK: a span open (sc_live_open) for longer than cfg.stuck_ns;
 *   - BUSY: a thread busy more than 95% of the last 10 s (with at least 1 s observed).
 *
 * Not thread-safe. Names are copied.
 */
#ifndef SC_TRACE_LIVE_H
#define SC_TRACE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_LIVE_SECONDS	  64 /* history kept (counters' sparklines) */
#define SC_LIVE_WINDOW	  10 /* seconds of the rates, percentiles and busy shares */
#define SC_LIVE_BUSY_WARN 0.95

typedef struct sc_live_config {
	uint64_t block_ns; /* a callback longer than this blocked its loop (0: 100 ms) */
	uint64_t stuck_ns; /* a span open longer than this is stuck (0: 10 s) */
} sc_live_config;

typedef struct sc_live sc_live;

sc_live *sc_live_new(const sc_live_config *cfg); /* NULL on ENOMEM */
void sc_live_free(sc_live *l);			 /* NULL is fine */

/* Inputs. Each returns 0 or -ENOMEM. `tid` names a thread (its kernel id). */
int sc_live_thread(sc_live *l, uint32_t tid, const char *name);
/* A completed span; depth 0 is outermost on its thread. */
int sc_live_span(sc_live *l, const char *name, uint32_t tid, uint64_t start, uint64_t end,
		 uint32_t depth);
int sc_live_counter(sc_live *l, const char *name, uint32_t tid, uint64_t time, double value);
/* An instant, a frame mark, an async span's end...: counted in the events only. */
void sc_live_event(sc_live *l, uint64_t time);
/* A loop iteration: the wait at `wait`, woken at `wake`; `busy` ns ran before the wait since the
 * previous wake (has_busy false for the first wait); `lag`: how late a timed-out wait woke. */
int sc_live_loop(sc_live *l, const char *name, uint32_t tid, uint64_t wait, uint64_t wake,
		 uint64_t busy, bool has_busy, uint64_t lag);
/* The spans open now: reset, then report each (the set replaces the previous round's). */
void sc_live_open_reset(sc_live *l);
int sc_live_open(sc_live *l, const char *name, uint32_t tid, uint64_t start);

/* A view: rows in no particular order (the console sorts and filters). */
typedef struct sc_live_span_row {
	char *name;
	uint64_t count, total_ns; /* since the start */
	double rate1, rate10;	  /* per second */
	uint64_t win_count;	  /* spans in the percentiles' window */
	uint64_t p50, p99, max;	  /* ns, over the window; 0 when win_count is 0 */
} sc_live_span_row;

typedef struct sc_live_thread_row {
	uint32_t tid;
	char *name;  /* "" when unknown */
	double busy; /* 0..1, over the window; < 0 when less than a tenth of a second observed */
	bool loop;   /* busy time from its loop's wakes and waits */
} sc_live_thread_row;

typedef struct sc_live_loop_row {
	char *name;
	uint32_t tid;
	uint64_t iters;		/* since the start */
	double rate1;		/* iterations in the last completed second */
	uint64_t win_lags;	/* iterations in the window */
	uint64_t p50, p99, max; /* lag ns over the window */
} sc_live_loop_row;

typedef struct sc_live_counter_row {
	char *name;
	double last;
	double hist[SC_LIVE_SECONDS]; /* oldest first: one per second up to the current */
	bool has[SC_LIVE_SECONDS];    /* false: no value that second (the previous one holds) */
	size_t nhist;		      /* seconds since its first value, at most SC_LIVE_SECONDS */
} sc_live_counter_row;

enum { SC_LIVE_WARN_BLOCKED = 1, SC_LIVE_WARN_STUCK = 2, SC_LIVE_WARN_BUSY = 3 };

typedef struct sc_live_warning {
	int kind;     /* SC_LIVE_WARN_* */
	char *name;   /* the span (BLOCKED, STUCK), the loop (BLOCKED without a span) */
	char *thread; /* the thread's name, "" when unknown */
	uint32_t tid;
	uint64_t count; /* BLOCKED: times */
	uint64_t ns;	/* BLOCKED: the worst; STUCK: open for */
	uint64_t last;	/* BLOCKED: the last one's end (event time) */
	double busy;	/* BUSY: the share */
	bool by_loop;	/* BLOCKED: a loop iteration, not a span */
} sc_live_warning;

typedef struct sc_live_view {
	uint64_t now;
	double events1;	 /* events in the last completed second */
	uint64_t events; /* since the start */
	sc_live_span_row *spans;
	size_t nspans;
	sc_live_thread_row *threads;
	size_t nthreads;
	sc_live_loop_row *loops;
	size_t nloops;
	sc_live_counter_row *counters;
	size_t ncounters;
	sc_live_warning *warnings;
	size_t nwarnings;
} sc_live_view;

/* The view at `now` (the caller releases it, also after an error). 0 or -ENOMEM. */
int sc_live_view_make(sc_live *l, uint64_t now, sc_live_view *v);
void sc_live_view_release(sc_live_view *v);

/* Helpers shared with the console and the tests. The histogram's bucket of a value, and the
 * smallest value of a bucket (values in bucket b lie in [lo(b), lo(b + 1))). */
#define SC_LIVE_BUCKETS 344
unsigned sc_live_bucket(uint64_t v);
uint64_t sc_live_bucket_lo(unsigned b);

#endif
