/*
 * record_gpu.c: `scorch record --gpu`. See record_gpu.h.
 */
#include "cli/record_gpu.h"

#include "cli/commands.h"
#include "formats/chrome.h"
#include "gpu/cupti/outputs.h"
#include "gpu/cupti/side.h"
#include "gpu/gpu_trace.h"
#include "util/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define INTERVAL_NS 100000000ull

int sc_record_gpu_start(sc_record_gpu *g, bool children)
{
	memset(g, 0, sizeof(*g));
	char err[512], note[PATH_MAX + 256];
	/* The kernel trace first: the command must find its environment. A running program read
	 * its environment long ago: attached, there is none. */
	int r = 0;
	note[0] = 0;
	if (children)
		r = sc_cupti_side_start(&g->cupti, NULL, note, sizeof(note), err, sizeof(err));
	else
		snprintf(note, sizeof(note),
			 "attached to running processes: no kernel trace (CUDA reads "
			 "CUDA_INJECTION64_PATH when a program starts)");
	if (r < 0) {
		sc_cli_error("record", 0, "--gpu: %s", err);
		return -1;
	}
	if (note[0])
		fprintf(stderr, "scorch record: --gpu: %s\n", note);
	r = sc_nvml_open(&g->nvml, err, sizeof(err));
	if (r == -ENOENT) {
		fprintf(stderr, "scorch record: --gpu: NVML (" SC_NVML_LIB
				") not found: no NVIDIA driver on this machine; GPU metrics are "
				"off\n");
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "scorch record: --gpu: NVML: %s; GPU metrics are off\n", err);
		return 0;
	}
	if ((r = sc_gpu_sampler_start(&g->sampler, g->nvml, INTERVAL_NS)) < 0) {
		sc_cli_error("record", r, "--gpu: cannot start the thread that samples NVML");
		return -1;
	}
	/* The command scorch starts is its child: its tree is scorch's descendants. */
	if (children)
		sc_gpu_sampler_set_root(g->sampler, getpid());
	return 0;
}

/* The rows of flamegraph.html's timeline: the metrics that tell a busy GPU from an idle one,
 * in units that read well there. */
static const struct {
	enum sc_gpu_metric m;
	const char *name;
	double scale;
} page_rows[] = {
    {SC_GPU_UTIL, "utilization %", 1},
    {SC_GPU_SM_ACTIVE, "SM activity %", 1},
    {SC_GPU_MEM_USED, "memory MiB", 1048576},
    {SC_GPU_POWER, "power W", 1000},
};

static int add_counters(const sc_gpu_series *s, sc_profile *p)
{
	char name[160];
	for (size_t k = 0; k < sizeof(page_rows) / sizeof(page_rows[0]); k++)
		for (size_t i = 0; i < s->samples.len; i++) {
			const sc_gpu_sample *x = &s->samples.data[i];
			if (!(x->have & (1u << page_rows[k].m)))
				continue;
			snprintf(name, sizeof(name), "GPU %u %s", s->devices.data[x->dev].index,
				 page_rows[k].name);
			if (sc_profile_add_counter(p, name, x->time,
						   x->v[page_rows[k].m] / page_rows[k].scale) < 0)
				return -ENOMEM;
		}
	return 0;
}

/* The kernel trace's end: its warnings said. */
static int stop_cupti(sc_record_gpu *g, bool exited)
{
	if (!g->cupti)
		return 0;
	int r = sc_cupti_side_stop(g->cupti, exited);
	const char *l = sc_cupti_side_session(g->cupti)->warnings;
	while (*l) {
		const char *nl = strchr(l, '\n');
		int len = nl ? (int)(nl - l) : (int)strlen(l);
		fprintf(stderr, "scorch record: --gpu: %.*s\n", len, l);
		l += len + (nl ? 1 : 0);
	}
	if (r < 0)
		sc_cli_error("record", r, "--gpu: cannot keep the GPU activity");
	return r < 0 ? -1 : 0;
}

