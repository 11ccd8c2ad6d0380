/*
 * inject.c: libscorch-cupti.so, the CUPTI injection library `scorch gpu` names to a CUDA program
 * in CUDA_INJECTION64_PATH. The CUDA driver loads it at cuInit and calls InitializeInjection,
 * which loads CUPTI (dlopen: never linked, so the library loads on a machine without it and says
 * so), subscribes to the driver and runtime API callbacks and enables the activity records of
 * kernels, copies, memsets and synchronizations. What it records goes into the shared file
 * scorch names in SCORCH_CUPTI_FILE (scorch record --gpu) or SCORCH_AGENT_FILE (scorch gpu)
 * (src/agent/stream.h, the GPU records of version 1.3):
 *
 *   - each driver and runtime API call, timed by the calling thread at its entry and exit
 *     (GPU_API, with CUPTI's correlation id and the number of API calls open around it);
 *   - at the entry of a call that launches GPU work (cu/cudaLaunch*, *Memcpy*, *Memset*,
 *     *GraphLaunch*), the calling thread's stack, walked in the process with the agents'
 *     unwinder (src/agent/unwind_local.h, as the heap agent does), under the call's correlation
 *     id (GPU_STACK); a driver call inside a runtime call gets the runtime call's walk again;
 *   - the activity records CUPTI hands over in buffers (GPU_KERNEL, GPU_COPY, GPU_SYNC), their
 *     times CLOCK_MONOTONIC through the timestamp callback registered with CUPTI (or, where the
 *     library lacks it, CUPTI's clock moved by an offset measured once);
 *   - what went wrong (GPU_STATUS): no CUPTI library, a CUPTI call's error (another tool
 *     holding CUPTI: CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED), records CUPTI dropped,
 * records this library could not write.
 *
 * CUPTI is looked for in SCORCH_CUPTI_LIB when set (only there), else as libcupti.so.13 and
 * libcupti.so in the loader's path, then in /usr/local/cuda/lib64 and
 * /usr/local/cuda/extras/CUPTI/lib64. The structures are those of the CUPTI headers this file is
 * compiled against (CUDA 13: CUpti_ActivityKernel10, Memcpy6, Memset4, Synchronization2); the
 * soname tried first is the one of that version.
 *
 * Rules of the agents (src/agent/): hidden symbols but InitializeInjection, no malloc in the
 * callbacks (per-thread state and CUPTI's buffers are mmap'ed pages), never sanitized. API records
 * and stacks are written by the calling thread into its own ring and dropped (counted) when the
 * ring is full: the program never waits for scorch. Activity records are written by the thread
 * CUPTI completes buffers on, which waits up to 5 s for room. Flushed at exit (atexit +
 * cuptiActivityFlushAll): a program that crashes loses the activity CUPTI had not handed over
 * (the flush period asked of CUPTI bounds how much); its API calls and stacks are all written.
 *
 * Not here: NVTX ranges (CUPTI records them only with NVTX_INJECTION64_PATH naming libcupti,
 * which this library does not arrange), forked children (CUDA does not survive a fork; a child
 * stops recording), the decoding (src/gpu/cupti/activity.c, in scorch).
 */
#include <cuda.h>
#include <cupti.h>

#include "agent/shm.h"
#include "agent/stream.h"
#include "agent/unwind_local.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define EXPORT	      __attribute__((visibility("default")))
#define MAX_DEPTH     128
#define MAX_OPEN      16	 /* API calls open on a thread that are timed */
#define MAX_NAME      4000	 /* bytes of a kernel's name kept */
#define BUFFER_BYTES  (1u << 20) /* an activity buffer handed to CUPTI */
#define FLUSH_MS      100u	 /* CUPTI's periodic flush */
#define WAIT_LIMIT_MS 5000

/* CUPTI's functions, as the headers declare them, found with dlsym. */
#define CUPTI_FUNCS(X)                                                                             \
	X(cuptiSubscribe)                                                                          \
	X(cuptiEnableDomain)                                                                       \
	X(cuptiActivityEnable)                                                                     \
	X(cuptiActivityRegisterCallbacks)                                                          \
	X(cuptiActivityFlushAll)                                                                   \
	X(cuptiActivityGetNextRecord)                                                              \
	X(cuptiActivityGetNumDroppedRecords)                                                       \
	X(cuptiGetTimestamp)                                                                       \
	X(cuptiGetResultString)
