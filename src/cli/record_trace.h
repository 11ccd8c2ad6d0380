/*
 * record_trace.h: `scorch record --trace`, the spans of a command linked with libscorch
 * collected beside its CPU samples (src/trace/collect.h's side collector: the agent file named
 * in the environment the command inherits, drained by a thread of scorch's own), on the same
 * clock (CLOCK_MONOTONIC, which record's perf events use).
 *
 * Writes, into the recording's folder: trace.json, the CPU profile's Chrome timeline with the
 * spans on a track of their own beside each thread's ("THREAD spans"), and scorch trace's
 * statistics and profile of spans (spans.txt, spans.json, spans.pb.gz). Prints its errors and
 * its one-line summary ("scorch record: ..."). Internal to src/cli/.
 */
#ifndef SC_CLI_RECORD_TRACE_H
#define SC_CLI_RECORD_TRACE_H

#include <stdbool.h>

#include "profile/profile.h"
#include "session/outdir.h"
#include "trace/collect.h"
#include "trace/model.h"
#include "util/strbuf.h"

typedef struct sc_record_trace {
	sc_trace_model *m;
	sc_trace_side *side;
	sc_trace_side_result res;
	bool stopped;
	/* More events for trace.json after the spans' (record --gpu's counters); NULL: none. */
	int (*also)(void *ctx, sc_strbuf *out, size_t *nevents);
	void *also_ctx;
} sc_record_trace;

/* Before the recording: 0, or -1 after saying what failed. */
int sc_record_trace_start(sc_record_trace *t);
/* After it (the command has ended): the last events, and the spans added to `p` as intervals
 * (profile.h: flamegraph.html's timeline draws them on the threads' tracks; profile.pb.gz does
 * not keep them). 0 or -1 after saying what failed. */
int sc_record_trace_stop(sc_record_trace *t, sc_profile *p);
/* The files (see above) and the summary line (unless quiet). `p` is the CPU profile, `type` its
 * timeline's sample type, `name` the command's. 0 or -1 after saying what failed. */
int sc_record_trace_write(sc_record_trace *t, const sc_outdir *dir, const sc_profile *p, int type,
			  const char *name, char *const *argv, bool quiet);
void sc_record_trace_release(sc_record_trace *t);

#endif
