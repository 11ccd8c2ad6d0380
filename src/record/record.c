/*
 * record.c: the CPU recorder's orchestration: perf_event_open sampling of a launched command or a
 * running process into an sc_profile of raw addresses. The contract is in record.h; this comment
 * is the tour.
 *
 * Events. One event (cpu-clock unless o->event names another of the `events` table; a period of
 * o->count instead of the frequency when given) per (task, CPU), sampling at o->frequency Hz with
 * call chains and user registers and a copy of the user stack (16 KiB by default, unwound while
 * recording, with the kernel's callchain kept to kernel frames; or, for --call-graph fp, three
 * registers and a few hundred bytes for the leaf fix over the kernel's callchain), with inherit=1
 * so threads and forked children are followed, and with the side-band records we need to place
 * addresses: MMAP2 (code mapped), COMM with the exec flag (a new program image), FORK, EXIT.
 *   launch   the session (src/session/session.h) forks the command and holds it before exec
 *            while we open one event per CPU on its pid (enable_on_exec, so nothing of the
 *            fork/exec dance is sampled).
 *   attach   one event per (thread of each process, CPU), all events of a CPU writing into the
 *            ring of the first one (PERF_EVENT_IOC_SET_OUTPUT), so there are never more rings
 *            than CPUs; the mappings that already exist come from /proc/PID/maps. With o->tids,
 *            the given threads only. Several targets: the session watches scorch itself, and
 *            each round looks whether any target is left (loop_round).
 *   system   (o->system_wide) one event per CPU with pid -1, every task's samples, started at
 *            once; the mappings of every process come from /proc/N/maps for every N. With
 *            a command, the session launches it and the recording ends with it.
 *
 * Then the session's poll loop runs a round whenever a ring is a quarter full, or every POLL_MS,
 * until the target is done (the stop policy is the session's):
 *   ring.c       copies records out of the rings and hands them over in time order;
 *   sample.c     decodes them: samples to stacks of locations (unwound, or with the leaf fix),
 * MMAP, COMM and FORK records to the address space; addrspace.c  per-process mapping tables, model
 * mappings, and the mapped files kept open in case they are deleted before symbolization. At the
 * end, the counts and the files deleted meanwhile go to the result.
 *
 * Not here: symbolization (src/symbolize), output (src/formats), anything that prints.
 */
#include "record/record.h"
#include "record/ring.h"
#include "record/sample.h"
#include "session/session.h"
#include "unwind/unwind.h"
#include "util/hashmap.h"
#include "util/strbuf.h"
#include "util/vec.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <asm/perf_regs.h>
#define REGS_MASK                                                                                  \
	((1ULL << PERF_REG_X86_BP) | (1ULL << PERF_REG_X86_SP) | (1ULL << PERF_REG_X86_IP))
#else
#define REGS_MASK 0ULL /* the leaf fix is x86-64 only */
#endif

/* Longest sleep in poll(): bounds the lag of the time-ordered flush, of stop requests, and of
 * opening newly mapped files (a program that deletes its own code is caught if it lives longer). */
#define POLL_MS 50
/* The kernel's cap on call-chain entries; a --depth above it is cut there (see check_max_stack). */
#define MAX_STACK_SYSCTL "/proc/sys/kernel/perf_event_max_stack"

struct rec {
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

	const struct event *ev; /* what is sampled */
	SC_VEC(pid_t) targets;	/* attached processes (or threads, o->tids); none system-wide */
	bool watch;		/* the session watches scorch itself: stop when targets are gone */
};

