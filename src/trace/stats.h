/*
 * stats.h: span statistics of a trace model, as text (spans.txt, and the summary scorch trace
 * prints) and as JSON (spans.json: schema "scorch.spans", version 1, annotated in stats.c and
 * documented in docs/cmd/trace.md).
 *
 * Per span name: count, total, self, mean, p50, p90, p99, max (percentiles from the model's
 * log-linear histograms: within SC_HIST_REL_ERROR), threads; counters' min, mean, max and last;
 * marks' counts and frame times; loops' iterations, busy share and lag percentiles; lost events,
 * open spans and the other anomalies the decoder counted.
 */
#ifndef SC_TRACE_STATS_H
#define SC_TRACE_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "trace/model.h"

typedef struct sc_trace_info {
	const char *command; /* the command line, or NULL */
	uint64_t lost;	     /* events lost in all (the decoder's count plus the file's) */
	double seconds;	     /* the run's wall time, 0 when unknown */
} sc_trace_info;

/* The table of span names by total time (`top` rows at most, 0 for all), then counters, marks,
 * loops and anomalies. 0 or -ENOMEM / -EIO. */
int sc_trace_write_text(const sc_trace_model *m, const sc_trace_info *info, size_t top, FILE *f);
int sc_trace_write_json(const sc_trace_model *m, const sc_trace_info *info, FILE *f);

/* Nanoseconds for a table cell: "812ns", "12.3us", "4.56ms", "1.23s". */
void sc_trace_fmt_ns(char *buf, size_t size, uint64_t ns);

#endif
