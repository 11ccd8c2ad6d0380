/*
 * record.c: `scorch record`, profile a command's or a running process's CPU time.
 *
 * Flow: parse options -> sc_record_run (src/record) fills a profile with raw addresses ->
 * sc_symbolize_profile (src/symbolize) -> write profile.pb.gz, stacks.folded, flamegraph.html into
 * the output folder -> print a short summary with the hottest functions. The profiled command's
 * exit status becomes scorch's (128+signal when it was killed by a signal, as a shell reports it;
 * 127 when it does not exist, 126 when it cannot be run).
 *
 * The targets and events keep perf's flags: -p PID[,PID...], -t TID[,TID...], -a, -e EVENT,
 * -c N, --no-inherit (--no-children, its deprecated name, with a note); a recording with no end
 * of its own says "recording PID ..., Ctrl-C to stop" (say_recording, called by the recorder once
 * its events are open), and one without samples says why (record_notes.c).
 *
 * Also here: the choice of output folder (made by src/session/outdir.h: the default one created
 * exclusively, folders this run created removed again when nothing was written), the signal
 * handling of the symbolize-and-write phase (first signal: finish; second: abandon), and the
 * --call-graph MODE[,SIZE] parsing. What a recording says about itself once it ended (cut
 * stacks, unreadable deleted files, no samples) and the aliases that let symbolization read
 * files deleted while the command ran are in record_notes.c.
 */
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/push.h"
#include "cli/record_gpu.h"
#include "cli/record_notes.h"
#include "cli/record_trace.h"
#include "cli/symsummary.h"
#include "formats/folded.h"
#include "formats/pprof.h"
#include "record/record.h"
#include "record/sigrec.h"
#include "session/outdir.h"
#include "report/flamegraph.h"
#include "report/top.h"
#include "symbolize/symbolize.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <limits.h>
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
    "scorch record [options] -p PID[,PID...] [--duration SECONDS]",
    "scorch record [options] -t TID[,TID...] [--duration SECONDS]",
    "scorch record [options] -a [--duration SECONDS] [-- COMMAND [ARGS...]]",
    "scorch record --continuous --push URL [-p PID | -- COMMAND] (see --continuous --help)",
    NULL,
};

static const char *const examples[] = {
    "scorch record -- ./myprog arg1 arg2",
    "scorch record -F 4000 --depth 64 -o out/ -- make -j2",
    "scorch record -p 1234 --duration 10",
    "scorch record -p 1234,1240 -e page-faults",
    "scorch record -a -- make -j2",
    "scorch record --call-graph dwarf,32768 -- python3 script.py",
    "scorch record --mode wall -- make -j2",
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
	} else if (o->system_wide) {
		snprintf(buf, size, "all-cpus");
	} else {
		snprintf(buf, size, "%s%d", o->tids ? "tid" : "pid", (int)o->pids[0]);
	}
	return buf;
}

/* Parses -p/-t's "N[,N...]" into a new array. Returns its length, or 0 after saying what is
 * wrong (or -1 when out of memory). */
static long parse_ids(const char *arg, const char *flag, pid_t **out)
{
	size_t n = 1;
	for (const char *c = arg; *c; c++)
		n += *c == ',';
	pid_t *ids = calloc(n, sizeof(*ids));
	if (!ids) {
		sc_cli_error("record", -ENOMEM, "cannot parse %s", flag);
		return 0;
	}
	const char *c = arg;
	for (size_t i = 0; i < n; i++) {
		char *end;
		errno = 0;
		long v = strtol(c, &end, 10);
		if (end == c || (*end && *end != ',') || errno || v < 1 || v > 4194304 ||
		    *c == '-' || *c == '+' || *c == ' ') {
			sc_cli_error("record", 0,
				     "%s must be an integer between 1 and 4194304, or a "
				     "comma-separated list of them, not '%s'",
				     flag, arg);
			free(ids);
			return 0;
		}
		ids[i] = (pid_t)v;
		c = end + (*end == ',');
	}
	*out = ids;
	return (long)n;
}

/* The name of process or thread `id` (its comm), or "?". */
static void task_name(pid_t id, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)id);
	snprintf(buf, size, "?");
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

/* Says what is being recorded when nothing but the user will end it (attached without
 * --duration; -a without a command): called by the recorder once its events are open. */
