/*
 * consolememo.h: what a console learnt of a program that the next console cannot learn again.
 *
 * The runtime writes a call site's TRACE_LOC record and a thread's TRACE_THREAD record once, and
 * the console that drains them consumes them: a console attached later would see events of
 * sites it cannot name. So a console keeps those records as it reads them and, when it leaves a
 * program that still runs, saves them beside the program's socket (`console-PID.sites`, 0600, in
 * the same 0700 folder, written to a temporary file renamed into place); the next console feeds
 * them to its decoder before its first drain. The file names the process's start time (its
 * /proc stat starttime), so a memo of an earlier process that had the same pid is ignored.
 *
 * File: "SCORCHM1", the start time (uint64), then entries: the instance and pid (uint32 each)
 * and an agent record (stream.h: TRACE_LOC or TRACE_THREAD, header included).
 */
#ifndef SC_CLI_CONSOLEMEMO_H
#define SC_CLI_CONSOLEMEMO_H

#include <stdint.h>
#include <sys/types.h>

#include "trace/decode.h"
#include "util/strbuf.h"

typedef struct sc_cmemo {
	sc_strbuf entries;
} sc_cmemo;

/* Keeps record `rec` of ring `r` when it is a TRACE_LOC or TRACE_THREAD. 0 or -ENOMEM. */
int sc_cmemo_keep(sc_cmemo *m, const sc_agent_ring *r, const sc_agent_rec *rec);
/* Saves the memo of process `pid` to `path`. 0 or -errno. */
int sc_cmemo_save(const sc_cmemo *m, const char *path, pid_t pid);
/* Feeds the memo at `path` to `d` and keeps its entries in `m` (so that they are saved again),
 * when it is one of process `pid`'s. 0 (also when there is none, or it is another process's),
 * or a negative error. */
int sc_cmemo_load(sc_cmemo *m, const char *path, pid_t pid, sc_trace_decoder *d);
void sc_cmemo_release(sc_cmemo *m);

#endif
