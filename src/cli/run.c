/*
 * run.c: `scorch run`, one command for a whole profiling session: the chosen modes (cpu, memory,
 * trace, gpu) run one after another on the same command, into one dated folder with an index,
 * a combined report, a record of the session and the CI gates.
 *
 * Flow: parse options -> load scorch.toml (every error named file:line:key, exit 2, before any
 * folder exists) -> flags over the file (--set KEY=VALUE) -> the dated folder
 * DIR/NAME-YYYYmmdd-HHMMSS/ -> each mode: the existing command as a child of this binary
 * (/proc/self/exe record|heap|trace|gpu ... -o SESSION/MODE -- CMD), its standard error kept in
 * SESSION/MODE.log and copied to ours; a mode that fails is reported and the others still run ->
 * the gates (run_gates.c) -> session.json, report.md, index.html (run_out.c) -> DIR/latest.
 *
 * Modes run in sequence because they disturb each other: the heap tracker slows every malloc,
 * the CPU sampler interrupts, the trace agent writes rings. Skipped, not failed: `trace` when the
 * program does not link libscorch, `gpu` when this scorch has no gpu command or the gpu command
 * measured nothing (neither NVML nor a kernel trace: gpu_off()).
 *
 * Exit status: 0; 3 when a gate failed; 1 when a mode failed (and no gate did); 2 for bad usage
 * or a bad configuration; 128 + N after signal N (Ctrl-C: 130) stopped the session. Not here: what
 * the modes record (their own commands), the comparison of two CPU profiles (report/diff.h, used by
 * run_gates.c).
 */
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/run.h"
#include "session/outdir.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const usage[] = {
    "scorch run [options] -- COMMAND [ARGS...]",
    "scorch run [options] --each FILE",
    "scorch run --compare A B",
    NULL,
};

static const char *const examples[] = {
    "scorch run --each commands.txt --mode cpu,memory",
    "scorch run --compare profiles/before-20261203-101500 profiles/latest",
    "scorch run --mode all -- ./myprog input.txt",
    "scorch run --mode cpu,memory --config scorch.toml -o profiles -- ./myprog",
    "scorch run --mode cpu --baseline profiles/base/cpu/profile.pb.gz -- ./bench",
    "scorch run --mode memory --set thresholds.max_peak_usage_mb=512 -- ./tests/run",
    NULL,
};

const char *const run_mode_names[RUN_NMODES] = {"cpu", "memory", "trace", "gpu", "bench"};

static volatile sig_atomic_t interrupted; /* the signal number, 0 when none came */

static void on_interrupt(int sig)
{
	interrupted = sig;
}

const char *run_status_name(enum run_status s)
{
	switch (s) {
	case RUN_OK:
		return "ok";
	case RUN_FAILED:
		return "failed";
	case RUN_SKIPPED:
		return "skipped";
	default:
		return "not run";
	}
}

/* "cpu,memory" or "all" into s->modes. Returns 0 or 2 after printing the bad part. */
static int parse_modes(const char *arg, run_session *s)
{
	char *copy = strdup(arg), *save = NULL;
	int rc = 0;
	if (!copy)
		return 2;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool found = false;
		if (strcmp(t, "all") == 0) {
			for (int m = 0; m < RUN_BENCH; m++)
				s->modes[m].wanted = true;
			continue;
		}
		for (int m = 0; m < RUN_BENCH; m++)
			if (strcmp(t, run_mode_names[m]) == 0)
				s->modes[m].wanted = found = true;
		if (!found) {
			sc_cli_error(
			    "run", 0,
			    "--mode: unknown mode '%s' (modes: cpu, memory, gpu, trace, all, "
			    "or a comma list)",
			    t);
			rc = 2;
			break;
		}
	}
	free(copy);
	return rc;
}

/* Loads the config file (or the defaults) and the --set overrides. Returns 0 or 2 after printing
 * every problem. */
