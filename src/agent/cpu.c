/*
 * cpu.c: libscorch-cpu.so, the sampler `scorch record --backend signal` preloads into a command
 * (LD_PRELOAD) when perf events are refused or not wanted. It needs no privilege.
 *
 * What it does, in each process of the command that loads it (forked children and exec'd images
 * too, unless the recording says otherwise):
 *   - maps the shared file named by SCORCH_AGENT_FILE (the format is src/agent/stream.h);
 *   - gives every thread a timer on its own CPU-time clock (timer_create(CLOCK_THREAD_CPUTIME_ID)
 *     with SIGEV_THREAD_ID), firing every `interval_ns` of that thread's CPU time: the main thread
 *     at load, threads created with pthread_create as they start, the child of a fork in it;
 *   - on each tick, in the signal handler: walks the interrupted thread's stack (unwind_local.h:
 *     CFI from the loaded modules' .eh_frame_hdr, frame pointers where there is none), announces
 *     the modules its frames lie in the first time this thread meets them, and writes the sample
 *     into the thread's ring. No malloc, no lock, no stdio in the handler; a thread's structure is
 *     an mmap of its own, set up outside the handler.
 *
 * Living with the program's own signal use. The sampling signal (SIGPROF unless the header says
 * otherwise) is kept ours: sigaction() and signal() calls for it record the program's handler,
 * which is called for every such signal that is not one of our ticks (and its default action
 * applied when it has none); sigprocmask() and pthread_sigmask() never block it, so a thread that
 * blocks every signal is still sampled. Ticks interrupt system calls as any signal does: they are
 * restarted (SA_RESTART), except those the kernel never restarts after a handler (nanosleep
 * returns early with EINTR, as under gperftools or any profiler using signals).
 *
 * What it cannot see: kernel frames (a tick is handled on the way back to user space, so the
 * sample is the user pc where the thread was); threads created without pthread_create (raw
 * clone); a static or setuid program, into which nothing can be preloaded (scorch reports that no
 * process loaded the agent).
 */
#include "agent/stream.h"
#include "agent/unwind_local.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define EXPORT	 __attribute__((visibility("default")))
#define MAX_SEEN 128 /* modules a thread remembers having announced */
#define MAX_PCS	 1024

/* One sampled thread. */
struct thr {
	sc_agent_ring *ring; /* NULL: none was free */
	unsigned char *data;
	uint64_t head; /* producer position (ours) */
	timer_t timer;
	bool has_timer;
	bool comm_sent;
	volatile sig_atomic_t busy; /* in the handler: a nested tick is dropped */
	uint64_t stack_hi;
	uint32_t pid, tid;
	void *(*fn)(void *); /* pthread_create's start routine, until it runs */
	void *arg;
	size_t nseen;
	uint64_t seen_start[MAX_SEEN], seen_end[MAX_SEEN];
	sc_lu_cache cache;
	uint64_t pcs[MAX_PCS];
};

static sc_agent_header *hdr;
static unsigned char *rings_base;
static uint64_t ring_stride, ring_mask;
static long page_size;
static int signo;
static bool active;
static char exe_path[4096];
static uint64_t vdso_base;
static pthread_key_t thr_key;
static __thread struct thr *self __attribute__((tls_model("initial-exec")));

/* The program's own disposition of the sampling signal (what its sigaction calls asked for). */
static struct sigaction prog_action;

static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static sighandler_t (*real_signal)(int, sighandler_t);
static int (*real_sigprocmask)(int, const sigset_t *, sigset_t *);
static int (*real_pthread_sigmask)(int, const sigset_t *, sigset_t *);

/* ---- the shared file ---------------------------------------------------------------------- */

/* Keeps the first error of any agent in the header, for scorch to print. Not in the handler. */
static void agent_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void agent_error(const char *fmt, ...)
{
	if (!hdr)
		return;
	uint32_t expected = 0;
	if (!atomic_compare_exchange_strong((_Atomic uint32_t *)&hdr->error_set, &expected, 2))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(hdr->error, sizeof(hdr->error), fmt, ap);
	va_end(ap);
	atomic_store_explicit((_Atomic uint32_t *)&hdr->error_set, 1, memory_order_release);
}

