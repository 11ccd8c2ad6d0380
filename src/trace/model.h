/*
 * model.h: a whole run of trace events (what `scorch trace` collected), for the writers: every
 * span, point, async span and loop iteration kept in order of arrival, statistics per span name,
 * counter, mark and loop, thread names, and a profile of spans.
 *
 * The model owns its decoder (decode.h): feed the decoder (sc_trace_model_decoder) while the
 * command runs, then sc_trace_model_finish once. Statistics (sc_trace_model_names...) are up to
 * date after every callback; the profile is built by finish.
 *
 * The profile of spans (m->profile): each span counts in the sample of its stack (its enclosing
 * spans on its thread, outermost first, then itself) and thread: values span_time
 * (nanoseconds: the spans' self time) and spans (count), summed over the spans of that stack and
 * thread; labels thread_name and process_name; no times (trace.json has them). Async spans
 * count under the stack "async;NAME", valued at their whole duration. Spans still open at the
 * end count too (their time up to the end). Frames are functions named after the spans, with the
 * site's file and line. So the profile's total span_time is the time covered by outermost spans
 * plus async spans.
 *
 * Not here: decoding (decode.c), writing (chrome_trace.c, stats.c).
 * Not thread-safe. Memory: about 64 bytes per span kept.
 */
#ifndef SC_TRACE_MODEL_H
#define SC_TRACE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"
#include "trace/decode.h"
#include "trace/hist.h"
#include "util/hashmap.h"
#include "util/vec.h"

typedef struct sc_trace_span_rec {
	const sc_trace_site *site;
	uint32_t pid, tid;
	uint64_t start, end, self;
	uint32_t depth;
	sc_stack_id stack; /* in the profile: its enclosing spans, then itself */
	bool open;
} sc_trace_span_rec;

typedef struct sc_trace_point_rec {
	const sc_trace_site *site;
	uint32_t kind; /* SC_AGENT_EV_COUNTER, _MARK, _FRAME */
	uint32_t pid, tid;
	uint64_t time;
	double value;
} sc_trace_point_rec;

/* Statistics of one span name (spans of several sites with one name are one row; an async span
 * is a row of its own, async set). Durations in ns; `hist` holds the durations. */
typedef struct sc_trace_name {
	const char *name;
	bool async;
	uint64_t count, total, self, open;
	sc_hist hist;
	uint32_t threads; /* distinct threads that ran it (pid, tid) */
	sc_hashmap thread_set;
	const sc_trace_site *site; /* the first site seen with this name */
} sc_trace_name;

/* A counter (values), a mark or a frame mark (count; frames: the time between two). */
typedef struct sc_trace_series {
	const char *name;
	uint32_t kind; /* SC_AGENT_EV_COUNTER, _MARK, _FRAME */
	uint64_t count;
	double min, max, sum, last; /* counters */
	uint64_t last_time;
	sc_hist interval; /* frames: ns between consecutive frame marks (of one thread) */
	uint32_t last_tid;
} sc_trace_series;

/* A loop (by name): its iterations on every thread. */
typedef struct sc_trace_loopstat {
	const char *name;
	uint64_t iterations, busy, idle;
	sc_hist lag;
} sc_trace_loopstat;

typedef struct sc_trace_loop_rec {
	const sc_trace_site *site;
	uint32_t pid, tid;
	uint64_t wait, wake, busy, lag;
	bool has_busy;
} sc_trace_loop_rec;

typedef struct sc_trace_thread_rec {
	uint32_t pid, tid;
	char *name; /* the last one given */
} sc_trace_thread_rec;

typedef struct sc_trace_model {
	sc_trace_decoder *dec;
	SC_VEC(sc_trace_span_rec) spans;
	SC_VEC(sc_trace_point_rec) points;
	SC_VEC(sc_trace_async) asyncs;
	SC_VEC(sc_trace_loop_rec) loops;
	SC_VEC(sc_trace_thread_rec) threads;
	SC_VEC(sc_trace_name) names;
	SC_VEC(sc_trace_series) series;
	SC_VEC(sc_trace_loopstat) loopstats;
	sc_hashmap name_index, series_index, loop_index, thread_index, loc_index;
	uint64_t first_time, last_time; /* of all events kept; 0 before any */
	sc_profile *profile;		/* the profile of spans (owned) */
	uint32_t root_pid;     /* the command's process, named root_name (set by the caller) */
	const char *root_name; /* borrowed; NULL: processes are named after their main thread */
	bool finished;
	int err; /* the first error of a callback */
} sc_trace_model;

/* NULL on -ENOMEM. */
sc_trace_model *sc_trace_model_new(void);
void sc_trace_model_free(sc_trace_model *m); /* NULL is fine */

static inline sc_trace_decoder *sc_trace_model_decoder(sc_trace_model *m)
{
	return m->dec;
}

/* The decoder's finish, then the profile's samples. 0 or -ENOMEM. Once. */
int sc_trace_model_finish(sc_trace_model *m);

/* A thread's name, or NULL. */
const char *sc_trace_model_thread_name(const sc_trace_model *m, uint32_t pid, uint32_t tid);

/* A process's name: root_name for root_pid, else its main thread's name, else "pid N" (in
 * buf). */
const char *sc_trace_model_process_name(const sc_trace_model *m, uint32_t pid, char *buf,
					size_t size);

/* Span names sorted by total time, largest first: an array of m->names.len pointers into m,
 * malloc'ed (the caller frees it), or NULL on -ENOMEM. */
const sc_trace_name **sc_trace_model_by_total(const sc_trace_model *m);

#endif