static int load_config(run_session *s, const sc_option_list *sets)
{
	if (!s->config_path) {
		if (sc_config_init(&s->cfg) < 0) {
			sc_cli_error("run", -ENOMEM, "cannot set the defaults");
			return 2;
		}
	} else {
		sc_config_report rep = {0};
		int r = sc_config_load(s->config_path, &s->cfg, &rep);
		char buf[1024];
		if (r < 0 && r != -EINVAL && !rep.len)
			sc_cli_error("run", r, "--config: cannot read '%s'", s->config_path);
		for (size_t k = 0; k < rep.len; k++)
			sc_cli_error("run", 0, "%s%s", rep.items[k].error ? "" : "note: ",
				     sc_diag_format(&rep.items[k].d, buf, sizeof(buf)));
		sc_config_report_release(&rep);
		if (r < 0)
			return 2;
	}
	for (int i = 0; i < sets->len; i++) {
		sc_diag d = {0};
		if (sc_config_set_assignment(&s->cfg, sets->items[i], &d) < 0) {
			sc_cli_error("run", 0, "--set '%s': %s", sets->items[i], d.message);
			return 2;
		}
	}
	return 0;
}

/* The program's file: CMD[0] itself when it has a slash, else the first match on PATH. */
static char *program_path(const char *cmd)
{
	if (strchr(cmd, '/'))
		return strdup(cmd);
	const char *path = getenv("PATH");
	if (!path)
		return NULL;
	char *copy = strdup(path), *save = NULL, *found = NULL;
	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		sc_strbuf sb = {0};
		sc_strbuf_addf(&sb, "%s/%s", d, cmd);
		if (sb.buf && access(sb.buf, X_OK) == 0)
			found = sc_strbuf_detach(&sb);
		sc_strbuf_release(&sb);
	}
	free(copy);
	return found;
}

/* Whether the program can have spans: its file names libscorch (a DT_NEEDED entry, or the
 * runtime linked in statically). A script or a launcher that runs such a program is not seen. */
static bool links_libscorch(const char *cmd)
{
	char *path = program_path(cmd), *data = NULL;
	size_t n = 0;
	bool yes = false;
	if (path && sc_read_file_max(path, (size_t)1 << 30, &data, &n) == 0)
		yes =
		    memmem(data, n, "libscorch.so", 12) || memmem(data, n, "scorch_span_begin", 17);
	free(data);
	free(path);
	return yes;
}

/* Runs PROG (a path, or a name looked up on PATH) with ARGV, standard error into `log` and, when
 * `out` is not NULL, standard output into `out`; returns the child's status as a shell
 * reports it, or -errno when it could not be started. */
