/*
 * gpu.c: `scorch gpu`, what a command does on the GPU: the NVML metrics of every device over
 * the run (utilization, memory, power and energy, clocks, temperature, PCIe, the command's own
 * processes), sampled by a thread in scorch's process while the command runs.
 *
 * Flow: parse options -> load NVML (gpu/nvml.h; without it one clear line, and with
 * --metrics-only exit 1) -> the output folder -> the sampler starts (gpu/sampler.h: one sample
 * at once) -> the command runs through the agent file machinery (record/agentfile.h, no preload,
 * as `scorch trace` runs it: the GPU activity part adds its environment and drains its rings in
 * the round callback) -> the sampler stops (one last sample) -> the outputs as one set:
 * metrics.csv, gpu.svg, trace.json (gpu/gpu_trace.h: the counters, then the activity's rows) ->
 * the summary (min/mean/max per device and metric, memory delta, energy) on standard output,
 * NVML's errors on standard error, each named once.
 *
 * Exit status: the command's (128 + signal when killed, 127/126 when it cannot be run), 1 when
 * scorch failed (or --metrics-only without NVML), 2 for bad options.
 */
#include "cli/commands.h"
#include "cli/options.h"
#include "gpu/cupti/outputs.h"
#include "gpu/cupti/session.h"
#include "gpu/gpu_trace.h"
#include "gpu/metrics.h"
#include "gpu/nvml.h"
#include "gpu/sampler.h"
#include "record/agentfile.h"
#include "report/reportset.h"
#include "session/outdir.h"
#include "util/fileio.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const usage[] = {
    "scorch gpu [options] -- COMMAND [ARGS...]",
    NULL,
};

static const char *const examples[] = {
    "scorch gpu -- ./my_cuda_app",
    "scorch gpu --metrics-only -i 50ms -- ./train.py",
    "scorch gpu -o gpu-out --duration 30 -i 1s -- ./server",
    "SCORCH_NVML_LIB=/opt/nvidia/lib/libnvidia-ml.so.1 scorch gpu -- ./app",
    NULL,
};

/* The metrics' files, then (not with --metrics-only) the kernel trace's (gpu/cupti/session.h). */
static const char *const file_names[] = {"metrics.csv", "gpu.svg",	"trace.json",
					 "kernels.txt", "kernels.json", "gpu.pb.gz"};
#define NFILES (sizeof(file_names) / sizeof(file_names[0]))

#define NO_NVML                                                                                    \
	"NVML (" SC_NVML_LIB ") not found: no NVIDIA driver on this machine; GPU metrics are off"

/* "100ms", "0.5s", "1s", "250us", "2" (seconds) -> ns, from 1 ms to 1 hour. */
static int parse_interval(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v <= 0)
		return -1;
	double scale = 1e9;
	if (!strcmp(end, "ms"))
		scale = 1e6;
	else if (!strcmp(end, "us"))
		scale = 1e3;
	else if (!strcmp(end, "s") || !*end)
		scale = 1e9;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		scale = 60e9;
	else
		return -1;
	double ns = v * scale;
	if (ns < 1e6 || ns > 3600e9)
		return -1;
	*out = (uint64_t)llround(ns);
	return 0;
}

/* One run: what the callbacks of the agent file's run share. */
struct gpu_run {
	sc_agentfile f;
	sc_agentfile_run ar;
	sc_gpu_sampler *sampler; /* NULL without NVML */
	sc_cupti_session cupti;	 /* the kernel trace (off with --metrics-only) */
};

static void on_start(void *ctx)
{
	struct gpu_run *g = ctx;
	sc_gpu_sampler_set_root(g->sampler, g->ar.sess.pid);
}

/* Every poll: where the GPU activity's rings are drained. */
static int on_round(void *ctx, bool last)
{
	struct gpu_run *g = ctx;
	return sc_cupti_session_round(&g->cupti, &g->f, last);
}

struct writing {
	const sc_gpu_series *s;
	sc_cupti_session *cupti; /* NULL: --metrics-only */
};

static int write_one(FILE *f, size_t i, void *ctx)
{
	const struct writing *w = ctx;
	switch (i) {
	case 0:
		return sc_gpu_write_csv(w->s, f);
	case 1:
		return sc_gpu_write_svg(w->s, f);
	case 2:
		return sc_gpu_trace_write(w->s, w->cupti ? sc_cupti_chrome_events : NULL,
					  w->cupti ? &w->cupti->dec : NULL, f);
	default:
		return sc_cupti_session_write(w->cupti, i - 3, f);
	}
}

