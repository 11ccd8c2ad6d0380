/*
 * heap.h: the heap analyses of `scorch heap` and every file they write.
 *
 * The recorder (src/cli/heap.c, draining libscorch-heap.so) hands one sc_heap per process the
 * time-ordered allocation events of that process; the analysis keeps only what its results need:
 *
 *   live blocks    address -> (size, site, time, thread): grows with the blocks live now;
 *   sites          one per distinct allocation stack: totals, live, own maximum, live at the
 *                  peak, lifetimes: grows with the distinct stacks;
 *   histograms     sizes (powers of two) and lifetimes (powers of ten): fixed size;
 *   timeline       heap size and RSS in at most SC_HEAP_TIMELINE_POINTS time buckets whose width
 *                  doubles when the run outgrows them: fixed size.
 *
 * So memory grows with live blocks and distinct stacks, never with the length of the run, and
 * every event costs O(1) (amortized hash-table work).
 *
 * The peak is exact: the moment the requested bytes live are highest (the first time that value
 * is reached), with the bytes each stack held then. It is computed without copying the live set
 * at each new maximum: every new global maximum only bumps a counter (the peak epoch); a site
 * whose live bytes are about to change while its epoch is older than the current one first saves
 * its live bytes as "at the peak" (they cannot have changed since that peak); at the end every
 * site still behind saves its current values the same way. That is DHAT's result with O(1) work
 * per event instead of a pass over the sites at each new maximum.
 *
 * Temporary allocations follow heaptrack's rule, per thread: a block is temporary when it is
 * freed before the thread that allocated it allocates anything else. A block that realloc
 * replaces (its FREE followed, as the freeing thread's next event, by an ALLOC flagged realloc;
 * their times need not be equal) is not temporary: growing a buffer is not churn.
 *
 * Not here: reading the interposer's stream (the recorder), symbolization (src/symbolize/; the
 * writers read the profile's names at write time, so symbolize before writing), printing (only
 * src/cli/ prints). The writers live in heap_json.c (heap.json, dhat.json), heap_profile.c
 * (pprof, flamegraphs), heap_svg.c (timeline.svg); gates.c parses and evaluates --fail-on.
 *
 * Thread safety: none; one thread owns an sc_heap. Functions returning int return 0 (or a count)
 * or -Exxx; after an error the sc_heap may only be freed.
 */
#ifndef SC_HEAP_HEAP_H
#define SC_HEAP_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"
#include "util/diag.h"

typedef enum sc_heap_kind { SC_HEAP_ALLOC = 1, SC_HEAP_FREE = 2 } sc_heap_kind;

typedef struct sc_heap_event {
	uint64_t time; /* CLOCK_MONOTONIC ns */
	uint32_t tid;
	uint8_t kind;	   /* SC_HEAP_ALLOC or SC_HEAP_FREE */
	uint64_t addr;	   /* the block */
	uint64_t size;	   /* ALLOC: bytes requested (calloc: n*size; realloc: the new size) */
	uint64_t usable;   /* ALLOC: malloc_usable_size of the block, 0 when unknown */
	sc_stack_id stack; /* ALLOC: the allocation's stack, a node of the profile given to
			      sc_heap_new (leaf = the caller of malloc/new); 0 when unknown */
	bool realloc;	   /* ALLOC: the new block of a realloc (its FREE is the same thread's
			      previous event) */
} sc_heap_event;

typedef struct sc_heap sc_heap;

/* A live block, as the exit scan (leak kinds) exchanges them: its address, requested size and
 * allocation time (which tells it from a later block at the same address). */
typedef struct sc_heap_block {
	uint64_t addr, size, time;
} sc_heap_block;

/* Leak kinds (valgrind's memcheck names; the rules are in src/agent/heap_scan.c), the same
 * numbers as the agent's SC_AGENT_KIND_*. UNCLASSIFIED: no scan answered for the process (it
 * ended by _exit or a signal, ran sampled, or scorch could not serve it), or the block was
 * allocated after the scan. */
typedef enum sc_heap_leak_kind {
	SC_HEAP_UNCLASSIFIED = 0,
	SC_HEAP_DEFINITE = 1,
	SC_HEAP_INDIRECT = 2,
	SC_HEAP_POSSIBLE = 3,
	SC_HEAP_REACHABLE = 4,
} sc_heap_leak_kind;
#define SC_HEAP_KINDS 5
/* "definitely lost", "indirectly lost", "possibly lost", "still reachable", "unclassified". */
const char *sc_heap_kind_name(sc_heap_leak_kind k);
/* "definite", "indirect", "possible", "reachable", "unclassified" (heap.json's keys). */
const char *sc_heap_kind_key(sc_heap_leak_kind k);

/* A new analysis for process `pid` whose stacks are nodes of `p` (borrowed: it must outlive the
 * sc_heap; the analysis never adds to it). Returns NULL with errno ENOMEM. */