/* The events perf names, with its aliases. */
static const struct event {
	const char *name, *alias;
	uint32_t type;
	uint64_t config;
	bool time; /* counts nanoseconds */
} events[] = {
    {"cpu-clock", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, true},
    {"task-clock", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, true},
    {"page-faults", "faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, false},
    {"context-switches", "cs", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, false},
    {"cpu-migrations", "migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS, false},
    {"minor-faults", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN, false},
    {"major-faults", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ, false},
    {"cycles", "cpu-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, false},
    {"instructions", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, false},
    {"cache-references", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES, false},
    {"cache-misses", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, false},
    {"branches", "branch-instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS,
     false},
    {"branch-misses", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES, false},
    {"bus-cycles", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES, false},
    {"ref-cycles", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES, false},
    {"stalled-cycles-frontend", "idle-cycles-frontend", PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_STALLED_CYCLES_FRONTEND, false},
    {"stalled-cycles-backend", "idle-cycles-backend", PERF_TYPE_HARDWARE,
     PERF_COUNT_HW_STALLED_CYCLES_BACKEND, false},
};

static const struct event *find_event(const char *name)
{
	if (!name)
		return &events[0];
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (!strcmp(name, events[i].name) ||
		    (events[i].alias && !strcmp(name, events[i].alias)))
			return &events[i];
	return NULL;
}

const char *sc_record_event_canonical(const char *name, bool *time, bool *hardware)
{
	const struct event *e = find_event(name);
	if (e && time)
		*time = e->time;
	if (e && hardware)
		*hardware = e->type == PERF_TYPE_HARDWARE;
	return e ? e->name : NULL;
}

const char *sc_record_event_names(void)
{
	return "cpu-clock, task-clock, page-faults (faults), context-switches (cs), cpu-migrations "
	       "(migrations), minor-faults, major-faults; hardware: cycles, instructions, "
	       "cache-references, cache-misses, branches, branch-misses, bus-cycles, ref-cycles, "
	       "stalled-cycles-frontend, stalled-cycles-backend";
}

void sc_record_options_init(sc_record_options *o)
{
	memset(o, 0, sizeof(*o));
	o->frequency = 1000;
	o->max_depth = 127;
	o->kernel = true;
	o->follow_children = true;
	o->inherit = true;
	o->callgraph = SC_RECORD_CG_AUTO;
	o->stack_bytes = 16384;
	o->user_stack_bytes = 512;
}

static int fail(sc_record_result *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(sc_record_result *r, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return err;
}

/* Reads a small /proc or /sys file into buf (NUL-terminated, trailing newline dropped). */
static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, size - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return (int)n;
}

static bool read_int(const char *path, long *out)
{
	char buf[64], *end;
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	*out = strtol(buf, &end, 10);
	return end != buf;
}

/* The process (thread group) of thread `tid`, from /proc/TID/status; `tid` itself if unknown. */
static pid_t tgid_of(pid_t tid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return tid;
	const char *t = strstr(buf, "\nTgid:");
	long v = t ? strtol(t + 7, NULL, 10) : 0;
	return v > 0 ? (pid_t)v : tid;
}

/* Online CPUs from /sys ("0-3,6"), or 0..n-1 when that cannot be read. */
static int list_cpus(struct rec *s)
{
	char buf[4096];
	if (read_small("/sys/devices/system/cpu/online", buf, sizeof(buf)) > 0) {
		char *p = buf;
		while (*p) {
			char *end;
			long a = strtol(p, &end, 10), b = a;
			if (end == p)
				break;
			p = end;
			if (*p == '-') {
				b = strtol(p + 1, &end, 10);
				p = end;
			}
			for (long c = a; c <= b; c++)
				if (sc_vec_push(&s->cpus, (int)c) < 0)
					return -ENOMEM;
			if (*p == ',')
				p++;
		}
	}
	if (!s->cpus.len) {
		long n = sysconf(_SC_NPROCESSORS_CONF);
		for (long c = 0; c < (n > 0 ? n : 1); c++)
			if (sc_vec_push(&s->cpus, (int)c) < 0)
				return -ENOMEM;
	}
	return 0;
}

void sc_record_result_release(sc_record_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ngone; i++)
		if (r->gone[i].fd >= 0)
			close(r->gone[i].fd);
	free(r->gone);
	r->gone = NULL;
	r->ngone = 0;
	sc_modcache_unref(r->modules);
	r->modules = NULL;
}

/* ---- the rings ---------------------------------------------------------------------------- */

static int on_read(void *ctx, const unsigned char *rec, size_t len)
{
	struct rec *s = ctx;
	sc_sample_on_read(&s->dec, rec, len);
	return sc_sample_err(&s->dec);
}

static int on_process(void *ctx, const unsigned char *rec, size_t len)
{
	struct rec *s = ctx;
	sc_sample_process(&s->dec, rec, len);
	return sc_sample_err(&s->dec);
}

/* One round of the session's loop: read every ring, then process what can no longer be overtaken
 * (everything when `last`). An error ends the loop. */
static int loop_round(void *ctx, bool last)
{
	struct rec *s = ctx;
	sc_rings_sink sink = {.on_read = on_read, .process = on_process, .ctx = ctx};
	int r = sc_rings_round(&s->rings, last, &sink);
	/* Several targets (or threads): the session watches scorch itself, and the recording ends
	 * when every target is gone. */
	if (s->watch && s->targets.len && !last) {
		bool any = false;
		for (size_t i = 0; i < s->targets.len && !any; i++)
			any = kill(s->targets.data[i], 0) == 0 || errno != ESRCH;
		if (!any)
			sc_session_request_stop(&s->sess);
	}
	return r;
}

/* ---- events ------------------------------------------------------------------------------ */

static void setup_attr(struct rec *s)
{
	const sc_record_options *o = s->o;
	struct perf_event_attr *a = &s->attr;
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = s->ev->type;
	a->config = s->ev->config;
	if (o->count > 0) {
		a->sample_period = (uint64_t)o->count;
	} else {
		a->freq = 1;
		a->sample_freq = (uint64_t)o->frequency;
	}
	a->sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
			 PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_PERIOD;
	if (o->callgraph != SC_RECORD_CG_FP && REGS_MASK) {
		/* The user stack is unwound from a copy: the kernel's callchain keeps only its own
		 * frames. */
		a->sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
		a->sample_regs_user = SC_UNWIND_PERF_REGS_MASK;
		a->sample_stack_user = (uint32_t)o->stack_bytes & ~7u;
		a->exclude_callchain_user = 1;
	} else if (o->user_stack_bytes >= 8 && REGS_MASK) {
		a->sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
		a->sample_regs_user = REGS_MASK;
		a->sample_stack_user = (uint32_t)o->user_stack_bytes & ~7u;
	}
	a->exclude_kernel = !o->kernel;
	a->exclude_callchain_kernel = !o->kernel;
	a->exclude_hv = 1;
	a->mmap = 1;
	a->mmap2 = 1;
	a->comm = 1;
	a->comm_exec = 1;
	a->task = 1;
	/* A CPU-wide event sees every task already: inheriting means nothing there. */
	a->inherit = o->inherit && !o->system_wide;
	a->sample_id_all = 1;
	/* enable_on_exec acts on the task's own events only; a CPU-wide one starts at once. */
	a->disabled = s->launched && !o->system_wide;
	a->enable_on_exec = s->launched && !o->system_wide;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	a->watermark = 1;
	a->wakeup_watermark = (uint32_t)(SC_RING_PAGES * (size_t)sysconf(_SC_PAGESIZE) / 4);
	long max_stack = 127;
	read_int(MAX_STACK_SYSCTL, &max_stack);
	long depth = o->max_depth < max_stack ? o->max_depth : max_stack;
	a->sample_max_stack = (uint16_t)(depth > 0 && depth <= 0xffff ? depth : 127);
	if (o->mode == SC_RECORD_MODE_CPU)
		return;
	/* Both events write into the same rings, decoded alike: the same fields. A cpu-clock
	 * sample's raw data is 4 bytes of zeros, a tracepoint's its record. */
	a->sample_type |= PERF_SAMPLE_RAW;
	s->tp_attr = *a;
	struct perf_event_attr *t = &s->tp_attr;
	t->type = PERF_TYPE_TRACEPOINT;
	t->config = 0; /* the id, set by tracepoint_id() */
	t->freq = 0;
	t->sample_period = 1;
	t->context_switch = 1;
	/* A tracepoint fires in the kernel: excluding the kernel would drop every sample.
	 * --no-kernel drops the kernel frames of its call chains only. */
	t->exclude_kernel = 0;
	/* Side-band records once is enough: the cpu-clock event has them in wall mode. */
	if (o->mode == SC_RECORD_MODE_WALL)
		t->mmap = t->mmap2 = t->comm = t->comm_exec = t->task = 0;
}

/* The tracefs folders where sched_switch may be found. */
static const char *const tracefs_dirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};

/* sched:sched_switch's id and the offset of its prev_state field, from tracefs. Returns 0 or
 * -errno with r->err saying what to do. */
static int tracepoint_id(struct rec *s, uint64_t *id, size_t *state_off)
{
	char path[128], buf[8192];
	int err = -ENOENT;
	for (size_t i = 0; i < sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/sched/sched_switch/id", tracefs_dirs[i]);
		int n = read_small(path, buf, sizeof(buf));
		if (n < 0) {
			if (n != -ENOENT)
				err = n;
			continue;
		}
		char *end;
		unsigned long long v = strtoull(buf, &end, 10);
		snprintf(path, sizeof(path), "%s/events/sched/sched_switch/format",
			 tracefs_dirs[i]);
		n = read_small(path, buf, sizeof(buf));
		const char *f = n > 0 ? strstr(buf, " prev_state;") : NULL;
		const char *o = f ? strstr(f, "offset:") : NULL;
		long off = o ? strtol(o + 7, NULL, 10) : 0;
		if (end == buf || !o || off <= 0 || off > 4096)
			return fail(s->r, -EINVAL,
				    "--mode %s: cannot read the sched:sched_switch tracepoint's id "
				    "and prev_state field from %s/events/sched/sched_switch",
				    s->o->mode == SC_RECORD_MODE_WALL ? "wall" : "offcpu",
				    tracefs_dirs[i]);
		*id = v;
		*state_off = (size_t)off;
		return 0;
	}
	const char *mode = s->o->mode == SC_RECORD_MODE_WALL ? "wall" : "offcpu";
	if (err == -EACCES || err == -EPERM)
		return fail(s->r, -EACCES,
			    "--mode %s needs the sched:sched_switch tracepoint, and tracefs "
			    "(/sys/kernel/tracing) is not readable by this user: run as root, or "
			    "give the user access to tracefs (CAP_PERFMON and read access)",
			    mode);
	return fail(s->r, -ENOENT,
		    "--mode %s needs the sched:sched_switch tracepoint, and tracefs is not "
		    "mounted (neither /sys/kernel/tracing nor /sys/kernel/debug/tracing has it): "
		    "sudo mount -t tracefs nodev /sys/kernel/tracing (a kernel without "
		    "CONFIG_FTRACE has no tracepoints)",
		    mode);
}

/* --depth above the kernel's limit: the kernel cuts every call chain at the limit. We do not raise
 * it, even as root: it is system-wide, and the kernel refuses to change it (EBUSY) while any
 * profiler's call-chain events exist, so it could not be put back reliably. */
static void check_max_stack(const sc_record_options *o, sc_record_result *r)
{
	long limit;
	if (read_int(MAX_STACK_SYSCTL, &limit) && limit > 0 && o->max_depth > limit)
		r->depth_limit = (int)limit;
}

/* Opens one event, dropping in turn the optional attributes an older kernel refuses, and kernel
 * sampling when the kernel refuses that (as perf does at perf_event_paranoid 2). */
static int open_event(struct rec *s, struct perf_event_attr *a, pid_t pid, int cpu)
{
	for (;;) {
		int fd = (int)syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd >= 0)
			return fd;
		int e = errno;
		if ((e == EINVAL || e == E2BIG || e == EOVERFLOW) && a->sample_max_stack) {
			a->sample_max_stack = 0;
		} else if (e == EINVAL && a->use_clockid) {
			a->use_clockid = 0;
			a->clockid = 0;
		} else if ((e == EACCES || e == EPERM) && !a->exclude_kernel &&
			   a->type != PERF_TYPE_TRACEPOINT) {
			a->exclude_kernel = 1;
			a->exclude_callchain_kernel = 1;
			s->r->kernel_excluded = true;
		} else {
			return -e;
		}
	}
}

