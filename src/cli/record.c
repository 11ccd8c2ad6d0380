/*
 * record.c: `scorch record`, profile a command's or a running process's CPU time.
 *
 * Flow: parse options -> sc_record_run (src/record) fills a profile with raw addresses ->
 * sc_symbolize_profile (src/symbolize) -> write profile.pb.gz, stacks.folded, flamegraph.html into
 * the output folder -> print a short summary with the hottest functions. The profiled command's
 * exit status becomes scorch's (128+signal when it was killed by a signal, as a shell reports it).
 */
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/symsummary.h"
#include "formats/folded.h"
#include "formats/pprof.h"
#include "record/record.h"
#include "report/flamegraph.h"
#include "report/top.h"
#include "symbolize/symbolize.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const usage[] = {
    "scorch record [options] -- COMMAND [ARGS...]",
    "scorch record [options] -p PID [--duration SECONDS]",
    NULL,
};

static const char *const examples[] = {
    "scorch record -- ./myprog arg1 arg2",
    "scorch record -F 4000 --depth 64 -o out/ -- make -j2",
    "scorch record -p 1234 --duration 10",
    NULL,
};

struct progress {
	double start;
	bool shown;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Shows symbolization progress on a terminal once it has taken more than a second. */
static void show_progress(size_t done, size_t total, void *ctx)
{
	struct progress *pr = ctx;
	if (now() - pr->start < 1.0 || !isatty(2))
		return;
	fprintf(stderr, "\rscorch record: symbolizing %zu/%zu addresses", done, total);
	pr->shown = true;
}

static const char *command_basename(const sc_record_options *o, char *buf, size_t size)
{
	if (o->argv) {
		const char *s = strrchr(o->argv[0], '/');
		snprintf(buf, size, "%s", s ? s + 1 : o->argv[0]);
	} else {
		snprintf(buf, size, "pid%d", (int)o->pid);
	}
	return buf;
}

static int default_outdir(const sc_record_options *o, sc_strbuf *out)
{
	char name[128], stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	command_basename(o, name, sizeof(name));
	return sc_strbuf_addf(out, "scorch-out/%s-%s", name, stamp);
}

static int pprof_fn(const sc_profile *p, FILE *f, const void *arg)
{
	(void)arg;
	return sc_pprof_write_stream(p, f);
}

static int folded_fn(const sc_profile *p, FILE *f, const void *arg)
{
	(void)arg;
	return sc_folded_write(p, 0, f);
}

static int flamegraph_fn(const sc_profile *p, FILE *f, const void *arg)
{
	return sc_flamegraph_write_html(p, arg, f);
}

/* Writes the recording's files as one set (sc_afile_commit_all): when any of them cannot be
 * written, the folder keeps its previous set whole. Returns 0 or -errno after saying which file
 * failed. */
static int write_artifacts(const char *dir, const sc_profile *p, const sc_flamegraph_options *fo)
{
	static const struct {
		const char *name;
		int (*fn)(const sc_profile *, FILE *, const void *);
	} set[] = {
	    {"profile.pb.gz", pprof_fn},
	    {"flamegraph.html", flamegraph_fn},
	    {"stacks.folded", folded_fn},
	};
	enum { N = sizeof(set) / sizeof(set[0]) };
	sc_afile files[N];
	sc_strbuf path = {0};
	size_t i, failed = 0;
	int r = 0;
	memset(files, 0, sizeof(files));
	for (i = 0; i < N && !r; i++) {
		failed = i;
		sc_strbuf_reset(&path);
		if (sc_strbuf_addf(&path, "%s/%s", dir, set[i].name) < 0)
			r = -ENOMEM;
		else if ((r = sc_afile_open(&files[i], path.buf)) == 0 &&
			 (r = set[i].fn(p, files[i].fp, fo)) < 0)
			r = sc_afile_fail(&files[i], r);
	}
	if (r == 0)
		r = sc_afile_commit_all(files, N, &failed);
	for (i = 0; i < N; i++)
		sc_afile_abort(&files[i]);
	if (r < 0)
		sc_cli_error("record", r,
			     "cannot write '%s/%s' (the folder keeps its previous files)", dir,
			     set[failed].name);
	sc_strbuf_release(&path);
	return r;
}

static int exit_code(const sc_record_result *r)
{
	if (!r->exited)
		return 0;
	if (WIFEXITED(r->wait_status))
		return WEXITSTATUS(r->wait_status);
	if (WIFSIGNALED(r->wait_status))
		return 128 + WTERMSIG(r->wait_status);
	return 0;
}

int cmd_record(int argc, char **argv)
{
	sc_record_options o;
	sc_record_options_init(&o);
	const char *outdir = NULL;
	int pid = 0, top = 10;
	double duration = 0;
	bool no_kernel = false, no_children = false, quiet = false;
	sc_option opts[] = {
	    SC_OPT_INT_RANGE('F', "frequency", &o.frequency, "HZ", 1, 100000,
			     "samples per second per thread (default 1000)"),
	    SC_OPT_INT_RANGE(0, "depth", &o.max_depth, "N", 1, 1024,
			     "keep at most N frames per stack (default 127)"),
	    SC_OPT_INT_RANGE('p', "pid", &pid, "PID", 1, 4194304,
			     "attach to a running process and all its threads"),
	    SC_OPT_DOUBLE_RANGE(0, "duration", &duration, "SECONDS", 0, 1e9,
				"stop after SECONDS (default: when the command exits)"),
	    SC_OPT_STR('o', "output", &outdir, "DIR",
		       "output folder (default scorch-out/COMMAND-TIMESTAMP)"),
	    SC_OPT_FLAG(0, "no-kernel", &no_kernel, "user-space call chains only"),
	    SC_OPT_FLAG(0, "no-children", &no_children, "do not follow forked child processes"),
	    SC_OPT_INT_RANGE(
		0, "leaf-stack", &o.user_stack_bytes, "BYTES", 0, 65528,
		"user stack copied per sample to fix frameless leaves (default 512, 0 = off)"),
	    SC_OPT_INT_RANGE('n', "top", &top, "N", 0, 1000000,
			     "functions shown in the summary (default 10)"),
	    SC_OPT_FLAG('q', "quiet", &quiet, "print no summary"),
	    SC_OPT_END(),
	};
	int argi = sc_options_parse("record", usage, opts, examples, argc, argv);
	if (argi == SC_OPTIONS_HELP)
		return 0;
	if (argi < 0)
		return 2;
	if (o.frequency < 1 || o.frequency > 100000) {
		sc_cli_error("record", 0, "--frequency must be between 1 and 100000 Hz, not %d",
			     o.frequency);
		return 2;
	}
	if (o.max_depth < 1 || o.max_depth > 1024) {
		sc_cli_error("record", 0, "--depth must be between 1 and 1024, not %d",
			     o.max_depth);
		return 2;
	}
	if (o.user_stack_bytes < 0 || o.user_stack_bytes > 65528 || o.user_stack_bytes % 8) {
		sc_cli_error("record", 0,
			     "--leaf-stack must be a multiple of 8 between 0 and 65528, not %d",
			     o.user_stack_bytes);
		return 2;
	}
	if (duration < 0) {
		sc_cli_error("record", 0, "--duration must not be negative");
		return 2;
	}
	o.duration = duration;
	o.kernel = !no_kernel;
	o.follow_children = !no_children;
	if (pid) {
		if (argi < argc) {
			sc_cli_error("record", 0, "give either -p PID or a command, not both");
			return 2;
		}
		if (pid < 0) {
			sc_cli_error("record", 0, "-p expects a process id, not %d", pid);
			return 2;
		}
		o.pid = pid;
	} else {
		if (argi >= argc) {
			sc_cli_error("record", 0,
				     "no command to profile (usage: scorch record -- COMMAND)");
			return 2;
		}
		o.argv = argv + argi;
	}

	sc_strbuf dir = {0};
	int rc = 1;
	sc_profile *p = sc_profile_new();
	if (!p || (outdir ? sc_strbuf_adds(&dir, outdir) : default_outdir(&o, &dir)) < 0) {
		sc_cli_error("record", -ENOMEM, "cannot start");
		goto out;
	}
	/* Create the folder first: better to refuse now than to lose a long recording. */
	int r = sc_mkdir_p(dir.buf);
	if (r < 0) {
		sc_cli_error("record", r, "cannot create output folder '%s'", dir.buf);
		goto out;
	}
	if (access(dir.buf, W_OK) < 0) {
		sc_cli_error("record", -errno, "cannot write to output folder '%s'", dir.buf);
		goto out;
	}

	sc_record_result res;
	r = sc_record_run(&o, p, &res);
	if (r < 0) {
		sc_cli_error("record", 0, "%s", res.err);
		rc = r == -ENOENT ? 127 : 1;
		goto out;
	}
	rc = exit_code(&res);

	struct progress pr = {.start = now()};
	sc_sym_options so = {.progress = show_progress, .progress_ctx = &pr};
	sc_sym_stats st = {0};
	double t0 = now();
	r = sc_symbolize_profile(p, &so, &st);
	if (pr.shown)
		fputc('\n', stderr);
	if (r < 0)
		sc_cli_error("record", r, "symbolization failed; writing unsymbolized addresses");

	char title[256], name[128];
	snprintf(title, sizeof(title), "scorch: %s", command_basename(&o, name, sizeof(name)));
	sc_flamegraph_options fo = {.title = title, .type = 0};
	int werr = write_artifacts(dir.buf, p, &fo);
	if (werr && rc == 0)
		rc = 1;
	sc_top t;
	bool have_top = !quiet && res.samples && sc_top_compute(p, 0, &t) == 0;
	/* From the end of the run to written artifacts and a ready summary. */
	double t_post = now() - t0;

	if (!quiet) {
		fprintf(stderr,
			"scorch record: %llu samples in %.2f s (%llu lost), %llu process%s, %llu "
			"thread%s; symbolized %zu/%zu addresses, wrote the profile in %.2f s\n",
			(unsigned long long)res.samples, res.duration, (unsigned long long)res.lost,
			(unsigned long long)res.processes, res.processes == 1 ? "" : "es",
			(unsigned long long)res.threads, res.threads == 1 ? "" : "s", st.resolved,
			st.locations, t_post);
		sc_cli_print_unnamed(p, &st, stderr);
		if (res.kernel_excluded)
			fprintf(stderr, "scorch record: kernel call chains were refused "
					"(kernel.perf_event_paranoid); recorded user space only\n");
		if (have_top) {
			fflush(stdout);
			sc_top_print_text(p, &t, (size_t)(top > 0 ? top : 0), stderr);
			sc_top_release(&t);
		}
		if (!werr)
			fprintf(stderr,
				"scorch record: wrote "
				"%s/{profile.pb.gz,flamegraph.html,stacks.folded}\n",
				dir.buf);
	}
out:
	sc_strbuf_release(&dir);
	sc_profile_free(p);
	return rc;
}
