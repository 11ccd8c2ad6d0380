/*
 * collect.h: running an instrumented command and draining its trace events (`scorch trace`,
 * and `scorch trace --live`, which shares the loop through the per-round callback).
 *
 * sc_trace_collect_run creates the agent file (record/agentfile.h: rings of `ring_bytes` each),
 * runs the command with SCORCH_AGENT_FILE in its environment and no LD_PRELOAD (the program
 * links libscorch, whose runtime maps the file), and every `poll_ms` drains every ring into the
 * decoder (decode.h), then calls sc_trace_decoder_round and the caller's `round`. After the
 * command ends (or --duration, or a signal to scorch: session.h's policy) one last round drains
 * what is left, rings of threads and processes that are gone included, so what a crashed or
 * killed command wrote is kept. sc_trace_decoder_finish is the caller's.
 *
 * Returns 0, a callback's error, or -errno with `err` filled; -ENOENT with exec_errno for a
 * command that cannot be run. Prints nothing.
 */
#ifndef SC_TRACE_COLLECT_H
#define SC_TRACE_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/profile.h"
#include "trace/decode.h"

#define SC_TRACE_RING_BYTES (1u << 20) /* per thread, by default */
#define SC_TRACE_NRINGS	    128u

typedef struct sc_trace_collect {
	char *const *argv;
	double duration;     /* seconds; 0: until the command exits */
	uint32_t ring_bytes; /* a power of two; 0: SC_TRACE_RING_BYTES */
	uint32_t nrings;     /* 0: SC_TRACE_NRINGS */
	int poll_ms;	     /* 0: 20 */
	sc_trace_decoder *dec;
	sc_profile *p; /* its time_nanos and duration_nanos are set */
	/* After each round's drain, `last` for the final one; a negative return stops the run
	 * (the command is killed) and is returned. May be NULL. */
	int (*round)(void *ctx, bool last);
	/* Each record drained, after the decoder had it (`scorch trace --live`: the console's own
	 * decoder); a negative return stops the run as `round`'s does. May be NULL. */
	int (*record)(void *ctx, const sc_agent_ring *r, const sc_agent_rec *rec);
	void *ctx;
	/* Results: */
	uint32_t pid; /* the command's */
	bool exited, killed, stopped;
	int wait_status;
	int exec_errno;
	double seconds;
	uint32_t processes; /* process images whose runtime mapped the file */
	uint64_t lost;	    /* events dropped: full rings, or no ring free for a thread */
	uint64_t lost_no_ring;
	char note[512]; /* what the agent file has to say (record/agentfile.h), or "" */
	char err[512];
} sc_trace_collect;

int sc_trace_collect_run(sc_trace_collect *c);

/*
 * Beside another recorder (`scorch record --trace`): sc_trace_side_start creates the agent file,
 * names it in scorch's own environment (SCORCH_AGENT_FILE: a command launched next inherits it;
 * a launcher that sets the variable itself, as record's signal backend does, defeats it), and
 * drains its rings into `dec` every 20 ms from a thread of its own, with every signal blocked
 * there. The decoder belongs to that thread until sc_trace_side_stop, which stops it, drains
 * once more (rings of gone threads too), runs sc_trace_decoder_round, removes the variable and
 * the file, and fills the results. Returns 0 or -errno (err filled); stop frees `s` whatever
 * happened, and returns the drain's first error.
 */
typedef struct sc_trace_side sc_trace_side;
typedef struct sc_trace_side_result {
	uint32_t processes; /* process images whose runtime mapped the file */
	uint64_t lost;	    /* as sc_trace_collect's */
	uint64_t lost_no_ring;
} sc_trace_side_result;
int sc_trace_side_start(sc_trace_side **out, sc_trace_decoder *dec, uint32_t ring_bytes, char *err,
			size_t errsize);
int sc_trace_side_stop(sc_trace_side *s, sc_trace_side_result *res);

#endif
