/*
 * nvml.c: loading NVML with dlopen and reading a device's metrics. See nvml.h; the types are
 * ours (nvml_api.h), written from NVIDIA's API reference.
 *
 * A versioned entry point that answers FUNCTION_NOT_FOUND or ARGUMENT_VERSION_MISMATCH is
 * replaced by the next older one the library has, for the rest of the run (older()).
 *
 * Per device we keep which metrics answered NOT_SUPPORTED (never asked again), the GPM sample
 * buffers (two, swapped: the metrics come from the previous and the current one), and the
 * timestamp of the last process-utilization sample seen (NVML returns the samples newer than
 * the one passed).
 */
#include "gpu/nvml.h"

#include "gpu/nvml_api.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The functions we look up: the required ones first. Each slot holds the first of its names
 * the library exports; `used` says which one (for the fallback's callers). */
enum fn {
	F_INIT,
	F_SHUTDOWN,
	F_COUNT,
	F_HANDLE,
	F_REQUIRED_END = F_HANDLE,
	F_ERRSTR,
	F_NAME,
	F_UUID,
	F_UTIL,
	F_MEM,
	F_POWER,
	F_ENERGY,
	F_CLOCK,
	F_TEMP,
	F_PCIE,
	F_PROCS,
	F_PROCUTIL,
	F_GPM_SUPPORT,
	F_GPM_ALLOC,
	F_GPM_FREE,
	F_GPM_GET,
	F_GPM_METRICS,
	F_N
};

/* Names, newest first, NULL-terminated. */
static const char *const fn_names[F_N][4] = {
    [F_INIT] = {"nvmlInit_v2", "nvmlInit"},
    [F_SHUTDOWN] = {"nvmlShutdown"},
    [F_COUNT] = {"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"},
    [F_HANDLE] = {"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"},
    [F_ERRSTR] = {"nvmlErrorString"},
    [F_NAME] = {"nvmlDeviceGetName"},
    [F_UUID] = {"nvmlDeviceGetUUID"},
    [F_UTIL] = {"nvmlDeviceGetUtilizationRates"},
    [F_MEM] = {"nvmlDeviceGetMemoryInfo_v2", "nvmlDeviceGetMemoryInfo"},
    [F_POWER] = {"nvmlDeviceGetPowerUsage"},
    [F_ENERGY] = {"nvmlDeviceGetTotalEnergyConsumption"},
    [F_CLOCK] = {"nvmlDeviceGetClockInfo"},
    [F_TEMP] = {"nvmlDeviceGetTemperature"},
    [F_PCIE] = {"nvmlDeviceGetPcieThroughput"},
    [F_PROCS] = {"nvmlDeviceGetComputeRunningProcesses_v3",
		 "nvmlDeviceGetComputeRunningProcesses_v2", "nvmlDeviceGetComputeRunningProcesses"},
    [F_PROCUTIL] = {"nvmlDeviceGetProcessUtilization"},
    [F_GPM_SUPPORT] = {"nvmlGpmQueryDeviceSupport"},
    [F_GPM_ALLOC] = {"nvmlGpmSampleAlloc"},
    [F_GPM_FREE] = {"nvmlGpmSampleFree"},
    [F_GPM_GET] = {"nvmlGpmSampleGet"},
    [F_GPM_METRICS] = {"nvmlGpmMetricsGet"},
};

/* What a device may lack (NOT_SUPPORTED), one bit each. */
enum {
	U_UTIL = 1 << 0,
	U_MEM = 1 << 1,
	U_POWER = 1 << 2,
	U_ENERGY = 1 << 3,
	U_CLOCK_SM = 1 << 4,
	U_CLOCK_MEM = 1 << 5,
	U_TEMP = 1 << 6,
	U_PCIE_TX = 1 << 7,
	U_PCIE_RX = 1 << 8,
	U_PROCS = 1 << 9,
	U_PROCUTIL = 1 << 10,
	U_GPM = 1 << 11,
};

struct dev {
	nvmlDevice_t h;
	unsigned unsupported;
	nvmlGpmSample_t gpm[2]; /* gpm[prev] holds the previous sample once have_prev */
	int prev;
	bool gpm_on, have_prev;
	unsigned long long last_seen; /* process utilization: the newest timestamp seen */
};

struct sc_nvml {
	void *lib;
	void *fn[F_N];
	int used[F_N]; /* which name of fn_names each slot got */
	SC_VEC(sc_gpu_device) infos;
	struct dev *devs;
	bool noted[F_N]; /* per function: an error of it named already */
	SC_VEC(char *) notes;
	nvmlProcessInfo_t *procs; /* scratch, nprocs entries */
	unsigned nprocs;
	nvmlProcessUtilizationSample_t *usamples;
	unsigned nusamples;
	bool nomem;
};

#define CALL(n, f, type) ((type)(n)->fn[f])

static void note(sc_nvml *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(sc_nvml *n, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	char *s = strdup(buf);
	if (!s || sc_vec_push(&n->notes, s) < 0) {
		free(s);
		n->nomem = true;
	}
}

static const char *errstr(const sc_nvml *n, nvmlReturn_t r)
{
	const char *s = n->fn[F_ERRSTR] ? CALL(n, F_ERRSTR, nvmlErrorString_fn)(r) : NULL;
	return s ? s : "unknown error";
}

/* An error of function `f` on device `dev`: named once per function. */
static void failed(sc_nvml *n, enum fn f, size_t dev, nvmlReturn_t r)
{
	if (n->noted[f])
		return;
	n->noted[f] = true;
	note(n, "%s (GPU %zu): %s (NVML error %d); the metric is missing where it failed",
	     fn_names[f][n->used[f]], dev, errstr(n, r), r);
}

/* The outcome of a call for metric bit `u`: true when it gave a value. */
static bool ok(sc_nvml *n, enum fn f, size_t i, unsigned u, nvmlReturn_t r)
{
	if (r == NVML_SUCCESS)
		return true;
	if (r == NVML_ERROR_NOT_SUPPORTED)
		n->devs[i].unsupported |= u;
	else
		failed(n, f, i, r);
	return false;
}

/* A versioned entry point that answers as if it did not know its own argument (a library whose
 * newest symbol is a stub, a struct version it does not take): the next older name, for good
 * when the library has one. True when there is one to retry with. */
static bool older(sc_nvml *n, enum fn f, nvmlReturn_t r)
{
	if (r != NVML_ERROR_FUNCTION_NOT_FOUND && r != NVML_ERROR_ARGUMENT_VERSION_MISMATCH)
		return false;
	for (int k = n->used[f] + 1; k < 4 && fn_names[f][k]; k++) {
		void *p = dlsym(n->lib, fn_names[f][k]);
		if (p) {
			n->fn[f] = p;
			n->used[f] = k;
			return true;
		}
	}
	return false;
}

static void put(sc_gpu_sample *s, enum sc_gpu_metric m, double v)
{
	s->v[m] = v;
	s->have |= 1u << m;
}

static void lookup(sc_nvml *n)
{
	for (int f = 0; f < F_N; f++)
		for (int k = 0; fn_names[f][k]; k++) {
			dlerror();
			void *p = dlsym(n->lib, fn_names[f][k]);
			if (p) {
				n->fn[f] = p;
				n->used[f] = k;
				break;
			}
		}
}

/* One line naming the optional functions the library lacks. */
static void note_missing(sc_nvml *n)
{
	char buf[400];
	size_t used = 0;
	int missing = 0;
	for (int f = F_REQUIRED_END + 1; f < F_N; f++) {
		if (n->fn[f])
			continue;
		int w = snprintf(buf + used, sizeof(buf) - used, "%s%s", missing ? ", " : "",
				 fn_names[f][0]);
		if (w > 0 && (size_t)w < sizeof(buf) - used)
			used += (size_t)w;
		missing++;
	}
	if (missing)
		note(n, "%s lacks %s: %s off", SC_NVML_LIB, buf,
		     missing > 1 ? "the metrics they give are" : "the metric it gives is");
}

static void gpm_setup(sc_nvml *n, size_t i)
{
	struct dev *d = &n->devs[i];
	if (!n->fn[F_GPM_SUPPORT] || !n->fn[F_GPM_ALLOC] || !n->fn[F_GPM_FREE] ||
	    !n->fn[F_GPM_GET] || !n->fn[F_GPM_METRICS])
		return;
	nvmlGpmSupport_t sup = {.version = NVML_GPM_SUPPORT_VERSION};
	nvmlReturn_t r = CALL(n, F_GPM_SUPPORT, nvmlGpmQueryDeviceSupport_fn)(d->h, &sup);
	if (r != NVML_SUCCESS) {
		if (r != NVML_ERROR_NOT_SUPPORTED)
			failed(n, F_GPM_SUPPORT, i, r);
		return;
	}
	if (!sup.isSupportedDevice)
		return;
	for (int k = 0; k < 2; k++) {
		r = CALL(n, F_GPM_ALLOC, nvmlGpmSampleAlloc_fn)(&d->gpm[k]);
		if (r != NVML_SUCCESS) {
			failed(n, F_GPM_ALLOC, i, r);
			return;
		}
	}
	d->gpm_on = true;
}

int sc_nvml_open(sc_nvml **out, char *err, size_t errsize)
{
	*out = NULL;
	const char *path = getenv(SC_NVML_LIB_ENV);
	if (!path || !*path)
		path = SC_NVML_LIB;
	sc_nvml *n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errsize, "out of memory");
		return -ENOMEM;
	}
	int ret;
	n->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!n->lib) {
		const char *why = dlerror();
		snprintf(err, errsize, "%s: %s", path, why ? why : "cannot be loaded");
		ret = -ENOENT;
		goto fail;
	}
	lookup(n);
	for (int f = 0; f <= F_REQUIRED_END; f++)
		if (!n->fn[f]) {
			snprintf(err, errsize, "%s has no %s", path, fn_names[f][0]);
			ret = -ENOSYS;
			goto fail_lib;
		}
	nvmlReturn_t r = CALL(n, F_INIT, nvmlInit_fn)();
	if (r != NVML_SUCCESS) {
		snprintf(err, errsize, "%s failed: %s (NVML error %d)",
			 fn_names[F_INIT][n->used[F_INIT]], errstr(n, r), r);
		ret = -EIO;
		goto fail_lib;
	}
	unsigned count = 0;
	r = CALL(n, F_COUNT, nvmlDeviceGetCount_fn)(&count);
	if (r != NVML_SUCCESS) {
		snprintf(err, errsize, "%s failed: %s (NVML error %d)",
			 fn_names[F_COUNT][n->used[F_COUNT]], errstr(n, r), r);
		ret = -EIO;
		goto fail_init;
	}
	note_missing(n);
	n->devs = calloc(count ? count : 1, sizeof(*n->devs));
	if (!n->devs || sc_vec_reserve(&n->infos, count ? count : 1) < 0) {
		snprintf(err, errsize, "out of memory");
		ret = -ENOMEM;
		goto fail_init;
	}
	for (unsigned i = 0; i < count; i++) {
		struct dev *d = &n->devs[n->infos.len];
		r = CALL(n, F_HANDLE, nvmlDeviceGetHandleByIndex_fn)(i, &d->h);
		if (r != NVML_SUCCESS) {
			/* A device we may not see (permissions, a lost GPU): the others are. */
			failed(n, F_HANDLE, i, r);
			continue;
		}
		sc_gpu_device info = {.index = i};
		if (!n->fn[F_NAME] ||
		    CALL(n, F_NAME, nvmlDeviceGetString_fn)(d->h, info.name, sizeof(info.name)))
			snprintf(info.name, sizeof(info.name), "GPU %u", i);
		if (!n->fn[F_UUID] ||
		    CALL(n, F_UUID, nvmlDeviceGetString_fn)(d->h, info.uuid, sizeof(info.uuid)))
			info.uuid[0] = 0;
		info.name[sizeof(info.name) - 1] = info.uuid[sizeof(info.uuid) - 1] = 0;
		n->infos.data[n->infos.len++] = info;
		gpm_setup(n, n->infos.len - 1);
	}
	*out = n;
	return 0;