#define CUPTI_OPTIONAL(X)                                                                          \
	X(cuptiActivityRegisterTimestampCallback)                                                  \
	X(cuptiActivityFlushPeriod)                                                                \
	X(cuptiGetVersion)

#define DECLARE(f) static __typeof__(&f) p_##f;
CUPTI_FUNCS(DECLARE)
CUPTI_OPTIONAL(DECLARE)
#undef DECLARE

struct open_call {
	uint64_t start;
	uint32_t correlation, cbid, domain;
	const char *name;
};

struct cthr {
	sc_shm_writer w;
	sc_lu_cache cache;
	uint64_t stack_hi;
	uint32_t pid, tid;
	uint32_t nopen; /* calls open (those beyond MAX_OPEN are not timed) */
	struct open_call open[MAX_OPEN];
	uint32_t launch_depth; /* nopen at the walk below, 0: none */
	uint32_t npcs;
	uint64_t pcs[MAX_DEPTH + 8];  /* the last launching call's stack */
	uint32_t nlast;		      /* frames of the last GPU_STACK written whole, 0: none */
	uint64_t last[MAX_DEPTH + 8]; /* its frames */
};

static bool active;
static uint32_t instance;
static int mode;
static size_t depth;
static int64_t clock_offset;		/* added to CUPTI's times when no timestamp callback took */
static uint64_t cupti_start, cupti_end; /* CUPTI's code, whose frames a walk drops */
static _Atomic uint64_t dropped_total, lost_total;
static pthread_key_t thr_key;
/* The global-dynamic TLS model, not the preloaded agents' initial-exec: the driver dlopens this
 * library, and static TLS left over for dlopened libraries is small (a failed dlopen would lose
 * the whole trace); the first access of a thread may allocate, which the callbacks allow. */
static __thread struct cthr *self;
static __thread int busy;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t CUPTIAPI timestamp_cb(void)
{
	return now_ns();
}

static void thr_end(void *p)
{
	struct cthr *t = p;
	if (!t)
		return;
	self = NULL;
	sc_shm_close(&t->w);
	sc_shm_pages_free(t, sizeof(*t));
}

static struct cthr *thr_get(void)
{
	if (self || !active)
		return self;
	struct cthr *t = sc_shm_pages(sizeof(*t));
	if (!t)
		return NULL;
	t->stack_hi = sc_shm_stack_top();
	t->pid = (uint32_t)getpid();
	t->tid = (uint32_t)syscall(SYS_gettid);
	sc_lu_cache_reset(&t->cache);
	sc_shm_claim(&t->w, t->pid, t->tid, instance);
	if (!t->w.ring)
		atomic_fetch_add((_Atomic uint64_t *)&sc_shm_hdr->lost_no_ring, 1);
	pthread_setspecific(thr_key, t);
	self = t;
	return t;
}

/* Room for a record of `size` bytes; with `wait`, up to WAIT_LIMIT_MS for scorch to drain. A wait
 * that ran out means scorch is not draining (gone, or stopped): no record waits after it, so a
 * program whose scorch died is not held WAIT_LIMIT_MS per record at its exit. */
static void *room(struct cthr *t, uint32_t size, bool wait)
{
	static _Atomic bool gave_up;
	void *at = sc_shm_reserve(&t->w, size);
	int i = 0;
	for (; !at && wait && t->w.ring && !atomic_load(&gave_up) && i < WAIT_LIMIT_MS; i++) {
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
		at = sc_shm_reserve(&t->w, size);
	}
	if (!at && i == WAIT_LIMIT_MS)
		atomic_store(&gave_up, true);
	if (!at)
		atomic_fetch_add(&lost_total, 1);
	return at;
}

static uint32_t padded(size_t bytes)
{
	return (uint32_t)((bytes + 7) & ~(size_t)7);
}

