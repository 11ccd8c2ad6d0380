/*
 * scorch/trace.h: instrumentation for C programs (libscorch): spans, counters, marks, thread
 * names, async spans and event loops, recorded by `scorch trace -- CMD` and shown live by
 * `scorch console PID` (or `scorch trace --live -- CMD`).
 *
 *     #include <scorch/trace.h>
 *
 *     static void handle(struct request *rq)
 *     {
 *             SCORCH_SPAN("handle");               // until the end of the enclosing scope
 *             parse(rq);
 *             scorch_counter("queue_depth", queue_len());
 *     }
 *
 * Link with -lscorch (build/libscorch.so or build/libscorch.a). A program that links libscorch
 * but runs without scorch pays a load and a branch per call and writes nothing: the runtime turns
 * itself on only when `scorch trace` starts the program, or when SCORCH_CONSOLE=1 is in its
 * environment (a console may then attach).
 *
 * Names are static strings (literals): each call site's name, file, function and line are
 * recorded once, events carry a number. Every function here is safe from any thread; none may be
 * called from a signal handler. Spans nest per thread: an end closes the innermost open span.
 *
 * Documentation: docs/trace.md in scorch's documentation (the API, the outputs, the console).
 */
#ifndef SCORCH_TRACE_H
#define SCORCH_TRACE_H

#include <stdint.h>

#include <scorch/api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A call site: static storage, one per use of the macros below. `id` is the runtime's (0 until
 * the site's first event); the rest is constant. */
typedef struct scorch_loc {
	const char *name;
	const char *file;
	const char *func;
	uint32_t line;
	uint32_t id;
} scorch_loc;

/* Nonzero while events are recorded (set once by the runtime at start-up). Read it through the
 * macros below; it is part of the ABI only so that they cost a load and a branch. */
extern SCORCH_API int scorch_trace_on_;

/* The functions behind the macros (call the macros, not these). */
SCORCH_API scorch_loc *scorch_span_enter_(scorch_loc *loc);
SCORCH_API void scorch_span_leave_(scorch_loc *loc); /* NULL: the innermost open span */
SCORCH_API void scorch_counter_(scorch_loc *loc, double value);
SCORCH_API void scorch_mark_(scorch_loc *loc);
SCORCH_API void scorch_frame_mark_(scorch_loc *loc);
SCORCH_API void scorch_async_begin_(scorch_loc *loc, uint64_t id);
SCORCH_API void scorch_async_end_(scorch_loc *loc, uint64_t id);

static inline void scorch_span_cleanup_(scorch_loc **loc)
{
	if (SCORCH_UNLIKELY(*loc != 0))
		scorch_span_leave_(*loc);
}

#define SCORCH_LOC_(var, name_) static scorch_loc var = {(name_), __FILE__, __func__, __LINE__, 0}

/* A span from here to the end of the enclosing scope (GCC/Clang cleanup attribute). Several in
 * one scope, or on one line, are fine (each gets its own names from __COUNTER__). */
#define SCORCH_SPAN(name_) SCORCH_SPAN_N_(name_, __COUNTER__)
#define SCORCH_SPAN_N_(name_, n)                                                                   \
	SCORCH_SPAN_AT_(name_, SCORCH_CAT(scorch_loc_, n), SCORCH_CAT(scorch_span_, n))
#define SCORCH_SPAN_AT_(name_, loc_, var_)                                                         \
	SCORCH_LOC_(loc_, name_);                                                                  \
	__attribute__((cleanup(scorch_span_cleanup_), unused)) scorch_loc *var_ =                  \
	    SCORCH_UNLIKELY(scorch_trace_on_) ? scorch_span_enter_(&loc_) : (scorch_loc *)0

/* Explicit spans: begin and end on the same thread; an end closes the innermost open span. */
#define scorch_span_begin(name_)                                                                   \
	do {                                                                                       \
		SCORCH_LOC_(scorch_loc_, name_);                                                   \
		if (SCORCH_UNLIKELY(scorch_trace_on_))                                             \
			scorch_span_enter_(&scorch_loc_);                                          \
	} while (0)