fail_init:
	CALL(n, F_SHUTDOWN, nvmlShutdown_fn)();
fail_lib:
	dlclose(n->lib);
	n->lib = NULL;
fail:
	sc_nvml_close(n);
	return ret;
}

void sc_nvml_close(sc_nvml *n)
{
	if (!n)
		return;
	if (n->lib) {
		for (size_t i = 0; i < n->infos.len; i++)
			for (int k = 0; k < 2; k++)
				if (n->devs[i].gpm[k])
					CALL(n, F_GPM_FREE, nvmlGpmSampleFree_fn)
		(n->devs[i].gpm[k]);
		CALL(n, F_SHUTDOWN, nvmlShutdown_fn)();
		dlclose(n->lib);
	}
	for (size_t i = 0; i < n->notes.len; i++)
		free(n->notes.data[i]);
	sc_vec_release(&n->notes);
	sc_vec_release(&n->infos);
	free(n->devs);
	free(n->procs);
	free(n->usamples);
	free(n);
}

size_t sc_nvml_ndevices(const sc_nvml *n)
{
	return n->infos.len;
}

const sc_gpu_device *sc_nvml_device(const sc_nvml *n, size_t i)
{
	return &n->infos.data[i];
}

static void sample_memory(sc_nvml *n, size_t i, sc_gpu_sample *s)
{
	struct dev *d = &n->devs[i];
	if (!n->fn[F_MEM] || d->unsupported & U_MEM)
		return;
	nvmlReturn_t r;
	unsigned long long total, used;
	if (n->used[F_MEM] == 0) {
		nvmlMemory_v2_t m = {.version = nvmlMemory_v2};
		r = CALL(n, F_MEM, nvmlDeviceGetMemoryInfo_v2_fn)(d->h, &m);
		total = m.total;
		used = m.used;
		if (r != NVML_SUCCESS && older(n, F_MEM, r)) {
			sample_memory(n, i, s);
			return;
		}
	} else {
		nvmlMemory_t m = {0};
		r = CALL(n, F_MEM, nvmlDeviceGetMemoryInfo_fn)(d->h, &m);
		total = m.total;
		used = m.used;
	}
	if (ok(n, F_MEM, i, U_MEM, r)) {
		put(s, SC_GPU_MEM_USED, (double)used);
		put(s, SC_GPU_MEM_TOTAL, (double)total);
	}
}

