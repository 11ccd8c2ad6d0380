/*
 * heap_scan.h: the heap agent's exit scan (heap_scan.c), which tells definitely lost, indirectly
 * lost, possibly lost and still reachable blocks apart at a process's normal exit, and the few
 * hooks the tracker (heap.c) gives it. Part of libscorch-heap.so; nothing here is exported.
 *
 * heap.c calls the hooks below; heap_scan.c calls the tracker's sc_heapagent_* functions. The
 * hooks run inside malloc with the tracker's reentry flag set: they allocate nothing with malloc
 * (pthread_getattr_np may; it is then not recorded) and take no lock.
 */
#ifndef SC_AGENT_HEAP_SCAN_H
#define SC_AGENT_HEAP_SCAN_H

#include <stdbool.h>
#include <stdint.h>

/* A thread's first allocation (its state was just made): its stack and TLS become roots. */
void sc_heap_scan_thread_start(uint32_t tid);
/* The thread exits (its ring is being closed): its stack is a root no more. */
void sc_heap_scan_thread_stop(uint32_t tid);
/* In a forked child: only the calling thread exists (parent_tid in the parent, tid now; 0 when
 * it had not allocated). */
void sc_heap_scan_forked(uint32_t parent_tid, uint32_t tid);

/* From heap.c, for the scan: whether this process image records (and then the reentry flag is set
 * for the calling thread, so that what the scan calls is not recorded), its instance and the
 * number of its events so far. */
bool sc_heapagent_quiesce(uint32_t *instance, uint64_t *events);
/* Clears the reentry flag sc_heapagent_quiesce set. */
void sc_heapagent_resume(void);

#endif
