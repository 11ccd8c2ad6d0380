/*
 * sigrec.c: the signal backend's side in scorch: the shared file, the launch with the agent
 * preloaded, draining the rings, and the profile. See sigrec.h; the agent is src/agent/cpu.c and
 * the file's format src/agent/stream.h.
 *
 * The file lives in /dev/shm (memory) when that is writable, else in $TMPDIR or /tmp; it is
 * created exclusively with mode 0600 and removed when the recording ends. Its rings are sized for
 * 1000 samples a second of 127 frames per thread for a second or more between two drains
 * (RING_BYTES); the file is sparse, so rings no thread claims cost nothing.
 *
 * Draining, per ring (single consumer): read the state (acquire), then the head (acquire); read
 * the records from tail to head; publish the tail. A CLOSED ring drained to its head is returned
 * to FREE; so is an OWNED one whose thread no longer exists (a process killed, threads lost in an
 * exec), checked every RECLAIM_ROUNDS rounds before its head is read, so that nothing it wrote
 * can be missed. Each claim of a ring is a stream with an address-space table of its own (keyed
 * by the stream number), filled by its MAP records.
 */
#include "record/sigrec.h"

#include "agent/stream.h"
#include "record/addrspace.h"
#include "record/sample.h"
#include "session/session.h"
#include "util/strbuf.h"
#include "util/vec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NRINGS	       256u
#define RING_BYTES     (1u << 19)
#define POLL_MS	       50
#define RECLAIM_ROUNDS 20

struct sigrec {
	const sc_record_options *o;
	sc_profile *p;
	sc_record_result *r;
	sc_session sess;
	sc_addrspace as;
	sc_sample_decoder dec;
	char path[PATH_MAX];
	int fd;
	sc_agent_header *hdr;
	size_t size;
	uint32_t *stream_of; /* per ring: the stream whose records were read last */
	unsigned rounds;
	uint64_t corrupt; /* records that made no sense (a ring skipped to its head) */
	SC_VEC(uint64_t) pcs;
};

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

int sc_record_signal_agent(char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	static const char *const where[] = {"%s/src/agent/libscorch-cpu.so",
					    "%s/../lib/scorch/libscorch-cpu.so"};
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		int w = snprintf(buf, size, where[i], exe);
		if (w > 0 && (size_t)w < size && access(buf, R_OK) == 0)
			return 0;
	}
	snprintf(buf, size, where[0], exe);
	return -ENOENT;
}

static sc_agent_ring *ring_at(const struct sigrec *s, uint32_t i)
{
	return (sc_agent_ring *)((unsigned char *)s->hdr + SC_AGENT_HEADER_BYTES +
				 (uint64_t)i * (SC_AGENT_RING_HEADER + RING_BYTES));
}

/* Creates, sizes and maps the shared file, and fills its header. */
static int make_file(struct sigrec *s)
{
	const char *tmp = getenv("TMPDIR");
	const char *dirs[] = {"/dev/shm", tmp && *tmp == '/' ? tmp : "/tmp", "/tmp"};
	s->size = SC_AGENT_HEADER_BYTES + (size_t)NRINGS * (SC_AGENT_RING_HEADER + RING_BYTES);
	int err = 0;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (access(dirs[i], W_OK | X_OK) < 0)
			continue;
		snprintf(s->path, sizeof(s->path), "%s/scorch-agent-%d-XXXXXX", dirs[i],
			 (int)getpid());
		s->fd = mkostemp(s->path, O_CLOEXEC);
		if (s->fd < 0) {
			err = -errno;
			continue;
		}
		if (ftruncate(s->fd, (off_t)s->size) == 0)
			break;
		err = -errno;
		close(s->fd);
		s->fd = -1;
		unlink(s->path);
	}
	if (s->fd < 0)
		return fail(s->r, err ? err : -EACCES,
			    "cannot create the file the agent writes to (in /dev/shm, $TMPDIR or "
			    "/tmp): %s",
			    strerror(err ? -err : EACCES));
	void *m = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (m == MAP_FAILED)
		return fail(s->r, -errno, "cannot map %s: %s", s->path, strerror(errno));
	s->hdr = m;
	sc_agent_header *h = s->hdr;
	memcpy(h->magic, SC_AGENT_MAGIC, 8);
	h->version = SC_AGENT_VERSION;
	h->header_bytes = SC_AGENT_HEADER_BYTES;
	h->nrings = NRINGS;
	h->ring_bytes = RING_BYTES;
	h->interval_ns =
	    s->o->count > 0 ? (uint64_t)s->o->count : 1000000000ull / (uint64_t)s->o->frequency;
	if (!h->interval_ns)
		h->interval_ns = 1;
	h->max_depth = (uint32_t)s->o->max_depth;
	h->unwind = s->o->callgraph == SC_RECORD_CG_FP	    ? SC_AGENT_UNWIND_FP
		    : s->o->callgraph == SC_RECORD_CG_DWARF ? SC_AGENT_UNWIND_DWARF
							    : SC_AGENT_UNWIND_AUTO;
	h->flags = s->o->inherit ? 0 : SC_AGENT_NO_INHERIT;
	h->signo = SIGPROF;
	s->stream_of = calloc(NRINGS, sizeof(uint32_t));
	return s->stream_of ? 0 : fail(s->r, -ENOMEM, "out of memory");
}