static void sample_uint(sc_nvml *n, size_t i, enum fn f, unsigned u, enum sc_gpu_metric m,
			sc_gpu_sample *s)
{
	struct dev *d = &n->devs[i];
	if (!n->fn[f] || d->unsupported & u)
		return;
	unsigned v = 0;
	if (ok(n, f, i, u, CALL(n, f, nvmlDeviceGetUint_fn)(d->h, &v)))
		put(s, m, v);
}

static void sample_kind(sc_nvml *n, size_t i, enum fn f, int kind, unsigned u, enum sc_gpu_metric m,
			sc_gpu_sample *s)
{
	struct dev *d = &n->devs[i];
	if (!n->fn[f] || d->unsupported & u)
		return;
	unsigned v = 0;
	if (ok(n, f, i, u, CALL(n, f, nvmlDeviceGetKindUint_fn)(d->h, kind, &v)))
		put(s, m, v);
}

static void sample_gpm(sc_nvml *n, size_t i, sc_gpu_sample *s)
{
	struct dev *d = &n->devs[i];
	if (!d->gpm_on || d->unsupported & U_GPM)
		return;
	int cur = d->have_prev ? !d->prev : d->prev;
	nvmlReturn_t r = CALL(n, F_GPM_GET, nvmlGpmSampleGet_fn)(d->h, d->gpm[cur]);
	if (!ok(n, F_GPM_GET, i, U_GPM, r)) {
		d->have_prev = false;
		return;
	}
	if (d->have_prev) {
		nvmlGpmMetricsGet_t *mg = calloc(1, sizeof(*mg));
		if (!mg) {
			n->nomem = true;
			return;
		}
		mg->version = NVML_GPM_METRICS_GET_VERSION;
		mg->numMetrics = 1;
		mg->sample1 = d->gpm[d->prev];
		mg->sample2 = d->gpm[cur];
		mg->metrics[0].metricId = NVML_GPM_METRIC_SM_UTIL;
		r = CALL(n, F_GPM_METRICS, nvmlGpmMetricsGet_fn)(mg);
		if (ok(n, F_GPM_METRICS, i, U_GPM, r)) {
			if (mg->metrics[0].nvmlReturn == NVML_SUCCESS)
				put(s, SC_GPU_SM_ACTIVE, mg->metrics[0].value);
			else
				ok(n, F_GPM_METRICS, i, U_GPM, mg->metrics[0].nvmlReturn);
		}
		free(mg);
	}
	d->prev = cur;
	d->have_prev = true;
}