static void say_recording(void *ctx)
{
	const sc_record_options *o = ctx;
	if (o->argv || o->duration > 0)
		return;
	if (o->system_wide) {
		fprintf(stderr,
			"scorch record: recording all CPUs (system-wide), Ctrl-C to stop\n");
		return;
	}
	fprintf(stderr, "scorch record: recording %s%s ", o->tids ? "TID" : "PID",
		o->npids > 1 ? "s" : "");
	for (size_t i = 0; i < o->npids; i++) {
		char name[64];
		task_name(o->pids[i], name, sizeof(name));
		fprintf(stderr, "%s%d (%s)", i ? ", " : "", (int)o->pids[i], name);
	}
	fprintf(stderr, ", Ctrl-C to stop\n");
}

/* ---- signals while symbolizing and writing (signal context) ----------------------------------
 *
 * Once the recording is over, the first SIGINT, SIGTERM or SIGHUP lets the profile be finished
 * (symbolization and writing take seconds on a large recording, and the set is written
 * all-or-nothing anyway); the second abandons it: the temporaries are removed, with the folders
 * this run created if they are left empty, and scorch exits 128 + the signal. The handler only
 * uses async-signal-safe calls and the buffer below, filled before it is installed.
 */
static volatile sig_atomic_t finish_signals;

static void on_finish_signal(int sig)
{
	int saved = errno;
	if (++finish_signals == 1) {
		static const char msg[] = "\nscorch record: finishing writing the profile (signal "
					  "again, e.g. Ctrl-C, to abandon it)\n";
		ssize_t n = write(2, msg, sizeof(msg) - 1);
		(void)n;
		errno = saved;
		return;
	}
	sc_afile_unlink_temporaries();
	sc_outdir_remove_armed();
	static const char gone[] = "scorch record: abandoned: no profile written\n";
	ssize_t n = write(2, gone, sizeof(gone) - 1);
	(void)n;
	_exit(128 + sig);
}

static void finish_signals_set(void (*handler)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Installs the handler for `d` (the recorder puts it back after its own). */
static void finish_signals_install(const sc_outdir *d)
{
	sc_outdir_arm(d);
	finish_signals = 0;
	finish_signals_set(on_finish_signal);
}

/* A recording's files, in the order they are written. */
static const char *const artifact_names[] = {"profile.pb.gz", "flamegraph.html", "stacks.folded"};

struct artifacts {
	const sc_profile *p;
	const sc_flamegraph_options *fo;
};

static int write_artifact(FILE *f, size_t i, void *ctx)
{
	const struct artifacts *a = ctx;
	switch (i) {
	case 0:
		return sc_pprof_write_stream(a->p, f);
	case 1:
		return sc_flamegraph_write_html(a->p, a->fo, f);
	default:
		return sc_folded_write(a->p, a->fo->type, f);
	}
}

/* Writes the recording's files as one set: when any of them cannot be written, the folder keeps
 * its previous set whole (a folder this run made stays empty, and goes). Returns 0 or -errno
 * after saying which file failed. */
static int write_artifacts(const sc_outdir *dir, const sc_profile *p,
			   const sc_flamegraph_options *fo)
{
	struct artifacts a = {p, fo};
	size_t failed = 0;
	int r = sc_afile_write_set(dir->path.buf, artifact_names, 3, write_artifact, &a, &failed);
	if (r < 0)
		sc_cli_error("record", r, "cannot write '%s/%s' (%s)", dir->path.buf,
			     artifact_names[failed],
			     dir->created ? "nothing of the recording was written"
					  : "the folder keeps its previous files");
	return r;
}

/* Parses --call-graph MODE[,SIZE] into o (SIZE only after dwarf or auto, as perf spells it).
 * Returns 0, or -1 after saying what is wrong. */
static int parse_call_graph(const char *arg, sc_record_options *o, bool *size_given)
{
	static const struct {
		const char *name;
		sc_record_callgraph mode;
	} modes[] = {
	    {"auto", SC_RECORD_CG_AUTO}, {"dwarf", SC_RECORD_CG_DWARF}, {"fp", SC_RECORD_CG_FP}};
	size_t n = strcspn(arg, ",");
	size_t i;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strlen(modes[i].name) == n && !strncmp(arg, modes[i].name, n))
			break;
	if (i == sizeof(modes) / sizeof(modes[0])) {
		sc_cli_error("record", 0,
			     "--call-graph must be fp, dwarf or auto (dwarf and auto "
			     "may add ,SIZE), not '%s'",
			     arg);
		return -1;
	}
	o->callgraph = modes[i].mode;
	if (!arg[n])
		return 0;
	const char *size = arg + n + 1;
	char *end;
	errno = 0;
	long v = strtol(size, &end, 10);
	if (o->callgraph == SC_RECORD_CG_FP || end == size || *end || errno || v < 8 ||
	    v > SC_RECORD_MAX_STACK_BYTES) {
		sc_cli_error(
		    "record", 0,
		    "--call-graph %s: the stack size after the comma must be a whole number "
		    "of bytes between 8 and %d (and only dwarf and auto take one), not '%s'",
		    modes[i].name, SC_RECORD_MAX_STACK_BYTES, size);
		return -1;
	}
	o->stack_bytes = (int)v;
	*size_given = true;
	return 0;
}

