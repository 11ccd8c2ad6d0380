/*
 * events.h: private to src/record: the recorder's state, shared by record.c (the run, its loop
 * and the address space's start) and events.c (the perf events: their attributes and opening).
 * Nothing outside src/record includes it; the public contract is record.h.
 *
 * Errors: functions returning int return 0 or -errno, and when they fail for a reason the user
 * must be told, they have filled s->r->err first (through sc_rec_fail). Not thread-safe.
 */
#ifndef SC_RECORD_EVENTS_H
#define SC_RECORD_EVENTS_H

#include "record/record.h"
#include "record/ring.h"
#include "record/sample.h"
#include "session/session.h"
#include "util/vec.h"

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#if defined(__x86_64__)
#include <asm/perf_regs.h>
#define REGS_MASK                                                                                  \
	((1ULL << PERF_REG_X86_BP) | (1ULL << PERF_REG_X86_SP) | (1ULL << PERF_REG_X86_IP))
#else
#define REGS_MASK 0ULL /* the leaf fix is x86-64 only */
#endif

/* An event perf names, with its alias. */
struct sc_rec_event {
	const char *name, *alias;
	uint32_t type;
	uint64_t config;
	bool time; /* counts nanoseconds */
};

struct sc_rec {
	const sc_record_options *o;
	sc_profile *p;
	sc_record_result *r;
	struct perf_event_attr attr;	/* o->event's (cpu-clock); CPU and WALL modes */
	struct perf_event_attr tp_attr; /* sched:sched_switch's; OFFCPU and WALL modes */
	sc_session sess; /* the launched command or the attached process (sess.pid) */
	bool launched;

	SC_VEC(int) cpus;
	SC_VEC(int) fds; /* every event fd, rings' included */
	sc_rings rings;	 /* by CPU index */

	sc_addrspace as;
	sc_sample_decoder dec;

	const struct sc_rec_event *ev; /* what is sampled */
	SC_VEC(pid_t) targets; /* attached processes (or threads, o->tids); none system-wide */
	bool watch;	       /* the session watches scorch itself: stop when targets are gone */
};

/* ---- record.c ---- */

/* Fills r->err from the format and returns `err`. */
int sc_rec_fail(sc_record_result *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reads a small /proc or /sys file into buf (NUL-terminated, trailing newline dropped). Returns
 * its length or -errno. */
int sc_rec_read_small(const char *path, char *buf, size_t size);
/* The number a /proc or /sys file holds; false when it cannot be read or holds none. */
bool sc_rec_read_int(const char *path, long *out);

/* ---- events.c ---- */

/* The event called `name` (or its alias); the default, cpu-clock, for NULL; NULL when unknown.
 * The entries are static: pointers to them compare equal. */
const struct sc_rec_event *sc_rec_find_event(const char *name);
/* Builds s->attr (and s->tp_attr for OFFCPU and WALL, its config left 0) from s->o, s->ev and
 * s->launched. */
void sc_rec_setup_attr(struct sc_rec *s);
/* sched:sched_switch's id and the offset of its prev_state field, from tracefs. Returns 0 or
 * -errno with r->err saying what to do. */
int sc_rec_tracepoint_id(struct sc_rec *s, uint64_t *id, size_t *state_off);
/* Sets r->depth_limit when o->max_depth is above the kernel's perf_event_max_stack. */
void sc_rec_check_max_stack(const sc_record_options *o, sc_record_result *r);
/* Launch mode: one event per CPU on the (still waiting) child s->sess.pid; system-wide (-a): one
 * per CPU for every task. Returns 0 or -errno with r->err filled (and r->perf_refused set when
 * perf_event_open itself was refused). */
int sc_rec_open_launch_events(struct sc_rec *s);
/* The events of an attached recording (-p, -t, -a without a command), on s->targets. Returns as
 * sc_rec_open_launch_events. */
int sc_rec_open_targets(struct sc_rec *s);

#endif
