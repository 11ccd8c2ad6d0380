/*
 * agentfile.c: scorch's side of the file shared with a preloaded agent. See agentfile.h.
 */
#include "record/agentfile.h"

#include "record/addrspace.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int sc_agentfile_lib(const char *name, char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	static const char *const where[] = {"%s/src/agent/%s", "%s/src/gpu/cupti/%s",
					    "%s/../lib/scorch/%s"};
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		int w = snprintf(buf, size, where[i], exe, name);
		if (w > 0 && (size_t)w < size && access(buf, R_OK) == 0)
			return 0;
	}
	snprintf(buf, size, where[0], exe, name);
	return -ENOENT;
}

sc_agent_ring *sc_agentfile_ring(const sc_agentfile *f, uint32_t i)
{
	return (sc_agent_ring *)((unsigned char *)f->hdr + SC_AGENT_HEADER_BYTES +
				 (uint64_t)i * (SC_AGENT_RING_HEADER + f->ring_bytes));
}

int sc_agentfile_create(sc_agentfile *f, uint32_t nrings, uint32_t ring_bytes, char *err,
			size_t errsize)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->nrings = nrings;
	f->ring_bytes = ring_bytes;
	f->size = SC_AGENT_HEADER_BYTES + (size_t)nrings * (SC_AGENT_RING_HEADER + ring_bytes);
	const char *tmp = getenv("TMPDIR");
	const char *dirs[] = {"/dev/shm", tmp && *tmp == '/' ? tmp : "/tmp", "/tmp"};
	int e = 0;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (access(dirs[i], W_OK | X_OK) < 0)
			continue;
		snprintf(f->path, sizeof(f->path), "%s/scorch-agent-%d-XXXXXX", dirs[i],
			 (int)getpid());
		f->fd = mkostemp(f->path, O_CLOEXEC);
		if (f->fd < 0) {
			e = errno;
			continue;
		}
		if (ftruncate(f->fd, (off_t)f->size) == 0)
			break;
		e = errno;
		close(f->fd);
		f->fd = -1;
		unlink(f->path);
	}
	if (f->fd < 0) {
		e = e ? e : EACCES;
		snprintf(
		    err, errsize,
		    "cannot create the file the agent writes to (in /dev/shm, $TMPDIR or /tmp): "
		    "%s",
		    strerror(e));
		return -e;
	}
	void *m = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	if (m == MAP_FAILED) {
		e = errno;
		snprintf(err, errsize, "cannot map %s: %s", f->path, strerror(e));
		return -e;
	}
	f->hdr = m;
	memcpy(f->hdr->magic, SC_AGENT_MAGIC, 8);
	f->hdr->version = SC_AGENT_VERSION;
	f->hdr->header_bytes = SC_AGENT_HEADER_BYTES;
	f->hdr->nrings = nrings;
	f->hdr->ring_bytes = ring_bytes;
	return 0;
}

int sc_agentfile_attach(sc_agentfile *f, int fd, uint64_t size, char *err, size_t errsize)
{
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	struct stat st;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < size || size < SC_AGENT_HEADER_BYTES) {
		snprintf(err, errsize, "the event file is smaller than announced");
		return -EPROTO;
	}
	void *m = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		int e = errno;
		snprintf(err, errsize, "cannot map the event file: %s", strerror(e));
		return -e;
	}
	f->hdr = m;
	f->size = (size_t)size;
	const sc_agent_header *h = f->hdr;
	uint64_t need = SC_AGENT_HEADER_BYTES +
			(uint64_t)h->nrings * (SC_AGENT_RING_HEADER + (uint64_t)h->ring_bytes);
	if (memcmp(h->magic, SC_AGENT_MAGIC, 8) || h->version != SC_AGENT_VERSION ||
	    h->header_bytes != SC_AGENT_HEADER_BYTES || h->ring_bytes < 64 ||
	    (h->ring_bytes & (h->ring_bytes - 1)) || need > size) {
		snprintf(err, errsize, "the event file's header is not one of scorch's");
		return -EPROTO;
	}
	f->nrings = h->nrings;
	f->ring_bytes = h->ring_bytes;
	return 0;
}

void sc_agentfile_close(sc_agentfile *f)
{
	if (f->hdr)
		munmap(f->hdr, f->size);
	f->hdr = NULL;
	if (f->fd >= 0) {
		close(f->fd);
		if (f->path[0])
			unlink(f->path);
	}
	f->fd = -1;
}

int sc_agentfile_env(const sc_agentfile *f, const char *lib, char *env[2])
{
	const char *old = getenv("LD_PRELOAD");
	sc_strbuf a = {0}, b = {0};
	if ((lib && sc_strbuf_addf(&a, "LD_PRELOAD=%s%s%s", lib, old && *old ? ":" : "",
				   old && *old ? old : "") < 0) ||
	    sc_strbuf_addf(&b, "%s=%s", SC_AGENT_ENV_FILE, f->path) < 0) {
		sc_strbuf_release(&a);
		sc_strbuf_release(&b);
		return -ENOMEM;
	}
	/* Without a library (the program links its agent: libscorch), the file's name only. */
	env[0] = lib ? a.buf : b.buf;
	env[1] = lib ? b.buf : NULL;
	return 0;
}

/* Whether thread `tid` of `pid` still exists. */
static bool thread_alive(uint32_t pid, uint32_t tid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%u/task/%u", pid, tid);
	return access(path, F_OK) == 0;
}

