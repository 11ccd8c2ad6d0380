/*
 * fake_nvml.c: a stand-in for NVIDIA's libnvidia-ml.so.1, with the same function names and
 * struct layouts (src/gpu/nvml_api.h) and values replayed from a script, so that the tests of
 * `scorch gpu` know exactly what every sample sees. There is no GPU on the machines that run
 * the tests.
 *
 * Built three times (meson.build): the current API (every entry point scorch looks up, the _v2
 * and _v3 ones included), -DFAKE_OLD_API (only the unversioned entry points, no GPM, no energy
 * counter: an old driver, so scorch must fall back), and -DFAKE_NO_COUNT (no
 * nvmlDeviceGetCount at all: a required function missing).
 *
 * The script is the file named by $SCORCH_FAKE_NVML, read by nvmlInit; one directive a line,
 * '#' starts a comment:
 *
 *     devices 1                       how many devices (default 1)
 *     name 0 Fake GPU A               device 0's name (default "Fake GPU N")
 *     uuid 0 GPU-fake-0               its UUID (default "GPU-fake-N")
 *     util 0 50                       utilization.gpu, percent     } one call of
 *     memutil 0 20                    utilization.memory, percent  } GetUtilizationRates
 *     mem 0 1073741824 3221225472     memory used, bytes (with memtotal: GetMemoryInfo)
 *     memtotal 0 8589934592           memory total, bytes
 *     power 0 150000                  mW
 *     energy 0 1000 2500              mJ (GetTotalEnergyConsumption)
 *     clock_sm 0 1500                 MHz          clock_mem 0 5000     MHz
 *     temp 0 60                       degrees C
 *     pcie_tx 0 100                   KB/s         pcie_rx 0 200        KB/s
 *     gpm 0 75                        GPM SM utilization, percent (the device supports GPM)
 *     procmem 0 104857600             each child process of the caller: its memory, bytes
 *     procutil 0 30                   each child process of the caller: its SM utilization
 *     foreign 0 1 4096                a process of someone else (pid 1) using 4096 bytes
 *     error nvmlDeviceGetPowerUsage 15    that function always returns that code
 *     error nvmlInit 9                    (a base name: nvmlInit_v2 and nvmlInit alike)
 *     error nvmlDeviceGetMemoryInfo_v2 25 (a versioned name: that version alone)
 *
 * A metric's values are returned by successive calls: the k-th call returns the k-th value and
 * the last one repeats. A metric the script does not give is NVML_ERROR_NOT_SUPPORTED on that
 * device. "Child processes of the caller" are read from /proc (their parent is the process that
 * loaded this library: scorch), so the command scorch runs is one.
 */
#include "gpu/nvml_api.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define MAXDEV 8
#define MAXVAL 64
#define EXPORT __attribute__((visibility("default")))

enum key {
	K_UTIL,
	K_MEMUTIL,
	K_MEM,
	K_MEMTOTAL,
	K_POWER,
	K_ENERGY,
	K_CLOCK_SM,
	K_CLOCK_MEM,
	K_TEMP,
	K_PCIE_TX,
	K_PCIE_RX,
	K_GPM,
	K_PROCMEM,
	K_PROCUTIL,
	K_N
};
static const char *const key_names[K_N] = {
    "util",	 "memutil", "mem",     "memtotal", "power", "energy",  "clock_sm",
    "clock_mem", "temp",    "pcie_tx", "pcie_rx",  "gpm",   "procmem", "procutil",
};

struct seq {
	double v[MAXVAL];
	int n, calls;
};

struct nvmlDevice_st {
	char name[96], uuid[96];
	struct seq seq[K_N];
	unsigned foreign_pid;
	unsigned long long foreign_mem;
};

static struct nvmlDevice_st devs[MAXDEV];
static unsigned ndevs = 1;
static struct {
	char fn[80];
	int code;
} errors[32];
static int nerrors;
static unsigned long long util_clock; /* process utilization timestamps, us */

/* The code the script sets for function `fn` (a name or its prefix before _v), or 0. */
static nvmlReturn_t scripted(const char *fn)
{
	for (int i = 0; i < nerrors; i++) {
		size_t n = strlen(errors[i].fn);
		if (!strncmp(fn, errors[i].fn, n) && (!fn[n] || !strncmp(fn + n, "_v", 2)))
			return errors[i].code;
	}
	return NVML_SUCCESS;
}

