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

#include <stdbool.h>
#include <stdio.h>

#include "trace/model.h"
#include "util/strbuf.h"

/* Writes the document to `f` (valid JSON, even for a model with no event). 0, -ENOMEM or
 * -EIO. */
int sc_chrome_trace_write(const sc_trace_model *m, FILE *f);

/* The events alone, for a document of someone else's (scorch record --trace puts them after the
 * CPU profile's, sc_chrome_options.more): appended to `sb`, each preceded by a comma when
 * *nevents (incremented per event) is not 0; every tid moved by `tid_offset`, so that the spans
 * of a thread get a track of their own beside its CPU slices (named "THREAD spans"); no
 * process names (the other document has them); without the spans' X events unless `spans`
 * (chrome.c writes a profile's intervals itself). 0 or -ENOMEM. */
int sc_chrome_trace_events(const sc_trace_model *m, uint32_t tid_offset, bool spans, sc_strbuf *sb,
			   size_t *nevents);

#endif
