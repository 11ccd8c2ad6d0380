/*
 * record.h: CPU sampling of a command or of running processes with perf_event_open.
 *
 * sc_record_run() launches the command (or attaches to a pid and all its threads), samples it with
 * the cpu-clock software event at `frequency` Hz with user (and kernel) call chains, follows its
 * threads and forked children, tracks mmap events so code loaded later is attributed, fixes the
 * caller of frameless leaf functions with .eh_frame CFI over a small copy of the user stack, and
 * fills `p` with unsymbolized locations (symbolize with sc_symbolize_profile afterwards).
 *
 * The profile gets sample types (samples, count) and (cpu, nanoseconds), period type
 * (cpu, nanoseconds), and comments "command: ...", "host: ...". Addresses of caller frames are
 * stored as return address - 1 (inside the call instruction), leaf addresses as sampled.
 *
 * The target's stdout/stderr pass through. A launched command runs in a process group of its own
 * (so that stopping it reaches its children too); when scorch is the foreground of a terminal,
 * the terminal is handed to that group for the run, as a shell does for a job, and taken back
 * after it (a Ctrl-Z that stops the command stops scorch too; `fg` continues both). A target that
 * crashes or is killed still leaves every sample taken until then. Never prints: failures are
 * returned with `err` filled.
 *
 * Stopping, precisely (the policy of src/session/session.h). A launched command is recorded until
 * it exits. A SIGINT that reaches scorch (the terminal's own goes to the command's group alone) is
 * passed on to the command's group the first time; SIGTERM, SIGHUP, a second SIGINT or the end of
 * `duration` stop the recording by sending the group SIGTERM (SIGKILL 2 s later) and waiting for
 * the command, so `exited` is then true as well. An attached process is recorded until it exits,
 * `duration` ends, or SIGINT/SIGTERM/SIGHUP arrive, and is left running. The handlers are installed
 * only for the duration of sc_record_run() and the previous ones restored; not thread-safe (one
 * recording at a time).
 *
 * Deleted files. Symbolization happens after the run, from the files the mappings name; a binary
 * deleted or replaced meanwhile would lose its names. So each mapped file is opened while its
 * process lives (by its path when that is still the file mapped, else through
 * /proc/PID/map_files/START-END, which needs CAP_SYS_ADMIN, or /proc/PID/exe); at the end, the
 * descriptors of files still at their path are closed and the others listed in r->gone, with the
 * reason for any that could not be opened. At most SC_MAX_KEPT_FILES (record/addrspace.h) files are
 * kept open.
 *
 * Depth. The kernel cuts call chains at kernel.perf_event_max_stack (127 by default). When
 * max_depth is above it, the result says so (depth_limit) and stacks keep that many frames; the
 * sysctl is not raised here: it is system-wide, and the kernel refuses to change it while any
 * call-chain event exists (anyone's), so it could not be put back reliably.
 */
#ifndef SC_RECORD_RECORD_H
#define SC_RECORD_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profile/profile.h"

typedef struct sc_record_options {
	char *const *argv; /* command to run, NULL-terminated; NULL when attaching */
	pid_t pid;	   /* process to attach to when argv is NULL */
	double duration;   /* seconds; 0 = until the command exits (or scorch is interrupted) */
	int frequency;	   /* samples per second per thread, default 1000 */
	int max_depth;	   /* frames kept per stack, default 127 */
	bool kernel;	   /* kernel call chains too */
	bool follow_children;
	int user_stack_bytes; /* bytes of user stack copied per sample for the leaf fix; 0 = off */
} sc_record_options;

/* A mapped file that was deleted or replaced while the recording ran. */
typedef struct sc_record_gone {
	sc_str file; /* the mapping's file name (a string of the profile) */
	int fd;	     /* open on the file as it was mapped (read it as /proc/self/fd/FD), or -1 */
	int err;     /* when fd is -1: why it could not be kept open (-errno) */
} sc_record_gone;

typedef struct sc_record_result {
	int wait_status;     /* of the launched command, as from waitpid (valid if exited) */
	bool exited;	     /* the launched command was reaped */
	bool killed;	     /* it ignored the stop's SIGTERM and was killed (SIGKILL) */
	uint64_t samples;    /* samples stored */
	uint64_t lost;	     /* samples the kernel reported lost */
	uint64_t leaf_fixed; /* stacks whose frameless leaf's caller was restored */
	uint64_t processes, threads;
	bool kernel_excluded; /* kernel call chains were asked for but refused: user space only */
	double duration;      /* seconds recorded */
	int depth_limit;      /* kernel.perf_event_max_stack when it is below max_depth, else 0 */
	sc_record_gone
	    *gone; /* files deleted or replaced meanwhile; see sc_record_result_release */
	size_t ngone;
	int exec_errno; /* errno of the command's failed exec (ENOENT, EACCES...), else 0 */
	char err[512];	/* what went wrong, when sc_record_run returns < 0 */
} sc_record_result;

void sc_record_options_init(sc_record_options *o);
/* Closes the descriptors of r->gone and frees it (r->gone is NULL when nothing was deleted, and
 * after a failed sc_record_run). NULL-safe, idempotent. */
void sc_record_result_release(sc_record_result *r);
/* Returns 0 when the recording completed (whatever the target's exit status), or -errno with
 * r->err explaining (e.g. -ENOENT for a missing command, with r->exec_errno set whenever exec
 * itself failed, -EACCES with the perf_event_paranoid
 * value in force and how to lower it). */
int sc_record_run(const sc_record_options *o, sc_profile *p, sc_record_result *r);

#endif