static size_t str_len(const char *s, size_t max)
{
	size_t n = 0;
	while (s && n < max && s[n])
		n++;
	return n;
}

/* Copies `len` bytes of s and a NUL, zero-padded to `room` bytes. */
static void put_str(char *to, const char *s, size_t len, size_t room_bytes)
{
	if (len)
		memcpy(to, s, len);
	memset(to + len, 0, room_bytes - len);
}

static void status(uint32_t what, uint64_t value, const char *text)
{
	struct cthr *t = thr_get();
	if (!t)
		return;
	size_t len = str_len(text, 1000);
	uint32_t size = padded(sizeof(sc_agent_rec) + sizeof(sc_agent_gpu_status) + len + 1);
	sc_agent_rec *rec = room(t, size, true);
	if (!rec)
		return;
	sc_agent_gpu_status *s = (sc_agent_gpu_status *)(rec + 1);
	rec->type = SC_AGENT_REC_GPU_STATUS;
	rec->reserved = 0;
	rec->size = size;
	s->time = now_ns();
	s->value = value;
	s->what = what;
	s->len = (uint32_t)len;
	put_str((char *)(s + 1), text, len, size - sizeof(*rec) - sizeof(*s));
	sc_shm_publish(&t->w, size);
}

static void cupti_error(const char *call, CUptiResult r)
{
	const char *str = NULL;
	if (p_cuptiGetResultString)
		p_cuptiGetResultString(r, &str);
	char text[512];
	snprintf(text, sizeof(text), "%s: %s", call, str ? str : "unknown CUPTI error");
	status(SC_AGENT_GPU_CUPTI_ERROR, (uint64_t)r, text);
}

/* Whether an API function launches GPU work (its stack is walked at the entry). */
static bool launches(const char *name)
{
	if (!name)
		return false;
	if (name[0] != 'c' || name[1] != 'u')
		return false;
	name += name[2] == 'd' && name[3] == 'a' ? 4 : 2;
	return !strncmp(name, "Launch", 6) || !strncmp(name, "Memcpy", 6) ||
	       !strncmp(name, "Memset", 6) || !strncmp(name, "GraphLaunch", 11);
}

static int drop_cupti(uint64_t *pcs, int n)
{
	int kept = 0;
	for (int i = 0; i < n; i++)
		if (pcs[i] < cupti_start || pcs[i] >= cupti_end)
			pcs[kept++] = pcs[i];
	return kept ? kept : (n ? 1 : 0);
}

static void write_stack(struct cthr *t, uint32_t correlation)
{
	uint32_t n = t->npcs;
	if (!n)
		return; /* no frame at all: the kernel's site is unknown */
	/* Launches in a loop: the frames of the stream's previous GPU_STACK, by reference. */
	bool same = n && n == t->nlast && !memcmp(t->pcs, t->last, 8u * n);
	if (same)
		n = 0;
	for (uint32_t i = 0; i < n; i++)
		sc_shm_module_of(&t->w, t->pcs[i]);
	uint32_t size = (uint32_t)(sizeof(sc_agent_rec) + sizeof(sc_agent_gpu_stack) + 8u * n);
	sc_agent_rec *rec = room(t, size, false);
	if (!rec) {
		t->nlast = 0; /* the reader may lack it: the next one whole */
		return;
	}
	sc_agent_gpu_stack *s = (sc_agent_gpu_stack *)(rec + 1);
	rec->type = SC_AGENT_REC_GPU_STACK;
	rec->reserved = 0;
	rec->size = size;
	s->correlation = correlation;
	s->nframes = n;
	memcpy(s + 1, t->pcs, 8u * n);
	sc_shm_publish(&t->w, size);
	if (!same) {
		memcpy(t->last, t->pcs, 8u * n);
		t->nlast = n;
	}
}

/* The stack of the launching call, from the callback's own frame: this library's frames and
 * CUPTI's are dropped, so it starts at the API function the program called (or the driver's
 * code under it). */
