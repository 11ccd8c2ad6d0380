/*
 * runtime.h: the instrumentation runtime's internals (libscorch), shared by its files:
 * runtime.c (start-up, threads, records, the API's events), loop.c (event loops) and server.c
 * (the console socket). Not installed; programs see include/scorch/trace.h only.
 */
#ifndef SC_TRACE_RUNTIME_H
#define SC_TRACE_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/shm.h"
#include "agent/stream.h"
#include "agent/tsc.h"
#include "scorch/trace.h"

/* One thread's state: its ring, its clock, its open spans. mmap'ed, one per thread. */
typedef struct sc_rt_thread {
	sc_tsc clock;
	uint64_t tail; /* the consumer's tail as last read (it only grows) */
	uint32_t pid, tid;
	uint32_t depth;	  /* spans open on this thread, recorded or not */
	uint32_t open;	  /* of which recorded (their ENDs have room kept in the ring) */
	uint32_t drop_at; /* 0, or the depth of the outermost open span whose BEGIN was dropped */
	uint32_t floor;	  /* spans open at a fork (the parent's): their ENDs are not ours */
	uint32_t no_ring; /* events dropped for want of a ring, not yet added to the header */
	sc_shm_writer w;  /* last: its hot fields come first, its module table is not used */
} sc_rt_thread;

/* The calling thread's state, created (and a ring claimed) at its first event; NULL when the
 * runtime is off or the thread has exited. */
sc_rt_thread *sc_rt_thread_get(void);

/* Writes an event of the calling thread: its site's number (and TRACE_LOC record, the first
 * time), the time, the kind and arg. false when it was dropped (counted). */
bool sc_rt_event(sc_rt_thread *t, scorch_loc *loc, uint32_t loc_kind, uint32_t ev_kind,
		 uint64_t arg);

/* Maps the event file open as fd (the caller keeps fd) and turns the runtime on. */
bool sc_rt_attach_fd(int fd);

/* server.c: with SCORCH_CONSOLE=1 and no SCORCH_AGENT_FILE, creates the memfd event file,
 * attaches it and starts the console server. Failures leave the runtime off, silently (the
 * program must run as it would without us), with the reason kept for SCORCH_CONSOLE=debug. */
void sc_rt_console_start(void);

#endif
