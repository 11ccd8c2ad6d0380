/*
 * metrics.h: GPU metrics over a run, the model that the NVML sampler (nvml.h, sampler.h) fills
 * and the writers read: metrics.csv, gpu.svg, the counters of trace.json and the summary.
 *
 * A sample is one device at one time (CLOCK_MONOTONIC ns, the clock of scorch's other
 * recordings): a value per metric, and a bit per metric saying whether the device gave it (a
 * metric the device does not support is absent, not zero). Every metric is a number in the unit
 * of its row in sc_gpu_metric_infos; docs/gpu.md says what each one means and where it comes
 * from.
 *
 * Not here: reading NVML (nvml.c), the thread (sampler.c), the chart (gpu_svg.c) and the Chrome
 * trace (gpu_trace.c).
 */
#ifndef SC_GPU_METRICS_H
#define SC_GPU_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/vec.h"

enum sc_gpu_metric {
	SC_GPU_UTIL,	  /* % of the driver's last period with a kernel running */
	SC_GPU_MEM_UTIL,  /* % of the period with device memory read or written */
	SC_GPU_SM_ACTIVE, /* % of SMs busy (GPM: Hopper and newer) */
	SC_GPU_MEM_USED,  /* bytes */
	SC_GPU_MEM_TOTAL, /* bytes */
	SC_GPU_POWER,	  /* milliwatts */
	SC_GPU_ENERGY,	  /* millijoules since the driver was loaded */
	SC_GPU_CLOCK_SM,  /* MHz */
	SC_GPU_CLOCK_MEM, /* MHz */
	SC_GPU_TEMP,	  /* degrees C */
	SC_GPU_PCIE_TX,	  /* KB/s */
	SC_GPU_PCIE_RX,	  /* KB/s */
	SC_GPU_PROC_MEM,  /* bytes used by the command's processes */
	SC_GPU_PROC_UTIL, /* % of SM time of the command's processes (summed) */
	SC_GPU_NMETRICS
};

typedef struct sc_gpu_metric_info {
	const char *column; /* metrics.csv's column, e.g. "mem_used_bytes" */
	const char *label;  /* the summary's and the trace's, e.g. "memory used" */
	const char *unit;   /* "%", "B", "mW", "mJ", "MHz", "C", "KB/s" */
} sc_gpu_metric_info;

extern const sc_gpu_metric_info sc_gpu_metric_infos[SC_GPU_NMETRICS];

typedef struct sc_gpu_sample {
	uint64_t time; /* CLOCK_MONOTONIC ns */
	uint32_t dev;  /* index into the series' devices */
	uint32_t have; /* bit (1 << metric) for each metric given */
	double v[SC_GPU_NMETRICS];
} sc_gpu_sample;

typedef struct sc_gpu_device {
	unsigned index; /* NVML's */
	char name[96];
	char uuid[96];
} sc_gpu_device;

/* What a run collected. Owned by whoever filled it; sc_gpu_series_release frees. */
typedef struct sc_gpu_series {
	SC_VEC(sc_gpu_device) devices;
	SC_VEC(sc_gpu_sample) samples; /* in time order; per time, devices in order */
	uint64_t start, end;	       /* the sampler's first and last sample times */
	uint64_t interval;	       /* ns */
	SC_VEC(char *) notes;	       /* NVML's errors, each named once (malloc'ed lines) */
} sc_gpu_series;

void sc_gpu_series_release(sc_gpu_series *s);

/* Statistics of one metric of one device over the series (only the samples that have it). */
typedef struct sc_gpu_stat {
	size_t count;
	double min, max, mean, first, last;
} sc_gpu_stat;
void sc_gpu_stat_of(const sc_gpu_series *s, uint32_t dev, enum sc_gpu_metric m, sc_gpu_stat *out);

/* metrics.csv: a header line, then one row per sample: time_s (from s->start, 6 decimals),
 * device (NVML's index), name, uuid, then every metric's column in enum order, empty when
 * absent. 0 or -EIO. */
int sc_gpu_write_csv(const sc_gpu_series *s, FILE *f);

/* The summary: per device its samples, then min/mean/max of each metric it had, its memory at
 * the start, at the end and the difference, the energy used over the run. 0 or -EIO. */
int sc_gpu_write_summary(const sc_gpu_series *s, FILE *f);

/* gpu.svg: utilization, memory used and power over time, one chart per device (gpu_svg.c). 0,
 * -ENOMEM or -EIO. */
int sc_gpu_write_svg(const sc_gpu_series *s, FILE *f);

#endif