static int open_failed(struct rec *s, int err)
{
	/* A refusal of perf_event_open itself (privileges, a sandbox, no perf events): the
	 * caller may sample another way (the signal backend). Not for -a or tracepoints, which
	 * nothing else can replace, nor for a missing hardware counter. */
	s->r->perf_refused = !s->o->system_wide && s->o->mode == SC_RECORD_MODE_CPU &&
			     s->ev->type != PERF_TYPE_HARDWARE &&
			     (err == -EACCES || err == -EPERM || err == -ENOSYS ||
			      err == -EOPNOTSUPP || err == -ENOENT);
	long paranoid;
	char val[32] = "unknown";
	if (read_int("/proc/sys/kernel/perf_event_paranoid", &paranoid))
		snprintf(val, sizeof(val), "%ld", paranoid);
	char proc[64];
	struct stat st;
	pid_t pid = s->targets.len ? s->targets.data[0] : s->sess.pid;
	if ((err == -EACCES || err == -EPERM) && s->o->system_wide)
		return fail(s->r, -EACCES,
			    "-a (all CPUs) was refused: system-wide recording needs root (or "
			    "CAP_PERFMON) or kernel.perf_event_paranoid <= 0, and it is %s: run as "
			    "root or: sudo sysctl kernel.perf_event_paranoid=0",
			    val);
	if ((err == -EACCES || err == -EPERM) && s->o->mode != SC_RECORD_MODE_CPU)
		return fail(s->r, -EACCES,
			    "--mode %s: the sched:sched_switch tracepoint was refused "
			    "(kernel.perf_event_paranoid = %s): tracepoints need root (or "
			    "CAP_PERFMON) or kernel.perf_event_paranoid <= -1; run as root or use "
			    "--mode cpu",
			    s->o->mode == SC_RECORD_MODE_WALL ? "wall" : "offcpu", val);
	if (s->ev->type == PERF_TYPE_HARDWARE &&
	    (err == -ENOENT || err == -EOPNOTSUPP || err == -ENODEV))
		return fail(s->r, -EOPNOTSUPP,
			    "the machine has no hardware counter '%s' (a VM?); use -e cpu-clock",
			    s->ev->name);
	snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
	if ((err == -EACCES || err == -EPERM) && !s->launched && geteuid() != 0 &&
	    stat(proc, &st) == 0 && st.st_uid != geteuid())
		return fail(s->r, -EACCES,
			    "perf_event_open was refused: %s %d belongs to another user; run "
			    "as root or as its owner",
			    s->o->tids ? "thread" : "process", (int)pid);
	if (err == -EACCES || err == -EPERM)
		return fail(s->r, -EACCES,
			    "perf_event_open was refused (kernel.perf_event_paranoid = %s); run as "
			    "root or: sudo sysctl kernel.perf_event_paranoid=1",
			    val);
	if (err == -ESRCH)
		return fail(s->r, -ESRCH, "no %s %d", s->o->tids ? "thread" : "process", (int)pid);
	/* Not -ENOENT even when that is the errno: it would read as "no such command". */
	if (err == -ENOENT || err == -ENOSYS || err == -EOPNOTSUPP || err == -ENODEV)
		return fail(s->r, -EOPNOTSUPP,
			    "perf_event_open is not available: %s (no perf events in this kernel, "
			    "or a sandbox blocks them)",
			    strerror(-err));
	if (err == -EMFILE)
		return fail(s->r, err,
			    "perf_event_open: too many open files (one per thread and CPU); raise "
			    "the limit with ulimit -n");
	return fail(s->r, err, "perf_event_open failed: %s", strerror(-err));
}

