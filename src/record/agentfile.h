/*
 * agentfile.h: scorch's side of the file shared with a preloaded agent (src/agent/stream.h):
 * creating it, the environment that names it and preloads the agent, and draining its rings.
 * Used by the signal backend (sigrec.c) and scorch heap (heaprec.c).
 *
 * The file lives in /dev/shm (memory) when that is writable, else in $TMPDIR or /tmp; it is
 * created exclusively with mode 0600, sparse (rings no thread claims cost nothing), and removed by
 * sc_agentfile_close.
 *
 * Draining, per ring (single consumer): read the state (acquire), then the head (acquire); hand
 * the records from tail to head to the callback; publish the tail. A CLOSED ring drained to its
 * head is returned to FREE; so is an OWNED one whose thread no longer exists (a process killed,
 * threads lost in an exec) when `reclaim` is asked, checked before its head is read, so that
 * nothing it wrote is missed. Records that make no sense (a size that is not one) skip the rest
 * of the ring and are counted.
 */
#ifndef SC_RECORD_AGENTFILE_H
#define SC_RECORD_AGENTFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/stream.h"
#include "profile/profile.h"
#include "session/session.h"

typedef struct sc_agentfile {
	char path[PATH_MAX];
	int fd;
	sc_agent_header *hdr; /* the mapping, NULL when none */
	size_t size;
	uint32_t nrings, ring_bytes;
	uint64_t corrupt; /* records that made no sense */
	uint64_t lost;	  /* records the agents dropped (ring full), from rings returned to FREE */
} sc_agentfile;

/* The agent library `name` (libscorch-cpu.so...): in src/agent/ (or src/gpu/cupti/ for
 * libscorch-cupti.so) of the scorch executable's folder (a build tree), or in ../lib/scorch from
 * its folder (an installed scorch). Writes its
 * path to buf; 0, or -ENOENT with the path looked at first in buf. */
int sc_agentfile_lib(const char *name, char *buf, size_t size);

/* Creates and maps a file of `nrings` rings of `ring_bytes` (a power of two) and fills the
 * header's layout (the caller fills the rest). 0, or -errno with `err` saying what failed. */
int sc_agentfile_create(sc_agentfile *f, uint32_t nrings, uint32_t ring_bytes, char *err,
			size_t errsize);
/* Maps the file open as `fd` (`size` bytes; the file descriptor is taken) made by someone else:
 * the console's, received from a program's runtime (src/trace/proto.h). Its header is checked:
 * the magic, version, layout, and a size that holds its rings. 0, or -errno (-EPROTO for a
 * header that does not fit) with `err` saying what failed. The file is not removed on close. */
int sc_agentfile_attach(sc_agentfile *f, int fd, uint64_t size, char *err, size_t errsize);
/* Unmaps, closes and removes the file. Idempotent (a zeroed struct with fd -1 is fine). */
void sc_agentfile_close(sc_agentfile *f);

/* "LD_PRELOAD=LIB[:the user's]" and "SCORCH_AGENT_FILE=PATH", malloc'ed, in env[0], env[1];
 * with `lib` NULL, "SCORCH_AGENT_FILE=PATH" in env[0] and NULL in env[1]. 0 or -ENOMEM. */
int sc_agentfile_env(const sc_agentfile *f, const char *lib, char *env[2]);

struct sc_addrspace;
/* A MAP record of stream `space` (a ring claim) of process `pid`: the mapping goes into the
 * address-space table `space` of `as` and its file is kept open (addrspace.h). Counts a record
 * that makes no sense in f->corrupt. Returns 0 or as->err (-ENOMEM). */
int sc_agentfile_map(sc_agentfile *f, struct sc_addrspace *as, uint32_t space, uint32_t pid,
		     const sc_agent_rec *rec);

/* After a run: what the agents have to say, for the summary ("the agent said: ...", "no process
 * of the command loaded the agent ...", records that made no sense), or an empty string. */
void sc_agentfile_note(const sc_agentfile *f, char *buf, size_t size);

sc_agent_ring *sc_agentfile_ring(const sc_agentfile *f, uint32_t i);

/* Called for each record of a ring (never PAD). A negative return stops the drain and is
 * returned by sc_agentfile_drain. */
typedef int (*sc_agentfile_fn)(void *ctx, uint32_t ring, const sc_agent_ring *r,
			       const sc_agent_rec *rec);
/* Drains ring `i` (see above). 0 or a callback's error. */
int sc_agentfile_drain(sc_agentfile *f, uint32_t i, bool reclaim, sc_agentfile_fn fn, void *ctx);

/* Running a command with an agent (session.h does the launching and the stopping policy). */
typedef struct sc_agentfile_run {
	char *const *argv;	     /* the command */
	const char *lib;	     /* the agent library, preloaded; NULL: none (libscorch) */
	char *const *extra_env;	     /* more NAME=VALUE entries for the command (NULL-terminated;
					NULL: none): CUDA_INJECTION64_PATH for scorch gpu */
	double duration;	     /* seconds; 0 = until the command exits */
	int poll_ms;		     /* rounds at least this often */
	sc_profile *p;		     /* its time_nanos and duration_nanos are set */
	void (*on_start)(void *ctx); /* once the command runs (may be NULL), with start_ctx */
	void *start_ctx;
	int (*round)(void *ctx, bool last); /* drain (session.h's round) */
	int (*finish)(void *ctx);	    /* after a loop that ended well (may be NULL) */
	void *ctx;
	/* Results: */
	sc_session sess; /* exited, wait_status, killed */
	int exec_errno;
	double seconds; /* from the launch to the end */
	char err[512];	/* when sc_agentfile_run returns < 0 */
} sc_agentfile_run;

/* Runs r->argv with r->lib preloaded and `f` named in its environment (f's header filled by the
 * caller; root_pid is set here), the session's signal policy in force, rounds every poll_ms and
 * once more at the end, then r->finish. Stops (kills) the command when a round or finish fails.
 * Returns 0, a callback's error, or -errno with r->err filled (-ENOENT and r->exec_errno for a
 * command that cannot be run). */
int sc_agentfile_run_command(sc_agentfile *f, sc_agentfile_run *r);

#endif
