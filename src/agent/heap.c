/*
 * heap.c: libscorch-heap.so, the allocation tracker `scorch heap` preloads into a command
 * (LD_PRELOAD). It replaces malloc, calloc, realloc, reallocarray, free, posix_memalign,
 * aligned_alloc, memalign, valloc and pvalloc with functions that call glibc's own allocator
 * (__libc_malloc and friends: the program's allocator stays the real one) and record each call:
 * the block, its requested and usable size, and the call stack, walked in the process
 * (unwind_local.h: CFI where a module has no frame pointers) up to the recording's depth.
 * C++'s operator new and delete reach these functions through libstdc++, so they are recorded as
 * the malloc and free they are.
 *
 * Records go into the calling thread's ring of the shared file (stream.h, shm.h), in order:
 * MAP records for modules the thread meets first, a STACK record for each call stack the thread
 * meets first (interned in a per-thread table by a 64-bit hash of its addresses), then the
 * ALLOC or FREE. Events of the process are numbered by one counter (seq_line): a free takes its
 * number before the block is released and an allocation after it is obtained, so that the order
 * of the numbers is the order in which addresses changed hands between threads. When a ring is
 * full the thread waits for scorch to drain it (allocations are never dropped: a heap profile with
 * holes would report false leaks), up to 10 s, after which it counts the event lost.
 *
 * Per event, the cost is the walk (unwind_local.c: cached rules; the frames of a walk it kept,
 * one per call site and path, taken after one pass of checking loads), the stack's id (the kept
 * walk's when the walk took all its frames and found the same last one, else the previous
 * allocation's when the frames are the same, else a lookup), a number (a plain increment while one
 * thread takes them: take_seq), a time (the TSC between clock readings: event_ns), the usable size
 * (from the chunk header: usable_of) and the record.
 *
 * Sampling (sample_bytes S in the header, `scorch heap --sample S`): a Poisson sample of the bytes,
 * as tcmalloc samples (heap_sample.c says how); unrecorded allocations cost a subtraction.
 *
 * Reentry: a thread-local flag marks the tracker's own work; an allocation made meanwhile (the
 * C library allocating inside pthread_getattr_np, say) goes straight to glibc unrecorded. The
 * tracker allocates nothing with malloc: its per-thread state and tables are mmap'ed.
 *
 * Lifetime: initialized by the first allocation call (constructors of other libraries may
 * allocate before this library's own constructor runs), once per process image. Threads are
 * followed as they first allocate; a thread's ring is closed by a thread-specific-data destructor
 * at its exit. A forked child starts a new instance with its own counter (or stops recording with
 * SC_AGENT_NO_INHERIT); an exec'd program loads the tracker again. Blocks allocated before the
 * tracker was ready and freed afterwards are counted by scorch as frees of unknown blocks.
 */
#include "agent/heap_sample.h"
#include "agent/heap_scan.h"
#include "agent/shm.h"
#include "agent/stream.h"
#include "agent/tsc.h"
#include "agent/unwind_local.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define EXPORT	   __attribute__((visibility("default")))
#define MAX_DEPTH  256
#define TABLE_BITS 16 /* stacks a thread remembers: 64 Ki, then it forgets and re-announces */
#define TABLE_SIZE (1u << TABLE_BITS)
/* Walks the unwinder keeps (unwind_local.h, "Reuse"): 10 KiB each, touched as used. With 64 (32
 * sets of two, by the first frame's pc and sp), heap_churn's 24 first frames overfilled a set in
 * about one run in three, depending on where the stack was mapped. */
#define TRACES	      256
#define WAIT_LIMIT_NS 10000000000ull

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