static void load(void)
{
	static int loaded;
	if (loaded++)
		return;
	for (unsigned d = 0; d < MAXDEV; d++) {
		snprintf(devs[d].name, sizeof(devs[d].name), "Fake GPU %u", d);
		snprintf(devs[d].uuid, sizeof(devs[d].uuid), "GPU-fake-%u", d);
	}
	const char *path = getenv("SCORCH_FAKE_NVML");
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		line[strcspn(line, "\r\n")] = 0;
		for (size_t n = strlen(line); n && (line[n - 1] == ' ' || line[n - 1] == '\t');)
			line[--n] = 0;
		char word[64];
		int used = 0;
		if (sscanf(line, "%63s %n", word, &used) != 1)
			continue;
		char *rest = line + used;
		if (!strcmp(word, "devices")) {
			ndevs = (unsigned)atoi(rest);
			if (ndevs > MAXDEV)
				ndevs = MAXDEV;
			continue;
		}
		if (!strcmp(word, "error")) {
			if (nerrors < 32 &&
			    sscanf(rest, "%79s %d", errors[nerrors].fn, &errors[nerrors].code) == 2)
				nerrors++;
			continue;
		}
		char *end;
		unsigned long d = strtoul(rest, &end, 10);
		if (end == rest || d >= MAXDEV)
			continue;
		rest = end + strspn(end, " \t");
		if (!strcmp(word, "name") || !strcmp(word, "uuid")) {
			char *dst = word[0] == 'n' ? devs[d].name : devs[d].uuid;
			snprintf(dst, 96, "%s", rest);
			continue;
		}
		if (!strcmp(word, "foreign")) {
			sscanf(rest, "%u %llu", &devs[d].foreign_pid, &devs[d].foreign_mem);
			continue;
		}
		for (int k = 0; k < K_N; k++) {
			if (strcmp(word, key_names[k]))
				continue;
			struct seq *s = &devs[d].seq[k];
			for (char *p = rest; s->n < MAXVAL;) {
				double v = strtod(p, &end);
				if (end == p)
					break;
				s->v[s->n++] = v;
				p = end;
			}
		}
	}
	fclose(f);
}

/* The next value of a device's metric: 0 and *ok false when the script has none. */
static double next(nvmlDevice_t dev, enum key k, int *ok)
{
	struct seq *s = &dev->seq[k];
	*ok = s->n > 0;
	if (!s->n)
		return 0;
	int i = s->calls < s->n ? s->calls : s->n - 1;
	s->calls++;
	return s->v[i];
}

/* The pids whose parent is the caller, up to `max`. */
static unsigned children(unsigned *pids, unsigned max)
{
	unsigned n = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	struct dirent *e;
	int me = getpid();
	while ((e = readdir(d)) && n < max) {
		char path[300], buf[512];
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = 0;
		char *p = strrchr(buf, ')'), state;
		int ppid;
		if (p && sscanf(p + 1, " %c %d", &state, &ppid) == 2 && ppid == me && state != 'Z')
			pids[n++] = (unsigned)atoi(e->d_name);
	}
	closedir(d);
	return n;
}

#define CHECK(fn)                                                                                  \
	do {                                                                                       \
		nvmlReturn_t r_ = scripted(fn);                                                    \
		if (r_)                                                                            \
			return r_;                                                                 \
	} while (0)

static nvmlReturn_t init(void)
{
	load();
	CHECK("nvmlInit");
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlInit(void)
{
	return init();
}

EXPORT nvmlReturn_t nvmlShutdown(void)
{
	return NVML_SUCCESS;
}

EXPORT const char *nvmlErrorString(nvmlReturn_t r)
{
	switch (r) {
	case NVML_SUCCESS:
		return "Success";
	case NVML_ERROR_NOT_SUPPORTED:
		return "Not Supported";
	case NVML_ERROR_NO_PERMISSION:
		return "Insufficient Permissions";
	case NVML_ERROR_DRIVER_NOT_LOADED:
		return "Driver Not Loaded";
	case NVML_ERROR_GPU_IS_LOST:
		return "GPU is lost";
	default:
		return "Unknown Error";
	}
}

#ifndef FAKE_NO_COUNT
EXPORT nvmlReturn_t nvmlDeviceGetCount(unsigned int *n)
{
	CHECK("nvmlDeviceGetCount");
	*n = ndevs;
	return NVML_SUCCESS;
}
#endif

EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int i, nvmlDevice_t *dev)
{
	CHECK("nvmlDeviceGetHandleByIndex");
	if (i >= ndevs)
		return NVML_ERROR_INVALID_ARGUMENT;
	*dev = &devs[i];
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t dev, char *buf, unsigned int len)
{
	snprintf(buf, len, "%s", dev->name);
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t dev, char *buf, unsigned int len)
{
	snprintf(buf, len, "%s", dev->uuid);
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t dev, nvmlUtilization_t *u)
{
	CHECK("nvmlDeviceGetUtilizationRates");
	int ok, ok2;
	u->gpu = (unsigned)next(dev, K_UTIL, &ok);
	u->memory = (unsigned)next(dev, K_MEMUTIL, &ok2);
	return ok ? NVML_SUCCESS : NVML_ERROR_NOT_SUPPORTED;
}

EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t dev, nvmlMemory_t *m)
{
	CHECK("nvmlDeviceGetMemoryInfo");
	int ok, ok2;
	m->used = (unsigned long long)next(dev, K_MEM, &ok);
	m->total = (unsigned long long)next(dev, K_MEMTOTAL, &ok2);
	m->free = m->total - m->used;
	return ok ? NVML_SUCCESS : NVML_ERROR_NOT_SUPPORTED;
}

static nvmlReturn_t uint_metric(nvmlDevice_t dev, enum key k, unsigned int *v)
{
	int ok;
	*v = (unsigned)next(dev, k, &ok);
	return ok ? NVML_SUCCESS : NVML_ERROR_NOT_SUPPORTED;
}

EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t dev, unsigned int *mw)
{
	CHECK("nvmlDeviceGetPowerUsage");
	return uint_metric(dev, K_POWER, mw);
}

EXPORT nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t dev, int type, unsigned int *mhz)
{
	CHECK("nvmlDeviceGetClockInfo");
	if (type == NVML_CLOCK_SM)
		return uint_metric(dev, K_CLOCK_SM, mhz);
	if (type == NVML_CLOCK_MEM)
		return uint_metric(dev, K_CLOCK_MEM, mhz);
	return NVML_ERROR_INVALID_ARGUMENT;
}

EXPORT nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t dev, int sensor, unsigned int *c)
{
	CHECK("nvmlDeviceGetTemperature");
	if (sensor != NVML_TEMPERATURE_GPU)
		return NVML_ERROR_INVALID_ARGUMENT;
	return uint_metric(dev, K_TEMP, c);
}

EXPORT nvmlReturn_t nvmlDeviceGetPcieThroughput(nvmlDevice_t dev, int counter, unsigned int *kbs)
{
	CHECK("nvmlDeviceGetPcieThroughput");
	if (counter == NVML_PCIE_UTIL_TX_BYTES)
		return uint_metric(dev, K_PCIE_TX, kbs);
	if (counter == NVML_PCIE_UTIL_RX_BYTES)
		return uint_metric(dev, K_PCIE_RX, kbs);
	return NVML_ERROR_INVALID_ARGUMENT;
}

/* The compute processes: the foreign one, then the caller's children; `each` bytes per entry
 * (the v1 layout or the current one). */
static nvmlReturn_t procs(nvmlDevice_t dev, unsigned int *count, void *infos, size_t each)
{
	unsigned pids[64];
	int ok;
	double mem = next(dev, K_PROCMEM, &ok);
	if (!ok)
		return NVML_ERROR_NOT_SUPPORTED;
	/* The foreign process first: a reader with the wrong entry size misses the children. */
	unsigned n = 0;
	if (dev->foreign_pid)
		pids[n++] = dev->foreign_pid;
	n += children(pids + n, 63);
	if (*count < n) {
		*count = n;
		return NVML_ERROR_INSUFFICIENT_SIZE;
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned long long m = pids[i] == dev->foreign_pid && dev->foreign_pid
					   ? dev->foreign_mem
					   : (unsigned long long)mem;
		char *e = (char *)infos + i * each;
		if (each == sizeof(nvmlProcessInfo_v1_t)) {
			nvmlProcessInfo_v1_t v = {.pid = pids[i], .usedGpuMemory = m};
			memcpy(e, &v, sizeof(v));
		} else {
			nvmlProcessInfo_t v = {.pid = pids[i], .usedGpuMemory = m};
			memcpy(e, &v, sizeof(v));
		}
	}
	*count = n;
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t dev, unsigned int *count,
							 nvmlProcessInfo_v1_t *infos)
{
	CHECK("nvmlDeviceGetComputeRunningProcesses");
	return procs(dev, count, infos, sizeof(nvmlProcessInfo_v1_t));
}

EXPORT nvmlReturn_t nvmlDeviceGetProcessUtilization(nvmlDevice_t dev,
						    nvmlProcessUtilizationSample_t *out,
						    unsigned int *count,
						    unsigned long long last_seen)
{
	CHECK("nvmlDeviceGetProcessUtilization");
	struct seq *s = &dev->seq[K_PROCUTIL];
	if (!s->n)
		return NVML_ERROR_NOT_SUPPORTED;
	unsigned pids[64];
	unsigned n = children(pids, 64);
	if (!n)
		return NVML_ERROR_NOT_FOUND;
	if (!out || *count < n) {
		*count = n;
		return NVML_ERROR_INSUFFICIENT_SIZE;
	}
	int ok;
	double v = next(dev, K_PROCUTIL, &ok);
	util_clock = util_clock > last_seen ? util_clock + 1 : last_seen + 1;
	for (unsigned i = 0; i < n; i++)
		out[i] = (nvmlProcessUtilizationSample_t){
		    .pid = pids[i], .timeStamp = util_clock, .smUtil = (unsigned)v};
	*count = n;
	return NVML_SUCCESS;
}