/* Opens event `a` of (pid, CPU index ci): the CPU's ring if it has none yet, else redirected into
 * it. Returns 0 or -errno. */
static int add_one_event(struct rec *s, struct perf_event_attr *a, pid_t pid, size_t ci)
{
	int fd = open_event(s, a, pid, s->cpus.data[ci]);
	if (fd < 0)
		return fd;
	if (sc_vec_push(&s->fds, fd) < 0) {
		close(fd);
		return -ENOMEM;
	}
	const sc_ring *rg = &s->rings.rings.data[ci];
	if (rg->fd < 0) {
		int r = sc_rings_map(&s->rings, ci, fd);
		if (r < 0)
			return fail(s->r, r,
				    "cannot map the perf ring buffer: %s (see "
				    "kernel.perf_event_mlock_kb)",
				    strerror(-r));
		return 0;
	}
	if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, rg->fd) < 0)
		return fail(s->r, -errno, "cannot share a perf ring buffer: %s", strerror(errno));
	return 0;
}

/* Opens the events of (pid, CPU index ci) that the mode asks for. */
static int add_event(struct rec *s, pid_t pid, size_t ci)
{
	int r = 0;
	if (s->o->mode != SC_RECORD_MODE_OFFCPU)
		r = add_one_event(s, &s->attr, pid, ci);
	if (r == 0 && s->o->mode != SC_RECORD_MODE_CPU)
		r = add_one_event(s, &s->tp_attr, pid, ci);
	return r;
}