int sc_agentfile_drain(sc_agentfile *f, uint32_t i, bool reclaim, sc_agentfile_fn fn, void *ctx)
{
	sc_agent_ring *ring = sc_agentfile_ring(f, i);
	uint32_t state =
	    atomic_load_explicit((_Atomic uint32_t *)&ring->state, memory_order_acquire);
	if (state != SC_AGENT_RING_OWNED && state != SC_AGENT_RING_CLOSED)
		return 0;
	bool done =
	    state == SC_AGENT_RING_CLOSED || (reclaim && !thread_alive(ring->pid, ring->tid));
	uint64_t head = atomic_load_explicit((_Atomic uint64_t *)&ring->head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit((_Atomic uint64_t *)&ring->tail, memory_order_relaxed);
	const unsigned char *data = (const unsigned char *)ring + SC_AGENT_RING_HEADER;
	uint64_t bytes = f->ring_bytes;
	int ret = 0;
	if (head - tail > bytes || head < tail) {
		f->corrupt++;
		tail = head;
	}
	while (tail < head) {
		uint64_t off = tail & (bytes - 1);
		const sc_agent_rec *rec = (const sc_agent_rec *)(data + off);
		if (rec->size < sizeof(*rec) || rec->size % 8 || rec->size > bytes - off ||
		    rec->size > head - tail) {
			f->corrupt++;
			tail = head;
			break;
		}
		if (rec->type != SC_AGENT_REC_PAD && (ret = fn(ctx, i, ring, rec)) < 0)
			break;
		tail += rec->size;
	}
	atomic_store_explicit((_Atomic uint64_t *)&ring->tail, tail, memory_order_release);
	if (ret < 0 || !done || tail != head)
		return ret;
	f->lost += atomic_load_explicit((_Atomic uint64_t *)&ring->lost, memory_order_relaxed);
	atomic_store_explicit((_Atomic uint64_t *)&ring->lost, 0, memory_order_relaxed);
	atomic_store_explicit((_Atomic uint32_t *)&ring->state, SC_AGENT_RING_FREE,
			      memory_order_release);
	return 0;
}

void sc_agentfile_note(const sc_agentfile *f, char *buf, size_t size)
{
	const sc_agent_header *h = f->hdr;
	buf[0] = 0;
	if (!h)
		return;
	uint32_t procs = atomic_load((_Atomic uint32_t *)&h->processes);
	if (atomic_load((_Atomic uint32_t *)&h->error_set) == 1)
		snprintf(buf, size, "the agent said: %.200s", h->error);
	else if (!procs)
		snprintf(
		    buf, size,
		    "no process of the command loaded the agent (a static or setuid program, or "
		    "one that clears LD_PRELOAD): nothing was recorded");
	else if (f->corrupt)
		snprintf(buf, size,
			 "%llu records of the agents' file made no sense and were skipped",
			 (unsigned long long)f->corrupt);
}

static int set_root(void *ctx, pid_t pid)
{
	sc_agentfile *f = ctx;
	f->hdr->root_pid = (uint32_t)pid;
	return 0;
}

int sc_agentfile_run_command(sc_agentfile *f, sc_agentfile_run *r)
{
	char *env[3 + 8] = {NULL};
	sc_session_init(&r->sess);
	r->err[0] = 0;
	if (sc_agentfile_env(f, r->lib, env) < 0) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		return -ENOMEM;
	}
	/* The extra entries after ours (borrowed: only env[0] and env[1] are freed). */
	char *own[2] = {env[0], env[1]};
	size_t used = env[1] ? 2 : 1;
	for (size_t i = 0;
	     r->extra_env && r->extra_env[i] && used < sizeof(env) / sizeof(env[0]) - 1; i++)
		env[used++] = r->extra_env[i];
	sc_session_sigsave sigs;
	sc_session_signals_install(&sigs);
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	double start = sc_session_now();
	sc_session_launch_options lo = {
	    .argv = r->argv, .env = env, .before_exec = set_root, .ctx = f};
	int ret = sc_session_launch(&r->sess, &lo);
	r->exec_errno = r->sess.exec_errno;
	if (ret < 0) {
		snprintf(r->err, sizeof(r->err), "%s", r->sess.diag.message);
		goto out;
	}
	r->p->time_nanos = (int64_t)wall.tv_sec * 1000000000LL + wall.tv_nsec;
	if (r->on_start)
		r->on_start(r->start_ctx);
	sc_session_loop l = {.poll_ms = r->poll_ms,
			     .deadline = r->duration > 0 ? start + r->duration : 0,
			     .round = r->round,
			     .ctx = r->ctx};
	ret = sc_session_loop_run(&r->sess, &l);
	if (ret < 0 && r->sess.diag.message[0])
		snprintf(r->err, sizeof(r->err), "%s", r->sess.diag.message);
	if (ret == 0 && r->finish)
		ret = r->finish(r->ctx);
	if (ret < 0)
		sc_session_kill(&r->sess); /* we cannot go on: do not leave it unobserved */
	r->seconds = sc_session_now() - start;
	r->p->duration_nanos = (int64_t)(r->seconds * 1e9);
out:
	sc_session_end(&r->sess);
	sc_session_signals_restore(&sigs);
	free(own[0]);
	free(own[1]);
	return ret;
}

int sc_agentfile_map(sc_agentfile *f, struct sc_addrspace *as, uint32_t space, uint32_t pid,
		     const sc_agent_rec *rec)
{
	const sc_agent_map *m = (const sc_agent_map *)(rec + 1);
	size_t len = rec->size - sizeof(*rec);
	if (len <= sizeof(*m) || m->end <= m->start) {
		f->corrupt++;
		return 0;
	}
	char path[PATH_MAX];
	size_t n = strnlen((const char *)(m + 1), len - sizeof(*m));
	if (n >= sizeof(path))
		n = sizeof(path) - 1;
	memcpy(path, m + 1, n);
	path[n] = 0;
	sc_addrspace_map(as, space, m->start, m->end, m->pgoff, path);
	sc_addrspace_keep_file(as, path, pid, m->start, m->end);
	return as->err;
}