#define scorch_span_end()                                                                          \
	do {                                                                                       \
		if (SCORCH_UNLIKELY(scorch_trace_on_))                                             \
			scorch_span_leave_((scorch_loc *)0);                                       \
	} while (0)

/* A counter's value now (a plot over time: queue depth, bytes in flight...). */
#define scorch_counter(name_, value)                                                               \
	do {                                                                                       \
		SCORCH_LOC_(scorch_loc_, name_);                                                   \
		if (SCORCH_UNLIKELY(scorch_trace_on_))                                             \
			scorch_counter_(&scorch_loc_, (double)(value));                            \
	} while (0)

/* An instant event. */
#define scorch_mark(name_)                                                                         \
	do {                                                                                       \
		SCORCH_LOC_(scorch_loc_, name_);                                                   \
		if (SCORCH_UNLIKELY(scorch_trace_on_))                                             \
			scorch_mark_(&scorch_loc_);                                                \
	} while (0)

/* The end of a frame (a game frame, a batch, an iteration): frame times and rates. */
#define scorch_frame_mark(name_)                                                                   \
	do {                                                                                       \
		SCORCH_LOC_(scorch_loc_, name_);                                                   \
		if (SCORCH_UNLIKELY(scorch_trace_on_))                                             \
			scorch_frame_mark_(&scorch_loc_);                                          \
	} while (0)

/* Async work: a span named `name_` for the request `id` (any number the program chooses,
 * unique among the open spans of that name), begun on one thread and ended on any thread. */
#define scorch_async_begin(name_, id)                                                              \
	do {                                                                                       \
		SCORCH_LOC_(scorch_loc_, name_);                                                   \
		if (SCORCH_UNLIKELY(scorch_trace_on_))                                             \
			scorch_async_begin_(&scorch_loc_, (uint64_t)(id));                         \
	} while (0)
#define scorch_async_end(name_, id)                                                                \
	do {                                                                                       \
		SCORCH_LOC_(scorch_loc_, name_);                                                   \
		if (SCORCH_UNLIKELY(scorch_trace_on_))                                             \
			scorch_async_end_(&scorch_loc_, (uint64_t)(id));                           \
	} while (0)

/* Names the calling thread in traces and the console (any string; copied; also set as the
 * kernel's thread name, cut to 15 bytes, as pthread_setname_np does). */
SCORCH_API void scorch_thread_name(const char *name);

/* Nonzero when events are recorded. */
SCORCH_API int scorch_trace_enabled(void);

/* --- Event loops: loop lag, busy and idle time per iteration, callback durations --- */

typedef struct scorch_loop scorch_loop;

/* A generic loop (epoll, poll, select...): call scorch_loop_wait just before the call that
 * waits, with the timeout it is given (nanoseconds, -1 for none), and scorch_loop_wake just
 * after it returns; callbacks run between a wake and the next wait (put SCORCH_SPAN in them).
 * Busy time is from a wake to the next wait, idle time from a wait to its wake, lag how late a
 * timed-out wait woke up. `name` is static. Returns NULL when events are not recorded (the
 * other calls accept NULL and do nothing). */
SCORCH_API scorch_loop *scorch_loop_new(const char *name);
SCORCH_API void scorch_loop_wait(scorch_loop *loop, int64_t timeout_ns);
SCORCH_API void scorch_loop_wake(scorch_loop *loop);
SCORCH_API void scorch_loop_free(scorch_loop *loop);

/* A libuv loop (uv_loop_t *), instrumented with a prepare and a check handle (libuv's own
 * functions found at run time: libscorch does not link libuv). 0, or -1 when libuv's functions
 * are not in the process or events are not recorded. */
SCORCH_API int scorch_loop_uv(void *uv_loop, const char *name);

#ifdef __cplusplus
}
#endif

#endif
