/*
 * heap_scan.c: the heap agent's exit scan: at a process's normal exit, each block still
 * allocated is classified as valgrind's memcheck and LeakSanitizer do:
 *
 *   definitely lost   no pointer to its start or interior from a root or a reachable block;
 *   indirectly lost   reachable only from definitely lost blocks (a lost list's nodes);
 *   possibly lost     reached only through pointers into its interior;
 *   still reachable   a pointer to its start from a root, or from a still reachable block.
 *
 * Roots: the writable PT_LOAD segments of every loaded module (data, bss, relro; not this
 * library's own), the stacks of the threads that allocated and still live (from the stack pointer
 * /proc/self/task/TID/syscall gives for a thread blocked in a system call, else whole: the agent
 * notes each thread's stack bounds at its first allocation), the exiting thread's stack from the
 * frame of the program's function that called exit up (live_stack_start: not the exit machinery's
 * frames below it, nor registers, dead once exit is called), and TLS: the static TLS block and
 * thread control block around each
 * noted thread's thread pointer (a thread's dynamic TLS and its pthread_setspecific arrays are
 * blocks, reached from there).
 *
 * How (no cost per allocation): the tracker keeps no set of live blocks; scorch does. At the
 * exit, a destructor of this library registers an exit handler that runs after every other
 * library's destructors (exit handlers registered while exit runs them are run too), and that
 * handler asks scorch through a slot of the shared file (stream.h: SC_AGENT_SCAN_*) for the blocks
 * live now, waits for them (SCAN_WAIT_NS at most, and only while scorch's process exists and
 * still serves scans: it clears scan_on after its last round), scans,
 * and writes each block's kind back. Every memory read goes through process_vm_readv on the
 * process itself, so a page unmapped meanwhile (another thread still running may free a block)
 * costs a skipped range, never a crash; where that call is refused (a seccomp policy), no block is
 * classified (all UNKNOWN): reading in place could fault.
 *
 * The marking follows memcheck's rules: from the roots, a pointer to a block's start marks it
 * reachable, one into its interior possibly lost; from a reachable block the same; from a
 * possibly lost block anything it reaches is possibly lost at best. Then each block left unmarked,
 * in address order, leads a clique: it is definitely lost, and the unmarked blocks it reaches
 * (and earlier leaders it reaches) are indirectly lost.
 *
 * Not covered (documented in docs/cmd/heap.md): threads that never allocated (their stacks are
 * not known), memory the program mapped itself (mmap), registers of threads other than the
 * exiting one (a thread blocked in a system call keeps them in the kernel), _exit and fatal
 * signals (no destructor runs: no classification), sampled recordings (the live set is a sample).
 */
#include "agent/heap_scan.h"
#include "agent/shm.h"
#include "agent/stream.h"
#include "agent/tsc.h"
#include "agent/unwind_local.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS  4096
#define SCAN_WAIT_NS 5000000000ull /* scorch answers within a few of its 10 ms rounds */
#define PCB_BYTES    4096u	   /* the thread control block above a thread pointer, at most */
#define CLAIMING     UINT32_MAX

extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

/* The threads whose stacks are roots. `tid` is published last (release). */
static struct thr {
	_Atomic uint32_t tid;
	uint64_t lo, hi, tp;
} threads[MAX_THREADS];

static void note_thread(struct thr *t, uint32_t tid)
{
	pthread_attr_t a;
	void *addr;
	size_t size;
	t->lo = t->hi = 0;
	if (pthread_getattr_np(pthread_self(), &a) == 0) {
		if (pthread_attr_getstack(&a, &addr, &size) == 0) {
			t->lo = (uint64_t)(uintptr_t)addr;
			t->hi = t->lo + size;
		}
		pthread_attr_destroy(&a);
	}
	t->tp = (uint64_t)(uintptr_t)__builtin_thread_pointer();
	atomic_store_explicit(&t->tid, tid, memory_order_release);
}

