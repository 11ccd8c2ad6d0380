/*
 * record_gpu.h: `scorch record --gpu`, the NVML metrics of every GPU sampled beside the CPU
 * samples (gpu/sampler.h: a thread of scorch's own, every 100 ms), on the same clock
 * (CLOCK_MONOTONIC), so that a stall of the GPU lines up with what the CPU was doing.
 *
 * Writes, into the recording's folder: metrics.csv and gpu.svg (as `scorch gpu` does), the main
 * metrics on flamegraph.html's timeline (below the threads), and the counters in trace.json (the
 * CPU profile's Chrome timeline, with --trace's spans when both are asked: sc_record_gpu_more is
 * then chained after them). Without NVML it says so in one line and the recording goes on. The
 * command's processes are scorch's descendants (a command it starts); attached to running processes
 * (-p, -t, -a) the process metrics are absent. Prints its errors and its one-line summary ("scorch
 * record: --gpu: ..."). Internal to src/cli/.
 */
#ifndef SC_CLI_RECORD_GPU_H
#define SC_CLI_RECORD_GPU_H

#include <stdbool.h>
#include <stddef.h>

#include "gpu/metrics.h"
#include "gpu/nvml.h"
#include "gpu/sampler.h"
#include "profile/profile.h"
#include "session/outdir.h"
#include "util/strbuf.h"

typedef struct sc_record_gpu {
	sc_nvml *nvml; /* NULL: no NVML (said), nothing to do */
	sc_gpu_sampler *sampler;
	sc_gpu_series series;
	bool stopped;
	struct sc_cupti_side *cupti; /* the kernel trace (gpu/cupti/side.h), NULL: none */
} sc_record_gpu;

/* Before the recording; `children`: the command is scorch's child (process metrics count
 * scorch's descendants). 0 (also without NVML), or -1 after saying what failed. */
int sc_record_gpu_start(sc_record_gpu *g, bool children);
/* After it: the last sample, NVML's errors on standard error, and the main metrics (utilization,
 * SM activity, memory used in MiB, power in W) added to `p` as counters (profile.h:
 * flamegraph.html's timeline draws them below the threads; profile.pb.gz does not keep them).
 * 0 or -1 after saying what failed. */
int sc_record_gpu_stop(sc_record_gpu *g, sc_profile *p, bool exited);
/* The counters as Chrome trace events (chrome.h's `more`; ctx: the sc_record_gpu). */
int sc_record_gpu_more(void *ctx, sc_strbuf *out, size_t *nevents);
/* metrics.csv, gpu.svg, and trace.json unless `trace_written` (--trace wrote it, with the
 * counters); the summary line unless quiet. `p`, `type`, `name`: the CPU profile's timeline, as
 * record_trace.h's. 0 or -1 after saying what failed. */
int sc_record_gpu_write(sc_record_gpu *g, const sc_outdir *dir, const sc_profile *p, int type,
			const char *name, bool trace_written, bool quiet);
void sc_record_gpu_release(sc_record_gpu *g);

#endif