#ifndef FAKE_OLD_API
EXPORT nvmlReturn_t nvmlInit_v2(void)
{
	return init();
}

#ifndef FAKE_NO_COUNT
EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n)
{
	CHECK("nvmlDeviceGetCount");
	*n = ndevs;
	return NVML_SUCCESS;
}
#endif

EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *dev)
{
	return nvmlDeviceGetHandleByIndex(i, dev);
}

EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t dev, nvmlMemory_v2_t *m)
{
	CHECK("nvmlDeviceGetMemoryInfo_v2");
	if (m->version != nvmlMemory_v2)
		return NVML_ERROR_INVALID_ARGUMENT; /* NVML_ERROR_ARGUMENT_VERSION_MISMATCH */
	int ok, ok2;
	m->used = (unsigned long long)next(dev, K_MEM, &ok);
	m->total = (unsigned long long)next(dev, K_MEMTOTAL, &ok2);
	m->reserved = 0;
	m->free = m->total - m->used;
	return ok ? NVML_SUCCESS : NVML_ERROR_NOT_SUPPORTED;
}

EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t dev, unsigned int *count,
							    nvmlProcessInfo_t *infos)
{
	CHECK("nvmlDeviceGetComputeRunningProcesses_v3");
	return procs(dev, count, infos, sizeof(nvmlProcessInfo_t));
}

EXPORT nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t dev, unsigned long long *mj)
{
	CHECK("nvmlDeviceGetTotalEnergyConsumption");
	int ok;
	*mj = (unsigned long long)next(dev, K_ENERGY, &ok);
	return ok ? NVML_SUCCESS : NVML_ERROR_NOT_SUPPORTED;
}

struct nvmlGpmSample_st {
	unsigned long taken; /* when it was taken (a count of nvmlGpmSampleGet), 0: never */
};
static unsigned long gpm_clock;

EXPORT nvmlReturn_t nvmlGpmQueryDeviceSupport(nvmlDevice_t dev, nvmlGpmSupport_t *sup)
{
	CHECK("nvmlGpmQueryDeviceSupport");
	if (sup->version != NVML_GPM_SUPPORT_VERSION)
		return NVML_ERROR_INVALID_ARGUMENT;
	sup->isSupportedDevice = dev->seq[K_GPM].n > 0;
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlGpmSampleAlloc(nvmlGpmSample_t *s)
{
	*s = calloc(1, sizeof(**s));
	return *s ? NVML_SUCCESS : NVML_ERROR_UNKNOWN;
}

EXPORT nvmlReturn_t nvmlGpmSampleFree(nvmlGpmSample_t s)
{
	free(s);
	return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlGpmSampleGet(nvmlDevice_t dev, nvmlGpmSample_t s)
{
	(void)dev;
	CHECK("nvmlGpmSampleGet");
	s->taken = ++gpm_clock;
	return NVML_SUCCESS;
}

/* The GPM value of the device the samples were taken on: the fake has one GPM device at most
 * in a script, found as the first device with gpm values. */
EXPORT nvmlReturn_t nvmlGpmMetricsGet(nvmlGpmMetricsGet_t *mg)
{
	CHECK("nvmlGpmMetricsGet");
	/* Two samples, the second taken after the first (the interval is between them). */
	if (mg->version != NVML_GPM_METRICS_GET_VERSION || !mg->sample1 || !mg->sample2 ||
	    !mg->sample1->taken || mg->sample2->taken <= mg->sample1->taken)
		return NVML_ERROR_INVALID_ARGUMENT;
	nvmlDevice_t dev = NULL;
	for (unsigned d = 0; d < ndevs && !dev; d++)
		if (devs[d].seq[K_GPM].n)
			dev = &devs[d];
	for (unsigned i = 0; i < mg->numMetrics; i++) {
		int ok = 0;
		mg->metrics[i].value = mg->metrics[i].metricId == NVML_GPM_METRIC_SM_UTIL && dev
					   ? next(dev, K_GPM, &ok)
					   : 0;
		mg->metrics[i].nvmlReturn = ok ? NVML_SUCCESS : NVML_ERROR_NOT_SUPPORTED;
	}
	return NVML_SUCCESS;
}
#endif