/* The compute processes on device i: used memory summed over those `mine` accepts. */
static void sample_procs(sc_nvml *n, size_t i, sc_nvml_pid_fn mine, void *ctx, sc_gpu_sample *s)
{
	struct dev *d = &n->devs[i];
	if (!n->fn[F_PROCS] || d->unsupported & U_PROCS)
		return;
	bool v1 = n->used[F_PROCS] == 2;
	size_t each = v1 ? sizeof(nvmlProcessInfo_v1_t) : sizeof(nvmlProcessInfo_t);
	nvmlReturn_t r = NVML_ERROR_INSUFFICIENT_SIZE;
	unsigned count = 0;
	for (int tries = 0; tries < 3 && r == NVML_ERROR_INSUFFICIENT_SIZE; tries++) {
		if (tries && count > n->nprocs) {
			/* nvmlProcessInfo_t is the larger layout: room for either. */
			void *p = realloc(n->procs, (count + 16) * sizeof(nvmlProcessInfo_t));
			if (!p) {
				n->nomem = true;
				return;
			}
			n->procs = p;
			n->nprocs = count + 16;
		}
		count = n->nprocs;
		r = CALL(n, F_PROCS, nvmlDeviceGetComputeRunningProcesses_fn)(d->h, &count,
									      n->procs);
	}
	if (r != NVML_SUCCESS && r != NVML_ERROR_INSUFFICIENT_SIZE && older(n, F_PROCS, r)) {
		sample_procs(n, i, mine, ctx, s);
		return;
	}
	if (!ok(n, F_PROCS, i, U_PROCS, r))
		return;
	double used = 0;
	for (unsigned k = 0; k < count && k < n->nprocs; k++) {
		const char *p = (const char *)n->procs + k * each;
		unsigned pid;
		unsigned long long mem;
		if (v1) {
			const nvmlProcessInfo_v1_t *e = (const void *)p;
			pid = e->pid;
			mem = e->usedGpuMemory;
		} else {
			const nvmlProcessInfo_t *e = (const void *)p;
			pid = e->pid;
			mem = e->usedGpuMemory;
		}
		if (mem != NVML_VALUE_NOT_AVAILABLE && mine(ctx, pid))
			used += (double)mem;
	}
	put(s, SC_GPU_PROC_MEM, used);
}

