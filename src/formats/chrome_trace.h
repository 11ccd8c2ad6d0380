/*
 * chrome_trace.h: a trace model (src/trace/model.h: spans, counters, marks, async spans, loops)
 * in the Chrome trace event format, for ui.perfetto.dev and chrome://tracing. The CPU profile's
 * Chrome export is chrome.h; this one writes instrumented spans as they happened.
 *
 * What is written (annotated beside the writer in chrome_trace.c): "M" process and thread
 * names for every pid and tid that has an event, "X" complete events per span, "C" counters,
 * "i" marks and frame marks, "b"/"e" pairs per async span (one track per request id), and a
 * counter track per loop (busy, idle and lag of each iteration). Times are CLOCK_MONOTONIC
 * microseconds with three decimals (nanoseconds survive), the clock of scorch record's samples.
 */
#ifndef SC_FORMATS_CHROME_TRACE_H
#define SC_FORMATS_CHROME_TRACE_H

#include <stdio.h>

#include "trace/model.h"

/* Writes the document to `f` (valid JSON, even for a model with no event). 0, -ENOMEM or
 * -EIO. */
int sc_chrome_trace_write(const sc_trace_model *m, FILE *f);

#endif
