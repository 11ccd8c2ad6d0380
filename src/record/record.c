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
 * Files: events.c builds the events' attributes and opens them (and says why perf_event_open was
 * refused); events.h holds the state both share; this file runs the recording.
 *
 * Not here: symbolization (src/symbolize), output (src/formats), anything that prints.
 */
#include "record/events.h"
#include "unwind/unwind.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Longest sleep in poll(): bounds the lag of the time-ordered flush, of stop requests, and of
 * opening newly mapped files (a program that deletes its own code is caught if it lives longer). */
#define POLL_MS 50
/* CAP_IPC_LOCK's bit in /proc/self/status's CapEff (linux/capability.h). */
#define CAP_IPC_LOCK_BIT 14

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

int sc_rec_fail(sc_record_result *r, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return err;
}

int sc_rec_read_small(const char *path, char *buf, size_t size)
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

bool sc_rec_read_int(const char *path, long *out)
{
	char buf[64], *end;
	if (sc_rec_read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	*out = strtol(buf, &end, 10);
	return end != buf;
}

/* The process (thread group) of thread `tid`, from /proc/TID/status; `tid` itself if unknown. */
static pid_t tgid_of(pid_t tid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (sc_rec_read_small(path, buf, sizeof(buf)) <= 0)
		return tid;
	const char *t = strstr(buf, "\nTgid:");
	long v = t ? strtol(t + 7, NULL, 10) : 0;
	return v > 0 ? (pid_t)v : tid;
}

/* Online CPUs from /sys ("0-3,6"), or 0..n-1 when that cannot be read. */
static int list_cpus(struct sc_rec *s)
{
	char buf[4096];
	if (sc_rec_read_small("/sys/devices/system/cpu/online", buf, sizeof(buf)) > 0) {
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

/* What this user may lock for perf rings, by the kernel's rule (perf_mmap): without limit with
 * CAP_IPC_LOCK or at kernel.perf_event_paranoid -1, else kernel.perf_event_mlock_kb per online CPU
 * plus RLIMIT_MEMLOCK. Other perf users of the same user may have spent some of it: the rings
 * still shrink when refused (sc_rings_map). */
static uint64_t lock_budget(size_t ncpus)
{
	char buf[4096];
	const char *cap = sc_rec_read_small("/proc/self/status", buf, sizeof(buf)) > 0
			      ? strstr(buf, "\nCapEff:")
			      : NULL;
	if (cap && (strtoull(cap + 8, NULL, 16) >> CAP_IPC_LOCK_BIT) & 1)
		return UINT64_MAX;
	long paranoid, mlock_kb = 516;
	if (sc_rec_read_int("/proc/sys/kernel/perf_event_paranoid", &paranoid) && paranoid < 0)
		return UINT64_MAX;
	struct rlimit rl;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		rl.rlim_cur = 0;
	if (rl.rlim_cur == RLIM_INFINITY)
		return UINT64_MAX;
	sc_rec_read_int("/proc/sys/kernel/perf_event_mlock_kb", &mlock_kb);
	return (uint64_t)(mlock_kb > 0 ? mlock_kb : 0) * 1024 * ncpus + rl.rlim_cur;
}

/* Data pages per ring, for the longest sample the options make: its stack copy, a call chain of
 * up to the kernel's 127 entries and the rest of its fields. */
static size_t ring_pages(const sc_record_options *o, size_t ncpus)
{
	size_t copy = o->callgraph != SC_RECORD_CG_FP && REGS_MASK ? (size_t)o->stack_bytes
		      : REGS_MASK				   ? (size_t)o->user_stack_bytes
								   : 0;
	return sc_rings_pages(copy + 127 * 8 + 256, ncpus, (size_t)sysconf(_SC_PAGESIZE),
			      lock_budget(ncpus));
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
	struct sc_rec *s = ctx;
	sc_sample_on_read(&s->dec, rec, len);
	return sc_sample_err(&s->dec);
}

static int on_process(void *ctx, const unsigned char *rec, size_t len)
{
	struct sc_rec *s = ctx;
	sc_sample_process(&s->dec, rec, len);
	return sc_sample_err(&s->dec);
}

/* One round of the session's loop: read every ring, then process what can no longer be overtaken
 * (everything when `last`). An error ends the loop. */
static int loop_round(void *ctx, bool last)
{
	struct sc_rec *s = ctx;
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

/* The executable mappings of process (or thread) `pid` that exist already when attaching (MMAP
 * records report only new ones). */
static int read_proc_maps(struct sc_rec *s, pid_t tid)
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
static int read_all_maps(struct sc_rec *s)
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
static int read_target_maps(struct sc_rec *s)
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

static int add_metadata(struct sc_rec *s)
{
	sc_profile *p = s->p;
	const struct sc_rec_event *ev = s->ev;
	/* cpu-clock keeps the name every report knows; the others are named after their event. */
	const char *type = ev == sc_rec_find_event(NULL) ? "cpu" : ev->name;
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
		int n = sc_rec_read_small(path, buf, sizeof(buf));
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
	sc_strbuf_release(&sb);
	if (r == 0)
		r = sc_profile_add_host_comment(p);
	return r < 0 ? -ENOMEM : 0;
}

/* Polls the rings until the session's target is done (see session.h for when that is). */
static int record_loop(struct sc_rec *s, double start)
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
		sc_rec_fail(s->r, r, "%s", s->sess.diag.message);
	return r;
}

static void close_events(struct sc_rec *s)
{
	sc_rings_release(&s->rings);
	for (size_t i = 0; i < s->fds.len; i++)
		close(s->fds.data[i]);
	s->fds.len = 0;
}

static void rec_release(struct sc_rec *s)
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
	return sc_rec_open_launch_events(ctx);
}

/* Whether thread `tid` of process `pid` still exists. */
static bool thread_alive(uint32_t pid, uint32_t tid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%u/task/%u", pid, tid);
	return access(path, F_OK) == 0;
}

/* Launch: fork (child waits), open events on it, let it exec, learn whether exec worked. */
static int launch(struct sc_rec *s)
{
	sc_session_launch_options lo = {.argv = s->o->argv, .before_exec = before_exec, .ctx = s};
	int r = sc_session_launch(&s->sess, &lo);
	s->r->exec_errno = s->sess.exec_errno;
	if (r < 0 && s->sess.diag.message[0])
		sc_rec_fail(s->r, r, "%s", s->sess.diag.message);
	return r;
}

int sc_record_run(const sc_record_options *o, sc_profile *p, sc_record_result *r)
{
	memset(r, 0, sizeof(*r));
	if (!o->argv && o->pid <= 0 && !o->npids && !o->system_wide)
		return sc_rec_fail(r, -EINVAL, "nothing to record: no command and no pid");
	if (o->system_wide && (o->pid > 0 || o->npids))
		return sc_rec_fail(r, -EINVAL, "system-wide recording takes no pid");
	if (o->argv && (o->pid > 0 || o->npids))
		return sc_rec_fail(r, -EINVAL, "give either a command or pids, not both");
	const struct sc_rec_event *ev = sc_rec_find_event(o->event);
	if (!ev)
		return sc_rec_fail(r, -EINVAL, "unknown event '%s' (known: %s)", o->event,
				   sc_record_event_names());
	if (o->argv && !o->argv[0])
		return sc_rec_fail(r, -EINVAL, "nothing to record: empty command");
	if (o->frequency < 1 || o->max_depth < 1 || o->user_stack_bytes < 0 ||
	    o->user_stack_bytes > SC_RECORD_MAX_STACK_BYTES ||
	    (o->callgraph != SC_RECORD_CG_FP &&
	     (o->stack_bytes < 8 || o->stack_bytes > SC_RECORD_MAX_STACK_BYTES)) ||
	    (unsigned)o->callgraph > SC_RECORD_CG_FP || o->count < 0)
		return sc_rec_fail(r, -EINVAL, "invalid recording options");
	if (p->nsample_types || p->samples.len)
		return sc_rec_fail(r, -EINVAL, "the profile to record into is not empty");
	if ((unsigned)o->mode > SC_RECORD_MODE_WALL ||
	    (o->mode != SC_RECORD_MODE_CPU && ev != sc_rec_find_event(NULL)))
		return sc_rec_fail(r, -EINVAL, "--mode offcpu and wall take no -e event");

	struct sc_rec s = {.o = o, .p = p, .r = r, .launched = o->argv != NULL, .ev = ev};
	sc_session_init(&s.sess);
	sc_session_sigsave sigs;
	bool sigs_installed = false;
	int ret;
	sc_addrspace_init(&s.as, p);
	if (sc_sample_init(&s.dec, p, &s.as, (size_t)o->max_depth) < 0 || list_cpus(&s) < 0 ||
	    sc_rings_init(&s.rings, s.cpus.len, ring_pages(o, s.cpus.len)) < 0) {
		ret = sc_rec_fail(r, -ENOMEM, "out of memory");
		goto out;
	}
	if (!s.launched && !o->system_wide) {
		size_t n = o->npids ? o->npids : 1;
		for (size_t i = 0; i < n; i++)
			if (sc_vec_push(&s.targets, o->npids ? o->pids[i] : o->pid) < 0) {
				ret = sc_rec_fail(r, -ENOMEM, "out of memory");
				goto out;
			}
	}
	/* One process is watched by the session; several, threads, or none (system-wide until a
	 * stop) make it watch scorch itself, and the rounds watch the targets. */
	s.watch = !s.launched && (s.targets.len != 1 || o->tids || o->system_wide);
	if (!s.launched) {
		for (size_t i = 0; i < s.targets.len; i++)
			if (kill(s.targets.data[i], 0) < 0 && errno == ESRCH) {
				ret = sc_rec_fail(r, -ESRCH, "no %s %d",
						  o->tids ? "thread" : "process",
						  (int)s.targets.data[i]);
				goto out;
			}
		pid_t watched = s.watch ? getpid() : s.targets.data[0];
		if ((ret = sc_session_attach(&s.sess, watched)) < 0) {
			sc_rec_fail(r, ret, "%s", s.sess.diag.message);
			goto out;
		}
	}
	long max_rate;
	if (sc_rec_read_int("/proc/sys/kernel/perf_event_max_sample_rate", &max_rate) &&
	    o->count <= 0 && o->frequency > max_rate) {
		ret = sc_rec_fail(
		    r, -EINVAL,
		    "%d Hz is above the kernel's limit (kernel.perf_event_max_sample_rate = "
		    "%ld); sample less often or: sudo sysctl "
		    "kernel.perf_event_max_sample_rate=%d",
		    o->frequency, max_rate, o->frequency);
		goto out;
	}
	if (o->callgraph == SC_RECORD_CG_FP) /* else user stacks are ours, up to --depth */
		sc_rec_check_max_stack(o, r);
	sc_rec_setup_attr(&s);
	if (o->mode != SC_RECORD_MODE_CPU) {
		uint64_t id = 0;
		if ((ret = sc_rec_tracepoint_id(&s, &id, &s.dec.offcpu_state_off)) < 0)
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
	ret = s.launched ? launch(&s) : sc_rec_open_targets(&s);
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
		sc_rec_fail(r, ret, "out of memory while recording");
out:
	sc_session_end(&s.sess);
	if (sigs_installed)
		sc_session_signals_restore(&sigs);
	rec_release(&s);
	return ret < 0 ? ret : 0;
}