static __attribute__((noinline)) void walk(struct cthr *t)
{
	sc_lu_regs r;
	sc_lu_capture(&r);
	int stop;
	int n = sc_lu_unwind(&r, t->stack_hi, mode, &t->cache, t->pcs, MAX_DEPTH + 8, &stop);
	if (n < 0)
		n = 0;
	n = sc_shm_drop_own(t->pcs, n);
	n = drop_cupti(t->pcs, n);
	/* The driver's (or runtime's) own frames under the API function: only the outermost of
	 * the innermost module's run is kept, the function the program called. */
	uint64_t ms, me;
	void *lm;
	if (n > 1 && sc_lu_module(t->pcs[0], &ms, &me, &lm) == 0) {
		int k = 1;
		while (k < n && t->pcs[k] >= ms && t->pcs[k] < me)
			k++;
		if (k > 1) {
			memmove(t->pcs, t->pcs + k - 1, 8u * (size_t)(n - k + 1));
			n -= k - 1;
		}
	}
	/* Return addresses but the first frame's pc: the reader subtracts 1 from all alike, and a
	 * pc inside a function stays inside it. */
	if ((size_t)n > depth)
		n = (int)depth;
	t->npcs = (uint32_t)n;
}

static void on_api(struct cthr *t, CUpti_CallbackDomain domain, CUpti_CallbackId cbid,
		   const CUpti_CallbackData *cb)
{
	if (cb->callbackSite == CUPTI_API_ENTER) {
		uint32_t d = t->nopen++;
		if (launches(cb->functionName)) {
			/* A driver call inside a runtime call that launched: the same stack. */
			if (!(t->launch_depth && t->launch_depth <= d)) {
				walk(t);
				t->launch_depth = d + 1;
			}
			write_stack(t, cb->correlationId);
		}
		if (d < MAX_OPEN)
			t->open[d] = (struct open_call){
			    .start = now_ns(),
			    .correlation = cb->correlationId,
			    .cbid = cbid,
			    .domain = domain == CUPTI_CB_DOMAIN_RUNTIME_API ? SC_AGENT_GPU_RUNTIME
									    : SC_AGENT_GPU_DRIVER,
			    .name = cb->functionName};
		return;
	}
	if (!t->nopen)
		return; /* entered before the subscription */
	uint32_t d = --t->nopen;
	if (t->launch_depth > d)
		t->launch_depth = 0;
	if (d >= MAX_OPEN)
		return;
	struct open_call *o = &t->open[d];
	uint64_t end = now_ns();
	size_t len = str_len(o->name, 200);
	uint32_t size = padded(sizeof(sc_agent_rec) + sizeof(sc_agent_gpu_api) + len + 1);
	sc_agent_rec *rec = room(t, size, false);
	if (!rec)
		return;
	sc_agent_gpu_api *a = (sc_agent_gpu_api *)(rec + 1);
	rec->type = SC_AGENT_REC_GPU_API;
	rec->reserved = 0;
	rec->size = size;
	a->start = o->start;
	a->end = end;
	a->correlation = o->correlation;
	a->cbid = o->cbid;
	a->domain = o->domain;
	a->depth = d;
	put_str((char *)(a + 1), o->name, len, size - sizeof(*rec) - sizeof(*a));
	sc_shm_publish(&t->w, size);
}

static void CUPTIAPI api_cb(void *userdata, CUpti_CallbackDomain domain, CUpti_CallbackId cbid,
			    const void *data)
{
	(void)userdata;
	if (busy || (domain != CUPTI_CB_DOMAIN_DRIVER_API && domain != CUPTI_CB_DOMAIN_RUNTIME_API))
		return;
	busy = 1;
	struct cthr *t = thr_get();
	if (t)
		on_api(t, domain, cbid, data);
	busy = 0;
}

static void CUPTIAPI buffer_requested(uint8_t **buffer, size_t *size, size_t *max_records)
{
	*buffer = sc_shm_pages(BUFFER_BYTES);
	*size = *buffer ? BUFFER_BYTES : 0;
	*max_records = 0;
}

static uint64_t t_of(uint64_t cupti_ns)
{
	return cupti_ns ? (uint64_t)((int64_t)cupti_ns + clock_offset) : 0;
}