sc_heap *sc_heap_new(sc_profile *p, uint32_t pid);
/* NULL-safe. */
void sc_heap_free(sc_heap *h);

/* One event, in time order (an earlier time than the previous event's is taken as equal to it).
 * A FREE of an address not live is counted in frees_unknown and otherwise ignored; an ALLOC at an
 * address already live replaces the old block (counted in replaced_blocks/bytes). Returns 0,
 * -ENOMEM, or -EINVAL (a kind other than ALLOC/FREE, a stack that is not a node of the profile,
 * or a call after sc_heap_finish). */
int sc_heap_add(sc_heap *h, const sc_heap_event *e);
/* sc_heap_add for `n` events in a row (what the recorder drained from a ring), faster on large live
 * sets: it prefetches the live table's entries of the events ahead. Stops at the first error and
 * returns it (the events before it were added). */
int sc_heap_add_many(sc_heap *h, const sc_heap_event *e, size_t n);
/* The process's resident set size at `time` (sampled by scorch while it runs), for the timeline.
 * Returns 0 or -EINVAL after sc_heap_finish. */
int sc_heap_rss(sc_heap *h, uint64_t time, uint64_t rss_bytes);
/* The allocator's own statistics at `time` (glibc's mallinfo2, from the agent): bytes it holds from
 * the system (heap segments + mmapped blocks), in use by chunks (headers and rounding included),
 * free inside its heap segments. For the timeline and the totals' alloc_* (the sample holding the
 * most). Returns 0 or -EINVAL after sc_heap_finish. */
int sc_heap_allocator(sc_heap *h, uint64_t time, uint64_t held, uint64_t in_use,
		      uint64_t free_bytes);
/* The end of the run at `end_time`: blocks still live are leaks when the process `exited`, else
 * only "live at the end" (leaked_* stay 0). Completes the peak, lifetimes and temporaries.
 * Returns 0, or -EINVAL when called twice. */
int sc_heap_finish(sc_heap *h, uint64_t end_time, bool exited);

/* The blocks live now, in a malloc'ed array (*out, *n; the caller frees it), in no order.
 * Returns 0 or -ENOMEM. */
int sc_heap_live_blocks(const sc_heap *h, sc_heap_block **out, size_t *n);
/* The exit scan's answer: the kinds of blocks[0..n) (sorted by address, as sc_heap_live_blocks
 * gave them then). Kept until sc_heap_finish, which counts each block still live by its kind
 * (when the process exited). Returns 0, -ENOMEM, or -EINVAL after sc_heap_finish. */
int sc_heap_set_kinds(sc_heap *h, const sc_heap_block *blocks, const uint8_t *kinds, size_t n);

/* Totals, valid after sc_heap_finish. Times are ns since the first event (or RSS sample). */
typedef struct sc_heap_totals {
	uint64_t allocs;	   /* ALLOC events, realloc's included */
	uint64_t frees;		   /* FREE events of live blocks */
	uint64_t reallocs;	   /* ALLOCs flagged realloc */
	uint64_t bytes_allocated;  /* sum of requested sizes */
	uint64_t bytes_freed;	   /* requested sizes of the blocks freed */
	uint64_t usable_allocated; /* sum of malloc_usable_size (0 for blocks where unknown) */
	uint64_t peak_bytes;	   /* most requested bytes live at once */
	uint64_t peak_blocks;	   /* blocks live at that moment */
	uint64_t peak_time;	   /* when the peak was first reached */
	uint64_t live_bytes;	   /* live at the end, leaked or not */
	uint64_t live_blocks;
	uint64_t leaked_bytes; /* live_bytes when the process exited, else 0 */
	uint64_t leaked_blocks;
	uint64_t largest;	  /* requested bytes of the largest single allocation */
	uint64_t temporary;	  /* blocks freed before their thread allocated again */
	uint64_t frees_unknown;	  /* FREEs of addresses not live */
	uint64_t replaced_blocks; /* live blocks an ALLOC at their address replaced (lost FREE) */
	uint64_t replaced_bytes;
	uint64_t duration; /* first event (or RSS sample) to end_time */
	uint64_t max_rss;  /* largest RSS sample, 0 without samples */
	/* The allocator's statistics when it held the most (sc_heap_allocator), 0 without them:
	 * held from the system, in use by chunks, free inside (alloc_free / alloc_held is its
	 * fragmentation then). */
	uint64_t alloc_held, alloc_in_use, alloc_free;
	bool exited;
	/* Live at the end in sites sc_heap_suppress matched: not in leaked_* or live_* lists. */
	uint64_t suppressed_bytes, suppressed_blocks;
	/* The leaked blocks by kind (sc_heap_leak_kind; suppressed ones left out): all in
	 * [SC_HEAP_UNCLASSIFIED] unless `classified` (an exit scan answered). */
	bool classified;
	uint64_t kind_bytes[SC_HEAP_KINDS], kind_blocks[SC_HEAP_KINDS];
} sc_heap_totals;