/* Per-process SM utilization: the newest sample of each process `mine` accepts, summed. */
static void sample_procutil(sc_nvml *n, size_t i, sc_nvml_pid_fn mine, void *ctx, sc_gpu_sample *s)
{
	struct dev *d = &n->devs[i];
	if (!n->fn[F_PROCUTIL] || d->unsupported & U_PROCUTIL)
		return;
	nvmlDeviceGetProcessUtilization_fn get =
	    CALL(n, F_PROCUTIL, nvmlDeviceGetProcessUtilization_fn);
	unsigned count = 0;
	nvmlReturn_t r = get(d->h, NULL, &count, d->last_seen);
	if (r == NVML_ERROR_NOT_FOUND) {
		put(s, SC_GPU_PROC_UTIL, 0); /* no process ran since the last sample */
		return;
	}
	if (r != NVML_SUCCESS && r != NVML_ERROR_INSUFFICIENT_SIZE) {
		ok(n, F_PROCUTIL, i, U_PROCUTIL, r);
		return;
	}
	if (count > n->nusamples) {
		void *p = realloc(n->usamples, (count + 16) * sizeof(*n->usamples));
		if (!p) {
			n->nomem = true;
			return;
		}
		n->usamples = p;
		n->nusamples = count + 16;
	}
	count = n->nusamples;
	r = get(d->h, n->usamples, &count, d->last_seen);
	if (r == NVML_ERROR_NOT_FOUND) {
		put(s, SC_GPU_PROC_UTIL, 0);
		return;
	}
	if (!ok(n, F_PROCUTIL, i, U_PROCUTIL, r))
		return;
	/* Several samples of one process may come back: its newest counts. */
	double sum = 0;
	unsigned long long newest = d->last_seen;
	for (unsigned k = 0; k < count && k < n->nusamples; k++) {
		const nvmlProcessUtilizationSample_t *e = &n->usamples[k];
		if (e->timeStamp > newest)
			newest = e->timeStamp;
		bool later = false;
		for (unsigned j = 0; j < count && j < n->nusamples; j++)
			if (j != k && n->usamples[j].pid == e->pid &&
			    (n->usamples[j].timeStamp > e->timeStamp ||
			     (n->usamples[j].timeStamp == e->timeStamp && j > k)))
				later = true;
		if (!later && mine(ctx, e->pid))
			sum += e->smUtil;
	}
	d->last_seen = newest;
	put(s, SC_GPU_PROC_UTIL, sum);
}

