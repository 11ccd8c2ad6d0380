/*
 * nvml.h: NVIDIA's management library (libnvidia-ml.so.1), loaded with dlopen, read one device
 * at a time into a sample (metrics.h).
 *
 * Loading: dlopen of $SCORCH_NVML_LIB when set (tests, unusual installs), else of
 * "libnvidia-ml.so.1" (the driver's; no NVML header or library is needed to build scorch). Each
 * function is looked up newest entry point first: nvmlInit_v2 then nvmlInit,
 * nvmlDeviceGetCount_v2 then nvmlDeviceGetCount, nvmlDeviceGetHandleByIndex_v2 then the plain
 * one, nvmlDeviceGetMemoryInfo_v2 then nvmlDeviceGetMemoryInfo,
 * nvmlDeviceGetComputeRunningProcesses_v3, _v2, then the plain one (the v1 layout). Init, count
 * and handle are required; every other function is optional: one the library lacks makes its
 * metric absent, and is named once in the notes.
 *
 * Sampling: a function that answers NVML_ERROR_NOT_SUPPORTED makes its metric absent on that
 * device from then on, silently (the device does not have it); any other error is named once
 * per function in the notes (with nvmlErrorString when the library has it) and the metric is
 * absent from that sample. GPM's SM activity needs two GPM samples: the first sample of a
 * device that supports GPM has none.
 *
 * Not thread-safe: one thread samples (sampler.c), the notes are read after it stopped.
 */
#ifndef SC_GPU_NVML_H
#define SC_GPU_NVML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gpu/metrics.h"

#define SC_NVML_LIB_ENV "SCORCH_NVML_LIB"
#define SC_NVML_LIB	"libnvidia-ml.so.1"

typedef struct sc_nvml sc_nvml;

/* Loads and initializes NVML and lists its devices. 0, or: -ENOENT (no library: err names
 * it), -ENOSYS (a required function missing: err names it), -EIO (nvmlInit or the devices'
 * listing failed: err says NVML's error), -ENOMEM. */
int sc_nvml_open(sc_nvml **out, char *err, size_t errsize);
/* nvmlShutdown, dlclose. NULL is fine. */
void sc_nvml_close(sc_nvml *n);

/* The devices NVML lists (those whose handle it gave), in its order. */
size_t sc_nvml_ndevices(const sc_nvml *n);
const sc_gpu_device *sc_nvml_device(const sc_nvml *n, size_t i);

/* Whether a pid belongs to the command (the sampler's process tree). */
typedef bool (*sc_nvml_pid_fn)(void *ctx, uint32_t pid);

/* Samples device `i` into *s (time and dev set by the caller): every metric it gives. Process
 * metrics (SC_GPU_PROC_*) count the processes `mine` accepts; with `mine` NULL they are absent.
 * Errors go to the notes. -ENOMEM only. */
int sc_nvml_sample(sc_nvml *n, size_t i, sc_nvml_pid_fn mine, void *ctx, sc_gpu_sample *s);

/* Moves the notes gathered so far (malloc'ed lines) to the end of `notes`. 0 or -ENOMEM. */
int sc_nvml_take_notes(sc_nvml *n, sc_gpu_series *into);

#endif