/* One record of stream `ring` (its pid and tid). */
static void on_record(struct sigrec *s, const sc_agent_ring *ring, const sc_agent_rec *rec)
{
	uint32_t stream = ring->stream;
	const unsigned char *body = (const unsigned char *)(rec + 1);
	size_t len = rec->size - sizeof(*rec);
	switch (rec->type) {
	case SC_AGENT_REC_SAMPLE: {
		const sc_agent_sample *smp = (const sc_agent_sample *)body;
		if (len < sizeof(*smp) || smp->nframes == 0 ||
		    smp->nframes > (len - sizeof(*smp)) / 8) {
			s->corrupt++;
			return;
		}
		if (sc_vec_reserve(&s->pcs, smp->nframes) < 0) {
			s->dec.err = -ENOMEM;
			return;
		}
		memcpy(s->pcs.data, smp + 1, 8u * smp->nframes);
		sc_sample_stop stop =
		    smp->stop == SC_AGENT_STOP_END_OF_STACK ? SC_SAMPLE_STOP_END_OF_STACK
		    : smp->stop == SC_AGENT_STOP_NO_MAPPING ? SC_SAMPLE_STOP_NO_MAPPING
		    : smp->stop == SC_AGENT_STOP_NO_RULE    ? SC_SAMPLE_STOP_NO_RULE
							    : SC_SAMPLE_STOP_COMPLETE;
		sc_sample_store_pcs(&s->dec, stream, ring->pid, ring->tid, smp->time, s->pcs.data,
				    smp->nframes, smp->weight, stop);
		break;
	}
	case SC_AGENT_REC_MAP: {
		const sc_agent_map *m = (const sc_agent_map *)body;
		if (len <= sizeof(*m) || m->end <= m->start) {
			s->corrupt++;
			return;
		}
		char path[PATH_MAX];
		size_t n = strnlen((const char *)(m + 1), len - sizeof(*m));
		if (n >= sizeof(path))
			n = sizeof(path) - 1;
		memcpy(path, m + 1, n);
		path[n] = 0;
		sc_addrspace_map(&s->as, stream, m->start, m->end, m->pgoff, path);
		sc_addrspace_keep_file(&s->as, path, ring->pid, m->start, m->end);
		break;
	}
	case SC_AGENT_REC_COMM:
		break; /* thread names: kept by the views issue (timestamps and names) */
	default:
		s->corrupt++;
		break;
	}
}

/* Whether thread `tid` of `pid` still exists. */
static bool thread_alive(uint32_t pid, uint32_t tid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%u/task/%u", pid, tid);
	return access(path, F_OK) == 0;
}