static sc_agent_ring *ring_at(uint32_t i)
{
	return (sc_agent_ring *)(rings_base + (uint64_t)i * ring_stride);
}

/* Claims a free ring for thread `t` (outside the handler). */
static void claim_ring(struct thr *t)
{
	t->ring = NULL;
	for (uint32_t i = 0; i < hdr->nrings; i++) {
		sc_agent_ring *r = ring_at(i);
		uint32_t expected = SC_AGENT_RING_FREE;
		if (!atomic_compare_exchange_strong((_Atomic uint32_t *)&r->state, &expected,
						    SC_AGENT_RING_CLAIMING))
			continue;
		r->stream = atomic_fetch_add((_Atomic uint32_t *)&hdr->next_stream, 1) + 1;
		r->pid = t->pid;
		r->tid = t->tid;
		atomic_store_explicit((_Atomic uint64_t *)&r->head, 0, memory_order_relaxed);
		atomic_store_explicit((_Atomic uint64_t *)&r->tail, 0, memory_order_relaxed);
		atomic_store_explicit((_Atomic uint64_t *)&r->lost, 0, memory_order_relaxed);
		atomic_store_explicit((_Atomic uint32_t *)&r->state, SC_AGENT_RING_OWNED,
				      memory_order_release);
		t->ring = r;
		t->data = (unsigned char *)r + SC_AGENT_RING_HEADER;
		t->head = 0;
		return;
	}
}

static void close_ring(struct thr *t)
{
	if (t->ring)
		atomic_store_explicit((_Atomic uint32_t *)&t->ring->state, SC_AGENT_RING_CLOSED,
				      memory_order_release);
	t->ring = NULL;
}

/* Room for a record of `size` bytes (a multiple of 8) at the head, or NULL when the ring is full.
 * A record that would cross the end of the data is preceded by a PAD to the end. */
static void *reserve(struct thr *t, uint32_t size)
{
	sc_agent_ring *r = t->ring;
	uint64_t tail = atomic_load_explicit((_Atomic uint64_t *)&r->tail, memory_order_acquire);
	uint64_t bytes = hdr->ring_bytes;
	uint64_t off = t->head & ring_mask;
	uint64_t pad = off + size > bytes ? bytes - off : 0;
	if (size > bytes || t->head + pad + size - tail > bytes)
		return NULL;
	if (pad) {
		sc_agent_rec *p = (sc_agent_rec *)(t->data + off);
		p->type = SC_AGENT_REC_PAD;
		p->reserved = 0;
		p->size = (uint32_t)pad;
		t->head += pad;
		off = 0;
	}
	return t->data + off;
}

static void publish(struct thr *t, uint32_t size)
{
	t->head += size;
	atomic_store_explicit((_Atomic uint64_t *)&t->ring->head, t->head, memory_order_release);
}

/* ---- in the signal handler ---------------------------------------------------------------- */

