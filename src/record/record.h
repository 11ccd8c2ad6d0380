/*
 * record.h: CPU sampling of a command or of running processes with perf_event_open.
 *
 * sc_record_run() launches the command (or attaches to processes and all their threads, or to
 * threads alone, or samples every CPU system-wide), samples it with an event (cpu-clock by
 * default, or one of perf's software and hardware events by name) at `frequency` Hz or every
 * `count` events, with user (and kernel) call chains, follows its threads and forked children
 * (unless `inherit` is off), tracks mmap events so code loaded later is attributed, and fills `p`
 * with unsymbolized locations (symbolize with sc_symbolize_profile afterwards).
 *
 * User call chains (o->callgraph). FP: the kernel's frame-pointer callchain, with the caller of a
 * frameless leaf restored by its .eh_frame CFI over a small copy of the user stack
 * (user_stack_bytes). DWARF and AUTO: each sample carries the user registers
 * (SC_UNWIND_PERF_REGS_MASK) and a copy of `stack_bytes` of the user stack, unwound while
 * recording by src/unwind (sc_unwind_stack, in that mode) against the recorder's own address
 * space; only the resulting addresses are stored, never the copies. Kernel frames always come from
 * the kernel's callchain. In every mode a user stack ends at the first caller address that no
 * executable mapping of the process holds, and the result counts such cut stacks (see
 * sc_record_cuts).
 *
 * The profile gets sample types (samples, count) and one naming the event: (cpu, nanoseconds) for
 * cpu-clock, (task-clock, nanoseconds), else (EVENT, count) such as (page-faults, count), whose
 * values are the sample periods; the period type is that second one, and comments
 * "command: ...", "event: ...", "host: ...". Addresses of caller frames are
 * stored as return address - 1 (inside the call instruction), leaf addresses as sampled.
 *
 * Off-CPU and wall modes (o->mode). OFFCPU opens, instead of o->event, the sched:sched_switch
 * tracepoint (its id from tracefs, /sys/kernel/tracing or /sys/kernel/debug/tracing) on the same
 * targets, a sample on every switch-out (sample_period 1) with the same call chains and its raw
 * record, and PERF_RECORD_SWITCH records (attr.context_switch): the blocked time of an interval
 * is from a thread's switch-out sample to its next switch-in record, stored as one sample on the
 * stack it blocked in under a leaf pseudo-frame naming its state (see sample.h); a thread still
 * alive and blocked at the end counts until the end (when the events' clock is CLOCK_MONOTONIC);
 * one blocked since before the recording began is not seen (it was never switched out while
 * recorded). Sample types
 * (switches, count) and (offcpu, nanoseconds). WALL opens cpu-clock as well, into the same rings:
 * sample types (samples, count) and (wall, nanoseconds), a cpu-clock sample counting its period,
 * an off-CPU interval its length, so the on-CPU and off-CPU time of a thread add up to its
 * lifetime. Without tracefs, or without the right to read it or open tracepoints, -EACCES or
 * -ENOENT with r->err naming what to do.
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
 * Depth. The kernel cuts call chains at kernel.perf_event_max_stack (127 by default). In FP mode,
 * when max_depth is above it, the result says so (depth_limit) and stacks keep that many frames
 * (DWARF and AUTO unwind user stacks here, up to max_depth frames, the copy permitting); the
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
#include "unwind/modules.h"

typedef enum sc_record_callgraph {
	SC_RECORD_CG_AUTO,  /* CFI where a module has no frame pointers, frame pointers where it has
			     */
	SC_RECORD_CG_DWARF, /* CFI everywhere */
	SC_RECORD_CG_FP,    /* the kernel's frame-pointer callchain (+ the leaf fix) */
} sc_record_callgraph;

/* What is recorded (--mode). */
typedef enum sc_record_mode {
	SC_RECORD_MODE_CPU,    /* o->event (cpu-clock) samples: where the CPU time goes */
	SC_RECORD_MODE_OFFCPU, /* sched_switch: where threads block, for how long */
	SC_RECORD_MODE_WALL,   /* cpu-clock and sched_switch: where the wall-clock time goes */
} sc_record_mode;

/* The largest user stack copy perf_event_open accepts (a u16, rounded down to 8). */
#define SC_RECORD_MAX_STACK_BYTES 65528

/* How many user stacks ended early, and why. A stack "cut" lost its outer callers: in FP mode at
 * a caller address no executable mapping holds (a frame pointer that was not one); in DWARF/AUTO
 * mode at such an address too, at the end of the stack copy, or at a frame the unwinder could not
 * step. `below` names the module (basename of its file) of the innermost frame most often left
 * just above a cut at an address no mapping holds, with `below_count` of them; empty when none. */
typedef struct sc_record_cuts {
	uint64_t stacks;      /* user stacks looked at (samples with user frames) */
	uint64_t no_mapping;  /* cut at a caller address no executable mapping holds */
	uint64_t end_of_copy; /* DWARF/AUTO: the walk reached the end of the stack copy */
	uint64_t no_rule;     /* DWARF/AUTO: a CFI rule not evaluable, or a CFA not growing */
	uint64_t not_64bit;   /* DWARF/AUTO: no 64-bit user registers (only the ip kept) */
	char below[64];
	uint64_t below_count;
} sc_record_cuts;