const sc_heap_totals *sc_heap_get_totals(const sc_heap *h);
uint32_t sc_heap_pid(const sc_heap *h);
bool sc_heap_is_finished(const sc_heap *h);
/* The bytes the analysis holds on the heap (tables' capacities): grows with the live blocks, the
 * sites and the threads, not with the number of events. */
size_t sc_heap_memory(const sc_heap *h);
/* The profile given to sc_heap_new. */
const sc_profile *sc_heap_profile_of(const sc_heap *h);

/* One allocation site: every allocation with the same stack. */
typedef struct sc_heap_site {
	sc_stack_id stack;
	uint64_t allocs, bytes, usable;
	uint64_t frees, bytes_freed;
	uint64_t live_blocks, live_bytes; /* at the end */
	uint64_t max_blocks, max_bytes;	  /* at this site's own maximum of live bytes */
	uint64_t peak_blocks, peak_bytes; /* live at the global peak */
	uint64_t temporary;
	uint64_t lifetime_ns; /* sum over its blocks of free time (or end time) - alloc time */
	bool suppressed;      /* its blocks live at the end are suppressed (sc_heap_suppress) */
	/* its leaked blocks by kind (sc_heap_leak_kind), when the process exited */
	uint64_t kind_bytes[SC_HEAP_KINDS], kind_blocks[SC_HEAP_KINDS];
	/* internal: the peak epoch this site last synchronized with */
	uint64_t epoch_;
} sc_heap_site;

size_t sc_heap_nsites(const sc_heap *h);
const sc_heap_site *sc_heap_site_at(const sc_heap *h, size_t i);

typedef enum sc_heap_order {
	SC_HEAP_BY_BYTES,     /* bytes allocated, then allocations */
	SC_HEAP_BY_COUNT,     /* allocations, then bytes */
	SC_HEAP_BY_LIVE,      /* bytes live at the end (the leaks when the process exited) */
	SC_HEAP_BY_PEAK,      /* bytes live at the peak */
	SC_HEAP_BY_TEMPORARY, /* temporary allocations */
} sc_heap_order;

/* The sites whose key for `order` is not zero (for BY_LIVE and BY_PEAK: blocks or bytes), largest
 * first, ties by stack id: a malloc'd array of *n pointers (into the sc_heap, valid while it
 * lives) in *out, which the caller frees. Returns 0 or -ENOMEM. */
int sc_heap_sorted_sites(const sc_heap *h, sc_heap_order order, const sc_heap_site ***out,
			 size_t *n);

/* Suppressions (valgrind's, for leaks): after sc_heap_finish, every site with blocks live at the
 * end whose stack `match` accepts is marked suppressed: its blocks leave leaked_* (when the
 * process exited) for suppressed_*, and the site leaves the BY_LIVE order (the leak lists, the
 * leaks flamegraph, inuse in heap.pb.gz). Returns the number of sites suppressed, or -EINVAL
 * before sc_heap_finish. */
int sc_heap_suppress(sc_heap *h, bool (*match)(void *ctx, sc_stack_id stack), void *ctx);

/* Size histogram: bucket i holds the allocations of 2^(i-1) < size <= 2^i bytes (bucket 0: sizes
 * 0 and 1). */
#define SC_HEAP_SIZE_BUCKETS 65
/* Lifetime histogram of the freed blocks: bucket i holds lifetimes of at most 10^(i+3) ns (1 us,
 * 10 us, ... 10^15 ns); longer ones go to the last bucket. */
#define SC_HEAP_LIFETIME_BUCKETS 13

typedef struct sc_heap_bucket {
	uint64_t le; /* upper bound, inclusive: bytes, or ns for lifetimes */
	uint64_t allocs;
	uint64_t bytes;
} sc_heap_bucket;

const sc_heap_bucket *sc_heap_size_histogram(const sc_heap *h);	    /* SC_HEAP_SIZE_BUCKETS */
const sc_heap_bucket *sc_heap_lifetime_histogram(const sc_heap *h); /* SC_HEAP_LIFETIME_BUCKETS */

/* The timeline: points[i] covers [i * width, (i + 1) * width) ns since the start. */
#define SC_HEAP_TIMELINE_POINTS 512
typedef struct sc_heap_point {
	uint64_t heap_min, heap_max, heap_last; /* requested bytes live (valid when has_heap) */
	uint64_t rss;				/* largest RSS sample (valid when has_rss) */
	/* the allocator's statistics with the most bytes held in this bucket (has_alloc) */
	uint64_t alloc_held, alloc_in_use, alloc_free;
	bool has_heap, has_rss, has_alloc;
} sc_heap_point;
/* Returns the points (n of them: up to the last non-empty one) and the width in ns. */
const sc_heap_point *sc_heap_timeline(const sc_heap *h, size_t *n, uint64_t *width);