struct hthr {
	sc_shm_writer w;
	sc_tsc clock;	     /* event times (tsc.h) */
	sc_heap_sampler smp; /* sampling */
	uint64_t stack_hi;
	uint32_t pid, tid;
	uint32_t next_stack;   /* last STACK id announced */
	uint32_t nstacks;      /* entries used in the table */
	uint32_t nstacks_ever; /* entries ever used since the table was last zeroed */
	uint64_t keys[TABLE_SIZE];
	uint32_t ids[TABLE_SIZE];
	sc_lu_cache cache;
	sc_lu_trace traces[TRACES]; /* the cache's, one per call site and path (the LRU of two) */
	uint32_t trace_ids[TRACES]; /* the STACK id of the last walk through each (0: none) */
	uint64_t pcs[2][MAX_DEPTH + 8]; /* this allocation's stack and the previous one's */
	uint32_t cur;			/* the index of this allocation's in pcs */
	uint32_t last_n, last_id;	/* the previous stack: frames and STACK id (0: none) */
	uint64_t nrecorded; /* allocations recorded, for the allocator statistics' pace */
};

enum { OFF, STARTING, ON };
static _Atomic int state = OFF;
static bool disabled; /* no file, or not this process (SC_AGENT_NO_INHERIT) */
static uint32_t instance;
static size_t depth;
static int mode;
/* The event counter, alone in its cache line: with two threads taking numbers the line moves
 * between their cores at every event, and the flags every call reads (state, mode) must not move
 * with it. */
static struct {
	_Alignas(64) _Atomic uint64_t n;
	char pad[56];
} seq_line;
static pthread_key_t thr_key;
static uint64_t sample_bytes; /* 0: every allocation */
static bool no_reuse;	      /* SCORCH_HEAP_NO_REUSE set: every walk steps every frame (tests) */
static bool short_records;    /* scorch reads ALLOC_SHORT (SC_AGENT_HEAP_SHORT) */

/* Sampling: the recorded blocks' addresses, open addressing, 0 = empty, 1 = deleted. */
static _Atomic uint64_t mallinfo_due; /* when a thread next takes the allocator statistics */
static __thread struct hthr *self __attribute__((tls_model("initial-exec")));
static __thread int busy __attribute__((tls_model("initial-exec")));

/* The time of an event of thread t (NULL: a reading of the clock): the TSC between readings of
 * the clock when the kernel keeps CLOCK_MONOTONIC with it (tsc.h). The order of events is their
 * seq, whatever their times. */
static inline uint64_t event_ns(struct hthr *t)
{
	return t ? sc_tsc_ns(&t->clock) : sc_clock_ns();
}

/* ---- usable sizes ------------------------------------------------------------------------- */

/* A block's usable size, what malloc_usable_size says, from glibc's chunk header without the call:
 * the word before the block is its chunk's size with flag bits (2: mmapped); the block can use
 * all of it but the header (16 bytes) when mmapped, else all but 8 (the next chunk's first word is
 * the block's while it is in use). Used when the start-up check agrees with malloc_usable_size on
 * blocks of every kind the allocator hands out; else the call. */
static bool usable_from_header;

static inline size_t usable_of(void *p)
{
	if (!usable_from_header)
		return malloc_usable_size(p);
	uint64_t h = ((const uint64_t *)p)[-1], size = h & ~(uint64_t)7;
	return (size_t)(h & 2 ? size - 16 : size - 8);
}

/* Whether usable_of may read the header: blocks small and large, aligned, zeroed and mmapped. */
static bool usable_check(void)
{
	static const size_t sizes[] = {1, 24, 25, 100, 1000, 4096, 70000, 300000};
	bool ok = true;
	usable_from_header = true;
	for (size_t i = 0; ok && i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *b[3] = {__libc_malloc(sizes[i]), __libc_calloc(1, sizes[i]),
			      __libc_memalign(64, sizes[i])};
		for (int k = 0; k < 3; k++) {
			if (b[k] && usable_of(b[k]) != malloc_usable_size(b[k]))
				ok = false;
			__libc_free(b[k]);
		}
	}
	usable_from_header = false;
	return ok;
}

/* ---- threads ------------------------------------------------------------------------------ */

