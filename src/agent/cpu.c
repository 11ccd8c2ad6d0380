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
#include "agent/shm.h"
#include "agent/stream.h"
#include "agent/unwind_local.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define EXPORT	__attribute__((visibility("default")))
#define MAX_PCS 1024

/* One sampled thread. */
struct thr {
	sc_shm_writer w;
	timer_t timer;
	bool has_timer;
	bool comm_sent;
	char comm[16];		    /* the name sent last */
	volatile sig_atomic_t busy; /* in the handler: a nested tick is dropped */
	uint64_t stack_hi;
	uint32_t pid, tid;
	void *(*fn)(void *); /* pthread_create's start routine, until it runs */
	void *arg;
	sc_lu_cache cache;
	uint64_t pcs[MAX_PCS];
};

#define hdr sc_shm_hdr
static int signo;
static bool active;
static uint32_t instance; /* this process image's number */
static pthread_key_t thr_key;
static __thread struct thr *self __attribute__((tls_model("initial-exec")));

/* The program's own disposition of the sampling signal (what its sigaction calls asked for). */
static struct sigaction prog_action;

static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static sighandler_t (*real_signal)(int, sighandler_t);
static int (*real_sigprocmask)(int, const sigset_t *, sigset_t *);
static int (*real_pthread_sigmask)(int, const sigset_t *, sigset_t *);

/* ---- in the signal handler ---------------------------------------------------------------- */

/* Sends the thread's name when it differs from the one sent last (a thread may rename itself,
 * with prctl or pthread_setname_np, at any time): one system call per sample. */
static void send_comm(struct thr *t)
{
	char name[16] = {0};
	prctl(PR_GET_NAME, name);
	name[sizeof(name) - 1] = 0;
	if (t->comm_sent && !memcmp(name, t->comm, sizeof(name)))
		return;
	uint32_t size = sizeof(sc_agent_rec) + sizeof(sc_agent_comm);
	unsigned char *at = sc_shm_reserve(&t->w, size);
	if (!at)
		return;
	sc_agent_rec *rec = (sc_agent_rec *)at;
	sc_agent_comm *c = (sc_agent_comm *)(rec + 1);
	rec->type = SC_AGENT_REC_COMM;
	rec->reserved = 0;
	rec->size = size;
	memcpy(c->name, name, sizeof(c->name));
	sc_shm_publish(&t->w, size);
	memcpy(t->comm, name, sizeof(t->comm));
	t->comm_sent = true;
}

static void take_sample(struct thr *t, const siginfo_t *si, void *uc)
{
	if (!t->w.ring) {
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
	/* The agent's own frames (thread_start, between start_thread and the program's start
	 * routine, when the compiler did not make its call a tail call) are not the program's. */
	n = sc_shm_drop_own(t->pcs, n);
	send_comm(t);
	for (int i = 0; i < n; i++)
		sc_shm_module_of(&t->w, t->pcs[i]);
	uint32_t size = (uint32_t)(sizeof(sc_agent_rec) + sizeof(sc_agent_sample) + 8u * (size_t)n);
	unsigned char *at = sc_shm_reserve(&t->w, size);
	if (!at) {
		if (t->w.ring)
			atomic_fetch_add((_Atomic uint64_t *)&t->w.ring->lost, 1);
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
	sc_shm_publish(&t->w, size);
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
	return sc_shm_pages(sizeof(struct thr));
}

static void thr_free(struct thr *t)
{
	sc_shm_pages_free(t, sizeof(*t));
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
	t->stack_hi = sc_shm_stack_top();
	t->comm_sent = false;
	t->busy = 0;
	t->has_timer = false;
	sc_shm_claim(&t->w, t->pid, t->tid, instance);
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
		sc_shm_error("timer_create failed in process %u: %s", t->pid, strerror(errno));
		return;
	}
	t->has_timer = true;
	struct itimerspec its;
	its.it_interval.tv_sec = (time_t)(hdr->interval_ns / 1000000000ull);
	its.it_interval.tv_nsec = (long)(hdr->interval_ns % 1000000000ull);
	its.it_value = its.it_interval;
	if (timer_settime(t->timer, 0, &its, NULL) != 0)
		sc_shm_error("timer_settime failed in process %u: %s", t->pid, strerror(errno));
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
	sc_shm_close(&t->w);
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
	instance = sc_shm_new_instance();
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

__attribute__((constructor)) static void agent_load(void)
{
	if (!sc_shm_map())
		return;
	uint32_t pid = (uint32_t)getpid();
	if ((hdr->flags & SC_AGENT_NO_INHERIT) && hdr->root_pid && pid != hdr->root_pid)
		return;
	if (!hdr->interval_ns) {
		sc_shm_error("process %u: the shared file asks for no sampling interval", pid);
		return;
	}
	real_pthread_create = dlsym(RTLD_NEXT, "pthread_create");
	real_sigaction = dlsym(RTLD_NEXT, "sigaction");
	real_sigprocmask = dlsym(RTLD_NEXT, "sigprocmask");
	real_pthread_sigmask = dlsym(RTLD_NEXT, "pthread_sigmask");
	if (!real_pthread_create || !real_sigaction || !real_sigprocmask || !real_pthread_sigmask) {
		sc_shm_error("cannot find the C library's functions (dlsym: %s)", dlerror());
		return;
	}
	int r = sc_lu_init();
	instance = sc_shm_process((const void *)agent_load);
	if (r < 0 && hdr->unwind != SC_AGENT_UNWIND_FP)
		sc_shm_error("no CFI unwinding in process %u (glibc without _dl_find_object); "
			     "frame pointers only",
			     pid);
	signo = hdr->signo ? (int)hdr->signo : SIGPROF;
	sc_shm_close_stale(pid);
	if (pthread_key_create(&thr_key, thr_end) != 0) {
		sc_shm_error("pthread_key_create failed in process %u", pid);
		return;
	}
	pthread_atfork(NULL, NULL, after_fork_child);
	struct sigaction a;
	memset(&a, 0, sizeof(a));
	a.sa_sigaction = on_signal;
	a.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&a.sa_mask);
	if (real_sigaction(signo, &a, &prog_action) != 0) {
		sc_shm_error("sigaction(%d) failed in process %u: %s", signo, pid, strerror(errno));
		return;
	}
	struct thr *t = thr_new();
	if (!t) {
		sc_shm_error("out of memory in process %u", pid);
		return;
	}
	active = true;
	thr_begin(t);
}