/*
 * Gates (--fail-on): "NAME>LIMIT" or "NAME>=LIMIT", comma-separated; LIMIT a plain integer or
 * one with a K, M or G suffix (1024-based; an optional trailing "B" or "iB" is accepted).
 * Names: leaks (leaked bytes), leaked_blocks, peak (peak bytes), largest, count (allocations),
 * bytes (allocated), definite (bytes definitely lost; every leaked byte when no exit scan
 * classified them: unproven leaks count).
 */
#define SC_HEAP_MAX_GATES 16
typedef enum sc_heap_metric {
	SC_HEAP_GATE_LEAKS,
	SC_HEAP_GATE_LEAKED_BLOCKS,
	SC_HEAP_GATE_PEAK,
	SC_HEAP_GATE_LARGEST,
	SC_HEAP_GATE_COUNT,
	SC_HEAP_GATE_BYTES,
	SC_HEAP_GATE_DEFINITE,
} sc_heap_metric;

typedef struct sc_heap_gate {
	sc_heap_metric metric;
	bool or_equal; /* ">=" */
	uint64_t limit;
	char text[64]; /* as written, blanks removed: "leaks>1K" */
	/* results, set by sc_heap_gates_eval */
	uint64_t value;
	bool failed;
} sc_heap_gate;

typedef struct sc_heap_gates {
	sc_heap_gate gate[SC_HEAP_MAX_GATES];
	size_t n;
} sc_heap_gates;

/* Parses `expr` into *g (zeroed first). Returns 0, or -EINVAL with `d` naming the bad part
 * ("unknown gate name 'leak' in 'leak>1K' (names: ...)"). */
int sc_heap_gates_parse(const char *expr, sc_heap_gates *g, sc_diag *d);
/* Sets each gate's value and failed flag from the totals; returns how many failed. */
size_t sc_heap_gates_eval(sc_heap_gates *g, const sc_heap_totals *t);
/* The metric's name as in expressions ("leaks"). */
const char *sc_heap_metric_name(sc_heap_metric m);

/*
 * Writers. Each writes one file to `f` (the CLI's sc_afile stream) and returns 0, -ENOMEM or
 * -EIO; they read the profile's names at the time of the call. Valid after sc_heap_finish
 * (-EINVAL before).
 */
typedef struct sc_heap_report {
	const char *command;	    /* the command line, for heap.json and dhat.json */
	size_t top;		    /* sites and peak entries in heap.json (0: 50) */
	const sc_heap_gates *gates; /* evaluated gates for heap.json, or NULL */
} sc_heap_report;

/* heap.json, scorch's own report (version 1; the format is described in heap_json.c). */
int sc_heap_write_json(const sc_heap *h, const sc_heap_report *o, FILE *f);
/* dhat.json, DHAT's format (dhatFileVersion 2, times in microseconds), for dh_view.html. */
int sc_heap_write_dhat(const sc_heap *h, const sc_heap_report *o, FILE *f);

/* The pprof models: a new profile (caller frees) with the recorder profile's mappings,
 * functions, locations and stacks, one sample per site, and the sample types
 *   SC_HEAP_PROFILE_ALL:  alloc_objects/count, alloc_space/bytes, inuse_objects/count,
 *                         inuse_space/bytes (inuse = live at the end), default inuse_space;
 *   SC_HEAP_PROFILE_PEAK: inuse_objects/count, inuse_space/bytes live at the peak.
 * Returns 0 or -ENOMEM. */
typedef enum sc_heap_profile_kind {
	SC_HEAP_PROFILE_ALL,
	SC_HEAP_PROFILE_PEAK
} sc_heap_profile_kind;
int sc_heap_build_profile(const sc_heap *h, sc_heap_profile_kind kind, sc_profile **out);
/* heap.pb.gz (ALL) or peak.pb.gz (PEAK). */
int sc_heap_write_pprof(const sc_heap *h, sc_heap_profile_kind kind, FILE *f);

/* The three flamegraph pages. */
typedef enum sc_heap_view {
	SC_HEAP_VIEW_ALLOC, /* alloc.html: bytes allocated */
	SC_HEAP_VIEW_LEAKS, /* leaks.html: bytes live at the end (leaked) */
	SC_HEAP_VIEW_PEAK,  /* peak.html: bytes live at the peak */
} sc_heap_view;
int sc_heap_write_flamegraph(const sc_heap *h, sc_heap_view view, FILE *f);

/* timeline.svg: heap size (requested bytes live) and RSS over the run, the peak marked. */
int sc_heap_write_timeline(const sc_heap *h, FILE *f);

#endif