int sc_nvml_sample(sc_nvml *n, size_t i, sc_nvml_pid_fn mine, void *ctx, sc_gpu_sample *s)
{
	struct dev *d = &n->devs[i];
	s->have = 0;
	if (n->fn[F_UTIL] && !(d->unsupported & U_UTIL)) {
		nvmlUtilization_t u = {0};
		nvmlReturn_t r = CALL(n, F_UTIL, nvmlDeviceGetUtilizationRates_fn)(d->h, &u);
		if (ok(n, F_UTIL, i, U_UTIL, r)) {
			put(s, SC_GPU_UTIL, u.gpu);
			put(s, SC_GPU_MEM_UTIL, u.memory);
		}
	}
	sample_gpm(n, i, s);
	sample_memory(n, i, s);
	sample_uint(n, i, F_POWER, U_POWER, SC_GPU_POWER, s);
	if (n->fn[F_ENERGY] && !(d->unsupported & U_ENERGY)) {
		unsigned long long mj = 0;
		nvmlReturn_t r = CALL(n, F_ENERGY, nvmlDeviceGetUll_fn)(d->h, &mj);
		if (ok(n, F_ENERGY, i, U_ENERGY, r))
			put(s, SC_GPU_ENERGY, (double)mj);
	}
	sample_kind(n, i, F_CLOCK, NVML_CLOCK_SM, U_CLOCK_SM, SC_GPU_CLOCK_SM, s);
	sample_kind(n, i, F_CLOCK, NVML_CLOCK_MEM, U_CLOCK_MEM, SC_GPU_CLOCK_MEM, s);
	sample_kind(n, i, F_TEMP, NVML_TEMPERATURE_GPU, U_TEMP, SC_GPU_TEMP, s);
	sample_kind(n, i, F_PCIE, NVML_PCIE_UTIL_TX_BYTES, U_PCIE_TX, SC_GPU_PCIE_TX, s);
	sample_kind(n, i, F_PCIE, NVML_PCIE_UTIL_RX_BYTES, U_PCIE_RX, SC_GPU_PCIE_RX, s);
	if (mine) {
		sample_procs(n, i, mine, ctx, s);
		sample_procutil(n, i, mine, ctx, s);
	}
	if (n->nomem) {
		n->nomem = false;
		return -ENOMEM;
	}
	return 0;
}

int sc_nvml_take_notes(sc_nvml *n, sc_gpu_series *into)
{
	int ret = sc_vec_reserve(&into->notes, n->notes.len);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n->notes.len; i++)
		into->notes.data[into->notes.len++] = n->notes.data[i];
	n->notes.len = 0;
	return 0;
}