static int run_child(const char *prog, char **argv, const char *log, const char *out)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), ofd = -1;
	if (fd < 0)
		return -errno;
	if (out && (ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fd);
		if (ofd >= 0)
			close(ofd);
		return -e;
	}
	if (pid == 0) {
		dup2(fd, STDERR_FILENO);
		if (ofd >= 0)
			dup2(ofd, STDOUT_FILENO);
		if (strchr(prog, '/'))
			execv(prog, argv);
		else
			execvp(prog, argv);
		dprintf(STDERR_FILENO, "scorch run: cannot run %s: %s\n", prog, strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(fd);
	if (ofd >= 0)
		close(ofd);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return sc_cli_exit_status(true, st);
}

/* Copies the mode's log to our standard error; keeps the last "scorch MODE: " line in `last`. */
static void relay_log(const char *log, const char *cmd, char *last, size_t size)
{
	FILE *f = fopen(log, "r");
	char line[1024], prefix[32];
	if (!f)
		return;
	snprintf(prefix, sizeof(prefix), "scorch %s: ", cmd);
	while (fgets(line, sizeof(line), f)) {
		fputs(line, stderr);
		if (strncmp(line, prefix, strlen(prefix)) == 0 &&
		    strncmp(line + strlen(prefix), "wrote ", 6) != 0) {
			size_t len = strcspn(line, "\n");
			if (len >= size)
				len = size - 1;
			memcpy(last, line, len);
			last[len] = 0;
		}
	}
	fclose(f);
}

/* Whether a line of `log` contains `what`; the first such line (without its newline) goes into
 * `line`. */
static bool log_line(const char *log, const char *what, char *line, size_t size)
{
	FILE *f = fopen(log, "r");
	char buf[1024];
	bool found = false;
	while (f && !found && fgets(buf, sizeof(buf), f)) {
		if (!strstr(buf, what))
			continue;
		size_t len = strcspn(buf, "\n");
		if (len >= size)
			len = size - 1;
		memcpy(line, buf, len);
		line[len] = 0;
		found = true;
	}
	if (f)
		fclose(f);
	return found;
}

static void add_arg(char **argv, int *n, const char *a)
{
	argv[(*n)++] = (char *)a;
}

/* The bench step: the benchmark program measures itself (its own `--format none --json FILE`),
 * then `scorch bench compare --fail-on-regression PCT BASELINE FILE` when a baseline is given,
 * its table kept in bench/compare.txt. */
static void do_bench(run_session *s)
{
	run_mode *rm = &s->modes[RUN_BENCH];
	char dir[PATH_MAX], json[PATH_MAX], log[PATH_MAX], txt[PATH_MAX], pct[32];
	snprintf(dir, sizeof(dir), "%s/bench", s->dir);
	snprintf(json, sizeof(json), "%s/bench/bench.json", s->dir);
	snprintf(log, sizeof(log), "%s/bench.log", s->dir);
	snprintf(txt, sizeof(txt), "%s/bench/compare.txt", s->dir);
	s->bench_compare_status = -1;
	char **argv = calloc((size_t)s->ncmd + 8, sizeof(char *));
	int n = 0, r;
	if (!argv || sc_mkdir_p(dir) < 0) {
		free(argv);
		rm->status = RUN_FAILED;
		snprintf(rm->reason, sizeof(rm->reason), "cannot make the folder bench/");
		return;
	}
	for (int i = 0; i < s->ncmd; i++)
		add_arg(argv, &n, s->cmd[i]);
	add_arg(argv, &n, "--format");
	add_arg(argv, &n, "none");
	add_arg(argv, &n, "--json");
	add_arg(argv, &n, json);
	fprintf(stderr, "scorch run: bench: %s --format none --json %s\n", s->cmd[0], json);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = run_child(s->cmd[0], argv, log, NULL);
	char last[512] = "";
	relay_log(log, "bench", last, sizeof(last));
	rm->exit_code = r < 0 ? -1 : r;
	if (r != 0) {
		rm->status = RUN_FAILED;
		snprintf(rm->reason, sizeof(rm->reason), "%s: %s %d", s->cmd[0],
			 r < 0 ? "cannot run it, error" : "exit status", r < 0 ? -r : r);
	} else if (s->bench_baseline) {
		n = 0;
		snprintf(pct, sizeof(pct), "%g", s->bench_fail_pct);
		add_arg(argv, &n, "scorch");
		add_arg(argv, &n, "bench");
		add_arg(argv, &n, "compare");
		add_arg(argv, &n, "--fail-on-regression");
		add_arg(argv, &n, pct);
		add_arg(argv, &n, s->bench_baseline);
		add_arg(argv, &n, json);
		argv[n] = NULL;
		r = run_child("/proc/self/exe", argv, log, txt);
		relay_log(log, "bench", last, sizeof(last));
		s->bench_compare_status = r;
		rm->status = r == 0 || r == 3 ? RUN_OK : RUN_FAILED;
		if (rm->status == RUN_FAILED)
			snprintf(rm->reason, sizeof(rm->reason), "scorch bench compare: %s",
				 last[0] ? last : "failed");
	} else {
		rm->status = RUN_OK;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rm->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	free(argv);
}

/* Whether the gpu command measured nothing: its log says both that the metrics are off (no NVML,
 * docs/cmd/gpu.md) and that there is no kernel trace (no CUPTI, or no process started CUDA).
 * One part alone is still a result: the kernels without NVML, the metrics without CUPTI. The
 * reason gets both lines, without their "scorch gpu: ". */
static bool gpu_off(const char *log, char *reason, size_t size)
{
	static const char prefix[] = "scorch gpu: ";
	char nvml[500], cupti[500];
	if (!log_line(log, "GPU metrics are off", nvml, sizeof(nvml)) ||
	    !log_line(log, "no kernel trace", cupti, sizeof(cupti)))
		return false;
	const char *a = strncmp(nvml, prefix, strlen(prefix)) ? nvml : nvml + strlen(prefix);
	const char *b = strncmp(cupti, prefix, strlen(prefix)) ? cupti : cupti + strlen(prefix);
	snprintf(reason, size, "%s; %s", a, b);
	return true;
}

static void do_mode(run_session *s, int m)
{
	if (m == RUN_BENCH) {
		do_bench(s);
		return;
	}
	run_mode *rm = &s->modes[m];
	static const char *const cmds[RUN_NMODES] = {"record", "heap", "trace", "gpu"};
	char out[PATH_MAX], log[PATH_MAX], num1[32], num2[32];
	snprintf(out, sizeof(out), "%s/%s", s->dir, run_mode_names[m]);
	snprintf(log, sizeof(log), "%s/%s.log", s->dir, run_mode_names[m]);

	if (m == RUN_TRACE && !links_libscorch(s->cmd[0])) {
		rm->status = RUN_SKIPPED;
		snprintf(rm->reason, sizeof(rm->reason),
			 "%s does not link libscorch: no spans to collect", s->cmd[0]);
		return;
	}
	if (m == RUN_GPU && !sc_cli_has_command("gpu")) {
		rm->status = RUN_SKIPPED;
		snprintf(rm->reason, sizeof(rm->reason), "this scorch has no gpu command");
		return;
	}

	char **argv = calloc((size_t)s->ncmd + 24, sizeof(char *));
	int n = 0;
	if (!argv) {
		rm->status = RUN_FAILED;
		snprintf(rm->reason, sizeof(rm->reason), "out of memory");
		return;
	}
	add_arg(argv, &n, "scorch");
	add_arg(argv, &n, cmds[m]);
	add_arg(argv, &n, "-o");
	add_arg(argv, &n, out);
	if (m == RUN_CPU) {
		snprintf(num1, sizeof(num1), "%lld", (long long)s->cfg.profiling.sample_rate_hz);
		snprintf(num2, sizeof(num2), "%lld", (long long)s->cfg.profiling.stack_depth);
		add_arg(argv, &n, "-F");
		add_arg(argv, &n, num1);
		add_arg(argv, &n, "--depth");
		add_arg(argv, &n, num2);
	} else if (m == RUN_MEMORY) {
		snprintf(num1, sizeof(num1), "%lld", (long long)s->cfg.memory.stack_trace_depth);
		add_arg(argv, &n, "--depth");
		add_arg(argv, &n, num1);
		if (s->cfg.memory.sample_rate > 1) {
			snprintf(num2, sizeof(num2), "%lld", (long long)s->cfg.memory.sample_rate);
			add_arg(argv, &n, "--sample");
			add_arg(argv, &n, num2);
		}
	}
	add_arg(argv, &n, "--");
	for (int i = 0; i < s->ncmd; i++)
		add_arg(argv, &n, s->cmd[i]);
	argv[n] = NULL;

	fprintf(stderr, "scorch run: %s: scorch %s -o %s -- %s\n", run_mode_names[m], cmds[m], out,
		s->cmd[0]);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = run_child("/proc/self/exe", argv, log, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rm->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	free(argv);

	char last[512] = "";
	relay_log(log, cmds[m], last, sizeof(last));
	rm->exit_code = r < 0 ? -1 : r;
	if (r < 0) {
		rm->status = RUN_FAILED;
		snprintf(rm->reason, sizeof(rm->reason), "cannot run scorch %s: %s", cmds[m],
			 strerror(-r));
	} else if (m == RUN_GPU && gpu_off(log, rm->reason, sizeof(rm->reason))) {
		rm->status = RUN_SKIPPED;
	} else if (r == 128 + SIGINT) {
		/* Ctrl-C at a terminal goes to the command's process group (session.c hands it the
		 * terminal), not to us: its end by SIGINT stops the session as our own SIGINT does.
		 */
		interrupted = SIGINT;
		rm->status = RUN_FAILED;
		snprintf(rm->reason, sizeof(rm->reason), "interrupted (exit status %d)", r);
	} else if (r != 0) {
		rm->status = RUN_FAILED;
		snprintf(rm->reason, sizeof(rm->reason), "exit status %d%s%s", r,
			 last[0] ? ": " : "", last);
	} else {
		rm->status = RUN_OK;
		/* One part of the gpu command off: the mode ran, its note says what is missing. */
		if (m == RUN_GPU && (log_line(log, "GPU metrics are off", last, sizeof(last)) ||
				     log_line(log, "no kernel trace", last, sizeof(last))))
			snprintf(rm->reason, sizeof(rm->reason), "%s",
				 strncmp(last, "scorch gpu: ", 12) ? last : last + 12);
	}
}

/* DIR/latest -> the session folder's name, replaced atomically (a symlink to a temporary name,
 * renamed over the old one). */
static int link_latest(const char *parent, const char *dir)
{
	const char *base = strrchr(dir, '/');
	base = base ? base + 1 : dir;
	char tmp[PATH_MAX], dst[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s/.latest.%ld", parent, (long)getpid());
	snprintf(dst, sizeof(dst), "%s/latest", parent);
	unlink(tmp);
	if (symlink(base, tmp) < 0)
		return -errno;
	if (rename(tmp, dst) < 0) {
		int e = errno;
		unlink(tmp);
		return -e;
	}
	return 0;
}

/* The default name: [output] filename_prefix, else the command's basename. */
static const char *default_name(const run_session *s)
{
	if (s->cfg.output.filename_prefix && s->cfg.output.filename_prefix[0])
		return s->cfg.output.filename_prefix;
	const char *b = strrchr(s->cmd[0], '/');
	return b ? b + 1 : s->cmd[0];
}

/* One session of s->cmd into PARENT/NAME-STAMP: the modes, the gates, the files, latest.
 * Returns the exit status (0, 1, 2 or 3 as cmd_run documents). */
static int one_session(run_session *s, const char *parent, const char *name, char *folder,
		       size_t fsize)
{
	sc_outdir dir = {0};
	int rc = 0;
	for (int m = 0; m < RUN_NMODES; m++) {
		bool wanted = s->modes[m].wanted;
		memset(&s->modes[m], 0, sizeof(s->modes[m]));
		s->modes[m].wanted = wanted;
	}
	s->ngates = 0;
	const char *nm = name ? name : default_name(s);
	if (!nm[0] || strchr(nm, '/')) {
		sc_cli_error("run", 0, "--name '%s': a name without '/'", nm);
		return 2;
	}
	int r = sc_outdir_make_dated(&dir, parent, nm);
	if (r < 0) {
		sc_cli_error("run", r, "cannot make the session folder in '%s'", parent);
		rc = 1;
		goto out;
	}
	s->dir = dir.path.buf;
	s->name = (char *)nm;
	s->start_unix = (int64_t)time(NULL);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Ctrl-C reaches the mode's command too (one process group): it ends the mode as it would
	 * end that command alone (record still writes its profile); scorch then runs no further
	 * mode, writes the session's files for what was recorded and exits 130. */
	struct sigaction sa = {.sa_handler = on_interrupt}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	interrupted = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	for (int m = 0; m < RUN_NMODES; m++) {
		if (!s->modes[m].wanted)
			continue;
		if (interrupted) {
			s->modes[m].status = RUN_SKIPPED;
			snprintf(s->modes[m].reason, sizeof(s->modes[m].reason),
				 "interrupted before it started");
			continue;
		}
		do_mode(s, m);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	if (run_apply_filters(s) < 0 || run_write_main_view(s) < 0)
		rc = 1;
	int failed_gates = run_check_gates(s);
	bool failed_mode = false;
	for (int m = 0; m < RUN_NMODES; m++) {
		const run_mode *rm = &s->modes[m];
		if (!rm->wanted)
			continue;
		failed_mode |= rm->status == RUN_FAILED;
		fprintf(stderr, "scorch run: %s: %s%s%s%s\n", run_mode_names[m],
			run_status_name(rm->status), rm->reason[0] ? " (" : "", rm->reason,
			rm->reason[0] ? ")" : "");
	}
	for (int g = 0; g < s->ngates; g++)
		if (s->gates[g].failed)
			fprintf(stderr, "%s\n", s->gates[g].line);
	const char *what[] = {"session.json", "report.md", "index.html"};
	int (*writers[])(const run_session *) = {run_write_session_json, run_write_report,
						 run_write_index};
	for (int i = 0; i < 3; i++)
		if ((r = writers[i](s)) < 0) {
			sc_cli_error("run", r, "cannot write '%s/%s'", s->dir, what[i]);
			rc = 1;
		}
	if ((r = link_latest(parent, s->dir)) < 0)
		sc_cli_error("run", r, "cannot point '%s/latest' at the session", parent);
	fprintf(stderr, "scorch run: wrote %s/{index.html,report.md,session.json}\n", s->dir);
	if (interrupted)
		rc = 128 + (int)interrupted;
	else if (failed_gates > 0)
		rc = 3;
	else if (failed_gates < 0 || failed_mode || rc)
		rc = 1;
	if (folder)
		snprintf(folder, fsize, "%s", s->dir);
out:
	s->dir = NULL;
	sc_outdir_release(&dir);
	return rc;
}

/* Splits a command line into words: blanks separate, '...' and "..." quote, a backslash escapes
 * the next character (not inside '...'). Returns the number of words, or -1 for an unclosed
 * quote. The words point into `line`, which is rewritten in place. */
static int split_words(char *line, char **words, int max)
{
	int n = 0;
	char *r = line, *w = line;
	while (*r) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r || *r == '\n')
			break;
		if (n == max)
			return -1;
		words[n++] = w;
		char q = 0;
		for (; *r && (q || (*r != ' ' && *r != '\t' && *r != '\n')); r++) {
			if (q && *r == q)
				q = 0;
			else if (!q && (*r == '\'' || *r == '"'))
				q = *r;
			else if (*r == '\\' && q != '\'' && r[1])
				*w++ = *++r;
			else
				*w++ = *r;
		}
		if (q)
			return -1;
		if (*r)
			r++;
		*w++ = 0;
	}
	return n;
}

#define RUN_EACH_MAX_WORDS 256

/* --each FILE: one session per command line of FILE (blank lines and # comments skipped), then
 * a table of them on standard output. The exit status is the worst: 3 when a gate failed in
 * any, else 1 when a session failed, else 0; 2 when FILE cannot be read or has a bad line
 * (nothing is run then). */
static int run_each(run_session *s, const char *file, const char *parent, const char *name)
{
	char *data = NULL, *save = NULL;
	size_t n = 0;
	int r = sc_read_file(file, &data, &n), rc = 0, count = 0, lineno = 0;
	if (r < 0) {
		sc_cli_error("run", r, "--each: cannot read '%s'", file);
		return 2;
	}
	/* Check every line first: a typo on line 9 must not surface after eight sessions. */
	char *copy = strdup(data);
	char *words[RUN_EACH_MAX_WORDS + 1];
	for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save))
		if (split_words(l, words, RUN_EACH_MAX_WORDS) < 0) {
			sc_cli_error("run", 0,
				     "--each: %s: a line with an unclosed quote or over %d words",
				     file, RUN_EACH_MAX_WORDS);
			rc = 2;
		}
	free(copy);
	if (rc) {
		free(data);
		return rc;
	}
	sc_strbuf table = {0};
	sc_strbuf_addf(&table, "%-6s  %-48s  %s\n", "status", "session", "command");
	for (char *l = data, *next; l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		const char *t = l + strspn(l, " \t");
		if (!*t || *t == '#')
			continue;
		char shown[256];
		snprintf(shown, sizeof(shown), "%s", t);
		int nw = split_words(l, words, RUN_EACH_MAX_WORDS);
		if (nw <= 0)
			continue;
		words[nw] = NULL;
		s->cmd = words;
		s->ncmd = nw;
		char folder[PATH_MAX] = "-";
		fprintf(stderr, "scorch run: --each: line %d: %s\n", lineno, shown);
		int one = one_session(s, parent, name, folder, sizeof(folder));
		count++;
		sc_strbuf_addf(&table, "%-6d  %-48s  %s\n", one, folder, shown);
		if (interrupted) {
			rc = one;
			break;
		}
		if (one == 3)
			rc = 3;
		else if (one && rc == 0)
			rc = 1;
	}
	free(data);
	printf("scorch run --each %s: %d session%s\n%s", file, count, count == 1 ? "" : "s",
	       table.buf ? table.buf : "");
	sc_strbuf_release(&table);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	const char *modes = "cpu", *outdir = NULL, *name = NULL, *baseline = NULL;
	run_session s = {0};
	char **bench_cmd = NULL;
	sc_option_list sets = {0};
	const char *each = NULL, *compare = NULL, *bench = NULL;
	int rc = 0;
	sc_option opts[] = {
	    SC_OPT_STR('m', "mode", &modes, "MODES",
		       "cpu, memory, gpu, trace or all, or a comma list (default cpu)"),
	    SC_OPT_STR('c', "config", &s.config_path, "FILE",
		       "settings from FILE (scorch.toml: see docs/config.md); flags override it"),
	    SC_OPT_STR('o', "output", &outdir, "DIR",
		       "folder of the dated session folders (default [output] directory, "
		       "profiles unless set)"),
	    SC_OPT_STR(0, "name", &name, "NAME",
		       "session folder DIR/NAME-YYYYmmdd-HHMMSS (default [output] filename_prefix, "
		       "else the command's name)"),
	    SC_OPT_LIST(
		0, "set", &sets, "KEY=VALUE",
		"override a config key, e.g. thresholds.max_peak_usage_mb=512 (repeatable)"),
	    SC_OPT_STR(0, "baseline", &baseline, "PATH",
		       "CPU regression gate against this profile, or a session folder's cpu/ "
		       "profile (see docs/cmd/run.md)"),
	    SC_OPT_STR(0, "each", &each, "FILE",
		       "one session per command line of FILE (# comments, quotes as in a shell), "
		       "then a table of them"),
	    SC_OPT_STR(0, "compare", &compare, "A",
		       "compare session folder A with B, the argument after it: the CPU and span "
		       "profiles as scorch diff does, the heap totals side by side"),
	    SC_OPT_STR(0, "bench", &bench, "PROGRAM",
		       "profile a libscorch-bench program (the arguments after -- are its own) and "
		       "keep its measurement in bench/"),
	    SC_OPT_STR(0, "bench-baseline", &s.bench_baseline, "FILE",
		       "with --bench: compare its measurement with this saved report "
		       "(scorch-bench/NAME.json) as scorch bench compare does; the gate "
		       "bench.regression"),
	    SC_OPT_DOUBLE_RANGE(0, "bench-fail", &s.bench_fail_pct, "PERCENT", 0, 1000,
				"the gate bench.regression fails when a benchmark regressed by "
				"more than PERCENT (default 5)"),
	    SC_OPT_END(),
	};
	s.bench_fail_pct = 5;
	int argi = sc_options_parse("run", usage, opts, examples, argc, argv);
	if (argi < 0) {
		sc_option_list_release(&sets);
		return argi == SC_OPTIONS_HELP ? 0 : 2;
	}
	if (compare) {
		sc_option_list_release(&sets);
		if (argc - argi != 1) {
			sc_cli_error("run", 0,
				     "--compare takes two session folders: --compare A B");
			return 2;
		}
		return run_compare(compare, argv[argi]);
	}
	if (bench) {
		/* The program, then its own arguments. */
		char **cmd = calloc((size_t)(argc - argi) + 2, sizeof(char *));
		if (!cmd) {
			sc_option_list_release(&sets);
			return 1;
		}
		cmd[0] = (char *)bench;
		for (int i = argi; i < argc; i++)
			cmd[i - argi + 1] = argv[i];
		s.cmd = bench_cmd = cmd;
		s.ncmd = argc - argi + 1;
	} else if (s.bench_baseline) {
		sc_cli_error("run", 0, "--bench-baseline needs --bench PROGRAM");
		sc_option_list_release(&sets);
		return 2;
	}
	if (bench ? each != NULL : each ? argi < argc : argi >= argc) {
		sc_cli_error("run", 0,
			     each ? "--each runs the file's command lines: no command after it"
				  : "no command to run (scorch run [options] -- COMMAND)");
		sc_option_list_release(&sets);
		free(bench_cmd);
		return 2;
	}
	if (!bench) {
		s.cmd = argv + argi;
		s.ncmd = argc - argi;
	}
	rc = parse_modes(modes, &s);
	s.modes[RUN_BENCH].wanted = bench != NULL;
	if (rc == 0)
		rc = load_config(&s, &sets);
	sc_option_list_release(&sets);
	if (rc)
		goto out_config;
	s.baseline = baseline ? baseline
		     : s.cfg.thresholds.cpu_baseline && s.cfg.thresholds.cpu_baseline[0]
			 ? s.cfg.thresholds.cpu_baseline
			 : NULL;
	if (s.baseline && access(s.baseline, R_OK) < 0) {
		sc_cli_error("run", errno, "--baseline: cannot read '%s'", s.baseline);
		rc = 2;
		goto out_config;
	}
	/* -o, else [output] directory (its default: "profiles"). */
	const char *parent = outdir ? outdir : s.cfg.output.directory;
	rc = each ? run_each(&s, each, parent, name) : one_session(&s, parent, name, NULL, 0);
out_config:
	free(bench_cmd);
	sc_config_release(&s.cfg);
	return rc;
}
