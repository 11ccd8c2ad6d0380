/*
 * heaprec.h: recording every allocation of a command (`scorch heap`).
 *
 * sc_heaprec_run() launches the command with libscorch-heap.so preloaded (src/agent/heap.c) and
 * the shared file (agentfile.h), drains the rings while the command runs and once more when it
 * has ended, and hands the allocation events of each process image to the caller, in the order
 * they happened (the agent numbers them; events of different threads are merged by number):
 *
 *   - `begin`  once per process image (instance): its pid, the first time one of its events is
 *              read;
 *   - `events` the allocations and frees of that image, in batches (heap/heap.h's events), its
 * stack already a stack of `p` (the allocating function's callers, innermost first, each address
 *              inside its call instruction, attributed with the image's own mappings); an
 *              allocation recorded by sampling (--sample) has as its size the bytes it stands
 *              for;
 *   - `rss`    the image's resident set size, read from /proc/PID/statm at each round (every
 *              POLL_MS) while its process lives;
 *   - `allocator` the allocator's own statistics (mallinfo2, taken by the agent: stream.h's
 *              MALLINFO), as read: bytes it holds from the system (heap segments and mmapped
 *              blocks), in use by chunks, free inside its heap segments;
 *   - `end`    once per image, after its last event: when the recording ends (the process
 *              exited or was stopped: `exited` says which), or at the exec that replaced it.
 *
 * An event whose number leaves a gap (a thread took a number and died before writing its event)
 * waits until the end, when the rest are handed over in order. The profile `p` gets mappings,
 * locations and stacks (symbolize it afterwards), no samples: what is sampled is the caller's
 * business. Comments "command: ..." and "host: ..." are added.
 */
#ifndef SC_RECORD_HEAPREC_H
#define SC_RECORD_HEAPREC_H

#include <stdbool.h>
#include <stdint.h>

#include "heap/heap.h"
#include "profile/profile.h"
#include "record/record.h"

typedef struct sc_heaprec_callbacks {
	void *ctx;
	int (*begin)(void *ctx, uint32_t instance, uint32_t pid);
	int (*events)(void *ctx, uint32_t instance, const sc_heap_event *e, size_t n);
	int (*rss)(void *ctx, uint32_t instance, uint64_t time, uint64_t bytes);
	int (*end)(void *ctx, uint32_t instance, uint64_t time, bool exited);
	int (*allocator)(void *ctx, uint32_t instance, uint64_t time, uint64_t held,
			 uint64_t in_use, uint64_t free_bytes); /* may be NULL */
	/* The exit scan (leak kinds; heapscan.h): `live` gives the blocks live in `instance` now
	 * in *blocks (malloc'ed, the recorder frees it; any order), `kinds` hands them back,
	 * sorted by address, with their kinds (SC_AGENT_KIND_* of agent/stream.h), before `end`.
	 * Either NULL: no scan. */
	int (*live)(void *ctx, uint32_t instance, sc_heap_block **blocks, size_t *n);
	int (*kinds)(void *ctx, uint32_t instance, const sc_heap_block *blocks,
		     const uint8_t *kinds, size_t n);
} sc_heaprec_callbacks;

typedef struct sc_heaprec_options {
	char *const *argv;     /* the command */
	int max_depth;	       /* frames per stack (16) */
	bool inherit;	       /* forked children and exec'd programs too (true) */
	uint64_t sample_bytes; /* 0: every allocation; else a Poisson sample, one per this many
				  bytes on average (src/agent/heap.c) */
	uint64_t sample_seed;  /* 0: random; else the sampler's seed (reproducible, for tests) */
	sc_record_callgraph callgraph;
	double duration; /* seconds; 0 = until the command exits */
	void (*on_start)(void *ctx);
	void *ctx;
} sc_heaprec_options;

typedef struct sc_heaprec_result {
	int wait_status;
	bool exited, killed;
	int exec_errno;
	uint32_t pid;	    /* the launched command's process id */
	uint64_t events;    /* allocation events handed over */
	uint64_t lost;	    /* events the agents could not write (no ring, or never drained) */
	uint64_t waits;	    /* times a thread waited for room in its ring */
	uint64_t instances; /* process images */
	uint64_t scans;	    /* exit scans answered (leak kinds) */
	double duration;
	char note[256]; /* what the agents said (agentfile.h), else empty */
	char err[512];
} sc_heaprec_result;

/* The tracker library's path (see sc_agentfile_lib); 0 or -ENOENT with the path looked at. */
int sc_heaprec_agent(char *buf, size_t size);

/* Records o->argv with the tracker `agent` into `p` (empty), calling `cb`. Returns 0 when the
 * recording completed (whatever the command's exit status), a callback's error, or -errno with
 * r->err filled (-ENOENT for a missing command, with r->exec_errno set). */
int sc_heaprec_run(const sc_heaprec_options *o, const char *agent, sc_profile *p,
		   const sc_heaprec_callbacks *cb, sc_heaprec_result *r);

#endif