static void thr_begin(struct hthr *t)
{
	t->pid = (uint32_t)getpid();
	t->tid = (uint32_t)syscall(SYS_gettid);
	t->next_stack = 0;
	t->nstacks = 0;
	t->last_id = t->last_n = 0;
	uint64_t seed = ((uint64_t)t->tid << 32) ^ sc_clock_ns() ^ 0x9e3779b97f4a7c15ull;
	if (sc_shm_hdr->minor >= 1 && sc_shm_hdr->sample_seed) { /* reproducible (tests) */
		static _Atomic uint64_t nthreads;
		seed = sc_shm_hdr->sample_seed ^
		       (atomic_fetch_add(&nthreads, 1) * 0xbf58476d1ce4e5b9ull);
	}
	sc_heap_sampler_start(&t->smp, seed);
	if (t->nstacks_ever) /* a fresh mapping is zeroed: touch its pages only to reset them */
		memset(t->keys, 0, sizeof(t->keys));
	t->nstacks_ever = 0;
	sc_tsc_reset(&t->clock);
	sc_lu_cache_reset(&t->cache);
	sc_lu_cache_traces(&t->cache, t->traces, TRACES);
	memset(t->trace_ids, 0, sizeof(t->trace_ids));
	t->cache.no_reuse = no_reuse;
	sc_shm_claim(&t->w, t->pid, t->tid, instance);
}

static void thr_end(void *p)
{
	struct hthr *t = p;
	if (!t)
		return;
	self = NULL;
	sc_heap_scan_thread_stop(t->tid);
	sc_shm_close(&t->w);
	sc_shm_pages_free(t, sizeof(*t));
}

/* The calling thread's state, created at its first allocation (with `busy` set). */
static struct hthr *thr_get(void)
{
	if (self)
		return self;
	struct hthr *t = sc_shm_pages(sizeof(*t));
	if (!t)
		return NULL;
	t->stack_hi = sc_shm_stack_top();
	thr_begin(t);
	pthread_setspecific(thr_key, t);
	self = t;
	sc_heap_scan_thread_start(t->tid);
	return t;
}

/* Event numbers. While one thread only takes them (most programs, between their threads' lives),
 * a locked add per event is needless: that thread, `single`, increments seq with a plain load and
 * store (numbers SINGLE). A second thread about to take a number switches to SWITCHING, makes
 * every running thread of the process execute a memory barrier (membarrier, private expedited),
 * after which `single` either sees the switch at its next number or is seen inside its increment
 * (`numbering`) and waited for, then to LOCKED: every thread takes numbers with the locked add.
 * Other threads wait for LOCKED before their first number. Without membarrier: LOCKED always. */
enum { SINGLE, SWITCHING, LOCKED };
static _Atomic uint32_t numbers = LOCKED;
static struct hthr *_Atomic single; /* compared, never read through (the thread may be gone) */
static _Atomic uint32_t numbering;  /* `single` is inside its plain increment */

static int membarrier_cmd(int cmd)
{
	return (int)syscall(SYS_membarrier, cmd, 0, 0);
}

/* At start and in a forked child (whose only thread is the forking one, `only`, NULL when it has
 * no state yet): SINGLE when membarrier works. */
