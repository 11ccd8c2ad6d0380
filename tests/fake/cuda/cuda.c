/*
 * cuda.c: a stand-in libcuda.so.1 for the tests (there is no GPU nor driver on the machines that
 * run them), built against the real cuda.h, and the state the stand-in libcupti.so (cupti.c)
 * shares with it through the scfake_* functions.
 *
 * What the real driver does that matters to libscorch-cupti.so: cuInit loads the library named
 * in CUDA_INJECTION64_PATH and calls its InitializeInjection; each API function below fires the
 * subscribed CUPTI callback (driver domain) at its entry and exit on the calling thread, with a
 * correlation id; work sent to a stream (kernels, copies, memsets) becomes an activity record of
 * the real CUPTI structure (CUpti_ActivityKernel10, Memcpy6, Memset4; Synchronization2 for
 * cuCtxSynchronize and cuStreamSynchronize), queued until CUPTI hands buffers over.
 *
 * The GPU is a script (the file named by SCORCH_FAKE_CUDA), one directive a line, '#' comments:
 *
 *     kernel NAME NS [REGS [STATIC_SHARED]]   a launch of NAME takes NS ns on the GPU
 *     copy htod|dtoh|dtod|memset NS           a copy (memset) of that kind takes NS ns
 *     dropped N                               CUPTI says N records were dropped (once)
 *     subscribe CODE                          cuptiSubscribe fails with CUptiResult CODE
 *                                             (39: MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED)
 *     no_timestamp_callback                   cuptiActivityRegisterTimestampCallback fails
 *
 * Time: work on a stream starts when the stream is free (or now) and lasts its scripted time,
 * so durations are exact; the clock is the timestamp callback CUPTI was given (CLOCK_MONOTONIC
 * through libscorch-cupti.so), else a clock 1000 s ahead of CLOCK_MONOTONIC (cuptiGetTimestamp).
 * Streams: the NULL stream is 7, created streams 13, 14, ... (as the real driver numbers them).
 * Queued records are handed over at cuptiActivityFlushAll and, once a flush period was set, at
 * the end of each synchronization call (the real CUPTI's worker hands completed buffers over
 * periodically; here it happens at a point the tests can count on).
 */
#include <cuda.h>
#include <cupti.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))

struct kdef {
	char name[128];
	uint64_t ns;
	uint32_t regs, shared;
};

static struct {
	pthread_mutex_t lock;
	struct kdef kernels[32];
	size_t nkernels;
	uint64_t copy_ns[4]; /* htod, dtoh, dtod, memset */
	uint64_t dropped;
	int subscribe_result;
	int no_ts_cb;
	CUpti_CallbackFunc cb;
	void *cb_data;
	int domains[CUPTI_CB_DOMAIN_SIZE];
	int kinds[64];
	CUpti_BuffersCallbackRequestFunc req;
	CUpti_BuffersCallbackCompleteFunc done;
	CUpti_TimestampCallbackFunc ts;
	uint32_t flush_period;
	uint32_t correlation;
	uint32_t next_stream;
	uint64_t stream_free[64]; /* by stream id */
	unsigned char *queue;
	size_t queued, cap;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER, .next_stream = 13};

struct fake_fn {
	const struct kdef *k;
};
struct fake_stream {
	uint32_t id;
};

static uint64_t mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

EXPORT uint64_t scfake_now(void)
{
	return g.ts ? g.ts() : mono() + 1000000000000ull;
}

