/*
 * events.c: the perf events of a recording: the table of events perf names, the attributes built
 * from the options (setup_attr), the sched:sched_switch tracepoint's id from tracefs, and opening
 * the events per (task, CPU) in each of the recorder's modes (launch, attach, -t, system-wide),
 * with the messages that say why perf_event_open was refused (open_failed, which also sets
 * r->perf_refused). The tour of the recorder is in record.c; the shared state in events.h.
 *
 * Not here: the rings' contents (ring.c), the run and its loop (record.c), anything that prints.
 */
#include "record/events.h"
#include "unwind/unwind.h"
#include "util/hashmap.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The kernel's cap on call-chain entries; a --depth above it is cut there (see check_max_stack). */
#define MAX_STACK_SYSCTL "/proc/sys/kernel/perf_event_max_stack"

/* The events perf names, with its aliases. */
static const struct sc_rec_event events[] = {
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

const struct sc_rec_event *sc_rec_find_event(const char *name)
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
	const struct sc_rec_event *e = sc_rec_find_event(name);
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

void sc_rec_setup_attr(struct sc_rec *s)
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
	a->wakeup_watermark =
	    sc_rings_watermark(&s->rings); /* set again per ring (add_one_event) */
	long max_stack = 127;
	sc_rec_read_int(MAX_STACK_SYSCTL, &max_stack);
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
	t->config = 0; /* the id, set by sc_rec_tracepoint_id() */
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
int sc_rec_tracepoint_id(struct sc_rec *s, uint64_t *id, size_t *state_off)
{
	char path[128], buf[8192];
	int err = -ENOENT;
	for (size_t i = 0; i < sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/sched/sched_switch/id", tracefs_dirs[i]);
		int n = sc_rec_read_small(path, buf, sizeof(buf));
		if (n < 0) {
			if (n != -ENOENT)
				err = n;
			continue;
		}
		char *end;
		unsigned long long v = strtoull(buf, &end, 10);
		snprintf(path, sizeof(path), "%s/events/sched/sched_switch/format",
			 tracefs_dirs[i]);
		n = sc_rec_read_small(path, buf, sizeof(buf));
		const char *f = n > 0 ? strstr(buf, " prev_state;") : NULL;
		const char *o = f ? strstr(f, "offset:") : NULL;
		long off = o ? strtol(o + 7, NULL, 10) : 0;
		if (end == buf || !o || off <= 0 || off > 4096)
			return sc_rec_fail(
			    s->r, -EINVAL,
			    "--mode %s: cannot read the sched:sched_switch tracepoint's id "
			    "and prev_state field from %s/events/sched/sched_switch",
			    s->o->mode == SC_RECORD_MODE_WALL ? "wall" : "offcpu", tracefs_dirs[i]);
		*id = v;
		*state_off = (size_t)off;
		return 0;
	}
	const char *mode = s->o->mode == SC_RECORD_MODE_WALL ? "wall" : "offcpu";
	if (err == -EACCES || err == -EPERM)
		return sc_rec_fail(
		    s->r, -EACCES,
		    "--mode %s needs the sched:sched_switch tracepoint, and tracefs "
		    "(/sys/kernel/tracing) is not readable by this user: run as root, or "
		    "give the user access to tracefs (CAP_PERFMON and read access)",
		    mode);
	return sc_rec_fail(
	    s->r, -ENOENT,
	    "--mode %s needs the sched:sched_switch tracepoint, and tracefs is not "
	    "mounted (neither /sys/kernel/tracing nor /sys/kernel/debug/tracing has it): "
	    "sudo mount -t tracefs nodev /sys/kernel/tracing (a kernel without "
	    "CONFIG_FTRACE has no tracepoints)",
	    mode);
}

/* --depth above the kernel's limit: the kernel cuts every call chain at the limit. We do not raise
 * it, even as root: it is system-wide, and the kernel refuses to change it (EBUSY) while any
 * profiler's call-chain events exist, so it could not be put back reliably. */
void sc_rec_check_max_stack(const sc_record_options *o, sc_record_result *r)
{
	long limit;
	if (sc_rec_read_int(MAX_STACK_SYSCTL, &limit) && limit > 0 && o->max_depth > limit)
		r->depth_limit = (int)limit;
}

/* Opens one event, dropping in turn the optional attributes an older kernel refuses, and kernel
 * sampling when the kernel refuses that (as perf does at perf_event_paranoid 2). */
static int open_event(struct sc_rec *s, struct perf_event_attr *a, pid_t pid, int cpu)
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

static int open_failed(struct sc_rec *s, int err)
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
	if (sc_rec_read_int("/proc/sys/kernel/perf_event_paranoid", &paranoid))
		snprintf(val, sizeof(val), "%ld", paranoid);
	char proc[64];
	struct stat st;
	pid_t pid = s->targets.len ? s->targets.data[0] : s->sess.pid;
	if ((err == -EACCES || err == -EPERM) && s->o->system_wide)
		return sc_rec_fail(
		    s->r, -EACCES,
		    "-a (all CPUs) was refused: system-wide recording needs root (or "
		    "CAP_PERFMON) or kernel.perf_event_paranoid <= 0, and it is %s: run as "
		    "root or: sudo sysctl kernel.perf_event_paranoid=0",
		    val);
	if ((err == -EACCES || err == -EPERM) && s->o->mode != SC_RECORD_MODE_CPU)
		return sc_rec_fail(
		    s->r, -EACCES,
		    "--mode %s: the sched:sched_switch tracepoint was refused "
		    "(kernel.perf_event_paranoid = %s): tracepoints need root (or "
		    "CAP_PERFMON) or kernel.perf_event_paranoid <= -1; run as root or use "
		    "--mode cpu",
		    s->o->mode == SC_RECORD_MODE_WALL ? "wall" : "offcpu", val);
	if (s->ev->type == PERF_TYPE_HARDWARE &&
	    (err == -ENOENT || err == -EOPNOTSUPP || err == -ENODEV))
		return sc_rec_fail(
		    s->r, -EOPNOTSUPP,
		    "the machine has no hardware counter '%s' (a VM?); use -e cpu-clock",
		    s->ev->name);
	snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
	if ((err == -EACCES || err == -EPERM) && !s->launched && geteuid() != 0 &&
	    stat(proc, &st) == 0 && st.st_uid != geteuid())
		return sc_rec_fail(
		    s->r, -EACCES,
		    "perf_event_open was refused: %s %d belongs to another user; run "
		    "as root or as its owner",
		    s->o->tids ? "thread" : "process", (int)pid);
	/* Root is refused only by a sandbox: lowering the sysctl would not help. */
	if ((err == -EACCES || err == -EPERM) && geteuid() == 0)
		return sc_rec_fail(s->r, -EACCES,
				   "perf_event_open was refused although scorch runs as root: a "
				   "seccomp filter or a container's policy blocks it (for Docker: "
				   "--cap-add PERFMON, or a seccomp profile allowing "
				   "perf_event_open)");
	if (err == -EACCES || err == -EPERM)
		return sc_rec_fail(
		    s->r, -EACCES,
		    "perf_event_open was refused (kernel.perf_event_paranoid = %s); run as "
		    "root or: sudo sysctl kernel.perf_event_paranoid=1",
		    val);
	if (err == -ESRCH)
		return sc_rec_fail(s->r, -ESRCH, "no %s %d", s->o->tids ? "thread" : "process",
				   (int)pid);
	/* Not -ENOENT even when that is the errno: it would read as "no such command". */
	if (err == -ENOENT || err == -ENOSYS || err == -EOPNOTSUPP || err == -ENODEV)
		return sc_rec_fail(
		    s->r, -EOPNOTSUPP,
		    "perf_event_open is not available: %s (no perf events in this kernel, "
		    "or a sandbox blocks them)",
		    strerror(-err));
	if (err == -EMFILE)
		return sc_rec_fail(
		    s->r, err,
		    "perf_event_open: too many open files (one per thread and CPU); raise "
		    "the limit with ulimit -n");
	return sc_rec_fail(s->r, err, "perf_event_open failed: %s", strerror(-err));
}