static void numbering_begin(struct hthr *only)
{
	atomic_store(&single, only);
	atomic_store(&numbering, 0); /* a thread of the parent may have been inside */
	atomic_store(&numbers, membarrier_cmd(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0
				   ? SINGLE
				   : LOCKED);
}

/* Thread t (NULL: one without state) is not `single`: true when it just became it (no thread had
 * taken a number yet), else numbers are LOCKED on return. */
static __attribute__((noinline)) bool not_single(struct hthr *t)
{
	struct hthr *expected = NULL;
	if (t && atomic_compare_exchange_strong(&single, &expected, t))
		return true;
	uint32_t was = SINGLE;
	if (atomic_compare_exchange_strong(&numbers, &was, SWITCHING)) {
		membarrier_cmd(MEMBARRIER_CMD_PRIVATE_EXPEDITED); /* registered: cannot fail */
		while (atomic_load_explicit(&numbering, memory_order_acquire))
			sched_yield();
		atomic_store(&numbers, LOCKED);
	}
	while (atomic_load(&numbers) != LOCKED)
		sched_yield();
	return false;
}

/* The next event number, for thread t (thr_get's; NULL when it has none). */
static inline uint64_t take_seq(struct hthr *t)
{
	if (atomic_load_explicit(&numbers, memory_order_relaxed) != LOCKED) {
		if (t && t == atomic_load_explicit(&single, memory_order_relaxed)) {
			atomic_store_explicit(&numbering, 1, memory_order_relaxed);
			atomic_signal_fence(memory_order_seq_cst);
			if (atomic_load_explicit(&numbers, memory_order_relaxed) == SINGLE) {
				uint64_t n =
				    atomic_load_explicit(&seq_line.n, memory_order_relaxed);
				atomic_store_explicit(&seq_line.n, n + 1, memory_order_relaxed);
				atomic_store_explicit(&numbering, 0, memory_order_release);
				return n;
			}
			atomic_store_explicit(&numbering, 0, memory_order_release);
		} else if (not_single(t)) {
			return take_seq(t);
		}
	}
	return atomic_fetch_add_explicit(&seq_line.n, 1, memory_order_relaxed);
}

static void after_fork_child(void)
{
	if (atomic_load(&state) != ON)
		return;
	if (sc_shm_hdr->flags & SC_AGENT_NO_INHERIT) {
		disabled = true;
		return;
	}
	instance = sc_shm_new_instance();
	atomic_store(&seq_line.n, 0);
	uint32_t parent_tid = self ? self->tid : 0;
	numbering_begin(self);
	if (self)
		thr_begin(self);
	sc_heap_scan_forked(parent_tid, self ? self->tid : 0);
}

/* heap_scan.h: the exit scan's view of the tracker. */
bool sc_heapagent_quiesce(uint32_t *inst, uint64_t *events)
{
	if (atomic_load(&state) != ON || disabled || busy)
		return false;
	busy = 1;
	*inst = instance;
	*events = atomic_load(&seq_line.n);
	return true;
}

void sc_heapagent_resume(void)
{
	busy = 0;
}

/* Starts recording in this process image; with `busy` set. */
static void start(void)
{
	int expected = OFF;
	if (!atomic_compare_exchange_strong(&state, &expected, STARTING))
		return;
	if (!sc_shm_map()) {
		disabled = true;
		atomic_store(&state, ON);
		return;
	}
	uint32_t pid = (uint32_t)getpid();
	if ((sc_shm_hdr->flags & SC_AGENT_NO_INHERIT) && sc_shm_hdr->root_pid &&
	    pid != sc_shm_hdr->root_pid) {
		disabled = true;
		atomic_store(&state, ON);
		return;
	}
	int r = sc_lu_init();
	mode = (int)sc_shm_hdr->unwind;
	if (r < 0 && mode != SC_AGENT_UNWIND_FP) {
		sc_shm_error("no CFI unwinding in process %u (glibc without _dl_find_object); "
			     "frame pointers only",
			     pid);
		mode = SC_AGENT_UNWIND_FP;
	}
	depth = sc_shm_hdr->max_depth < MAX_DEPTH ? sc_shm_hdr->max_depth : MAX_DEPTH;
	sample_bytes = sc_shm_hdr->sample_bytes;
	short_records = sc_shm_hdr->flags & SC_AGENT_HEAP_SHORT;
	sc_tsc_init();
	usable_from_header = usable_check();
	const char *nr = getenv("SCORCH_HEAP_NO_REUSE");
	no_reuse = nr && *nr && strcmp(nr, "0") != 0;
	if (sample_bytes) {
		void *m = sc_shm_pages(SC_HEAP_SET_BYTES);
		if (!m) {
			sc_shm_error("process %u: no memory for the sampled blocks' set", pid);
			disabled = true;
			atomic_store(&state, ON);
			return;
		}
		sc_heap_sample_start(sample_bytes, m);
	}
	instance = sc_shm_process((const void *)start);
	sc_shm_close_stale(pid);
	if (pthread_key_create(&thr_key, thr_end) != 0) {
		sc_shm_error("pthread_key_create failed in process %u", pid);
		disabled = true;
	}
	pthread_atfork(NULL, NULL, after_fork_child);
	numbering_begin(NULL);
	atomic_store(&state, ON);
}

/* Whether this call is to be recorded: sets `busy` (the caller clears it) when it is. */
static inline bool enter(void)
{
	if (busy)
		return false;
	busy = 1;
	if (__builtin_expect(atomic_load_explicit(&state, memory_order_acquire) != ON, 0)) {
		start();
		if (atomic_load(&state) != ON) {
			busy = 0;
			return false;
		}
	}
	if (disabled) {
		busy = 0;
		return false;
	}
	return true;
}

/* ---- records ------------------------------------------------------------------------------ */

/* Room for `size` bytes in the thread's ring, waiting for scorch to drain it; NULL when there is
 * no ring or scorch has not drained it for WAIT_LIMIT_NS. */
static void *room(struct hthr *t, uint32_t size)
{
	void *at = sc_shm_reserve(&t->w, size);
	if (at || !t->w.ring)
		return at;
	atomic_fetch_add((_Atomic uint64_t *)&sc_shm_hdr->heap_waits, 1);
	uint64_t waited = 0;
	struct timespec pause = {0, 200000};
	while (!(at = sc_shm_reserve(&t->w, size)) && waited < WAIT_LIMIT_NS) {
		nanosleep(&pause, NULL);
		waited += 200000;
	}
	if (!at)
		atomic_fetch_add((_Atomic uint64_t *)&t->w.ring->lost, 1);
	return at;
}

/* Two independent lanes, so that the multiplications of one frame do not wait for the last's. */
static uint64_t hash_pcs(const uint64_t *pcs, int n)
{
	uint64_t a = 0x9e3779b97f4a7c15ull ^ (uint64_t)n, b = 0x2545f4914f6cdd1dull;
	int i = 0;
	for (; i + 1 < n; i += 2) {
		a = (a ^ pcs[i]) * 0xff51afd7ed558ccdull;
		b = (b ^ pcs[i + 1]) * 0xc4ceb9fe1a85ec53ull;
		a ^= a >> 32;
		b ^= b >> 29;
	}
	if (i < n) {
		a = (a ^ pcs[i]) * 0xff51afd7ed558ccdull;
		a ^= a >> 32;
	}
	uint64_t h = (a ^ (b + 0x632be59bd9b4e019ull)) * 0x9e3779b97f4a7c15ull;
	h ^= h >> 31;
	return h ? h : 1;
}

/* The thread's STACK id for the call stack pcs[0..n), announcing it (and its modules) when new;
 * 0 when it cannot be written. */
static uint32_t stack_lookup(struct hthr *t, const uint64_t *pcs, int n)
{
	uint64_t h = hash_pcs(pcs, n);
	uint32_t slot = (uint32_t)(h >> (64 - TABLE_BITS));
	while (t->keys[slot] && t->keys[slot] != h)
		slot = (slot + 1) & (TABLE_SIZE - 1);
	if (t->keys[slot] == h)
		return t->ids[slot];
	if (t->nstacks >= TABLE_SIZE / 4 * 3) { /* forget them all: ids go on growing */
		memset(t->keys, 0, sizeof(t->keys));
		t->nstacks = 0;
		slot = (uint32_t)(h >> (64 - TABLE_BITS));
	}
	for (int i = 0; i < n; i++)
		sc_shm_module_of(&t->w, pcs[i]);
	uint32_t size = (uint32_t)(sizeof(sc_agent_rec) + sizeof(sc_agent_stack) + 8u * (size_t)n);
	unsigned char *at = room(t, size);
	if (!at)
		return 0;
	sc_agent_rec *rec = (sc_agent_rec *)at;
	sc_agent_stack *s = (sc_agent_stack *)(rec + 1);
	rec->type = SC_AGENT_REC_STACK;
	rec->reserved = 0;
	rec->size = size;
	s->id = ++t->next_stack;
	s->nframes = (uint32_t)n;
	memcpy(s + 1, pcs, 8u * (size_t)n);
	sc_shm_publish(&t->w, size);
	t->keys[slot] = h;
	t->ids[slot] = s->id;
	t->nstacks++;
	t->nstacks_ever++;
	return s->id;
}

static uint32_t stack_id_of(struct hthr *t, uint64_t *pcs, int n);

/* The thread's STACK id for the allocation's call stack (from `r`, the allocation function's own
 * registers), announcing it (and its modules) when new; 0 when it cannot be written. */
static uint32_t stack_id(struct hthr *t, const sc_lu_regs *r)
{
	int stop;
	uint64_t *pcs = t->pcs[t->cur];
	/* The walk starts in the allocation function, a frame of this library, and goes out from
	 * there: the tracker's code is nowhere else on the stack (it never calls the program), so
	 * one frame more than the depth is walked and the first dropped (kept when it is alone). */
	int n = sc_lu_unwind(r, t->stack_hi, mode, &t->cache, pcs, depth + 1, &stop);
	/* The same frames as the last walk through the same kept walk: the same id. */
	uint32_t *tid = mode == SC_AGENT_UNWIND_FP ? NULL : &t->trace_ids[t->cache.last % TRACES];
	if (tid && t->cache.same && *tid)
		return *tid;
	uint32_t id = stack_id_of(t, pcs, n);
	if (tid)
		*tid = id;
	return id;
}

/* The id of the stack a walk found (pcs[0..n), pcs[0] the allocation function's frame). */
static uint32_t stack_id_of(struct hthr *t, uint64_t *pcs, int n)
{
	if (n <= 1)
		return n == 1 ? stack_lookup(t, pcs, 1) : 0;
	pcs++;
	n--;
	if ((size_t)n > depth)
		n = (int)depth;
	/* Allocations in a loop: the same stack as the previous allocation's, without a lookup. */
	if (t->last_id && (uint32_t)n == t->last_n &&
	    memcmp(pcs, t->pcs[t->cur ^ 1] + 1, 8u * (size_t)n) == 0)
		return t->last_id;
	uint32_t id = stack_lookup(t, pcs, n);
	if (id) {
		t->last_id = id;
		t->last_n = (uint32_t)n;
		t->cur ^= 1;
	}
	return id;
}

/* A MALLINFO record: the allocator's own statistics now (stream.h says when). */
static void record_mallinfo(struct hthr *t, uint64_t now)
{
	atomic_store_explicit(&mallinfo_due, now + SC_AGENT_MALLINFO_NS, memory_order_relaxed);
	if (sc_shm_hdr->minor < 1)
		return;
	struct mallinfo2 mi = mallinfo2();
	/* A call that walked long free lists: the next by time waits 1000 times as long (the time
	 * rule's share of the run's wall time stays under 0.1%: of its CPU time too when other
	 * processes keep it waiting; the count rule's calls then give the statistics' pace). */
	uint64_t took = event_ns(t) - now;
	if (took > SC_AGENT_MALLINFO_NS / 1000)
		atomic_store_explicit(&mallinfo_due, now + 1000 * took, memory_order_relaxed);
	uint32_t size = sizeof(sc_agent_rec) + sizeof(sc_agent_mallinfo);
	unsigned char *at = room(t, size);
	if (!at)
		return;
	sc_agent_rec *rec = (sc_agent_rec *)at;
	sc_agent_mallinfo *m = (sc_agent_mallinfo *)(rec + 1);
	rec->type = SC_AGENT_REC_MALLINFO;
	rec->reserved = 0;
	rec->size = size;
	*m = (sc_agent_mallinfo){now, mi.arena, mi.hblkhd, mi.uordblks, mi.fordblks};
	sc_shm_publish(&t->w, size);
}

/* Records the allocation of `p` (size bytes requested) by the call whose registers are `r`. */
static void record_alloc(void *p, size_t size, uint32_t flags, const sc_lu_regs *r)
{
	struct hthr *t = thr_get();
	uint64_t weight = size;
	if (t && sample_bytes && !sc_heap_sampled(&t->smp, size, &weight))
		return;
	if (!t || !t->w.ring) {
		atomic_fetch_add((_Atomic uint64_t *)&sc_shm_hdr->lost_no_ring, 1);
		return;
	}
	if (sample_bytes) {
		flags |= SC_AGENT_ALLOC_SAMPLED;
		sc_heap_set_add(
		    (uint64_t)(uintptr_t)p); /* full: the block stays live for the reader */
	}
	uint32_t stack = stack_id(t, r);
	size_t usable = usable_of(p);
	uint64_t now;
	if (short_records && !sample_bytes && size <= UINT32_MAX && usable >= size &&
	    usable - size <= UINT32_MAX) {
		uint32_t size_rec = sizeof(sc_agent_rec) + sizeof(sc_agent_alloc_short);
		unsigned char *at = room(t, size_rec);
		if (!at)
			return;
		sc_agent_rec *rec = (sc_agent_rec *)at;
		sc_agent_alloc_short *a = (sc_agent_alloc_short *)(rec + 1);
		rec->type = SC_AGENT_REC_ALLOC_SHORT;
		rec->reserved = (uint16_t)flags;
		rec->size = size_rec;
		a->seq = take_seq(t);
		a->time = now = event_ns(t);
		a->addr = (uint64_t)(uintptr_t)p;
		a->size = (uint32_t)size;
		a->slack = (uint32_t)(usable - size);
		a->stack = stack;
		a->reserved = 0;
		sc_shm_publish(&t->w, size_rec);
	} else {
		uint32_t size_rec = sizeof(sc_agent_rec) + sizeof(sc_agent_alloc);
		unsigned char *at = room(t, size_rec);
		if (!at)
			return;
		sc_agent_rec *rec = (sc_agent_rec *)at;
		sc_agent_alloc *a = (sc_agent_alloc *)(rec + 1);
		rec->type = SC_AGENT_REC_ALLOC;
		rec->reserved = 0;
		rec->size = size_rec;
		a->seq = take_seq(t);
		a->time = now = event_ns(t);
		a->addr = (uint64_t)(uintptr_t)p;
		a->size = size;
		a->usable = usable;
		a->weight = weight;
		a->stack = stack;
		a->flags = flags;
		sc_shm_publish(&t->w, size_rec);
	}
	uint64_t nr = ++t->nrecorded;
	uint32_t pace =
	    nr <= SC_AGENT_MALLINFO_LATE ? SC_AGENT_MALLINFO_ALLOCS : SC_AGENT_MALLINFO_LATE;
	if (__builtin_expect((nr & (pace - 1)) == 0 ||
				 now >= atomic_load_explicit(&mallinfo_due, memory_order_relaxed),
			     0))
		record_mallinfo(t, now);
}

/* The number of a free, taken before the block is released (see the file's comment). */
static uint64_t free_seq(void)
{
	return take_seq(thr_get());
}

static void record_free(void *p, uint64_t n, uint64_t time)
{
	struct hthr *t = thr_get();
	if (!t || !t->w.ring) {
		atomic_fetch_add((_Atomic uint64_t *)&sc_shm_hdr->lost_no_ring, 1);
		return;
	}
	uint32_t size_rec = sizeof(sc_agent_rec) + sizeof(sc_agent_free);
	unsigned char *at = room(t, size_rec);
	if (!at)
		return;
	sc_agent_rec *rec = (sc_agent_rec *)at;
	sc_agent_free *f = (sc_agent_free *)(rec + 1);
	rec->type = SC_AGENT_REC_FREE;
	rec->reserved = 0;
	rec->size = size_rec;
	f->seq = n;
	f->time = time;
	f->addr = (uint64_t)(uintptr_t)p;
	sc_shm_publish(&t->w, size_rec);
}

/* ---- the allocation functions ------------------------------------------------------------- */

/* An allocation function: glibc's `call` for `size` bytes, recorded unless this thread is inside
 * the tracker already. The registers are captured here, in the exported function, so that the
 * walk starts in it (its frame is then dropped with the tracker's others). */
#define TRACKED(call, size)                                                                        \
	do {                                                                                       \
		if (!enter())                                                                      \
			return call;                                                               \
		sc_lu_regs r_;                                                                     \
		sc_lu_capture(&r_);                                                                \
		void *p_ = call;                                                                   \
		if (p_)                                                                            \
			record_alloc(p_, size, 0, &r_);                                            \
		busy = 0;                                                                          \
		return p_;                                                                         \
	} while (0)

EXPORT void *malloc(size_t size)
{
	TRACKED(__libc_malloc(size), size);
}

EXPORT void *calloc(size_t nmemb, size_t size)
{
	TRACKED(__libc_calloc(nmemb, size), nmemb * size);
}

EXPORT void *memalign(size_t align, size_t size)
{
	TRACKED(__libc_memalign(align, size), size);
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	TRACKED(__libc_memalign(align, size), size);
}

EXPORT void *valloc(size_t size)
{
	TRACKED(__libc_valloc(size), size);
}

EXPORT void *pvalloc(size_t size)
{
	TRACKED(__libc_pvalloc(size), size);
}

EXPORT void free(void *p)
{
	if (!p || !enter()) {
		__libc_free(p);
		return;
	}
	if (sample_bytes && !sc_heap_set_take((uint64_t)(uintptr_t)p)) {
		__libc_free(p); /* not a recorded block */
		busy = 0;
		return;
	}
	uint64_t n = free_seq();
	uint64_t time = event_ns(self);
	__libc_free(p);
	record_free(p, n, time);
	busy = 0;
}

/* realloc's events: the old block's FREE numbered before it can be reused, then the new block. */
static void *do_realloc(void *old, size_t size, const sc_lu_regs *r)
{
	if (!old) {
		void *p = __libc_realloc(NULL, size);
		if (p)
			record_alloc(p, size, 0, r);
		return p;
	}
	if (sample_bytes && !sc_heap_set_take((uint64_t)(uintptr_t)old)) {
		/* The old block was not recorded: the new one is a plain allocation. */
		void *p = __libc_realloc(old, size);
		if (p)
			record_alloc(p, size, 0, r);
		return p;
	}
	uint64_t n = free_seq();
	uint64_t time = event_ns(self);
	void *p = __libc_realloc(old, size);
	if (!p && size) {
		/* Failed: the old block is still there. Its number stays unused: send it as a free
		 * of address 0, which the reader skips. */
		record_free(NULL, n, time);
		if (sample_bytes)
			sc_heap_set_add((uint64_t)(uintptr_t)old);
		return NULL;
	}
	record_free(old, n, time);
	if (p)
		record_alloc(p, size, SC_AGENT_ALLOC_REALLOC, r);
	return p;
}

EXPORT void *realloc(void *old, size_t size)
{
	if (!enter())
		return __libc_realloc(old, size);
	sc_lu_regs r;
	sc_lu_capture(&r);
	void *p = do_realloc(old, size, &r);
	busy = 0;
	return p;
}

EXPORT void *reallocarray(void *old, size_t nmemb, size_t size)
{
	size_t bytes;
	if (__builtin_mul_overflow(nmemb, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	if (!enter())
		return __libc_realloc(old, bytes);
	sc_lu_regs r;
	sc_lu_capture(&r);
	void *p = do_realloc(old, bytes, &r);
	busy = 0;
	return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	if (!align || (align & (align - 1)) || align % sizeof(void *))
		return EINVAL;
	bool rec = enter();
	sc_lu_regs r;
	sc_lu_capture(&r);
	void *p = __libc_memalign(align, size);
	if (p && rec)
		record_alloc(p, size, 0, &r);
	if (rec)
		busy = 0;
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}