/* Launch mode: one event per CPU on the (still waiting) child; system-wide (-a): one per CPU
 * for every task. */
static int open_launch_events(struct rec *s)
{
	size_t opened = 0;
	pid_t pid = s->o->system_wide ? -1 : s->sess.pid;
	for (size_t i = 0; i < s->cpus.len; i++) {
		int r = add_event(s, pid, i);
		if (r == 0) {
			opened++;
			continue;
		}
		if (s->r->err[0])
			return r;
		/* A CPU that went offline is not fatal; a refusal is. */
		if (r == -ENODEV && opened)
			continue;
		return open_failed(s, r);
	}
	return opened ? 0 : open_failed(s, -ENODEV);
}

/* Events on one thread (-t): Returns 0 or -errno after saying what failed. */
static int open_thread_events(struct rec *s, pid_t tid)
{
	bool any = false;
	for (size_t i = 0; i < s->cpus.len; i++) {
		int r = add_event(s, tid, i);
		if (r == -ENODEV && !s->r->err[0])
			continue; /* CPU offline */
		if (r < 0)
			return s->r->err[0] ? r : open_failed(s, r);
		any = true;
	}
	if (!any)
		return open_failed(s, -ENODEV);
	sc_sample_count_thread(&s->dec, (uint32_t)tid);
	return sc_sample_err(&s->dec);
}

/* Attach mode: events for every thread of `pid`, rescanning until no thread appeared meanwhile
 * (threads created after a thread's events exist are covered by inherit). */
static int open_attach_events(struct rec *s, pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	sc_hashmap opened = {0};
	int r = 0;
	uint64_t nopened = 0;
	for (int pass = 0; pass < 16; pass++) {
		DIR *d = opendir(path);
		if (!d) {
			r = errno == ENOENT ? open_failed(s, -ESRCH) : -errno;
			if (r != -ESRCH)
				fail(s->r, r, "cannot read %s: %s", path, strerror(-r));
			goto out;
		}
		bool added = false;
		struct dirent *de;
		while ((de = readdir(d))) {
			char *end;
			long tid = strtol(de->d_name, &end, 10);
			if (end == de->d_name || *end || tid <= 0 ||
			    sc_idset_has(&opened, (uint32_t)tid))
				continue;
			bool any = false;
			for (size_t i = 0; i < s->cpus.len; i++) {
				r = add_event(s, (pid_t)tid, i);
				if (r == -ESRCH || (r == -ENODEV && !s->r->err[0]))
					continue; /* the thread exited meanwhile; CPU offline */
				if (r < 0) {
					closedir(d);
					if (!s->r->err[0])
						r = open_failed(s, r);
					goto out;
				}
				any = true;
			}
			r = 0;
			if (any)
				sc_sample_count_thread(&s->dec, (uint32_t)tid);
			if (any && (sc_idset_add(&opened, (uint32_t)tid, &nopened) < 0 ||
				    sc_sample_err(&s->dec) < 0)) {
				closedir(d);
				r = -ENOMEM;
				goto out;
			}
			added |= any;
		}
		closedir(d);
		if (!added)
			break;
	}
	if (!nopened)
		r = open_failed(s, -ESRCH);
out:
	sc_hashmap_release(&opened);
	return r;
}

/* Opens the events of an attached recording (-p, -t, -a without a command). */
static int open_targets(struct rec *s)
{
	if (s->o->system_wide)
		return open_launch_events(s); /* one per CPU, pid -1 */
	for (size_t i = 0; i < s->targets.len; i++) {
		pid_t t = s->targets.data[i];
		int r = s->o->tids ? open_thread_events(s, t) : open_attach_events(s, t);
		if (r < 0) {
			if (r == -ESRCH && !s->r->err[0])
				open_failed(s, r);
			return r;
		}
	}
	return 0;
}

/* The executable mappings of process (or thread) `pid` that exist already when attaching (MMAP
 * records report only new ones). */