static void put_kernel(struct cthr *t, const CUpti_ActivityKernel10 *k)
{
	size_t len = str_len(k->name, MAX_NAME);
	uint32_t size = padded(sizeof(sc_agent_rec) + sizeof(sc_agent_gpu_kernel) + len + 1);
	sc_agent_rec *rec = room(t, size, true);
	if (!rec)
		return;
	sc_agent_gpu_kernel *g = (sc_agent_gpu_kernel *)(rec + 1);
	rec->type = SC_AGENT_REC_GPU_KERNEL;
	rec->reserved = 0;
	rec->size = size;
	*g = (sc_agent_gpu_kernel){.start = t_of(k->start),
				   .end = t_of(k->end),
				   .device = k->deviceId,
				   .context = k->contextId,
				   .stream = k->streamId,
				   .correlation = k->correlationId,
				   .grid = {k->gridX, k->gridY, k->gridZ},
				   .block = {k->blockX, k->blockY, k->blockZ},
				   .static_shared = (uint32_t)k->staticSharedMemory,
				   .dynamic_shared = (uint32_t)k->dynamicSharedMemory,
				   .registers = k->registersPerThread,
				   .name_len = (uint32_t)len};
	put_str((char *)(g + 1), k->name, len, size - sizeof(*rec) - sizeof(*g));
	sc_shm_publish(&t->w, size);
}

static void put_copy(struct cthr *t, const sc_agent_gpu_copy *c)
{
	uint32_t size = sizeof(sc_agent_rec) + sizeof(sc_agent_gpu_copy);
	sc_agent_rec *rec = room(t, size, true);
	if (!rec)
		return;
	rec->type = SC_AGENT_REC_GPU_COPY;
	rec->reserved = 0;
	rec->size = size;
	memcpy(rec + 1, c, sizeof(*c));
	sc_shm_publish(&t->w, size);
}

static void put_sync(struct cthr *t, const CUpti_ActivitySynchronization2 *s)
{
	uint32_t size = sizeof(sc_agent_rec) + sizeof(sc_agent_gpu_sync);
	sc_agent_rec *rec = room(t, size, true);
	if (!rec)
		return;
	sc_agent_gpu_sync *g = (sc_agent_gpu_sync *)(rec + 1);
	rec->type = SC_AGENT_REC_GPU_SYNC;
	rec->reserved = 0;
	rec->size = size;
	*g = (sc_agent_gpu_sync){.start = t_of(s->start),
				 .end = t_of(s->end),
				 .type = (uint32_t)s->type,
				 .context = s->contextId,
				 .stream = s->streamId,
				 .correlation = s->correlationId};
	sc_shm_publish(&t->w, size);
}

static void put_activity(struct cthr *t, const CUpti_Activity *a)
{
	switch (a->kind) {
	case CUPTI_ACTIVITY_KIND_KERNEL:
	case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
		put_kernel(t, (const CUpti_ActivityKernel10 *)a);
		break;
	case CUPTI_ACTIVITY_KIND_MEMCPY: {
		const CUpti_ActivityMemcpy6 *m = (const CUpti_ActivityMemcpy6 *)a;
		sc_agent_gpu_copy c = {.start = t_of(m->start),
				       .end = t_of(m->end),
				       .bytes = m->bytes,
				       .device = m->deviceId,
				       .context = m->contextId,
				       .stream = m->streamId,
				       .correlation = m->correlationId,
				       .op = SC_AGENT_GPU_MEMCPY,
				       .kind = m->copyKind,
				       .src = m->srcKind,
				       .dst = m->dstKind};
		put_copy(t, &c);
		break;
	}
	case CUPTI_ACTIVITY_KIND_MEMSET: {
		const CUpti_ActivityMemset4 *m = (const CUpti_ActivityMemset4 *)a;
		sc_agent_gpu_copy c = {.start = t_of(m->start),
				       .end = t_of(m->end),
				       .bytes = m->bytes,
				       .device = m->deviceId,
				       .context = m->contextId,
				       .stream = m->streamId,
				       .correlation = m->correlationId,
				       .op = SC_AGENT_GPU_MEMSET,
				       .dst = (uint8_t)m->memoryKind,
				       .value = m->value};
		put_copy(t, &c);
		break;
	}
	case CUPTI_ACTIVITY_KIND_SYNCHRONIZATION:
		put_sync(t, (const CUpti_ActivitySynchronization2 *)a);
		break;
	default:
		break;
	}
}

