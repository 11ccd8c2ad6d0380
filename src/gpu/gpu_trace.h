/*
 * gpu_trace.h: the Chrome trace of `scorch gpu` (trace.json, for ui.perfetto.dev and
 * chrome://tracing): the NVML metrics as counters, one track per device and metric, and room
 * for the events of others (the CUPTI part's API calls and per-stream kernels) in the same
 * document, on the same clock: CLOCK_MONOTONIC microseconds with three decimals, as
 * formats/chrome_trace.h and scorch record's Chrome export write them.
 *
 * Each device is a process of its own in the viewer, pid sc_gpu_trace_pid(index) (above every
 * real pid), named "GPU N: NAME", with its counters on tid 0 ("metrics"); others may put their
 * rows for that device (streams) under the same pid with other tids.
 */
#ifndef SC_GPU_GPU_TRACE_H
#define SC_GPU_GPU_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gpu/metrics.h"
#include "util/strbuf.h"

#define SC_GPU_TRACE_PID_BASE 0x40000000u

static inline uint32_t sc_gpu_trace_pid(unsigned dev_index)
{
	return SC_GPU_TRACE_PID_BASE + dev_index;
}

/* Appends the metadata and counter events of `s` to `sb`, each preceded by a comma when
 * *nevents (incremented per event) is not 0, as sc_chrome_trace_events does. 0 or -ENOMEM. */
int sc_gpu_trace_events(const sc_gpu_series *s, sc_strbuf *sb, size_t *nevents);

/* Appends more events to a document, with the same comma rule. */
typedef int (*sc_gpu_trace_more_fn)(void *ctx, sc_strbuf *sb, size_t *nevents);

/* The whole document: {"traceEvents":[the counters, then more's events (may be NULL)],
 * "displayTimeUnit":"ms","otherData":{"version":"scorch gpu 1"}}. 0, more's error, -ENOMEM or
 * -EIO. */
int sc_gpu_trace_write(const sc_gpu_series *s, sc_gpu_trace_more_fn more, void *ctx, FILE *f);

#endif