static int read_proc_maps(struct rec *s, pid_t tid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0; /* the events are open: a process gone now simply records nothing */
	char *line = NULL;
	size_t cap = 0;
	uint32_t pid = (uint32_t)tgid_of(tid);
	sc_addrspace_proc(&s->as, pid, true); /* the table exists even with no mapping */
	while (!s->as.err && getline(&line, &cap, f) > 0) {
		unsigned long long start, end, off;
		char perms[8];
		int name_at = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &off,
			   &name_at) < 4 ||
		    !strchr(perms, 'x'))
			continue;
		char *name = name_at ? line + name_at : line + strlen(line);
		name[strcspn(name, "\n")] = 0;
		if (!*name)
			name = "//anon";
		sc_addrspace_map(&s->as, pid, start, end, off, name);
		sc_addrspace_keep_file(&s->as, name, pid, start, end);
	}
	free(line);
	fclose(f);
	return s->as.err;
}

/* The mappings of every process there is (system-wide). */
static int read_all_maps(struct rec *s)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	struct dirent *de;
	int r = 0;
	while (!r && (de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (end != de->d_name && !*end && pid > 0)
			r = read_proc_maps(s, (pid_t)pid);
	}
	closedir(d);
	return r;
}

/* The mappings of the attached targets. */
static int read_target_maps(struct rec *s)
{
	if (s->o->system_wide)
		return read_all_maps(s);
	for (size_t i = 0; i < s->targets.len; i++) {
		int r = read_proc_maps(s, s->targets.data[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the recording ----------------------------------------------------------------------- */

static int add_metadata(struct rec *s)
{
	sc_profile *p = s->p;
	const struct event *ev = s->ev;
	/* cpu-clock keeps the name every report knows; the others are named after their event. */
	const char *type = ev == &events[0] ? "cpu" : ev->name;
	const char *unit = ev->time ? "nanoseconds" : "count";
	const char *count = "samples";
	if (s->o->mode == SC_RECORD_MODE_OFFCPU) {
		count = "switches";
		type = "offcpu";
		unit = "nanoseconds";
	} else if (s->o->mode == SC_RECORD_MODE_WALL) {
		type = "wall";
	}
	if (sc_profile_add_sample_type(p, count, "count") < 0 ||
	    sc_profile_add_sample_type(p, type, unit) < 0)
		return -ENOMEM;
	int64_t t = sc_profile_intern(p, type), u = sc_profile_intern(p, unit);
	if (t < 0 || u < 0)
		return -ENOMEM;
	p->period_type = (sc_value_type){(sc_str)t, (sc_str)u};
	p->default_sample_type = (sc_str)t;
	p->period = s->o->count > 0 ? s->o->count
		    : ev->time	    ? 1000000000LL / s->o->frequency
				    : 0; /* the kernel varies it to keep the frequency */
	if (s->o->mode == SC_RECORD_MODE_OFFCPU)
		p->period = 0;

	sc_strbuf sb = {0};
	int r = sc_strbuf_adds(&sb, "command: ");
	if (s->o->argv) {
		for (size_t i = 0; s->o->argv[i] && r == 0; i++)
			r = sc_strbuf_addf(&sb, "%s%s", i ? " " : "", s->o->argv[i]);
	} else if (s->o->system_wide) {
		r = sc_strbuf_adds(&sb, "(all CPUs)");
	}
	for (size_t k = 0; k < s->targets.len && r == 0; k++) {
		char path[64], buf[4096];
		pid_t pid = s->targets.data[k];
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		int n = read_small(path, buf, sizeof(buf));
		for (int i = 0; i < n - 1; i++)
			if (!buf[i])
				buf[i] = ' ';
		r = sc_strbuf_addf(&sb, "%s%s (%s %d)", k ? ", " : "", n > 0 ? buf : "?",
				   s->o->tids ? "tid" : "pid", (int)pid);
	}
	if (s->o->argv && s->o->system_wide && r == 0)
		r = sc_strbuf_adds(&sb, " (all CPUs)");
	if (r == 0)
		r = sc_profile_add_comment(p, sb.buf);
	sc_strbuf_reset(&sb);
	if (r == 0 &&
	    (r = sc_strbuf_addf(&sb, "event: %s",
				s->o->mode == SC_RECORD_MODE_OFFCPU ? "sched:sched_switch"
				: s->o->mode == SC_RECORD_MODE_WALL ? "cpu-clock,sched:sched_switch"
								    : ev->name)) == 0)
		r = sc_profile_add_comment(p, sb.buf);
	sc_strbuf_reset(&sb);
	char host[256];
	if (r == 0 && gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = 0;
		if ((r = sc_strbuf_addf(&sb, "host: %s", host)) == 0)
			r = sc_profile_add_comment(p, sb.buf);
	}
	sc_strbuf_release(&sb);
	return r < 0 ? -ENOMEM : 0;
}

/* Polls the rings until the session's target is done (see session.h for when that is). */
static int record_loop(struct rec *s, double start)
{
	SC_VEC(int) fds = {0};
	for (size_t i = 0; i < s->rings.rings.len; i++)
		if (s->rings.rings.data[i].fd >= 0 &&
		    sc_vec_push(&fds, s->rings.rings.data[i].fd) < 0) {
			sc_vec_release(&fds);
			return -ENOMEM;
		}
	sc_session_loop l = {.fds = fds.data,
			     .nfds = fds.len,
			     .poll_ms = POLL_MS,
			     .deadline = s->o->duration > 0 ? start + s->o->duration : 0,
			     .round = loop_round,
			     .ctx = s};
	int r = sc_session_loop_run(&s->sess, &l);
	sc_vec_release(&fds);
	if (r < 0 && s->sess.diag.message[0])
		fail(s->r, r, "%s", s->sess.diag.message);
	return r;
}

static void close_events(struct rec *s)
{
	sc_rings_release(&s->rings);
	for (size_t i = 0; i < s->fds.len; i++)
		close(s->fds.data[i]);
	s->fds.len = 0;
}

static void rec_release(struct rec *s)
{
	close_events(s);
	sc_vec_release(&s->cpus);
	sc_vec_release(&s->fds);
	sc_vec_release(&s->targets);
	sc_sample_release(&s->dec);
	sc_addrspace_release(&s->as);
}

static int before_exec(void *ctx, pid_t pid)
{
	(void)pid; /* s->sess.pid already */
	return open_launch_events(ctx);
}

/* Whether thread `tid` of process `pid` still exists. */
static bool thread_alive(uint32_t pid, uint32_t tid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%u/task/%u", pid, tid);
	return access(path, F_OK) == 0;
}

/* Launch: fork (child waits), open events on it, let it exec, learn whether exec worked. */
static int launch(struct rec *s)
{
	sc_session_launch_options lo = {.argv = s->o->argv, .before_exec = before_exec, .ctx = s};
	int r = sc_session_launch(&s->sess, &lo);
	s->r->exec_errno = s->sess.exec_errno;
	if (r < 0 && s->sess.diag.message[0])
		fail(s->r, r, "%s", s->sess.diag.message);
	return r;
}

int sc_record_run(const sc_record_options *o, sc_profile *p, sc_record_result *r)
{
	memset(r, 0, sizeof(*r));
	if (!o->argv && o->pid <= 0 && !o->npids && !o->system_wide)
		return fail(r, -EINVAL, "nothing to record: no command and no pid");
	if (o->system_wide && (o->pid > 0 || o->npids))
		return fail(r, -EINVAL, "system-wide recording takes no pid");
	if (o->argv && (o->pid > 0 || o->npids))
		return fail(r, -EINVAL, "give either a command or pids, not both");
	const struct event *ev = find_event(o->event);
	if (!ev)
		return fail(r, -EINVAL, "unknown event '%s' (known: %s)", o->event,
			    sc_record_event_names());
	if (o->argv && !o->argv[0])
		return fail(r, -EINVAL, "nothing to record: empty command");
	if (o->frequency < 1 || o->max_depth < 1 || o->user_stack_bytes < 0 ||
	    o->user_stack_bytes > SC_RECORD_MAX_STACK_BYTES ||
	    (o->callgraph != SC_RECORD_CG_FP &&
	     (o->stack_bytes < 8 || o->stack_bytes > SC_RECORD_MAX_STACK_BYTES)) ||
	    (unsigned)o->callgraph > SC_RECORD_CG_FP || o->count < 0)
		return fail(r, -EINVAL, "invalid recording options");
	if (p->nsample_types || p->samples.len)
		return fail(r, -EINVAL, "the profile to record into is not empty");
	if ((unsigned)o->mode > SC_RECORD_MODE_WALL ||
	    (o->mode != SC_RECORD_MODE_CPU && ev != &events[0]))
		return fail(r, -EINVAL, "--mode offcpu and wall take no -e event");

	struct rec s = {.o = o, .p = p, .r = r, .launched = o->argv != NULL, .ev = ev};
	sc_session_init(&s.sess);
	sc_session_sigsave sigs;
	bool sigs_installed = false;
	int ret;
	sc_addrspace_init(&s.as, p);
	if (sc_sample_init(&s.dec, p, &s.as, (size_t)o->max_depth) < 0 || list_cpus(&s) < 0 ||
	    sc_rings_init(&s.rings, s.cpus.len) < 0) {
		ret = fail(r, -ENOMEM, "out of memory");
		goto out;
	}
	if (!s.launched && !o->system_wide) {
		size_t n = o->npids ? o->npids : 1;
		for (size_t i = 0; i < n; i++)
			if (sc_vec_push(&s.targets, o->npids ? o->pids[i] : o->pid) < 0) {
				ret = fail(r, -ENOMEM, "out of memory");
				goto out;
			}
	}
	/* One process is watched by the session; several, threads, or none (system-wide until a
	 * stop) make it watch scorch itself, and the rounds watch the targets. */
	s.watch = !s.launched && (s.targets.len != 1 || o->tids || o->system_wide);
	if (!s.launched) {
		for (size_t i = 0; i < s.targets.len; i++)
			if (kill(s.targets.data[i], 0) < 0 && errno == ESRCH) {
				ret = fail(r, -ESRCH, "no %s %d", o->tids ? "thread" : "process",
					   (int)s.targets.data[i]);
				goto out;
			}
		pid_t watched = s.watch ? getpid() : s.targets.data[0];
		if ((ret = sc_session_attach(&s.sess, watched)) < 0) {
			fail(r, ret, "%s", s.sess.diag.message);
			goto out;
		}
	}
	long max_rate;
	if (read_int("/proc/sys/kernel/perf_event_max_sample_rate", &max_rate) && o->count <= 0 &&
	    o->frequency > max_rate) {
		ret = fail(r, -EINVAL,
			   "%d Hz is above the kernel's limit (kernel.perf_event_max_sample_rate = "
			   "%ld); sample less often or: sudo sysctl "
			   "kernel.perf_event_max_sample_rate=%d",
			   o->frequency, max_rate, o->frequency);
		goto out;
	}
	if (o->callgraph == SC_RECORD_CG_FP) /* else user stacks are ours, up to --depth */
		check_max_stack(o, r);
	setup_attr(&s);
	if (o->mode != SC_RECORD_MODE_CPU) {
		uint64_t id = 0;
		if ((ret = tracepoint_id(&s, &id, &s.dec.offcpu_state_off)) < 0)
			goto out;
		s.tp_attr.config = id;
	}
	s.dec.sample_type = s.attr.sample_type;
	s.dec.regs_mask = s.attr.sample_regs_user;
	s.dec.cfi = o->callgraph != SC_RECORD_CG_FP && REGS_MASK;
	s.dec.unwind_mode = o->callgraph == SC_RECORD_CG_DWARF ? SC_UNWIND_DWARF : SC_UNWIND_AUTO;
	sc_session_signals_install(&sigs);
	sigs_installed = true;

	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	double start = sc_session_now();
	ret = s.launched ? launch(&s) : open_targets(&s);
	if (ret < 0)
		goto out;
	/* Only the launched or single attached process; several are kept apart by the events. */
	if (!o->follow_children && !o->system_wide && (s.launched || s.targets.len == 1))
		s.dec.only_pid = (uint32_t)(s.launched ? s.sess.pid : tgid_of(s.targets.data[0]));
	if ((!s.launched && read_target_maps(&s) < 0) ||
	    (s.launched && o->system_wide && read_all_maps(&s) < 0) || add_metadata(&s) < 0) {
		ret = -ENOMEM;
		goto stop;
	}
	if (s.launched) {
		sc_sample_count_process(&s.dec, (uint32_t)s.sess.pid);
		sc_sample_count_thread(&s.dec, (uint32_t)s.sess.pid);
	}
	for (size_t i = 0; i < s.targets.len; i++) {
		sc_sample_count_process(&s.dec, (uint32_t)tgid_of(s.targets.data[i]));
		sc_sample_count_thread(&s.dec, (uint32_t)s.targets.data[i]);
	}
	if (sc_sample_err(&s.dec) < 0) {
		ret = -ENOMEM;
		goto stop;
	}
	p->time_nanos = (int64_t)wall.tv_sec * 1000000000LL + wall.tv_nsec;
	if (o->on_start)
		o->on_start(o->ctx);
	ret = record_loop(&s, start);
	/* Threads still blocked at the end (an attached server waiting for work) were blocked from
	 * their switch-out until now, on the events' clock when it is CLOCK_MONOTONIC. */
	if (ret == 0 && o->mode != SC_RECORD_MODE_CPU && s.tp_attr.use_clockid) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		sc_sample_offcpu_end(&s.dec,
				     (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec,
				     thread_alive);
		ret = sc_sample_err(&s.dec);
	}
	if (ret == 0)
		ret = sc_addrspace_finish(&s.as, &r->gone, &r->ngone);
stop:
	/* We cannot record any more: do not leave the command running unobserved. */
	if (ret < 0)
		sc_session_kill(&s.sess);
	r->exited = s.sess.exited;
	r->wait_status = s.sess.wait_status;
	r->killed = s.sess.killed;
	r->lost = s.rings.lost;
	r->samples = s.dec.samples;
	r->offcpu_dropped = s.dec.offcpu_dropped;
	r->offcpu_intervals = s.dec.offcpu_intervals;
	r->leaf_fixed = s.dec.leaf_fixed;
	sc_sample_cuts(&s.dec, &r->cuts);
	r->processes = s.dec.processes;
	r->threads = s.dec.threads;
	if (ret == 0)
		r->modules = sc_modcache_ref(sc_unwind_modules(s.dec.unwind));
	r->duration = sc_session_now() - start;
	p->duration_nanos = (int64_t)(r->duration * 1e9);
	if (ret == -ENOMEM && !r->err[0])
		fail(r, ret, "out of memory while recording");
out:
	sc_session_end(&s.sess);
	if (sigs_installed)
		sc_session_signals_restore(&sigs);
	rec_release(&s);
	return ret < 0 ? ret : 0;
}