/* Opens event `a` of (pid, CPU index ci): the CPU's ring if it has none yet, else redirected into
 * it. Returns 0 or -errno. */
static int add_one_event(struct sc_rec *s, struct perf_event_attr *a, pid_t pid, size_t ci)
{
	/* The event that owns a ring wakes scorch when a quarter of it is full. */
	bool owner = s->rings.rings.data[ci].fd < 0;
	if (owner)
		a->wakeup_watermark = sc_rings_watermark(&s->rings);
	int fd = open_event(s, a, pid, s->cpus.data[ci]);
	if (fd < 0)
		return fd;
	if (sc_vec_push(&s->fds, fd) < 0) {
		close(fd);
		return -ENOMEM;
	}
	if (owner) {
		int r = sc_rings_map(&s->rings, ci, fd);
		if (r < 0)
			return sc_rec_fail(s->r, r,
					   "cannot map the perf ring buffer: %s (see "
					   "kernel.perf_event_mlock_kb)",
					   strerror(-r));
		if (a->wakeup_watermark == sc_rings_watermark(&s->rings))
			return 0;
		/* The kernel granted a smaller ring than asked for: a watermark above it would wake
		 * scorch only once the ring is full, and only a new event takes a new one. Bounded:
		 * the size only shrinks. */
		sc_rings_unmap(&s->rings, ci);
		close(fd);
		s->fds.len--;
		return add_one_event(s, a, pid, ci);
	}
	if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, s->rings.rings.data[ci].fd) < 0)
		return sc_rec_fail(s->r, -errno, "cannot share a perf ring buffer: %s",
				   strerror(errno));
	return 0;
}

/* Opens the events of (pid, CPU index ci) that the mode asks for. */
static int add_event(struct sc_rec *s, pid_t pid, size_t ci)
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
int sc_rec_open_launch_events(struct sc_rec *s)
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
static int open_thread_events(struct sc_rec *s, pid_t tid)
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
static int open_attach_events(struct sc_rec *s, pid_t pid)
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
				sc_rec_fail(s->r, r, "cannot read %s: %s", path, strerror(-r));
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
int sc_rec_open_targets(struct sc_rec *s)
{
	if (s->o->system_wide)
		return sc_rec_open_launch_events(s); /* one per CPU, pid -1 */
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