static void load_script(void)
{
	const char *path = getenv("SCORCH_FAKE_CUDA");
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		char w[64], name[128];
		unsigned long long a = 0, b = 0, c = 0;
		if (sscanf(line, "%63s", w) != 1 || w[0] == '#')
			continue;
		if (!strcmp(w, "kernel") && g.nkernels < 32 &&
		    sscanf(line, "%*s %127s %llu %llu %llu", name, &a, &b, &c) >= 2) {
			struct kdef *k = &g.kernels[g.nkernels++];
			snprintf(k->name, sizeof(k->name), "%s", name);
			k->ns = a;
			k->regs = (uint32_t)b;
			k->shared = (uint32_t)c;
		} else if (!strcmp(w, "copy") && sscanf(line, "%*s %127s %llu", name, &a) == 2) {
			int i = !strcmp(name, "htod")	? 0
				: !strcmp(name, "dtoh") ? 1
				: !strcmp(name, "dtod") ? 2
							: 3;
			g.copy_ns[i] = a;
		} else if (!strcmp(w, "dropped") && sscanf(line, "%*s %llu", &a) == 1) {
			g.dropped = a;
		} else if (!strcmp(w, "subscribe") && sscanf(line, "%*s %llu", &a) == 1) {
			g.subscribe_result = (int)a;
		} else if (!strcmp(w, "no_timestamp_callback")) {
			g.no_ts_cb = 1;
		}
	}
	fclose(f);
}

/* --- what the stand-in CUPTI calls (cupti.c) --- */

EXPORT int scfake_subscribe(CUpti_CallbackFunc cb, void *data)
{
	if (g.subscribe_result)
		return g.subscribe_result;
	g.cb = cb;
	g.cb_data = data;
	return 0;
}

EXPORT void scfake_enable_domain(int domain, int on)
{
	if (domain >= 0 && domain < CUPTI_CB_DOMAIN_SIZE)
		g.domains[domain] = on;
}

EXPORT void scfake_enable_kind(int kind)
{
	if (kind >= 0 && kind < 64)
		g.kinds[kind] = 1;
}

EXPORT void scfake_buffers(CUpti_BuffersCallbackRequestFunc req,
			   CUpti_BuffersCallbackCompleteFunc done)
{
	g.req = req;
	g.done = done;
}

EXPORT int scfake_timestamp_callback(CUpti_TimestampCallbackFunc ts)
{
	if (g.no_ts_cb)
		return 1;
	g.ts = ts;
	return 0;
}

EXPORT void scfake_flush_period(uint32_t ms)
{
	g.flush_period = ms;
}

EXPORT uint64_t scfake_take_dropped(void)
{
	uint64_t d = g.dropped;
	g.dropped = 0;
	return d;
}

/* The size of an activity record of `kind` as queued. */
EXPORT size_t scfake_record_size(int kind)
{
	switch (kind) {
	case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
		return sizeof(CUpti_ActivityKernel10);
	case CUPTI_ACTIVITY_KIND_MEMCPY:
		return sizeof(CUpti_ActivityMemcpy6);
	case CUPTI_ACTIVITY_KIND_MEMSET:
		return sizeof(CUpti_ActivityMemset4);
	case CUPTI_ACTIVITY_KIND_SYNCHRONIZATION:
		return sizeof(CUpti_ActivitySynchronization2);
	default:
		return 0;
	}
}

/* Hands the queued records over in buffers the library asks for. */
EXPORT void scfake_flush(void)
{
	pthread_mutex_lock(&g.lock);
	size_t at = 0;
	while (at < g.queued && g.req && g.done) {
		uint8_t *buf = NULL;
		size_t size = 0, max = 0;
		g.req(&buf, &size, &max);
		if (!buf)
			break;
		size_t valid = 0;
		while (at < g.queued) {
			const CUpti_Activity *a = (const CUpti_Activity *)(g.queue + at);
			size_t n = scfake_record_size(a->kind);
			if (valid + n > size)
				break;
			memcpy(buf + valid, a, n);
			valid += n;
			at += n;
		}
		pthread_mutex_unlock(&g.lock);
		g.done(NULL, 0, buf, size, valid);
		pthread_mutex_lock(&g.lock);
		if (!valid)
			break;
	}
	g.queued = 0;
	pthread_mutex_unlock(&g.lock);
}

