/*
 * tsc.h: CLOCK_MONOTONIC nanoseconds for the agents' event times, read from the time-stamp
 * counter between real readings of the clock. Used by the instrumentation runtime
 * (src/trace/runtime.c) and the heap agent (heap.c: event_ns): sc_tsc_init once per process
 * image, an sc_tsc per thread, sc_tsc_ns (or sc_tsc_fast) per event.
 *
 * clock_gettime costs 20-50 ns, more than the rest of an instrumentation event. When the kernel
 * keeps CLOCK_MONOTONIC with the TSC itself (its clocksource is "tsc": a constant rate,
 * synchronized across CPUs) a thread reads the clock once per SC_TSC_SPAN ticks (about 5 ms at
 * 3 GHz) and extrapolates in between: rdtsc, a subtraction, a multiply and a shift. The rate
 * (ns per tick, 32.32 fixed point) is measured between a thread's own readings, at least
 * SC_TSC_MEASURED ticks apart, and shared with threads that start later (a plain store: any
 * thread's measurement will do). An anchor reads the clock on both sides of the TSC (and again
 * when a preemption put them far apart), so the error is that pair's spread scaled by the span
 * over the measuring interval: tens of ns once a rate is measured over a whole span; times of one
 * thread never go back (sc_tsc_ns keeps the last one as a floor). Elsewhere (another clocksource,
 * not x86-64), and until a rate is known, every call reads the clock.
 *
 * No allocation, no lock, no system call but clock_gettime (a vDSO call): safe in a signal
 * handler and inside malloc. One sc_tsc belongs to one thread.
 */
#ifndef SC_AGENT_TSC_H
#define SC_AGENT_TSC_H

#include <stdbool.h>
#include <stdint.h>

#define SC_TSC_SPAN	(1ull << 24)
#define SC_TSC_MEASURED (1ull << 20)
#define SC_TSC_PAIR_NS	2000 /* an anchor's two clock readings around the TSC, at most */

typedef struct sc_tsc {
	uint64_t tsc0, ns0;   /* the last real reading, and the TSC then */
	uint64_t ns_per_tick; /* 32.32 fixed point; 0 until measured */
	uint64_t last;	      /* the last time returned */
} sc_tsc;

/* Whether the TSC is used (set by sc_tsc_init). */
extern bool sc_tsc_on;

/* Once per process image, outside signal handlers: reads the kernel's clocksource. */
void sc_tsc_init(void);
/* A zeroed sc_tsc is ready; this zeroes one (a new thread, a forked child). */
void sc_tsc_reset(sc_tsc *c);
/* CLOCK_MONOTONIC now, read from the kernel. */
uint64_t sc_clock_ns(void);
/* The slow path of sc_tsc_ns: a real reading, which re-anchors c (and measures the rate). */
uint64_t sc_tsc_anchor(sc_tsc *c);

static inline uint64_t sc_tsc_read(void)
{
#if defined(__x86_64__)
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
#else
	return 0;
#endif
}

/* The fast path alone: CLOCK_MONOTONIC ns from the TSC into *ns, without a call; false when a
 * real reading is due (or the TSC is not used): then call sc_tsc_ns. */
static inline bool sc_tsc_fast(sc_tsc *c, uint64_t *ns)
{
	if (!sc_tsc_on)
		return false;
	uint64_t d = sc_tsc_read() - c->tsc0;
	if (__builtin_expect(d >= SC_TSC_SPAN || c->ns_per_tick == 0, 0))
		return false;
	uint64_t v = c->ns0 + (d * c->ns_per_tick >> 32);
	if (__builtin_expect(v < c->last, 0))
		v = c->last;
	c->last = *ns = v;
	return true;
}

/* CLOCK_MONOTONIC ns for an event of the thread owning c. */
static inline uint64_t sc_tsc_ns(sc_tsc *c)
{
	uint64_t ns;
	if (__builtin_expect(sc_tsc_fast(c, &ns), 1))
		return ns;
	if (sc_tsc_on)
		return sc_tsc_anchor(c);
	ns = sc_clock_ns();
	if (ns < c->last)
		ns = c->last;
	c->last = ns;
	return ns;
}

#endif