static size_t str_len(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

/* Writes a MAP record for each executable segment of the module at `f`, read from its program
 * headers in memory (the loader maps the ELF header with the first segment). */
static void announce(struct thr *t, const struct dl_find_object *f)
{
	uint64_t start = (uint64_t)f->dlfo_map_start, end = (uint64_t)f->dlfo_map_end;
	const struct link_map *lm = f->dlfo_link_map;
	const char *path = lm && lm->l_name && lm->l_name[0] ? lm->l_name : exe_path;
	bool vdso = vdso_base && start <= vdso_base && vdso_base < end;
	if (vdso)
		path = "[vdso]";
	uint64_t ehdr_at = vdso ? vdso_base : start & ~(uint64_t)(page_size - 1);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)ehdr_at;
	if (end - ehdr_at < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > end - ehdr_at)
		return;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(ehdr_at + eh->e_phoff);
	uint64_t bias = lm ? (uint64_t)lm->l_addr : 0;
	if (vdso) {
		/* The vDSO is linked at 0 (or its own base): its bias is where it lies. */
		uint64_t first = UINT64_MAX;
		for (int i = 0; i < eh->e_phnum; i++)
			if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < first)
				first = ph[i].p_vaddr;
		bias = first == UINT64_MAX ? 0 : vdso_base - (first & ~(uint64_t)(page_size - 1));
	}
	size_t plen = str_len(path, 4095);
	uint32_t size =
	    (uint32_t)((sizeof(sc_agent_rec) + sizeof(sc_agent_map) + plen + 1 + 7) & ~(size_t)7);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X))
			continue;
		unsigned char *at = reserve(t, size);
		if (!at)
			return;
		sc_agent_rec *rec = (sc_agent_rec *)at;
		sc_agent_map *m = (sc_agent_map *)(rec + 1);
		uint64_t s = bias + ph[i].p_vaddr, a = s & ~(uint64_t)(page_size - 1);
		rec->type = SC_AGENT_REC_MAP;
		rec->reserved = 0;
		rec->size = size;
		m->start = a;
		m->end = s + ph[i].p_memsz;
		m->pgoff = ph[i].p_offset - (s - a);
		char *name = (char *)(m + 1);
		memcpy(name, path, plen);
		memset(name + plen, 0, size - sizeof(*rec) - sizeof(*m) - plen);
		publish(t, size);
	}
}

/* Announces the module holding `pc` unless this thread did already. */
static void module_of(struct thr *t, uint64_t pc)
{
	for (size_t i = 0; i < t->nseen; i++)
		if (t->seen_start[i] <= pc && pc < t->seen_end[i])
			return;
	struct dl_find_object f;
	if (_dl_find_object((void *)pc, &f) != 0)
		return; /* anonymous or JIT code */
	if (t->nseen == MAX_SEEN)
		t->nseen = 0; /* forget: announcing again is harmless */
	t->seen_start[t->nseen] = (uint64_t)f.dlfo_map_start;
	t->seen_end[t->nseen] = (uint64_t)f.dlfo_map_end;
	t->nseen++;
	announce(t, &f);
}

static void send_comm(struct thr *t)
{
	uint32_t size = sizeof(sc_agent_rec) + sizeof(sc_agent_comm);
	unsigned char *at = reserve(t, size);
	if (!at)
		return;
	sc_agent_rec *rec = (sc_agent_rec *)at;
	sc_agent_comm *c = (sc_agent_comm *)(rec + 1);
	rec->type = SC_AGENT_REC_COMM;
	rec->reserved = 0;
	rec->size = size;
	memset(c->name, 0, sizeof(c->name));
	prctl(PR_GET_NAME, c->name);
	c->name[sizeof(c->name) - 1] = 0;
	publish(t, size);
	t->comm_sent = true;
}