void sc_heap_scan_thread_start(uint32_t tid)
{
	for (size_t i = 0; i < MAX_THREADS; i++) {
		uint32_t z = 0;
		if (atomic_load_explicit(&threads[i].tid, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_strong(&threads[i].tid, &z, CLAIMING)) {
			note_thread(&threads[i], tid);
			return;
		}
	}
	/* More than MAX_THREADS live threads: the newest stacks are not roots. */
}

void sc_heap_scan_thread_stop(uint32_t tid)
{
	for (size_t i = 0; i < MAX_THREADS; i++) {
		uint32_t v = tid;
		if (atomic_load_explicit(&threads[i].tid, memory_order_relaxed) == tid &&
		    atomic_compare_exchange_strong(&threads[i].tid, &v, 0))
			return;
	}
}

void sc_heap_scan_forked(uint32_t parent_tid, uint32_t tid)
{
	/* The forking thread's stack is at the same addresses in the child: its entry stays, under
	 * the child's thread id (noting it again could allocate inside fork). */
	for (size_t i = 0; i < MAX_THREADS; i++) {
		if (parent_tid && atomic_load(&threads[i].tid) == parent_tid)
			atomic_store(&threads[i].tid, tid);
		else
			atomic_store(&threads[i].tid, 0);
	}
}

/* ---- reading memory ------------------------------------------------------------------------ */

struct scan {
	const sc_agent_block *b;
	uint8_t *kind; /* SC_AGENT_KIND_*, 0 while unmarked */
	uint64_t n;
	uint64_t min, max; /* the blocks' span: [min, max) */
	uint32_t *work;	   /* indexes to scan */
	uint64_t nwork, capwork;
	uint64_t leader; /* clique phase: the leader's index */
	bool clique;	 /* which phase */
	uint64_t roots_bytes;
};

static uint64_t buf[8192]; /* 64 KiB of memory being scanned */
static pid_t self_pid;

/* The block holding address v, or n. */
static uint64_t find(const struct scan *s, uint64_t v)
{
	if (v < s->min || v >= s->max)
		return s->n;
	uint64_t lo = 0, hi = s->n; /* the last block starting at or below v */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (s->b[mid].addr <= v)
			lo = mid;
		else
			hi = mid;
	}
	const sc_agent_block *b = &s->b[lo];
	if (v < b->addr || v - b->addr >= (b->size ? b->size : 1))
		return s->n;
	return lo;
}

static void push(struct scan *s, uint64_t i)
{
	if (s->nwork < s->capwork)
		s->work[s->nwork++] = (uint32_t)i;
}

/* A word `v` read from a root (definite: true) or from a block. */
static void word(struct scan *s, uint64_t v, bool definite)
{
	uint64_t i = find(s, v);
	if (i == s->n)
		return;
	if (s->clique) {
		if (s->kind[i] == 0) {
			s->kind[i] = SC_AGENT_KIND_INDIRECT;
			push(s, i);
		} else if (s->kind[i] == SC_AGENT_KIND_DEFINITE && i != s->leader) {
			s->kind[i] = SC_AGENT_KIND_INDIRECT; /* an earlier leader, reached */
		}
		return;
	}
	if (v == s->b[i].addr && definite) {
		if (s->kind[i] != SC_AGENT_KIND_REACHABLE) {
			s->kind[i] = SC_AGENT_KIND_REACHABLE;
			push(s, i); /* (again, when it was possibly lost: what it reaches gains) */
		}
	} else if (s->kind[i] == 0) {
		s->kind[i] = SC_AGENT_KIND_POSSIBLE;
		push(s, i);
	}
}

