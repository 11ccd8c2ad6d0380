/*
 * activity.h: scorch's side of libscorch-cupti.so (inject.c): the GPU records of the agent stream
 * (agent/stream.h, version 1.3) decoded into kernels, copies, synchronizations and API calls, and
 * the profile of GPU time by the CPU call sites that launched the work.
 *
 * Feeding: sc_cupti_drain after each round of the run (every ring of the agent file; `last` on
 * the final one, which also takes the rings of threads that are gone), or sc_cupti_record for
 * one record (the unit tests). MAP records fill the address spaces of the rings' streams and
 * GPU_STACK records become stacks of `p` at once (addresses, unsymbolized); kernels and copies
 * find their launching stack by (pid, correlation id) at sc_cupti_finish, whatever the order the
 * rings were read in.
 *
 * The profile `p` (the caller's, given to sc_cupti_init): value types gpu_time/nanoseconds and
 * kernels/count. The caller symbolizes it after the run (symbolize/symbolize.h: before
 * sc_cupti_finish or after, the kernel frames have their names already), then sc_cupti_finish adds
 * one sample per kernel, copy and memset: the launching stack (outermost first, down to the API
 * function), then a frame named for the kernel (or "[memcpy HtoD]", "[memset]"), the GPU time
 * and a count of 1 for kernels (0 for copies and memsets). Work whose stack is unknown (its
 * launch was not recorded, or its ring was full) hangs from a frame "[unknown launch site]".
 *
 * Errors: -ENOMEM; records that make no sense are counted in `corrupt`. Prints nothing: the
 * warnings the library's statuses call for are in `warnings` (sc_cupti_warnings). Not
 * thread-safe.
 */
#ifndef SC_GPU_CUPTI_ACTIVITY_H
#define SC_GPU_CUPTI_ACTIVITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/stream.h"
#include "profile/profile.h"
#include "record/addrspace.h"
#include "record/agentfile.h"
#include "util/hashmap.h"
#include "util/vec.h"

typedef struct sc_cupti_kernel {
	uint64_t start, end; /* CLOCK_MONOTONIC ns */
	uint32_t pid, device, context, stream, correlation;
	int32_t grid[3], block[3];
	uint32_t static_shared, dynamic_shared, registers;
	sc_str name;	   /* as CUPTI gave it (a string of p): mangled for C++ */
	sc_str display;	   /* demangled (the same string when it is not mangled) */
	sc_stack_id stack; /* set by sc_cupti_finish (0: unknown) */
} sc_cupti_kernel;

typedef struct sc_cupti_copy {
	uint64_t start, end, bytes;
	uint32_t pid, device, context, stream, correlation;
	uint8_t op, kind, src, dst; /* SC_AGENT_GPU_MEMCPY/MEMSET; CUPTI's copy and memory kinds */
	uint32_t value;
} sc_cupti_copy;

typedef struct sc_cupti_sync {
	uint64_t start, end;
	uint32_t pid, type, context, stream, correlation;
} sc_cupti_sync;

typedef struct sc_cupti_api {
	uint64_t start, end;
	uint32_t pid, tid, correlation, cbid, domain, depth;
	sc_str name; /* the API function, version suffix ("_v7000") removed */
} sc_cupti_api;

/* A launching call's stack (a GPU_STACK record). */
typedef struct sc_cupti_launch {
	uint32_t pid, correlation;
	sc_stack_id stack;
} sc_cupti_launch;

typedef struct sc_cupti {
	sc_profile *p; /* borrowed */
	sc_addrspace as;
	SC_VEC(sc_cupti_kernel) kernels;
	SC_VEC(sc_cupti_copy) copies;
	SC_VEC(sc_cupti_sync) syncs;
	SC_VEC(sc_cupti_api) apis;
	sc_hashmap launch; /* hash of (pid, correlation) -> index into launches */
	SC_VEC(sc_cupti_launch) launches;
	sc_hashmap last_stack;		 /* hash of a ring's stream -> index into stream_last */
	SC_VEC(sc_stack_id) stream_last; /* each stream's last GPU_STACK's stack */
	sc_hashmap named;     /* function id -> location of the frames named for kernels, copies */
	uint32_t unknown_loc; /* the "[unknown launch site]" location, 0 until needed */
	/* The library's statuses (agent/stream.h's SC_AGENT_GPU_*), summed over processes: */
	uint32_t started;      /* process images where CUPTI was loaded */
	uint32_t flushed;      /* process images whose flush at exit was done */
	uint64_t dropped;      /* activity records CUPTI dropped */
	uint64_t lost;	       /* records the library could not write */
	uint64_t corrupt;      /* records that made no sense */
	uint64_t incomplete;   /* kernels and copies without times (unfinished at a forced flush) */
	char no_cupti[512];    /* the first NO_CUPTI text, or "" */
	char cupti_error[512]; /* the first CUPTI_ERROR text, or "" */
	uint32_t cupti_error_code;
	bool finished;
} sc_cupti;

/* Zeroes `d` to fill profile `p`, adding its value types (when `p` has none yet). 0 or -ENOMEM. */
int sc_cupti_init(sc_cupti *d, sc_profile *p);
/* Frees what `d` holds (not the profile). NULL-safe. */
void sc_cupti_release(sc_cupti *d);

/* One record of ring `r` (its stream, pid and tid): GPU and MAP records are taken, others
 * ignored. 0 or -ENOMEM. `f` may be NULL when no MAP record is fed. */
int sc_cupti_record(sc_cupti *d, sc_agentfile *f, const sc_agent_ring *r, const sc_agent_rec *rec);
/* Drains every ring of `f` into `d` (agentfile.h's drain, reclaiming rings of gone threads when
 * `last`). 0 or -ENOMEM. */
int sc_cupti_drain(sc_cupti *d, sc_agentfile *f, bool last);
/* Joins kernels and copies to their stacks and adds the samples (above). Once. 0 or -ENOMEM. */
int sc_cupti_finish(sc_cupti *d);

/* The warnings the records call for, one line each without the command's prefix, into buf
 * (empty when none): CUPTI not found, a CUPTI error (another profiler holding CUPTI), records
 * dropped by CUPTI or not written, a process whose flush at exit did not happen (a crash: what
 * CUPTI held then is lost). `exited` says whether the command exited normally. */
void sc_cupti_warnings(const sc_cupti *d, bool exited, char *buf, size_t size);

/* A copy's kind as people say it: "HtoD", "DtoH", "DtoD", "HtoH", "PtoP", "memset"... */
const char *sc_cupti_copy_kind(const sc_cupti_copy *c);

#endif
