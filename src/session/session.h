/*
 * session.h: a profiled program's life, for every command that profiles one (record today; heap,
 * trace, gpu and run later): launching a command or attaching to a pid, the stop and forward
 * policy for signals, the terminal, and a poll loop with a deadline that ends when the target does.
 *
 * Launching. sc_session_launch() forks the command into a process group of its own (so that
 * stopping it reaches its children too) and holds it before exec on a pipe while the caller's
 * `before_exec` prepares (opens perf events on the pid, for instance); then, when scorch is the
 * foreground of a terminal, it hands the terminal to that group, as a shell does for a job, lets
 * the command exec, and learns through a close-on-exec pipe whether exec worked. `env` adds or
 * replaces NAME=VALUE entries of the command's environment (for preload and injection libraries);
 * the rest of scorch's environment is passed on.
 *
 * Stopping. Between sc_session_signals_install() and sc_session_signals_restore(), SIGINT, SIGTERM
 * and SIGHUP only count (see sigsafe.h). sc_session_loop_run() then applies the policy: a launched
 * command is waited for until it exits; the first SIGINT that reaches scorch is passed on to its
 * group (the terminal's own goes to that group alone), while SIGTERM, SIGHUP, a second SIGINT or
 * the deadline send the group SIGTERM (SIGCONT with it, and SIGKILL 2 s later) and the loop waits
 * until the command is reaped. An attached process is watched until it exits, the deadline passes
 * or any of those signals arrives, and is left running. When the command stops on a terminal's stop
 * key, scorch stops too and continues it when continued itself (`fg`).
 *
 * Errors. Functions return 0 or -errno and never print; where the caller needs words for a user,
 * s->diag.message says what failed ("cannot run 'x': ..."). Not thread-safe: one session at a time
 * per process (the signal counters are process-wide).
 *
 * Not here: perf events and rings (src/record), the output folders (outdir.h), printing (src/cli).
 */
#ifndef SC_SESSION_SESSION_H
#define SC_SESSION_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "session/sigsafe.h"
#include "util/diag.h"

typedef struct sc_session {
	pid_t pid;	     /* the launched command, or the attached process */
	bool launched;	     /* pid is our child, in a process group of its own */
	bool exited;	     /* the launched command was reaped */
	int wait_status;     /* as from waitpid, when exited */
	int exec_errno;	     /* errno of the command's failed exec (ENOENT, EACCES...), else 0 */
	int tty;	     /* the terminal handed to the command's group, or -1 */
	bool stop_requested; /* by sc_session_request_stop() */
	bool killed;	     /* asked to stop, it outlived SIGTERM's grace and got SIGKILL */
	bool stopped;	     /* the loop stopped the launched command (SIGTERM: the deadline, a
				signal to scorch, a request): it did not end by itself */
	sc_diag diag; /* what failed, when a function returned < 0 with it filled (else empty) */
} sc_session;

typedef struct sc_session_launch_options {
	char *const *argv; /* the command, NULL-terminated, looked up in PATH like execvp */
	/* NAME=VALUE entries (each name once), NULL-terminated, added to or replacing theirs in
	 * scorch's environment for the command; NULL for none. */
	char *const *env;
	/* Called with the forked pid while the child waits before exec; its failure (< 0) is
	 * returned as is and the child exits 127 without running anything. May be NULL. */
	int (*before_exec)(void *ctx, pid_t pid);
	void *ctx;
} sc_session_launch_options;

/* Zeroes `s` with no terminal. Call before anything else; nothing to release afterwards except
 * what sc_session_end() undoes. */
void sc_session_init(sc_session *s);

/* Launches o->argv as described above. Returns 0 with s->pid running the command, or -errno: the
 * before_exec's error, or with s->diag filled (-exec_errno, and s->exec_errno set, when exec
 * itself failed: -ENOENT for a missing command, -EACCES for one that cannot be run). On failure
 * the child has been reaped and nothing needs undoing but sc_session_end(). */
int sc_session_launch(sc_session *s, const sc_session_launch_options *o);

/* Watches the running process `pid` (not our child). Returns 0, or -ESRCH when there is none. */
int sc_session_attach(sc_session *s, pid_t pid);

/* The monotonic clock, in seconds: the time base of deadlines. */
double sc_session_now(void);

typedef struct sc_session_loop {
	const int *fds; /* descriptors to poll for input (e.g. perf rings); one that hangs up or
			   fails is no longer polled */
	size_t nfds;
	int poll_ms;	 /* longest sleep between two rounds */
	double deadline; /* sc_session_now() time to stop at, or 0 for none */
	/* Called after every wake-up (last = false), so at least every poll_ms (a timer), and once
	 * more when the loop ends normally (last = true: the target is gone or stopped, take
	 * everything). A negative return ends the loop at once and is returned. */
	int (*round)(void *ctx, bool last);
	void *ctx;
} sc_session_loop;

/* Runs the poll loop with the stopping policy above until the target is done. Returns 0, a
 * round's error, or -errno with s->diag filled (poll failed). Launched: s->exited and
 * s->wait_status are set when it returns 0. */
int sc_session_loop_run(sc_session *s, const sc_session_loop *l);

/* Asks the loop to stop as a SIGTERM to scorch would (see "Stopping"): from a round callback, for
 * instance. Takes effect after the current round. */
void sc_session_request_stop(sc_session *s);

/* Kills a launched command that is still running (SIGKILL to its group) and reaps it: for a caller
 * that cannot go on observing it. No-op when attached or already reaped. */
void sc_session_kill(sc_session *s);

/* Takes the terminal back if it was handed over. Safe to call more than once. */
void sc_session_end(sc_session *s);

#endif