/* Every aligned word of [lo, hi) that can be read. */
static void scan_range(struct scan *s, uint64_t lo, uint64_t hi, bool definite, bool root)
{
	lo = (lo + 7) & ~7ull;
	hi &= ~7ull;
	long page = sc_shm_page_size > 0 ? sc_shm_page_size : 4096;
	while (lo < hi) {
		uint64_t len = hi - lo < sizeof(buf) ? hi - lo : sizeof(buf);
		struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)lo, len};
		ssize_t got = process_vm_readv(self_pid, &local, 1, &remote, 1, 0);
		const uint64_t *w = buf;
		if (got <= 0) {
			/* Unreadable here: go on at the next page. */
			lo = (lo + (uint64_t)page) & ~((uint64_t)page - 1);
			continue;
		}
		uint64_t nw = (uint64_t)got / 8;
		if (root)
			s->roots_bytes += nw * 8;
		for (uint64_t k = 0; k < nw; k++)
			word(s, w[k], definite);
		lo += nw * 8;
		if ((uint64_t)got < len) /* a short read: the next page is unreadable */
			lo = (lo + (uint64_t)page) & ~((uint64_t)page - 1);
	}
}

/* Scans the blocks pushed so far, and those they push. */
static void drain(struct scan *s)
{
	while (s->nwork) {
		uint64_t i = s->work[--s->nwork];
		bool definite = s->kind[i] == SC_AGENT_KIND_REACHABLE;
		scan_range(s, s->b[i].addr, s->b[i].addr + s->b[i].size, definite, false);
	}
}

/* ---- roots --------------------------------------------------------------------------------- */

struct globals {
	struct scan *s;
	uint64_t own; /* this library's load address */
};

static int on_module(struct dl_phdr_info *info, size_t size, void *ctx)
{
	(void)size;
	struct globals *g = ctx;
	if (info->dlpi_addr == g->own && g->own)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uint64_t lo = info->dlpi_addr + ph->p_vaddr;
		scan_range(g->s, lo, lo + ph->p_memsz, true, true);
		drain(g->s);
	}
	return 0;
}

/* The static TLS block below a thread pointer and the control block above it (x86-64's layout:
 * TLS ends at the thread pointer; glibc's struct pthread starts there). */
static void scan_tls(struct scan *s, uint64_t tp, uint64_t static_tls)
{
	if (!tp)
		return;
	scan_range(s, tp - static_tls, tp + PCB_BYTES, true, true);
	drain(s);
}

/* Where thread `tid`'s live stack starts: its stack pointer as /proc/self/task/TID/syscall gives
 * it for a thread blocked in a system call (minus the red zone), so that the dead part below it,
 * where the tracker's frames left block addresses, is not a root; `lo` (the whole stack) for a
 * thread running, or when the file cannot be read. */
static uint64_t live_sp(uint32_t tid, uint64_t lo, uint64_t hi)
{
	char path[64], text[256];
	int k = snprintf(path, sizeof(path), "/proc/self/task/%u/syscall", tid);
	int fd = k > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return lo;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return lo;
	text[n] = 0;
	/* "NR arg1 ... arg6 SP PC": the next to last field. */
	char *fields[10];
	int nf = 0;
	for (char *c = text; *c && nf < 10;) {
		while (*c == ' ' || *c == '\n')
			c++;
		if (!*c)
			break;
		fields[nf++] = c;
		while (*c && *c != ' ' && *c != '\n')
			c++;
	}
	if (nf != 9)
		return lo; /* "running", or a format not known */
	uint64_t sp = strtoull(fields[7], NULL, 16);
	if (sp < lo + 128 || sp >= hi)
		return lo;
	return sp - 128;
}

static void classify(struct scan *s, uint64_t sp, uint64_t stack_hi)
{
	/* The exiting thread first: its frames above the scan's own (see sc_heap_scan_exit). */
	if (sp && stack_hi > sp) {
		scan_range(s, sp, stack_hi, true, true);
		drain(s);
	}
	Dl_info di;
	struct globals g = {.s = s};
	if (dladdr((void *)classify, &di) && di.dli_fbase)
		g.own = (uint64_t)(uintptr_t)di.dli_fbase;
	dl_iterate_phdr(on_module, &g);
	size_t static_tls = 0, align = 0;
	void (*tls_info)(size_t *, size_t *) =
	    (void (*)(size_t *, size_t *))dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
	if (tls_info)
		tls_info(&static_tls, &align);
	uint32_t me = (uint32_t)gettid();
	scan_tls(s, (uint64_t)(uintptr_t)__builtin_thread_pointer(), static_tls);
	for (size_t i = 0; i < MAX_THREADS; i++) {
		uint32_t tid = atomic_load_explicit(&threads[i].tid, memory_order_acquire);
		if (!tid || tid == CLAIMING || tid == me)
			continue;
		scan_range(s, live_sp(tid, threads[i].lo, threads[i].hi), threads[i].hi, true,
			   true);
		drain(s);
		scan_tls(s, threads[i].tp, static_tls);
	}
	/* What no root reaches: cliques, each led by a definitely lost block. */
	s->clique = true;
	for (uint64_t i = 0; i < s->n; i++) {
		if (s->kind[i])
			continue;
		s->kind[i] = SC_AGENT_KIND_DEFINITE;
		s->leader = i;
		push(s, i);
		drain(s);
	}
}