static void CUPTIAPI buffer_completed(CUcontext ctx, uint32_t stream, uint8_t *buffer, size_t size,
				      size_t valid)
{
	int was_busy = busy; /* the flush at exit calls it on its own thread, busy */
	busy = 1;
	struct cthr *t = thr_get();
	CUpti_Activity *a = NULL;
	while (t && valid && p_cuptiActivityGetNextRecord(buffer, valid, &a) == CUPTI_SUCCESS)
		put_activity(t, a);
	size_t dropped = 0;
	if (p_cuptiActivityGetNumDroppedRecords(ctx, stream, &dropped) == CUPTI_SUCCESS && dropped)
		atomic_fetch_add(&dropped_total, dropped);
	(void)size;
	sc_shm_pages_free(buffer, BUFFER_BYTES);
	busy = was_busy;
}

static void at_exit(void)
{
	if (!active)
		return;
	busy = 1;
	CUptiResult r = p_cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
	if (r != CUPTI_SUCCESS)
		cupti_error("cuptiActivityFlushAll", r);
	uint64_t d = atomic_load(&dropped_total);
	if (d)
		status(SC_AGENT_GPU_DROPPED, d, "activity records dropped by CUPTI");
	uint64_t l = atomic_load(&lost_total);
	if (l)
		status(SC_AGENT_GPU_LOST, l, "records not written: a full ring");
	status(SC_AGENT_GPU_FLUSHED, 0, "");
	busy = 0;
}

static void after_fork_child(void)
{
	active = false; /* CUDA does not survive a fork: the child records nothing */
	self = NULL;
}