/* The deepest stack of the profile, in frames. */
static size_t max_depth(const sc_profile *p)
{
	size_t d = 0;
	for (size_t i = 0; i < p->nodes.len; i++)
		if (p->nodes.data[i].depth > d)
			d = p->nodes.data[i].depth;
	return d;
}

int cmd_record(int argc, char **argv)
{
	if (sc_cli_record_is_continuous(argc, argv))
		return sc_cli_record_continuous(argc, argv);
	sc_record_options o;
	sc_record_options_init(&o);
	const char *outdir = NULL;
	int top = 10, freq = 0, count = 0;
	double duration = 0;
	bool no_kernel = false, no_children = false, no_inherit = false, inherit = false,
	     quiet = false, g = false, all_cpus = false, trace = false, gpu = false;
	const char *call_graph = NULL, *pids = NULL, *tids = NULL, *event = NULL, *mode = NULL,
		   *backend = NULL;
	pid_t *ids = NULL;
	int stack_size = 0, leaf_stack = -1;
	sc_option opts[] = {
	    SC_OPT_FLAG('g', NULL, &g,
			"record call graphs in the default mode (auto), as perf's -g"),
	    SC_OPT_STR(
		0, "call-graph", &call_graph, "MODE[,SIZE]",
		"user stacks: fp, dwarf or auto (default auto); dwarf,SIZE sets --stack-size"),
	    SC_OPT_INT_RANGE(0, "stack-size", &stack_size, "BYTES", 8, SC_RECORD_MAX_STACK_BYTES,
			     "dwarf, auto: user stack copied per sample, rounded up to 8 (default "
			     "16384)"),
	    SC_OPT_STR(0, "mode", &mode, "MODE",
		       "cpu (default: where the CPU time goes), offcpu (where threads block, "
		       "for how long) or wall (both: where the wall-clock time goes)"),
	    SC_OPT_STR('e', "event", &event, "EVENT",
		       "what to sample: cpu-clock (default), task-clock, page-faults, "
		       "context-switches, cpu-migrations, minor-faults, major-faults, or a "
		       "hardware counter (cycles, instructions, cache-misses, branch-misses...)"),
	    SC_OPT_INT_RANGE('F', "frequency", &freq, "HZ", 1, 100000,
			     "samples per second per thread (default 1000)"),
	    SC_OPT_INT_RANGE('c', "count", &count, "N", 1, 2147483647,
			     "a sample every N events (nanoseconds for cpu-clock and "
			     "task-clock), instead of -F"),
	    SC_OPT_INT_RANGE(0, "depth", &o.max_depth, "N", 1, 1024,
			     "keep at most N frames per stack (default 127)"),
	    SC_OPT_STR('p', "pid", &pids, "PID[,PID...]",
		       "attach to running processes and all their threads"),
	    SC_OPT_STR('t', "tid", &tids, "TID[,TID...]", "attach to these threads only"),
	    SC_OPT_FLAG('a', "all-cpus", &all_cpus,
			"system-wide: every process on every CPU (root, or "
			"kernel.perf_event_paranoid <= 0)"),
	    SC_OPT_DOUBLE_RANGE(0, "duration", &duration, "SECONDS", 0, 1e9,
				"stop after SECONDS (default: when the command exits, or Ctrl-C)"),
	    SC_OPT_STR('o', "output", &outdir, "DIR",
		       "output folder (default scorch-out/COMMAND-TIMESTAMP)"),
	    SC_OPT_FLAG(0, "no-kernel", &no_kernel, "user-space call chains only"),
	    SC_OPT_FLAG('i', "no-inherit", &no_inherit,
			"only the tasks there are: no threads or child processes created later"),
	    SC_OPT_FLAG(0, "inherit", &inherit,
			"-t: also the threads and processes the threads create later"),
	    SC_OPT_FLAG(0, "no-children", &no_children, "deprecated name of --no-inherit"),
	    SC_OPT_INT_RANGE(
		0, "leaf-stack", &leaf_stack, "BYTES", 0, SC_RECORD_MAX_STACK_BYTES,
		"fp: user stack copied per sample to fix frameless leaves (default 512, "
		"0 = off)"),
	    SC_OPT_INT_RANGE('n', "top", &top, "N", 0, 1000000,
			     "functions shown in the summary (default 10)"),
	    SC_OPT_FLAG('q', "quiet", &quiet, "print no summary"),
	    SC_OPT_FLAG(0, "trace", &trace,
			"also collect the spans of a command linked with libscorch, on the same "
			"clock: trace.json and spans.* beside the profile (perf backend)"),
	    SC_OPT_FLAG(0, "gpu", &gpu,
			"also sample the NVML metrics of every GPU every 100 ms and trace the CUDA "
			"kernels, on the same clock: metrics.csv, gpu.svg, kernels.txt, "
			"kernels.json, gpu.pb.gz, counters and kernel rows in trace.json "
			"(docs/gpu.md)"),
	    SC_OPT_STR(0, "backend", &backend, "NAME",
		       "perf (perf events), signal (a preloaded sampler using CPU-time timers: "
		       "no privileges, user space only) or auto (default: perf, and signal "
		       "when perf events are refused)"),
	    SC_OPT_END(),
	};
	int argi = sc_options_parse("record", usage, opts, examples, argc, argv);
	if (argi == SC_OPTIONS_HELP)
		return 0;
	if (argi < 0)
		return 2;
	bool size_given = false;
	(void)g; /* -g asks for the default mode */
	if (call_graph && parse_call_graph(call_graph, &o, &size_given) < 0)
		return 2;
	if (stack_size) {
		if (size_given && stack_size != o.stack_bytes) {
			sc_cli_error(
			    "record", 0,
			    "--stack-size %d and --call-graph %s disagree: give the size once",
			    stack_size, call_graph);
			return 2;
		}
		o.stack_bytes = stack_size;
		size_given = true;
	}
	/* perf rounds the size up to a multiple of 8 too; 65528 is one already. */
	o.stack_bytes = (o.stack_bytes + 7) & ~7;
	if (o.callgraph == SC_RECORD_CG_FP && size_given) {
		sc_cli_error(
		    "record", 0,
		    "--stack-size is for --call-graph dwarf and auto (fp copies --leaf-stack "
		    "bytes for its leaf fix)");
		return 2;
	}
	if (leaf_stack >= 0) {
		if (o.callgraph != SC_RECORD_CG_FP) {
			sc_cli_error("record", 0,
				     "--leaf-stack is for --call-graph fp (dwarf and auto copy "
				     "--stack-size bytes and unwind them whole)");
			return 2;
		}
		/* The ranges are checked by the option table; the multiple of 8 is not a range. */
		if (leaf_stack % 8) {
			sc_cli_error(
			    "record", 0,
			    "--leaf-stack must be a multiple of 8 between 0 and 65528, not %d",
			    leaf_stack);
			return 2;
		}
		o.user_stack_bytes = leaf_stack;
	}
	o.duration = duration;
	o.kernel = !no_kernel;
	if (no_children)
		fprintf(stderr,
			"scorch record: note: --no-children is deprecated; it is now "
			"--no-inherit, perf's name (perf's --children means something else)\n");
	if (inherit && (no_inherit || no_children)) {
		sc_cli_error("record", 0, "give --inherit or --no-inherit, not both");
		return 2;
	}
	/* As perf: -t records the threads alone unless --inherit. */
	o.follow_children = o.inherit = !(no_inherit || no_children || (tids && !inherit));
	if (freq && count) {
		sc_cli_error("record", 0,
			     "give -F (samples per second) or -c (a sample every N events), "
			     "not both");
		return 2;
	}
	if (freq)
		o.frequency = freq;
	o.count = count;
	if (event && !sc_record_event_canonical(event, NULL, NULL)) {
		sc_cli_error("record", 0, "-e: unknown event '%s' (known: %s)", event,
			     sc_record_event_names());
		return 2;
	}
	o.event = event;
	if (mode) {
		if (!strcmp(mode, "cpu")) {
			o.mode = SC_RECORD_MODE_CPU;
		} else if (!strcmp(mode, "offcpu")) {
			o.mode = SC_RECORD_MODE_OFFCPU;
		} else if (!strcmp(mode, "wall")) {
			o.mode = SC_RECORD_MODE_WALL;
		} else {
			sc_cli_error("record", 0, "--mode must be cpu, offcpu or wall, not '%s'",
				     mode);
			return 2;
		}
	}
	if (o.mode != SC_RECORD_MODE_CPU && event) {
		sc_cli_error("record", 0,
			     "-e is for --mode cpu (--mode %s records cpu-clock and "
			     "sched:sched_switch itself)",
			     mode);
		return 2;
	}
	if (o.mode == SC_RECORD_MODE_OFFCPU && (freq || count)) {
		sc_cli_error("record", 0,
			     "-F and -c are for --mode cpu and wall (--mode offcpu records every "
			     "switch)");
		return 2;
	}
	if ((pids != NULL) + (tids != NULL) + all_cpus > 1) {
		sc_cli_error("record", 0, "give one of -p, -t and -a, not several");
		return 2;
	}
	if (pids || tids) {
		long n = parse_ids(pids ? pids : tids, pids ? "--pid" : "--tid", &ids);
		if (n <= 0)
			return 2;
		o.pids = ids;
		o.npids = (size_t)n;
		o.tids = tids != NULL;
		if (argi < argc) {
			sc_cli_error("record", 0, "give either %s or a command, not both",
				     pids ? "-p PID" : "-t TID");
			free(ids);
			return 2;
		}
	} else if (argi < argc) {
		o.argv = argv + argi;
		o.system_wide = all_cpus;
	} else if (all_cpus) {
		o.system_wide = true;
	} else {
		sc_cli_error("record", 0,
			     "no command to profile (usage: scorch record -- COMMAND)");
		return 2;
	}
	enum { B_AUTO, B_PERF, B_SIGNAL } be = B_AUTO;
	if (backend) {
		if (!strcmp(backend, "auto")) {
			be = B_AUTO;
		} else if (!strcmp(backend, "perf")) {
			be = B_PERF;
		} else if (!strcmp(backend, "signal")) {
			be = B_SIGNAL;
		} else {
			sc_cli_error("record", 0,
				     "--backend must be auto, perf or signal, not '%s'", backend);
			free(ids);
			return 2;
		}
	}
	if (trace && (be == B_SIGNAL || !o.argv)) {
		/* The signal backend names its own agent file to the command. */
		sc_cli_error("record", 0,
			     "--trace needs a command it starts (-- COMMAND) and the perf backend");
		free(ids);
		return 2;
	}
	if (trace)
		be = B_PERF; /* no fallback to the signal backend: it would lose the spans */
	if (be == B_SIGNAL && !o.argv) {
		sc_cli_error("record", 0,
			     "--backend signal records a command it starts (-- COMMAND): it "
			     "cannot attach to running processes (-p, -t) or sample all CPUs (-a)");
		free(ids);
		return 2;
	}
	if (be == B_SIGNAL && (o.mode != SC_RECORD_MODE_CPU || o.system_wide)) {
		sc_cli_error("record", 0,
			     "--backend signal samples CPU time only: --mode %s and -a need perf "
			     "events",
			     o.system_wide ? "cpu" : mode);
		free(ids);
		return 2;
	}
	if (be == B_SIGNAL && event) {
		bool t = false;
		const char *ev = sc_record_event_canonical(event, &t, NULL);
		if (strcmp(ev, "cpu-clock") && strcmp(ev, "task-clock")) {
			sc_cli_error("record", 0,
				     "--backend signal samples each thread's CPU time (cpu-clock), "
				     "not '%s'",
				     event);
			free(ids);
			return 2;
		}
	}
	char agent[PATH_MAX] = "";
	if (be != B_PERF && o.argv && sc_record_signal_agent(agent, sizeof(agent)) < 0) {
		if (be == B_SIGNAL) {
			sc_cli_error("record", 0,
				     "--backend signal needs the sampler library %s, which is not "
				     "there (build it with make, or install scorch)",
				     agent);
			free(ids);
			return 2;
		}
		agent[0] = 0; /* auto: no fallback */
	}
	o.on_start = say_recording;
	o.ctx = &o;

	sc_outdir dir = {0};
	sc_record_result res = {0};
	sc_record_trace rt = {0};
	sc_record_gpu rg = {0};
	int rc = 1;
	sc_profile *p = sc_profile_new();
	if (!p) {
		sc_cli_error("record", -ENOMEM, "cannot start");
		goto out;
	}
	/* Create the folder first: better to refuse now than to lose a long recording. */
	char name[128];
	command_basename(&o, name, sizeof(name));
	int r =
	    outdir ? sc_outdir_make(&dir, outdir) : sc_outdir_make_dated(&dir, "scorch-out", name);
	if (r < 0) {
		sc_cli_error("record", r, "cannot create output folder '%s'",
			     dir.path.buf ? dir.path.buf : outdir);
		goto out;
	}
	if (access(dir.path.buf, W_OK) < 0) {
		sc_cli_error("record", -errno, "cannot write to output folder '%s'", dir.path.buf);
		goto out;
	}

	/* In place before the recording, which keeps its own handlers meanwhile and restores
	 * these; counted from the end of the recording. */
	finish_signals_install(&dir);
	if (trace && sc_record_trace_start(&rt) < 0)
		goto out;
	if (gpu && sc_record_gpu_start(&rg, o.argv != NULL) < 0)
		goto out;
	bool used_signal = be == B_SIGNAL;
	if (used_signal) {
		r = sc_record_signal_run(&o, agent, p, &res);
	} else {
		r = sc_record_run(&o, p, &res);
		/* Refused before the command ran anything (it waits before exec until the events
		 * are open): run it again with the sampler that needs no privilege. */
		if (r < 0 && be == B_AUTO && res.perf_refused && o.argv && agent[0] &&
		    !res.exec_errno) {
			fprintf(
			    stderr,
			    "scorch record: %s\nscorch record: sampling with the signal backend "
			    "instead (user space only; --backend perf to refuse)\n",
			    res.err);
			sc_record_result_release(&res);
			sc_profile_free(p);
			p = sc_profile_new();
			used_signal = true;
			r = p ? sc_record_signal_run(&o, agent, p, &res) : -ENOMEM;
			if (!p) {
				snprintf(res.err, sizeof(res.err), "out of memory");
				finish_signals = 0;
				sc_cli_error("record", 0, "%s", res.err);
				goto out;
			}
		}
	}
	finish_signals = 0;
	if (gpu && sc_record_gpu_stop(&rg, p, res.exited && WIFEXITED(res.wait_status)) < 0 &&
	    r == 0) {
		r = -EIO;
		snprintf(res.err, sizeof(res.err), "--gpu: the GPU samples were lost");
	}
	if (trace && sc_record_trace_stop(&rt, p) < 0 && r == 0) {
		r = -EIO;
		snprintf(res.err, sizeof(res.err), "--trace: the trace events were lost");
	}
	if (r == 0 && res.killed)
		fprintf(stderr, "scorch record: the command did not end on SIGTERM within 2 s; "
				"killed it (SIGKILL)\n");
	/* Only when a stack did reach the kernel's limit (the kernel and user context markers
	 * count in it, hence the slack): a shallow program loses nothing. */
	if (r == 0 && res.depth_limit && max_depth(p) + 2 >= (size_t)res.depth_limit)
		fprintf(
		    stderr,
		    "scorch record: warning: stacks were cut at %d frames, not --depth %d: "
		    "kernel.perf_event_max_stack is %d; raise it (as root, while no other profiler "
		    "runs) with: sysctl kernel.perf_event_max_stack=%d\n",
		    res.depth_limit, o.max_depth, res.depth_limit, o.max_depth);
	if (r < 0) {
		sc_cli_error("record", 0, "%s", res.err);
		/* As a shell reports it: 127 for a command not found, 126 for one found but not
		 * runnable (not executable, a directory, not a program). */
		rc = res.exec_errno == ENOENT ? 127 : res.exec_errno ? 126 : 1;
		goto out;
	}
	rc = sc_cli_exit_status(res.exited, res.wait_status);

	struct progress pr = {.start = now()};
	/* res.modules: the files the unwinder opened, read again by the symbolizer from memory */
	sc_sym_options so = {
	    .progress = show_progress, .progress_ctx = &pr, .modules = res.modules};
	sc_sym_stats st = {0};
	double t0 = now();
	sc_sym_file_alias *aliases = NULL;
	char *alias_paths = NULL;
	r = sc_cli_record_gone_aliases(&res, &aliases, &alias_paths);
	so.aliases = aliases;
	so.naliases = aliases ? res.ngone : 0;
	if (r == 0)
		r = sc_symbolize_profile(p, &so, &st);
	free(aliases);
	free(alias_paths);
	if (pr.shown)
		fputc('\n', stderr);
	if (r < 0)
		sc_cli_error("record", r, "symbolization failed; writing unsymbolized addresses");

	char title[256];
	snprintf(title, sizeof(title), "scorch: %s", name);
	/* Off-CPU and wall profiles are read by their time, not by their count of events. */
	int vtype = o.mode == SC_RECORD_MODE_CPU ? 0 : 1;
	sc_flamegraph_options fo = {.title = title, .type = vtype};
	int werr = write_artifacts(&dir, p, &fo);
	if (gpu && (rg.stopped || rg.cupti)) { /* the counters in --trace's trace.json too */
		rt.also = sc_record_gpu_more;
		rt.also_ctx = &rg;
	}
	if (!werr && trace && sc_record_trace_write(&rt, &dir, p, vtype, name, o.argv, quiet) < 0)
		werr = -1;
	if (!werr && gpu && sc_record_gpu_write(&rg, &dir, p, vtype, name, trace, quiet) < 0)
		werr = -1;
	if (werr && rc == 0)
		rc = 1;
	sc_top t;
	bool have_top = !quiet && res.samples && sc_top_compute(p, vtype, &t) == 0;
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
		if (o.mode != SC_RECORD_MODE_CPU && res.samples)
			fprintf(
			    stderr,
			    "scorch record: %llu of them off the CPU (a thread's wait, from its "
			    "switch-out to its switch-in)%s\n",
			    (unsigned long long)res.offcpu_intervals,
			    res.offcpu_dropped ? "; some switch-ins were lost (see 'lost')" : "");
		sc_cli_record_report_gone(p, &res);
		sc_cli_record_report_cuts(&o, &res, used_signal);
		sc_cli_print_unnamed(p, &st, stderr);
		if (used_signal)
			fprintf(stderr,
				"scorch record: signal backend: each thread sampled on its own CPU "
				"time, user space only (no kernel frames)\n");
		if (res.note[0])
			fprintf(stderr, "scorch record: %s\n", res.note);
		if (res.kernel_excluded)
			fprintf(stderr, "scorch record: kernel call chains were refused "
					"(kernel.perf_event_paranoid); recorded user space only\n");
		if (!res.samples)
			sc_cli_record_no_samples(&o);
		if (have_top) {
			fflush(stdout);
			sc_top_print_text(p, &t, (size_t)(top > 0 ? top : 0), stderr);
			sc_top_release(&t);
		}
		if (!werr)
			fprintf(stderr,
				"scorch record: wrote "
				"%s/{profile.pb.gz,flamegraph.html,stacks.folded}\n",
				dir.path.buf);
	}
out:
	sc_record_trace_release(&rt);
	sc_record_gpu_release(&rg);
	sc_record_result_release(&res);
	finish_signals_set(SIG_DFL);
	sc_outdir_remove_if_empty(&dir);
	sc_outdir_release(&dir);
	sc_profile_free(p);
	free(ids);
	return rc;
}