/* ---- the exchange with scorch -------------------------------------------------------------- */

static bool scorch_lives(uint32_t pid)
{
	return pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* Waits for scorch to answer slot `sl`; true when it did (READY), false when the agent gave up. */
static bool wait_ready(struct sc_agent_scan *sl, uint32_t scorch)
{
	_Atomic uint32_t *state = (_Atomic uint32_t *)&sl->state;
	uint64_t start = sc_clock_ns();
	struct timespec pause = {0, 1000000};
	for (;;) {
		uint32_t st = atomic_load_explicit(state, memory_order_acquire);
		if (st == SC_AGENT_SCAN_READY)
			return true;
		if (st != SC_AGENT_SCAN_ASKED)
			return false;
		if (sc_clock_ns() - start > SCAN_WAIT_NS || !scorch_lives(scorch) ||
		    !atomic_load((_Atomic uint32_t *)&sc_shm_hdr->scan_on)) {
			uint32_t asked = SC_AGENT_SCAN_ASKED;
			if (atomic_compare_exchange_strong(state, &asked, SC_AGENT_SCAN_GAVE_UP))
				return false;
			return asked == SC_AGENT_SCAN_READY;
		}
		nanosleep(&pause, NULL);
	}
}

static void scan_file(struct sc_agent_scan *sl, uint64_t sp, uint64_t stack_hi, bool readable)
{
	int fd = open(sl->path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	void *m = MAP_FAILED;
	uint64_t n = sl->nblocks;
	uint64_t need = sizeof(sc_agent_scanfile) + n * sizeof(sc_agent_block) + n;
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size >= need && n < UINT32_MAX)
		m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return;
	sc_agent_scanfile *f = m;
	struct scan s = {.b = (const sc_agent_block *)(f + 1), .n = n};
	s.kind = (uint8_t *)(s.b + n);
	s.capwork = 2 * n + 1; /* a block is pushed at most twice in marking, once in cliques */
	s.work = n ? sc_shm_pages(s.capwork * sizeof(uint32_t)) : NULL;
	if (!memcmp(f->magic, SC_AGENT_SCAN_MAGIC, 8) && f->nblocks == n && (s.work || !n)) {
		memset(s.kind, 0, n); /* SC_AGENT_KIND_UNKNOWN, unless classified below */
		if (n && readable) {
			s.min = s.b[0].addr;
			s.max = s.b[n - 1].addr + (s.b[n - 1].size ? s.b[n - 1].size : 1);
			classify(&s, sp, stack_hi);
			f->roots_bytes = s.roots_bytes;
		}
	}
	if (s.work)
		sc_shm_pages_free(s.work, s.capwork * sizeof(uint32_t));
	munmap(m, (size_t)st.st_size);
}

static _Atomic int scanned;

static uint64_t live_stack_start(const sc_lu_regs *r, uint64_t stack_hi);

/* The scan, from the exit handler below, whose registers are `r`. */
static __attribute__((noinline)) void exit_scan(const sc_lu_regs *r)
{
	sc_agent_header *h = sc_shm_hdr;
	if (!h || h->minor < 1 || !h->scan_on || h->sample_bytes || atomic_exchange(&scanned, 1))
		return;
	uint32_t instance;
	uint64_t events;
	if (!sc_heapagent_quiesce(&instance, &events))
		return;
	self_pid = getpid();
	struct sc_agent_scan *sl = NULL;
	for (size_t i = 0; i < SC_AGENT_SCANS && !sl; i++) {
		uint32_t free_ = SC_AGENT_SCAN_FREE;
		if (atomic_compare_exchange_strong((_Atomic uint32_t *)&h->scan[i].state, &free_,
						   SC_AGENT_SCAN_CLAIMING))
			sl = &h->scan[i];
	}
	if (sl) {
		sl->instance = instance;
		sl->pid = (uint32_t)self_pid;
		sl->seq = events;
		atomic_store_explicit((_Atomic uint32_t *)&sl->state, SC_AGENT_SCAN_ASKED,
				      memory_order_release);
		if (wait_ready(sl, h->scorch_pid)) {
			struct iovec probe_l = {buf, 8}, probe_r = {buf + 1, 8};
			bool readable =
			    process_vm_readv(self_pid, &probe_l, 1, &probe_r, 1, 0) == 8;
			uint64_t hi = sc_shm_stack_top();
			scan_file(sl, readable ? live_stack_start(r, hi) : r->sp, hi, readable);
			atomic_store_explicit((_Atomic uint32_t *)&sl->state, SC_AGENT_SCAN_DONE,
					      memory_order_release);
		}
	}
	sc_heapagent_resume();
}

/* The lowest address of the exiting thread's stack still live: the stack pointer of the first
 * frame, going up from the exit handler, whose code is not the C library's, the dynamic loader's
 * or this library's: the program's function that called exit (its frame and its callers' are
 * live), or _start when main returned. Below it are only the exit machinery's frames and stale
 * data, among them copies of block addresses the tracker's own frames left there (the tracker runs
 * on the program's stack, valgrind's allocator does not): scanning them would mark lost blocks
 * reachable. Registers need no scan: exit does not return, so nothing lives only in them. The
 * return address into that frame is searched on the stack from `sp` up; its slot + 8 is the
 * frame's stack pointer at the call. `sp` itself when the walk finds no such frame. */
static uint64_t live_stack_start(const sc_lu_regs *r, uint64_t stack_hi)
{
	static sc_lu_cache cache;
	uint64_t pcs[64];
	int stop;
	int n = sc_lu_unwind(r, stack_hi, SC_AGENT_UNWIND_AUTO, &cache, pcs, 64, &stop);
	Dl_info own, libc, ld;
	void *ld_sym = dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
	if (n <= 1 || !dladdr((void *)live_stack_start, &own) || !dladdr((void *)exit, &libc) ||
	    !ld_sym || !dladdr(ld_sym, &ld))
		return r->sp;
	for (int i = 1; i < n; i++) {
		Dl_info at;
		if (!dladdr((void *)(uintptr_t)(pcs[i] - 1), &at) ||
		    at.dli_fbase == own.dli_fbase || at.dli_fbase == libc.dli_fbase ||
		    at.dli_fbase == ld.dli_fbase)
			continue;
		for (uint64_t a = (r->sp + 7) & ~7ull; a + 8 <= stack_hi; a += 8) {
			uint64_t v;
			struct iovec l = {&v, 8}, rem = {(void *)(uintptr_t)a, 8};
			if (process_vm_readv(self_pid, &l, 1, &rem, 1, 0) != 8)
				break;
			if (v == pcs[i])
				return a + 8;
		}
		break;
	}
	return r->sp;
}

/* The exit handler (see the file's comment). */
static void at_exit(void *unused)
{
	(void)unused;
	sc_lu_regs r;
	sc_lu_capture(&r);
	exit_scan(&r);
}

/* Runs among the libraries' destructors (exit's _dl_fini); the handler it registers runs after
 * them all. Not at dlclose: this library is preloaded and never unloaded. */
__attribute__((destructor)) static void at_fini(void)
{
	if (sc_shm_hdr && sc_shm_hdr->scan_on && !atomic_load(&scanned))
		__cxa_atexit(at_exit, NULL, NULL);
}