static void say_status(const struct gpu_run *g)
{
	const sc_session *s = &g->ar.sess;
	if (!s->exited || s->stopped || !WIFSIGNALED(s->wait_status))
		return;
	int sig = WTERMSIG(s->wait_status);
	fprintf(stderr, "scorch gpu: the command was killed by signal %d (%s)\n", sig,
		strsignal(sig));
}

int cmd_gpu(int argc, char **argv)
{
	const char *outdir = NULL, *interval_arg = NULL;
	double duration = 0;
	bool metrics_only = false, quiet = false;
	sc_option opts[] = {
	    SC_OPT_STR('o', "output", &outdir, "DIR",
		       "output folder (default scorch-out/gpu-COMMAND-TIMESTAMP)"),
	    SC_OPT_STR('i', "interval", &interval_arg, "INTERVAL",
		       "time between two samples of the metrics, e.g. 50ms, 0.5s, 1s (default "
		       "100ms; a bare number is seconds; 1ms to 1h)"),
	    SC_OPT_FLAG(0, "metrics-only", &metrics_only,
			"the NVML metrics alone (no kernel trace); fails when NVML is missing"),
	    SC_OPT_DOUBLE_RANGE(0, "duration", &duration, "SECONDS", 0, 1e9,
				"stop after SECONDS (default: when the command exits)"),
	    SC_OPT_FLAG('q', "quiet", &quiet, "print no summary"),
	    SC_OPT_END(),
	};
	int argi = sc_options_parse("gpu", usage, opts, examples, argc, argv);
	if (argi == SC_OPTIONS_HELP)
		return 0;
	if (argi < 0)
		return 2;
	if (argi >= argc) {
		sc_cli_error("gpu", 0, "no command to run (usage: scorch gpu -- COMMAND)");
		return 2;
	}
	uint64_t interval = 100000000ull;
	if (interval_arg && parse_interval(interval_arg, &interval) < 0) {
		sc_cli_error("gpu", 0,
			     "--interval must be a time from 1ms to 1h, e.g. 50ms, 0.5s or 1s, not "
			     "'%s'",
			     interval_arg);
		return 2;
	}
	char *const *cmd = argv + argi;

	int rc = 1, r;
	sc_outdir dir = {0};
	sc_nvml *nvml = NULL;
	sc_profile *p = NULL;
	sc_gpu_series series = {0};
	struct gpu_run g = {.f = {.fd = -1}};
	char err[512];
	if ((r = sc_nvml_open(&nvml, err, sizeof(err))) < 0) {
		if (r == -ENOENT)
			fprintf(stderr, "scorch gpu: %s\n", NO_NVML);
		else
			fprintf(stderr, "scorch gpu: NVML: %s; GPU metrics are off\n", err);
		if (metrics_only)
			return 1;
	}
	if (!(p = sc_profile_new()) || sc_profile_add_command_comment(p, cmd) < 0) {
		sc_cli_error("gpu", -ENOMEM, "cannot start");
		goto out;
	}
	const char *base = strrchr(cmd[0], '/');
	char name[160];
	snprintf(name, sizeof(name), "gpu-%s", base ? base + 1 : cmd[0]);
	r = outdir ? sc_outdir_make(&dir, outdir) : sc_outdir_make_dated(&dir, "scorch-out", name);
	if (r < 0) {
		sc_cli_error("gpu", r, "cannot create output folder '%s'",
			     dir.path.buf ? dir.path.buf : outdir);
		goto out;
	}
	/* The agent file: the rings the GPU activity's injection library writes into. */
	if ((r = sc_agentfile_create(&g.f, metrics_only ? 4 : SC_CUPTI_NRINGS,
				     metrics_only ? 1u << 16 : SC_CUPTI_RING_BYTES, err,
				     sizeof(err))) < 0) {
		sc_cli_error("gpu", 0, "%s", err);
		goto out;
	}
	g.f.hdr->minor = SC_AGENT_MINOR;
	g.f.hdr->scorch_pid = (uint32_t)getpid();
	if (!metrics_only) {
		if ((r = sc_cupti_session_start(&g.cupti, &g.f, cmd)) < 0) {
			sc_cli_error("gpu", r, "cannot start");
			goto out;
		}
		if (g.cupti.note[0])
			fprintf(stderr, "scorch gpu: %s\n", g.cupti.note);
	}
	if (nvml && (r = sc_gpu_sampler_start(&g.sampler, nvml, interval)) < 0) {
		sc_cli_error("gpu", r, "cannot start the thread that samples NVML");
		goto out;
	}
	g.ar = (sc_agentfile_run){.argv = cmd,
				  .lib = NULL,
				  .extra_env = metrics_only ? NULL : sc_cupti_session_env(&g.cupti),
				  .duration = duration,
				  .poll_ms = 20,
				  .p = p,
				  .on_start = on_start,
				  .start_ctx = &g,
				  .round = on_round,
				  .ctx = &g};
	r = sc_agentfile_run_command(&g.f, &g.ar);
	int sr = sc_gpu_sampler_stop(g.sampler, &series);
	g.sampler = NULL;
	if (r < 0) {
		if (g.ar.exec_errno) {
			sc_cli_error("gpu", g.ar.exec_errno, "cannot run '%s'", cmd[0]);
			rc = g.ar.exec_errno == ENOENT ? 127 : 126;
		} else if (g.ar.err[0]) {
			sc_cli_error("gpu", 0, "%s", g.ar.err);
		} else {
			sc_cli_error("gpu", r, "the run failed");
		}
		goto out;
	}
	if (sr < 0) {
		sc_cli_error("gpu", sr, "cannot keep the samples");
		goto out;
	}
	rc = sc_cli_exit_status(g.ar.sess.exited, g.ar.sess.wait_status);
	say_status(&g);
	bool exited_ok = g.ar.sess.exited && !g.ar.sess.stopped && WIFEXITED(g.ar.sess.wait_status);
	if (!metrics_only && (r = sc_cupti_session_finish(&g.cupti, exited_ok)) < 0) {
		sc_cli_error("gpu", r, "cannot analyse the GPU activity");
		rc = 1;
		goto out;
	}
	for (const char *l = g.cupti.warnings; !metrics_only && *l;) {
		const char *nl = strchr(l, '\n');
		int len = nl ? (int)(nl - l) : (int)strlen(l);
		fprintf(stderr, "scorch gpu: %.*s\n", len, l);
		l += len + (nl ? 1 : 0);
	}
	for (size_t i = 0; i < series.notes.len; i++)
		fprintf(stderr, "scorch gpu: %s\n", series.notes.data[i]);
	struct writing w = {&series, metrics_only ? NULL : &g.cupti};
	size_t bad = 0;
	r = sc_afile_write_set(dir.path.buf, file_names, metrics_only ? 3 : NFILES, write_one, &w,
			       &bad);
	if (r < 0) {
		sc_cli_error("gpu", r, "cannot write '%s/%s'", dir.path.buf, file_names[bad]);
		rc = 1;
		goto out;
	}
	/* The report set of gpu.pb.gz (GPU time by launching call site), as scorch trace does. */
	bool reports = !metrics_only && g.cupti.p->samples.len;
	if (reports) {
		char title[1100];
		snprintf(title, sizeof(title), "scorch gpu: GPU time of %s", cmd[0]);
		sc_reportset_options ro = {.type = 0, .title = title, .source = "gpu.pb.gz"};
		sc_diag d = {0};
		if ((r = sc_reportset_write(g.cupti.p, &ro, dir.path.buf, &d)) < 0) {
			sc_cli_error("gpu", r, "cannot write the report set in '%s'%s%s",
				     dir.path.buf, d.file[0] ? ": " : "", d.file);
			rc = 1;
			goto out;
		}
	}
	if (!quiet) {
		if (nvml)
			sc_gpu_write_summary(&series, stdout);
		if (!metrics_only && g.cupti.on) {
			printf("\n");
			sc_cupti_write_summary(&g.cupti.dec, 10, stdout);
		}
		printf("\nscorch gpu: wrote %s/{metrics.csv,gpu.svg,trace.json%s}%s\n",
		       dir.path.buf, metrics_only ? "" : ",kernels.txt,kernels.json,gpu.pb.gz",
		       reports
			   ? " and the report set of gpu.pb.gz (flamegraph.html, butterfly.html, "
			     "summary.txt, hotspots.json, report.md)"
			   : "");
	}
out:
	if (g.sampler) {
		sc_gpu_sampler_stop(g.sampler, &series);
	}
	sc_agentfile_close(&g.f);
	sc_cupti_session_release(&g.cupti);
	sc_gpu_series_release(&series);
	sc_outdir_remove_if_empty(&dir);
	sc_outdir_release(&dir);
	sc_nvml_close(nvml);
	sc_profile_free(p);
	return rc;
}