/* Reads what ring `i` holds; returns it to FREE when its thread is done and it is empty. */
static void drain_ring(struct sigrec *s, uint32_t i, bool reclaim)
{
	sc_agent_ring *ring = ring_at(s, i);
	uint32_t state =
	    atomic_load_explicit((_Atomic uint32_t *)&ring->state, memory_order_acquire);
	if (state != SC_AGENT_RING_OWNED && state != SC_AGENT_RING_CLOSED)
		return;
	bool done =
	    state == SC_AGENT_RING_CLOSED || (reclaim && !thread_alive(ring->pid, ring->tid));
	uint64_t head = atomic_load_explicit((_Atomic uint64_t *)&ring->head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit((_Atomic uint64_t *)&ring->tail, memory_order_relaxed);
	const unsigned char *data = (const unsigned char *)ring + SC_AGENT_RING_HEADER;
	if (head - tail > RING_BYTES || head < tail) {
		s->corrupt++;
		tail = head;
	}
	s->stream_of[i] = ring->stream;
	while (tail < head && !s->dec.err) {
		uint64_t off = tail & (RING_BYTES - 1);
		const sc_agent_rec *rec = (const sc_agent_rec *)(data + off);
		if (rec->size < sizeof(*rec) || rec->size % 8 || rec->size > RING_BYTES - off ||
		    rec->size > head - tail) {
			s->corrupt++;
			tail = head;
			break;
		}
		if (rec->type != SC_AGENT_REC_PAD)
			on_record(s, ring, rec);
		tail += rec->size;
	}
	atomic_store_explicit((_Atomic uint64_t *)&ring->tail, tail, memory_order_release);
	if (!done)
		return;
	s->r->lost += atomic_load_explicit((_Atomic uint64_t *)&ring->lost, memory_order_relaxed);
	atomic_store_explicit((_Atomic uint64_t *)&ring->lost, 0, memory_order_relaxed);
	atomic_store_explicit((_Atomic uint32_t *)&ring->state, SC_AGENT_RING_FREE,
			      memory_order_release);
}

static int round_cb(void *ctx, bool last)
{
	struct sigrec *s = ctx;
	bool reclaim = last || ++s->rounds % RECLAIM_ROUNDS == 0;
	for (uint32_t i = 0; i < NRINGS && !s->dec.err; i++)
		drain_ring(s, i, reclaim);
	return s->dec.err ? s->dec.err : sc_sample_err(&s->dec);
}

static int add_metadata(struct sigrec *s)
{
	sc_profile *p = s->p;
	if (sc_profile_add_sample_type(p, "samples", "count") < 0 ||
	    sc_profile_add_sample_type(p, "cpu", "nanoseconds") < 0)
		return -ENOMEM;
	int64_t t = sc_profile_intern(p, "cpu"), u = sc_profile_intern(p, "nanoseconds");
	if (t < 0 || u < 0)
		return -ENOMEM;
	p->period_type = (sc_value_type){(sc_str)t, (sc_str)u};
	p->default_sample_type = (sc_str)t;
	p->period = (int64_t)s->hdr->interval_ns;
	sc_strbuf sb = {0};
	int r = sc_strbuf_adds(&sb, "command: ");
	for (size_t i = 0; s->o->argv[i] && r == 0; i++)
		r = sc_strbuf_addf(&sb, "%s%s", i ? " " : "", s->o->argv[i]);
	if (r == 0)
		r = sc_profile_add_comment(p, sb.buf);
	if (r == 0)
		r = sc_profile_add_comment(p, "event: cpu-clock (signal backend: a timer on each "
					      "thread's CPU time, user space only)");
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

static int before_exec(void *ctx, pid_t pid)
{
	struct sigrec *s = ctx;
	s->hdr->root_pid = (uint32_t)pid;
	return 0;
}

/* LD_PRELOAD=agent, ahead of what the user preloads. */
static int preload_env(const char *agent, char **out)
{
	const char *old = getenv("LD_PRELOAD");
	sc_strbuf sb = {0};
	int r = sc_strbuf_addf(&sb, "LD_PRELOAD=%s%s%s", agent, old && *old ? ":" : "",
			       old && *old ? old : "");
	if (r < 0) {
		sc_strbuf_release(&sb);
		return -ENOMEM;
	}
	*out = sb.buf;
	return 0;
}

static int check_options(const sc_record_options *o, sc_record_result *r)
{
	if (!o->argv || !o->argv[0])
		return fail(
		    r, -EINVAL,
		    "the signal backend records a command it starts (-- COMMAND): it cannot "
		    "attach to running processes (-p, -t) or sample all CPUs (-a)");
	if (o->system_wide)
		return fail(r, -EINVAL, "the signal backend cannot sample all CPUs (-a)");
	if (o->mode != SC_RECORD_MODE_CPU)
		return fail(r, -EINVAL,
			    "the signal backend samples CPU time only (--mode cpu); off-CPU and "
			    "wall modes need perf events");
	bool time = false;
	const char *ev = o->event ? sc_record_event_canonical(o->event, &time, NULL) : "cpu-clock";
	if (!ev || (strcmp(ev, "cpu-clock") && strcmp(ev, "task-clock")))
		return fail(r, -EINVAL,
			    "the signal backend samples cpu-clock (each thread's CPU time), not "
			    "'%s'",
			    o->event);
	if (o->frequency < 1 || o->max_depth < 1 || o->count < 0)
		return fail(r, -EINVAL, "invalid recording options");
	return 0;
}

int sc_record_signal_run(const sc_record_options *o, const char *agent, sc_profile *p,
			 sc_record_result *r)
{
	memset(r, 0, sizeof(*r));
	int ret = check_options(o, r);
	if (ret < 0)
		return ret;
	if (p->nsample_types || p->samples.len)
		return fail(r, -EINVAL, "the profile to record into is not empty");
	struct sigrec s = {.o = o, .p = p, .r = r, .fd = -1};
	sc_session_init(&s.sess);
	sc_addrspace_init(&s.as, p);
	sc_session_sigsave sigs;
	bool sigs_installed = false;
	char *env[3] = {NULL, NULL, NULL};
	if (sc_sample_init(&s.dec, p, &s.as, (size_t)o->max_depth) < 0) {
		ret = fail(r, -ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = make_file(&s)) < 0)
		goto out;
	sc_strbuf fe = {0};
	if (preload_env(agent, &env[0]) < 0 ||
	    sc_strbuf_addf(&fe, "%s=%s", SC_AGENT_ENV_FILE, s.path) < 0) {
		sc_strbuf_release(&fe);
		ret = fail(r, -ENOMEM, "out of memory");
		goto out;
	}
	env[1] = fe.buf;
	if ((ret = add_metadata(&s)) < 0) {
		fail(r, ret, "out of memory");
		goto out;
	}
	sc_session_signals_install(&sigs);
	sigs_installed = true;
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	double start = sc_session_now();
	sc_session_launch_options lo = {
	    .argv = o->argv, .env = env, .before_exec = before_exec, .ctx = &s};
	ret = sc_session_launch(&s.sess, &lo);
	r->exec_errno = s.sess.exec_errno;
	if (ret < 0) {
		if (s.sess.diag.message[0])
			fail(r, ret, "%s", s.sess.diag.message);
		goto out;
	}
	p->time_nanos = (int64_t)wall.tv_sec * 1000000000LL + wall.tv_nsec;
	if (o->on_start)
		o->on_start(o->ctx);
	sc_session_loop l = {.poll_ms = POLL_MS,
			     .deadline = o->duration > 0 ? start + o->duration : 0,
			     .round = round_cb,
			     .ctx = &s};
	ret = sc_session_loop_run(&s.sess, &l);
	if (ret < 0 && s.sess.diag.message[0])
		fail(r, ret, "%s", s.sess.diag.message);
	if (ret == 0)
		ret = sc_addrspace_finish(&s.as, &r->gone, &r->ngone);
	if (ret < 0)
		sc_session_kill(&s.sess);
	r->exited = s.sess.exited;
	r->wait_status = s.sess.wait_status;
	r->killed = s.sess.killed;
	r->samples = s.dec.samples;
	r->lost += s.hdr->lost_no_ring;
	sc_sample_cuts(&s.dec, &r->cuts);
	r->processes = s.dec.processes;
	r->threads = s.dec.threads;
	r->duration = sc_session_now() - start;
	p->duration_nanos = (int64_t)(r->duration * 1e9);
	{
		uint32_t procs = atomic_load((_Atomic uint32_t *)&s.hdr->processes);
		if (atomic_load((_Atomic uint32_t *)&s.hdr->error_set) == 1)
			snprintf(r->note, sizeof(r->note), "the agent said: %.200s", s.hdr->error);
		else if (!procs)
			snprintf(r->note, sizeof(r->note),
				 "no process of the command loaded the agent (a static or setuid "
				 "program, or one that clears LD_PRELOAD): nothing was sampled");
		else if (s.corrupt)
			snprintf(r->note, sizeof(r->note),
				 "%llu records of the agents' file made no sense and were skipped",
				 (unsigned long long)s.corrupt);
	}
	if (ret == -ENOMEM && !r->err[0])
		fail(r, ret, "out of memory while recording");
out:
	sc_session_end(&s.sess);
	if (sigs_installed)
		sc_session_signals_restore(&sigs);
	if (s.hdr)
		munmap(s.hdr, s.size);
	if (s.fd >= 0) {
		close(s.fd);
		unlink(s.path);
	}
	free(s.stream_of);
	free(env[0]);
	free(env[1]);
	sc_vec_release(&s.pcs);
	sc_sample_release(&s.dec);
	sc_addrspace_release(&s.as);
	return ret < 0 ? ret : 0;
}