static void enqueue(const void *rec, size_t n)
{
	pthread_mutex_lock(&g.lock);
	if (g.queued + n > g.cap) {
		size_t cap = g.cap ? g.cap * 2 : 65536;
		while (cap < g.queued + n)
			cap *= 2;
		unsigned char *q = realloc(g.queue, cap);
		if (!q) {
			pthread_mutex_unlock(&g.lock);
			return;
		}
		g.queue = q;
		g.cap = cap;
	}
	memcpy(g.queue + g.queued, rec, n);
	g.queued += n;
	pthread_mutex_unlock(&g.lock);
}

/* --- the driver API --- */

struct call {
	CUpti_CallbackData d;
	CUpti_CallbackId cbid;
};

/* Not inlined, as the real driver's internals: frames of the driver under the API function
 * that libscorch-cupti.so must leave out of the launch stacks. */
static __attribute__((noinline)) void api(struct call *c, CUpti_ApiCallbackSite site)
{
	c->d.callbackSite = site;
	if (g.cb && g.domains[CUPTI_CB_DOMAIN_DRIVER_API])
		g.cb(g.cb_data, CUPTI_CB_DOMAIN_DRIVER_API, c->cbid, &c->d);
}

static __attribute__((noinline)) void enter(struct call *c, CUpti_CallbackId cbid, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->cbid = cbid;
	c->d.functionName = name;
	c->d.correlationId = __atomic_add_fetch(&g.correlation, 1, __ATOMIC_RELAXED);
	api(c, CUPTI_API_ENTER);
}

static uint32_t stream_id(CUstream s)
{
	return s ? ((struct fake_stream *)s)->id : 7;
}

/* Places `ns` of work on stream `id`: [start, end) on the GPU clock. */
static void place(uint32_t id, uint64_t ns, uint64_t *start, uint64_t *end)
{
	uint64_t now = scfake_now();
	pthread_mutex_lock(&g.lock);
	uint64_t *free_at = &g.stream_free[id % 64];
	*start = *free_at > now ? *free_at : now;
	*end = *start + ns;
	*free_at = *end;
	pthread_mutex_unlock(&g.lock);
}

EXPORT CUresult CUDAAPI cuInit(unsigned int flags)
{
	(void)flags;
	static int done;
	if (done++)
		return CUDA_SUCCESS;
	load_script();
	const char *inj = getenv("CUDA_INJECTION64_PATH");
	if (inj && *inj) {
		void *h = dlopen(inj, RTLD_NOW | RTLD_LOCAL);
		int (*init)(void) = h ? (int (*)(void))dlsym(h, "InitializeInjection") : NULL;
		if (!init) {
			fprintf(stderr, "fake libcuda: cannot load %s: %s\n", inj, dlerror());
			return CUDA_ERROR_UNKNOWN;
		}
		init();
	}
	return CUDA_SUCCESS;
}

EXPORT CUresult CUDAAPI cuDeviceGet(CUdevice *device, int ordinal)
{
	*device = ordinal;
	return CUDA_SUCCESS;
}

EXPORT CUresult CUDAAPI cuCtxCreate(CUcontext *pctx, CUctxCreateParams *params, unsigned int flags,
				    CUdevice dev)
{
	(void)params;
	(void)flags;
	(void)dev;
	static int ctx;
	*pctx = (CUcontext)&ctx;
	return CUDA_SUCCESS;
}

EXPORT CUresult CUDAAPI cuModuleLoad(CUmodule *module, const char *fname)
{
	(void)fname;
	static int mod;
	*module = (CUmodule)&mod;
	return CUDA_SUCCESS;
}

EXPORT CUresult CUDAAPI cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name)
{
	(void)hmod;
	for (size_t i = 0; i < g.nkernels; i++)
		if (!strcmp(g.kernels[i].name, name)) {
			struct fake_fn *f = malloc(sizeof(*f));
			if (!f)
				return CUDA_ERROR_OUT_OF_MEMORY;
			f->k = &g.kernels[i];
			*hfunc = (CUfunction)f;
			return CUDA_SUCCESS;
		}
	return CUDA_ERROR_NOT_FOUND;
}

