/*
 * heapscan.h: scorch's side of the heap agent's exit scan (leak kinds; the agent's side and the
 * rules are src/agent/heap_scan.c, the exchange stream.h's SC_AGENT_SCAN_*). Used by heaprec.c
 * once per round, after the round's events were handed over.
 *
 * For each slot a process asked with: once every event of its image numbered below the slot's
 * seq was handed over (`caught_up`), the live blocks (cb->live) go to a new file next to the
 * shared file (0600, removed when answered), which the slot names; when the agent has written
 * the kinds (DONE), they go to cb->kinds. A slot that cannot be served (no callback, no memory, no
 * file) is answered with an empty path: the agent gives up at once. Not thread-safe.
 */
#ifndef SC_RECORD_HEAPSCAN_H
#define SC_RECORD_HEAPSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/stream.h"
#include "record/heaprec.h"

typedef struct sc_heapscan {
	sc_heap_block *blocks[SC_AGENT_SCANS]; /* what each served slot was sent, NULL if none */
	size_t n[SC_AGENT_SCANS];
	int fd[SC_AGENT_SCANS]; /* its file, -1 when none (0 in a zeroed struct: see init) */
	char path[SC_AGENT_SCANS][sizeof(((sc_agent_header *)0)->scan[0].path)];
	uint64_t answered; /* scans whose kinds arrived */
} sc_heapscan;

void sc_heapscan_init(sc_heapscan *s);
/* Serves the slots of `hdr` (the shared file at `shared_path`). Returns 0 or a callback's error
 * (-ENOMEM). */
int sc_heapscan_round(sc_heapscan *s, sc_agent_header *hdr, const char *shared_path,
		      const sc_heaprec_callbacks *cb,
		      bool (*caught_up)(void *ctx, uint32_t instance, uint64_t seq), void *ctx);
/* Removes the files still there, frees what is held. */
void sc_heapscan_release(sc_heapscan *s);

#endif