static void take_sample(struct thr *t, const siginfo_t *si, void *uc)
{
	if (!t->ring) {
		atomic_fetch_add((_Atomic uint64_t *)&hdr->lost_no_ring, 1);
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sc_lu_regs regs;
	sc_lu_regs_from_ucontext(&regs, uc);
	size_t max = hdr->max_depth < MAX_PCS ? hdr->max_depth : MAX_PCS;
	int stop = SC_AGENT_STOP_OUTERMOST;
	int n = 0;
	if (regs.sp < t->stack_hi && t->stack_hi - regs.sp < (1ull << 30))
		n = sc_lu_unwind(&regs, t->stack_hi, (int)hdr->unwind, &t->cache, t->pcs, max,
				 &stop);
	if (n <= 0) {
		/* A stack we do not know (a handler on an alternate stack): the pc alone. */
		t->pcs[0] = regs.ip;
		n = 1;
		stop = SC_AGENT_STOP_END_OF_STACK;
	}
	if (!t->comm_sent)
		send_comm(t);
	for (int i = 0; i < n; i++)
		module_of(t, t->pcs[i]);
	uint32_t size = (uint32_t)(sizeof(sc_agent_rec) + sizeof(sc_agent_sample) + 8u * (size_t)n);
	unsigned char *at = reserve(t, size);
	if (!at) {
		atomic_fetch_add((_Atomic uint64_t *)&t->ring->lost, 1);
		return;
	}
	sc_agent_rec *rec = (sc_agent_rec *)at;
	sc_agent_sample *s = (sc_agent_sample *)(rec + 1);
	rec->type = SC_AGENT_REC_SAMPLE;
	rec->reserved = 0;
	rec->size = size;
	s->time = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	int overrun = si->si_overrun > 0 ? si->si_overrun : 0;
	s->weight = hdr->interval_ns * (1 + (uint64_t)overrun);
	s->nframes = (uint32_t)n;
	s->stop = (uint8_t)stop;
	memset(s->reserved, 0, sizeof(s->reserved));
	memcpy(s + 1, t->pcs, 8u * (size_t)n);
	publish(t, size);
}

/* The program's handler for a signal that is not our tick, or its default action. */
static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction a = prog_action;
	if (a.sa_flags & SA_SIGINFO) {
		if (a.sa_sigaction)
			a.sa_sigaction(sig, si, uc);
		return;
	}
	if (a.sa_handler == SIG_IGN)
		return;
	if (a.sa_handler == SIG_DFL) {
		/* SIGPROF's default is to terminate: do as the kernel would have. */
		struct sigaction dfl = {.sa_handler = SIG_DFL};
		real_sigaction(sig, &dfl, NULL);
		raise(sig);
		return;
	}
	a.sa_handler(sig);
}

/* Our timers' signal value: the thread's structure, marked in its top 16 bits (user addresses
 * have them clear), so that a tick is told from the program's own timers without dereferencing
 * anything, even a late one whose thread is gone. */
#define TICK_MARK 0x5c0cull
static void *tick_value(const struct thr *t)
{
	return (void *)((uintptr_t)t | (TICK_MARK << 48));
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	struct thr *t = self;
	uintptr_t v = si && si->si_code == SI_TIMER ? (uintptr_t)si->si_value.sival_ptr : 0;
	if (v >> 48 != TICK_MARK) {
		chain(sig, si, uc);
	} else if (t && v == (uintptr_t)tick_value(t) && !t->busy) {
		t->busy = 1;
		take_sample(t, si, uc);
		t->busy = 0;
	} /* else a tick of a thread that stopped being sampled, or one nested in a sample */
	errno = saved;
}

/* ---- threads ------------------------------------------------------------------------------ */

static struct thr *thr_new(void)
{
	size_t size = (sizeof(struct thr) + (size_t)page_size - 1) & ~((size_t)page_size - 1);
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return m == MAP_FAILED ? NULL : m;
}

static void thr_free(struct thr *t)
{
	size_t size = (sizeof(struct thr) + (size_t)page_size - 1) & ~((size_t)page_size - 1);
	munmap(t, size);
}

/* The thread's stack top: reads above sp stop there. */
static uint64_t stack_top(void)
{
	pthread_attr_t a;
	void *addr;
	size_t size;
	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return 0;
	int r = pthread_attr_getstack(&a, &addr, &size);
	pthread_attr_destroy(&a);
	return r == 0 ? (uint64_t)addr + size : 0;
}

static void unblock_signal(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, signo);
	real_pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* Starts sampling the calling thread into `t` (outside the handler). */