EXPORT CUresult CUDAAPI cuStreamCreate(CUstream *s, unsigned int flags)
{
	(void)flags;
	struct call c;
	enter(&c, CUPTI_DRIVER_TRACE_CBID_cuStreamCreate, "cuStreamCreate");
	struct fake_stream *fs = malloc(sizeof(*fs));
	if (fs)
		fs->id = __atomic_fetch_add(&g.next_stream, 1, __ATOMIC_RELAXED);
	*s = (CUstream)fs;
	api(&c, CUPTI_API_EXIT);
	return fs ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}

EXPORT CUresult CUDAAPI cuMemAlloc(CUdeviceptr *dptr, size_t bytes)
{
	struct call c;
	enter(&c, CUPTI_DRIVER_TRACE_CBID_cuMemAlloc_v2, "cuMemAlloc_v2");
	static uint64_t next = 0x700000000000ull;
	*dptr = (CUdeviceptr)next;
	next += (bytes + 4095) & ~(uint64_t)4095;
	api(&c, CUPTI_API_EXIT);
	return CUDA_SUCCESS;
}

EXPORT CUresult CUDAAPI cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy,
				       unsigned int gz, unsigned int bx, unsigned int by,
				       unsigned int bz, unsigned int shared, CUstream s,
				       void **params, void **extra)
{
	(void)params;
	(void)extra;
	struct call c;
	enter(&c, CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel, "cuLaunchKernel");
	const struct kdef *k = ((struct fake_fn *)f)->k;
	if (g.kinds[CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL]) {
		CUpti_ActivityKernel10 r;
		memset(&r, 0, sizeof(r));
		r.kind = CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL;
		r.streamId = stream_id(s);
		place(r.streamId, k->ns, &r.start, &r.end);
		r.completed = r.end;
		r.deviceId = 0;
		r.contextId = 1;
		r.gridX = (int32_t)gx;
		r.gridY = (int32_t)gy;
		r.gridZ = (int32_t)gz;
		r.blockX = (int32_t)bx;
		r.blockY = (int32_t)by;
		r.blockZ = (int32_t)bz;
		r.registersPerThread = (uint16_t)k->regs;
		r.staticSharedMemory = (int32_t)k->shared;
		r.dynamicSharedMemory = (int32_t)shared;
		r.correlationId = c.d.correlationId;
		r.name = k->name;
		enqueue(&r, sizeof(r));
	}
	api(&c, CUPTI_API_EXIT);
	return CUDA_SUCCESS;
}

static void copy(struct call *c, int which, uint8_t kind, size_t bytes, CUstream s)
{
	if (!g.kinds[CUPTI_ACTIVITY_KIND_MEMCPY])
		return;
	CUpti_ActivityMemcpy6 r;
	memset(&r, 0, sizeof(r));
	r.kind = CUPTI_ACTIVITY_KIND_MEMCPY;
	r.copyKind = kind;
	r.srcKind =
	    which == 0 ? CUPTI_ACTIVITY_MEMORY_KIND_PAGEABLE : CUPTI_ACTIVITY_MEMORY_KIND_DEVICE;
	r.dstKind =
	    which == 1 ? CUPTI_ACTIVITY_MEMORY_KIND_PAGEABLE : CUPTI_ACTIVITY_MEMORY_KIND_DEVICE;
	r.bytes = bytes;
	r.streamId = stream_id(s);
	place(r.streamId, g.copy_ns[which], &r.start, &r.end);
	r.contextId = 1;
	r.correlationId = c->d.correlationId;
	enqueue(&r, sizeof(r));
}

