/*
 * outputs.h: what `scorch gpu` makes of the decoded GPU activity (activity.h): the kernels table
 * (by kernel name: calls, total, mean, min, max GPU time, the grid and block sizes seen), the
 * copies table (by kind: count, bytes, time, GB/s), kernels.txt, kernels.json (version
 * SC_CUPTI_JSON_VERSION, described in outputs.c and docs/formats.md), the top kernels for the
 * summary, and the Chrome trace events: API calls as X events on the calling thread, kernels,
 * copies and memsets on a pseudo-thread per (device, stream) named "GPU 0 stream 7".
 *
 * Writers take a FILE * (the caller's sc_afile) and return 0 or -ENOMEM/-EIO; tables are
 * malloc'ed (free them). Print nothing else.
 */
#ifndef SC_GPU_CUPTI_OUTPUTS_H
#define SC_GPU_CUPTI_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gpu/cupti/activity.h"
#include "util/strbuf.h"

#define SC_CUPTI_JSON_VERSION 1
#define SC_CUPTI_MAX_SHAPES   4 /* (grid, block) pairs a kernel's row lists */
/* The pseudo-threads of the GPU streams in the Chrome trace: this + device << 20 + stream. */
#define SC_CUPTI_GPU_TID (1u << 29)

typedef struct sc_cupti_shape {
	int32_t grid[3], block[3];
	uint64_t calls;
} sc_cupti_shape;

typedef struct sc_cupti_kstat {
	sc_str name;			 /* demangled */
	uint64_t calls, total, min, max; /* GPU ns */
	uint32_t registers;		 /* the most seen, per thread */
	uint32_t shared;		 /* the most seen, static + dynamic bytes per block */
	size_t nshapes;
	bool more_shapes;			    /* more than SC_CUPTI_MAX_SHAPES were seen */
	sc_cupti_shape shapes[SC_CUPTI_MAX_SHAPES]; /* by calls, most first */
} sc_cupti_kstat;

typedef struct sc_cupti_cstat {
	const char *kind;	      /* sc_cupti_copy_kind */
	uint64_t count, bytes, total; /* total: GPU ns */
} sc_cupti_cstat;

/* The kernels by total GPU time, largest first (ties by name). 0 or -ENOMEM. */
int sc_cupti_kernel_table(const sc_cupti *d, sc_cupti_kstat **out, size_t *n);
/* The copies and memsets by kind, most time first. 0 or -ENOMEM. */
int sc_cupti_copy_table(const sc_cupti *d, sc_cupti_cstat **out, size_t *n);

/* kernels.txt: both tables, with a header line of totals. */
int sc_cupti_write_text(const sc_cupti *d, FILE *f);
/* kernels.json; `warnings` (lines, may be NULL or "") go in its "warnings" array. */
int sc_cupti_write_json(const sc_cupti *d, const char *warnings, FILE *f);
/* The summary's part: the top `max` kernels by GPU time, and one line of copy totals. */
int sc_cupti_write_summary(const sc_cupti *d, size_t max, FILE *f);

/* Appends the Chrome trace events (chrome.h's `more` callback: each preceded by a comma when
 * *nevents is not 0, which it increments). `ctx` is the sc_cupti. 0 or -ENOMEM. */
int sc_cupti_chrome_events(void *ctx, sc_strbuf *out, size_t *nevents);

#endif