int sc_record_gpu_stop(sc_record_gpu *g, sc_profile *p, bool exited)
{
	if (stop_cupti(g, exited) < 0)
		return -1;
	if (g->stopped || !g->sampler)
		return 0;
	g->stopped = true;
	int r = sc_gpu_sampler_stop(g->sampler, &g->series);
	g->sampler = NULL;
	for (size_t i = 0; i < g->series.notes.len; i++)
		fprintf(stderr, "scorch record: --gpu: %s\n", g->series.notes.data[i]);
	if (r == 0 && p)
		r = add_counters(&g->series, p);
	if (r < 0) {
		sc_cli_error("record", r, "--gpu: cannot keep the samples");
		return -1;
	}
	return 0;
}

int sc_record_gpu_more(void *ctx, sc_strbuf *out, size_t *nevents)
{
	const sc_record_gpu *g = ctx;
	int r = g->stopped ? sc_gpu_trace_events(&g->series, out, nevents) : 0;
	return r == 0 && g->cupti ? sc_cupti_side_more(g->cupti, out, nevents) : r;
}

struct writing {
	const sc_record_gpu *g;
	const sc_profile *p;
	const sc_chrome_options *co;
};

static const char *const names[] = {"metrics.csv", "gpu.svg", "trace.json"};

static int write_one(FILE *f, size_t i, void *ctx)
{
	const struct writing *w = ctx;
	if (!w->g->stopped) /* no NVML: trace.json alone, with the kernel trace */
		i = 2;
	switch (i) {
	case 0:
		return sc_gpu_write_csv(&w->g->series, f);
	case 1:
		return sc_gpu_write_svg(&w->g->series, f);
	default:
		return sc_chrome_write(w->p, w->co, f);
	}
}

static int write_cupti(FILE *f, size_t i, void *ctx)
{
	return sc_cupti_session_write(ctx, i, f);
}

int sc_record_gpu_write(sc_record_gpu *g, const sc_outdir *dir, const sc_profile *p, int type,
			const char *name, bool trace_written, bool quiet)
{
	size_t bad = 0;
	int r;
	if (g->cupti) {
		sc_cupti_session *cs = sc_cupti_side_session(g->cupti);
		r = sc_afile_write_set(dir->path.buf, sc_cupti_file_names, SC_CUPTI_FILES,
				       write_cupti, cs, &bad);
		if (r < 0) {
			sc_cli_error("record", r, "--gpu: cannot write '%s/%s'", dir->path.buf,
				     sc_cupti_file_names[bad]);
			return -1;
		}
		if (!quiet && (cs->dec.kernels.len || cs->dec.copies.len)) {
			fprintf(stderr, "scorch record: --gpu: ");
			sc_cupti_write_summary(&cs->dec, 5, stderr);
			fprintf(
			    stderr,
			    "scorch record: --gpu: wrote %s/{kernels.txt,kernels.json,gpu.pb.gz}\n",
			    dir->path.buf);
		}
	}
	if (!g->stopped && (!g->cupti || trace_written))
		return 0;
	sc_chrome_options co = {
	    .type = type, .name = name, .more = sc_record_gpu_more, .more_ctx = g};
	struct writing w = {g, p, &co};
	const char *const *set = g->stopped ? names : names + 2;
	size_t n = (g->stopped ? 3 : 1) - (trace_written ? 1 : 0);
	r = sc_afile_write_set(dir->path.buf, set, n, write_one, &w, &bad);
	if (r < 0) {
		sc_cli_error("record", r, "--gpu: cannot write '%s/%s'", dir->path.buf, set[bad]);
		return -1;
	}
	if (!g->stopped)
		return 0;
	if (!quiet)
		fprintf(stderr,
			"scorch record: --gpu: %zu samples of %zu GPU%s; wrote "
			"%s/{metrics.csv,gpu.svg,trace.json}\n",
			g->series.devices.len ? g->series.samples.len / g->series.devices.len : 0,
			g->series.devices.len, g->series.devices.len == 1 ? "" : "s",
			dir->path.buf);
	return 0;
}

void sc_record_gpu_release(sc_record_gpu *g)
{
	if (g->sampler) {
		sc_gpu_series s;
		sc_gpu_sampler_stop(g->sampler, &s);
		sc_gpu_series_release(&s);
		g->sampler = NULL;
	}
	sc_gpu_series_release(&g->series);
	sc_cupti_side_free(g->cupti);
	g->cupti = NULL;
	sc_nvml_close(g->nvml);
	g->nvml = NULL;
}