EXPORT CUresult CUDAAPI cuMemcpyHtoD(CUdeviceptr dst, const void *src, size_t bytes)
{
	(void)dst;
	(void)src;
	struct call c;
	enter(&c, CUPTI_DRIVER_TRACE_CBID_cuMemcpyHtoD_v2, "cuMemcpyHtoD_v2");
	copy(&c, 0, CUPTI_ACTIVITY_MEMCPY_KIND_HTOD, bytes, NULL);
	api(&c, CUPTI_API_EXIT);
	return CUDA_SUCCESS;
}

EXPORT CUresult CUDAAPI cuMemcpyDtoH(void *dst, CUdeviceptr src, size_t bytes)
{
	(void)src;
	memset(dst, 0, bytes);
	struct call c;
	enter(&c, CUPTI_DRIVER_TRACE_CBID_cuMemcpyDtoH_v2, "cuMemcpyDtoH_v2");
	copy(&c, 1, CUPTI_ACTIVITY_MEMCPY_KIND_DTOH, bytes, NULL);
	api(&c, CUPTI_API_EXIT);
	return CUDA_SUCCESS;
}

EXPORT CUresult CUDAAPI cuMemsetD8(CUdeviceptr dst, unsigned char value, size_t n)
{
	(void)dst;
	struct call c;
	enter(&c, CUPTI_DRIVER_TRACE_CBID_cuMemsetD8_v2, "cuMemsetD8_v2");
	if (g.kinds[CUPTI_ACTIVITY_KIND_MEMSET]) {
		CUpti_ActivityMemset4 r;
		memset(&r, 0, sizeof(r));
		r.kind = CUPTI_ACTIVITY_KIND_MEMSET;
		r.value = value;
		r.bytes = n;
		r.streamId = 7;
		place(r.streamId, g.copy_ns[3], &r.start, &r.end);
		r.contextId = 1;
		r.correlationId = c.d.correlationId;
		r.memoryKind = CUPTI_ACTIVITY_MEMORY_KIND_DEVICE;
		enqueue(&r, sizeof(r));
	}
	api(&c, CUPTI_API_EXIT);
	return CUDA_SUCCESS;
}

static void sync_record(struct call *c, uint32_t type, uint32_t stream)
{
	if (!g.kinds[CUPTI_ACTIVITY_KIND_SYNCHRONIZATION])
		return;
	CUpti_ActivitySynchronization2 r;
	memset(&r, 0, sizeof(r));
	r.kind = CUPTI_ACTIVITY_KIND_SYNCHRONIZATION;
	r.type = type;
	r.start = scfake_now();
	uint64_t last = r.start;
	pthread_mutex_lock(&g.lock);
	for (size_t i = 0; i < 64; i++)
		if ((stream == UINT32_MAX || i == stream % 64) && g.stream_free[i] > last)
			last = g.stream_free[i];
	pthread_mutex_unlock(&g.lock);
	r.end = last;
	r.contextId = 1;
	r.streamId = stream;
	r.correlationId = c->d.correlationId;
	enqueue(&r, sizeof(r));
}

EXPORT CUresult CUDAAPI cuCtxSynchronize(void)
{
	struct call c;
	enter(&c, CUPTI_DRIVER_TRACE_CBID_cuCtxSynchronize, "cuCtxSynchronize");
	sync_record(&c, CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_CONTEXT_SYNCHRONIZE, UINT32_MAX);
	api(&c, CUPTI_API_EXIT);
	if (g.flush_period)
		scfake_flush();
	return CUDA_SUCCESS;
}

EXPORT CUresult CUDAAPI cuStreamSynchronize(CUstream s)
{
	struct call c;
	enter(&c, CUPTI_DRIVER_TRACE_CBID_cuStreamSynchronize, "cuStreamSynchronize");
	sync_record(&c, CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_STREAM_SYNCHRONIZE, stream_id(s));
	api(&c, CUPTI_API_EXIT);
	if (g.flush_period)
		scfake_flush();
	return CUDA_SUCCESS;
}