static void thr_begin(struct thr *t)
{
	t->pid = (uint32_t)getpid();
	t->tid = (uint32_t)syscall(SYS_gettid);
	t->stack_hi = stack_top();
	t->nseen = 0;
	t->comm_sent = false;
	t->busy = 0;
	t->has_timer = false;
	claim_ring(t);
	pthread_setspecific(thr_key, t);
	unblock_signal();
	self = t;
	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = signo;
	ev.sigev_value.sival_ptr = tick_value(t);
	ev._sigev_un._tid = (pid_t)t->tid;
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &t->timer) != 0) {
		atomic_fetch_add((_Atomic uint64_t *)&hdr->threads_unsampled, 1);
		agent_error("timer_create failed in process %u: %s", t->pid, strerror(errno));
		return;
	}
	t->has_timer = true;
	struct itimerspec its;
	its.it_interval.tv_sec = (time_t)(hdr->interval_ns / 1000000000ull);
	its.it_interval.tv_nsec = (long)(hdr->interval_ns % 1000000000ull);
	its.it_value = its.it_interval;
	if (timer_settime(t->timer, 0, &its, NULL) != 0)
		agent_error("timer_settime failed in process %u: %s", t->pid, strerror(errno));
}

/* Stops sampling thread `t` (its exit, through the key's destructor). */
static void thr_end(void *p)
{
	struct thr *t = p;
	if (!t)
		return;
	if (t->has_timer)
		timer_delete(t->timer);
	t->has_timer = false;
	self = NULL;
	atomic_signal_fence(memory_order_seq_cst);
	close_ring(t);
	thr_free(t);
}

static void *thread_start(void *p)
{
	struct thr *t = p;
	void *(*fn)(void *) = t->fn;
	void *arg = t->arg;
	thr_begin(t);
	return fn(arg);
}

EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	if (!real_pthread_create)
		real_pthread_create = dlsym(RTLD_NEXT, "pthread_create");
	if (!real_pthread_create)
		return EAGAIN;
	if (!active || (hdr->flags & SC_AGENT_NO_INHERIT))
		return real_pthread_create(th, attr, fn, arg);
	struct thr *t = thr_new();
	if (!t)
		return real_pthread_create(th, attr, fn, arg);
	t->fn = fn;
	t->arg = arg;
	int r = real_pthread_create(th, attr, thread_start, t);
	if (r != 0)
		thr_free(t);
	return r;
}

/* In the child of a fork: only the forking thread exists, without a timer (timers are not
 * inherited); it becomes a new stream, or stops being sampled (SC_AGENT_NO_INHERIT). */
static void after_fork_child(void)
{
	struct thr *t = self;
	if (!active || !t)
		return;
	self = NULL;
	if (hdr->flags & SC_AGENT_NO_INHERIT) {
		pthread_setspecific(thr_key, NULL);
		thr_free(t);
		active = false;
		return;
	}
	atomic_fetch_add((_Atomic uint32_t *)&hdr->processes, 1);
	thr_begin(t);
}

/* ---- keeping the signal ours ---------------------------------------------------------------- */

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (!real_sigaction)
		real_sigaction = dlsym(RTLD_NEXT, "sigaction");
	if (!active || sig != signo)
		return real_sigaction(sig, act, old);
	if (old)
		*old = prog_action;
	if (act)
		prog_action = *act;
	return 0;
}

EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	if (!active || sig != signo) {
		if (!real_signal)
			real_signal = dlsym(RTLD_NEXT, "signal");
		return real_signal ? real_signal(sig, handler) : SIG_ERR;
	}
	sighandler_t before = prog_action.sa_handler;
	memset(&prog_action, 0, sizeof(prog_action));
	prog_action.sa_handler = handler;
	prog_action.sa_flags = SA_RESTART;
	return before;
}

/* A copy of `set` without the sampling signal, for SIG_BLOCK and SIG_SETMASK. */
static const sigset_t *without_ours(int how, const sigset_t *set, sigset_t *copy)
{
	if (!active || !set || how == SIG_UNBLOCK)
		return set;
	*copy = *set;
	sigdelset(copy, signo);
	return copy;
}

EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	if (!real_sigprocmask)
		real_sigprocmask = dlsym(RTLD_NEXT, "sigprocmask");
	sigset_t copy;
	return real_sigprocmask(how, without_ours(how, set, &copy), old);
}

EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	if (!real_pthread_sigmask)
		real_pthread_sigmask = dlsym(RTLD_NEXT, "pthread_sigmask");
	sigset_t copy;
	return real_pthread_sigmask(how, without_ours(how, set, &copy), old);
}