/* Loads CUPTI; false (with a NO_CUPTI status) when no library or a function is missing. */
static bool load_cupti(void)
{
	const char *env = getenv("SCORCH_CUPTI_LIB");
	const char *tries[] = {"libcupti.so.13",
			       "libcupti.so",
			       "/usr/local/cuda/lib64/libcupti.so.13",
			       "/usr/local/cuda/lib64/libcupti.so",
			       "/usr/local/cuda/extras/CUPTI/lib64/libcupti.so.13",
			       "/usr/local/cuda/extras/CUPTI/lib64/libcupti.so"};
	size_t ntries = sizeof(tries) / sizeof(tries[0]);
	if (env && *env) {
		tries[0] = env;
		ntries = 1;
	}
	void *h = NULL;
	char why[512] = "";
	for (size_t i = 0; i < ntries && !h; i++) {
		h = dlopen(tries[i], RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			const char *e = dlerror();
			snprintf(why, sizeof(why), "%s", e ? e : tries[i]);
		}
	}
	if (!h) {
		char text[900];
		snprintf(text, sizeof(text), "%s%s (last error: %s)",
			 env && *env ? "SCORCH_CUPTI_LIB=" : "",
			 env && *env ? env
				     : "libcupti.so.13, libcupti.so, /usr/local/cuda/lib64, "
				       "/usr/local/cuda/extras/CUPTI/lib64",
			 why);
		status(SC_AGENT_GPU_NO_CUPTI, 0, text);
		return false;
	}
	const char *missing = NULL;
#define LOAD(f)                                                                                    \
	if (!(p_##f = (__typeof__(&f))dlsym(h, #f)) && !missing)                                   \
		missing = #f;
	CUPTI_FUNCS(LOAD)
#undef LOAD
#define LOAD_OPT(f) p_##f = (__typeof__(&f))dlsym(h, #f);
	CUPTI_OPTIONAL(LOAD_OPT)
#undef LOAD_OPT
	if (missing) {
		char text[600];
		snprintf(text, sizeof(text), "the CUPTI library has no %s", missing);
		status(SC_AGENT_GPU_NO_CUPTI, 0, text);
		return false;
	}
	void *lm;
	if (sc_lu_module((uint64_t)(uintptr_t)p_cuptiSubscribe, &cupti_start, &cupti_end, &lm) < 0)
		cupti_start = cupti_end = 0;
	return true;
}

/* Calls CUPTI's function f (through p_f) with the arguments that follow; names it on failure. */
#define CHECK(f, ...)                                                                              \
	do {                                                                                       \
		CUptiResult r_ = p_##f(__VA_ARGS__);                                               \
		if (r_ != CUPTI_SUCCESS) {                                                         \
			cupti_error(#f, r_);                                                       \
			goto fail;                                                                 \
		}                                                                                  \
	} while (0)

/* Maps the file scorch names: SCORCH_CUPTI_FILE (scorch record --gpu, whose own agents have
 * SCORCH_AGENT_FILE) or SCORCH_AGENT_FILE (scorch gpu). */
static bool map_file(void)
{
	const char *path = getenv("SCORCH_CUPTI_FILE");
	if (!path || !*path)
		return sc_shm_map();
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = sc_shm_map_fd(fd);
	close(fd);
	return ok && sc_shm_hdr->max_depth; /* the launch stacks need a depth */
}

EXPORT int InitializeInjection(void);
EXPORT int InitializeInjection(void)
{
	static _Atomic int once;
	if (atomic_exchange(&once, 1))
		return 1;
	if (!map_file())
		return 1; /* not under scorch: nothing to record into */
	uint32_t pid = (uint32_t)getpid();
	if ((sc_shm_hdr->flags & SC_AGENT_NO_INHERIT) && sc_shm_hdr->root_pid &&
	    pid != sc_shm_hdr->root_pid)
		return 1;
	busy = 1;
	int r = sc_lu_init();
	mode = (int)sc_shm_hdr->unwind;
	if (r < 0)
		mode = SC_AGENT_UNWIND_FP;
	depth = sc_shm_hdr->max_depth < MAX_DEPTH ? sc_shm_hdr->max_depth : MAX_DEPTH;
	instance = sc_shm_process((const void *)InitializeInjection);
	sc_shm_close_stale(pid);
	if (pthread_key_create(&thr_key, thr_end) != 0) {
		sc_shm_error("libscorch-cupti: pthread_key_create failed in process %u", pid);
		busy = 0;
		return 1;
	}
	active = true;
	if (!load_cupti())
		goto fail;
	CUpti_SubscriberHandle sub;
	CHECK(cuptiSubscribe, &sub, api_cb, NULL);
	CHECK(cuptiEnableDomain, 1, sub, CUPTI_CB_DOMAIN_DRIVER_API);
	CHECK(cuptiEnableDomain, 1, sub, CUPTI_CB_DOMAIN_RUNTIME_API);
	clock_offset = 0;
	if (!p_cuptiActivityRegisterTimestampCallback ||
	    p_cuptiActivityRegisterTimestampCallback(timestamp_cb) != CUPTI_SUCCESS) {
		uint64_t c = 0;
		uint64_t before = now_ns();
		if (p_cuptiGetTimestamp(&c) == CUPTI_SUCCESS && c) {
			uint64_t after = now_ns();
			clock_offset = (int64_t)(before / 2 + after / 2) - (int64_t)c;
		}
	}
	CHECK(cuptiActivityRegisterCallbacks, buffer_requested, buffer_completed);
	CHECK(cuptiActivityEnable, CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
	CHECK(cuptiActivityEnable, CUPTI_ACTIVITY_KIND_MEMCPY);
	CHECK(cuptiActivityEnable, CUPTI_ACTIVITY_KIND_MEMSET);
	CHECK(cuptiActivityEnable, CUPTI_ACTIVITY_KIND_SYNCHRONIZATION);
	if (p_cuptiActivityFlushPeriod)
		p_cuptiActivityFlushPeriod(FLUSH_MS);
	uint32_t version = 0;
	if (p_cuptiGetVersion)
		p_cuptiGetVersion(&version);
	status(SC_AGENT_GPU_STARTED, version, "CUPTI loaded");
	pthread_atfork(NULL, NULL, after_fork_child);
	atexit(at_exit);
	busy = 0;
	return 1;
fail:
	active = false;
	busy = 0;
	return 1;
}
