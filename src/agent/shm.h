/*
 * shm.h: the agents' side of the file shared with scorch (stream.h): mapping it, claiming a ring
 * per thread, writing records, announcing modules. Used by libscorch-cpu.so (in its signal
 * handler) and libscorch-heap.so (inside malloc).
 *
 * Setup (sc_shm_map, sc_shm_process) runs outside signal handlers and may use libc freely. The
 * writer functions (sc_shm_reserve, sc_shm_publish, sc_shm_module_of, sc_shm_drop_own) allocate
 * nothing, take no lock and call nothing but _dl_find_object (through unwind_local.h): they are
 * safe in a signal handler and inside malloc. A writer belongs to one thread; records are
 * published in the order they are written.
 */
#ifndef SC_AGENT_SHM_H
#define SC_AGENT_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/stream.h"

#define SC_SHM_MAX_SEEN 128 /* modules a writer remembers having announced */

/* One thread's ring, and the modules it has announced in it. */
typedef struct sc_shm_writer {
	sc_agent_ring *ring; /* NULL: none was free (or not claimed) */
	unsigned char *data;
	uint64_t head; /* producer position */
	size_t nseen;
	uint64_t seen_start[SC_SHM_MAX_SEEN], seen_end[SC_SHM_MAX_SEEN];
} sc_shm_writer;

/* The mapped header, NULL until sc_shm_map succeeded. */
extern sc_agent_header *sc_shm_hdr;
extern long sc_shm_page_size;

/* Maps the file named by SCORCH_AGENT_FILE and checks its header. false when there is none or it
 * is not one (the agent then stays inactive). */
bool sc_shm_map(void);
/* Maps the file open as `fd` (the caller keeps it) and checks its layout, not max_depth: the
 * instrumentation runtime's way (src/trace/runtime.c), which takes no stacks. */
bool sc_shm_map_fd(int fd);
/* Once per process image, after sc_lu_init: the program's path (for its MAP records), the vDSO,
 * and this library's own code (whose frames sc_shm_drop_own removes); `own` is any function of
 * the calling library. Returns a new instance number (stream.h: one per process image). */
uint32_t sc_shm_process(const void *own);
/* A new instance number for a forked child (whose image is its parent's). */
uint32_t sc_shm_new_instance(void);
/* Keeps the first agent error in the header for scorch to print. Not in a signal handler. */
void sc_shm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Marks the rings this pid still owns CLOSED: they belong to the image before an exec. */
void sc_shm_close_stale(uint32_t pid);

/* The calling thread's stack top (stack reads above sp stop there), 0 when unknown. Not in a
 * signal handler (pthread_getattr_np may allocate). */
uint64_t sc_shm_stack_top(void);
/* Zeroed memory of its own for a thread's state (mmap, whole pages), or NULL; and its release. */
void *sc_shm_pages(size_t bytes);
void sc_shm_pages_free(void *p, size_t bytes);

/* Claims a free ring for thread `tid` of `pid`, instance `instance` (w->ring NULL if none). */
void sc_shm_claim(sc_shm_writer *w, uint32_t pid, uint32_t tid, uint32_t instance);
/* Marks the writer's ring CLOSED (the thread is done). */
void sc_shm_close(sc_shm_writer *w);

/* Room for a record of `size` bytes (a multiple of 8) at the head, or NULL when the ring is full
 * (or there is none). A record that would cross the end of the data is preceded by a PAD. */
void *sc_shm_reserve(sc_shm_writer *w, uint32_t size);
/* Publishes the record reserved last. */
void sc_shm_publish(sc_shm_writer *w, uint32_t size);
/* Writes MAP records for the module holding `pc` unless this writer announced it already. */
void sc_shm_module_of(sc_shm_writer *w, uint64_t pc);
/* Removes the frames of the calling library from pcs[0..n) (keeping one when all are); returns the
 * new count. */
int sc_shm_drop_own(uint64_t *pcs, int n);

#endif