/* ---- loading ---------------------------------------------------------------------------- */

/* Rings still OWNED by this pid belong to the image before an exec: its threads are gone. */
static void close_stale_rings(uint32_t pid)
{
	for (uint32_t i = 0; i < hdr->nrings; i++) {
		sc_agent_ring *r = ring_at(i);
		uint32_t expected = SC_AGENT_RING_OWNED;
		if (r->pid == pid)
			atomic_compare_exchange_strong((_Atomic uint32_t *)&r->state, &expected,
						       SC_AGENT_RING_CLOSED);
	}
}

static bool map_file(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	void *m = MAP_FAILED;
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size >= SC_AGENT_HEADER_BYTES)
		m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return false;
	sc_agent_header *h = m;
	uint64_t stride = SC_AGENT_RING_HEADER + (uint64_t)h->ring_bytes;
	if (memcmp(h->magic, SC_AGENT_MAGIC, 8) || h->version != SC_AGENT_VERSION ||
	    h->header_bytes != SC_AGENT_HEADER_BYTES || !h->ring_bytes ||
	    (h->ring_bytes & (h->ring_bytes - 1)) || h->ring_bytes % 8 ||
	    h->header_bytes + stride * h->nrings > (uint64_t)st.st_size || !h->interval_ns ||
	    !h->max_depth) {
		munmap(m, (size_t)st.st_size);
		return false;
	}
	hdr = h;
	rings_base = (unsigned char *)m + h->header_bytes;
	ring_stride = stride;
	ring_mask = h->ring_bytes - 1;
	return true;
}

__attribute__((constructor)) static void agent_load(void)
{
	const char *path = getenv(SC_AGENT_ENV_FILE);
	if (!path || !*path)
		return;
	page_size = sysconf(_SC_PAGESIZE);
	if (!map_file(path))
		return;
	uint32_t pid = (uint32_t)getpid();
	if ((hdr->flags & SC_AGENT_NO_INHERIT) && hdr->root_pid && pid != hdr->root_pid)
		return;
	real_pthread_create = dlsym(RTLD_NEXT, "pthread_create");
	real_sigaction = dlsym(RTLD_NEXT, "sigaction");
	real_sigprocmask = dlsym(RTLD_NEXT, "sigprocmask");
	real_pthread_sigmask = dlsym(RTLD_NEXT, "pthread_sigmask");
	if (!real_pthread_create || !real_sigaction || !real_sigprocmask || !real_pthread_sigmask) {
		agent_error("cannot find the C library's functions (dlsym: %s)", dlerror());
		return;
	}
	atomic_fetch_add((_Atomic uint32_t *)&hdr->processes, 1);
	int r = sc_lu_init();
	if (r < 0 && hdr->unwind != SC_AGENT_UNWIND_FP)
		agent_error("no CFI unwinding in process %u (glibc without _dl_find_object); "
			    "frame pointers only",
			    pid);
	ssize_t n = readlink("/proc/self/exe", exe_path, sizeof(exe_path) - 1);
	exe_path[n > 0 ? n : 0] = 0;
	vdso_base = getauxval(AT_SYSINFO_EHDR);
	signo = hdr->signo ? (int)hdr->signo : SIGPROF;
	close_stale_rings(pid);
	if (pthread_key_create(&thr_key, thr_end) != 0) {
		agent_error("pthread_key_create failed in process %u", pid);
		return;
	}
	pthread_atfork(NULL, NULL, after_fork_child);
	struct sigaction a;
	memset(&a, 0, sizeof(a));
	a.sa_sigaction = on_signal;
	a.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&a.sa_mask);
	if (real_sigaction(signo, &a, &prog_action) != 0) {
		agent_error("sigaction(%d) failed in process %u: %s", signo, pid, strerror(errno));
		return;
	}
	struct thr *t = thr_new();
	if (!t) {
		agent_error("out of memory in process %u", pid);
		return;
	}
	active = true;
	thr_begin(t);
}