typedef struct sc_record_options {
	char *const *argv; /* command to run, NULL-terminated; NULL when attaching */
	pid_t pid;	   /* process to attach to when argv is NULL and npids is 0 */
	/* Several targets, when argv is NULL: processes (all their threads), or with `tids` only
	 * these threads. Borrowed. Recorded until all of them have exited (or a stop). */
	const pid_t *pids;
	size_t npids;
	bool tids;
	/* System-wide: one event per CPU for every task (pid -1), needing root or
	 * kernel.perf_event_paranoid <= 0. With argv, while the command runs; without, until a
	 * stop (signal or duration). pid/pids must not be given. */
	bool system_wide;
	/* The event sampled, by perf's name (see sc_record_event_canonical); NULL = cpu-clock. */
	const char *event;
	/* A sample every `count` events (nanoseconds for cpu-clock and task-clock), as perf's -c;
	 * 0 = `frequency` samples per second (the kernel adjusts the period). */
	long count;
	/* Threads and processes created later are recorded too (perf_event_attr.inherit); false is
	 * perf's --no-inherit: only the tasks that exist when the events are opened. */
	bool inherit;
	/* Called once the events are open and the recording has begun (may be NULL). */
	void (*on_start)(void *ctx);
	void *ctx;
	double duration; /* seconds; 0 = until the command exits (or scorch is interrupted) */
	int frequency;	 /* samples per second per thread, default 1000 */
	int max_depth;	 /* frames kept per stack, default 127 */
	bool kernel;	 /* kernel call chains too */
	bool follow_children;
	sc_record_callgraph callgraph; /* default SC_RECORD_CG_AUTO */
	sc_record_mode mode;  /* default SC_RECORD_MODE_CPU; OFFCPU and WALL take no event */
	int stack_bytes;      /* DWARF/AUTO: user stack copied per sample, a multiple of 8 from 8
				 to SC_RECORD_MAX_STACK_BYTES (default 16384) */
	int user_stack_bytes; /* FP: bytes of user stack copied per sample for the leaf fix; 0 = off
			       */
} sc_record_options;

/* A mapped file that was deleted or replaced while the recording ran. */
typedef struct sc_record_gone {
	sc_str file; /* the mapping's file name (a string of the profile) */
	int fd;	     /* open on the file as it was mapped (read it as /proc/self/fd/FD), or -1 */
	int err;     /* when fd is -1: why it could not be kept open (-errno) */
} sc_record_gone;

typedef struct sc_record_result {
	int wait_status;	   /* of the launched command, as from waitpid (valid if exited) */
	bool exited;		   /* the launched command was reaped */
	bool killed;		   /* it ignored the stop's SIGTERM and was killed (SIGKILL) */
	uint64_t samples;	   /* samples stored */
	uint64_t offcpu_dropped;   /* off-CPU intervals left out: their switch-in was never seen */
	uint64_t offcpu_intervals; /* off-CPU samples among `samples` */
	uint64_t lost;		   /* samples the kernel reported lost */
	uint64_t leaf_fixed;	   /* FP: stacks whose frameless leaf's caller was restored */
	sc_record_cuts cuts;	   /* user stacks that ended early */
	uint64_t processes, threads;
	bool kernel_excluded; /* kernel call chains were asked for but refused: user space only */
	double duration;      /* seconds recorded */
	int depth_limit;      /* kernel.perf_event_max_stack when it is below max_depth, else 0 */
	sc_record_gone
	    *gone; /* files deleted or replaced meanwhile; see sc_record_result_release */
	size_t ngone;
	int exec_errno; /* errno of the command's failed exec (ENOENT, EACCES...), else 0 */
	/* sc_record_run failed because perf_event_open itself was refused (privileges:
	 * kernel.perf_event_paranoid; a seccomp sandbox; a kernel without perf events) for a
	 * --mode cpu recording of a command or processes: another backend may do. */
	bool perf_refused;
	/* What the recording has to say that is not an error (the signal backend's agents: "no
	 * process of the command loaded the agent", a failed timer), else empty. */
	char note[256];
	/* The files the unwinder opened, for the symbolizer to reuse (sc_sym_options.modules): a
	 * reference the result holds, NULL after a failed sc_record_run. */
	sc_modcache *modules;
	char err[512]; /* what went wrong, when sc_record_run returns < 0 */
} sc_record_result;

void sc_record_options_init(sc_record_options *o);

/* perf's name of the event `name` (an alias such as "faults" or "cs" gives "page-faults",
 * "context-switches"), or NULL when it is not one we know. `time` is set when the event counts
 * nanoseconds (cpu-clock, task-clock), `hardware` for a hardware counter. */
const char *sc_record_event_canonical(const char *name, bool *time, bool *hardware);
/* The known events' names, comma-separated, for a message. */
const char *sc_record_event_names(void);

/* Closes the descriptors of r->gone and frees it (r->gone is NULL when nothing was deleted, and
 * after a failed sc_record_run), and drops the reference on r->modules. NULL-safe, idempotent. */
void sc_record_result_release(sc_record_result *r);
/* Returns 0 when the recording completed (whatever the target's exit status), or -errno with
 * r->err explaining (e.g. -ENOENT for a missing command, with r->exec_errno set whenever exec
 * itself failed, -EACCES with the perf_event_paranoid
 * value in force and how to lower it). */
int sc_record_run(const sc_record_options *o, sc_profile *p, sc_record_result *r);

#endif
