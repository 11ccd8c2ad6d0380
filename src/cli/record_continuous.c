/*
 * record_continuous.c: `scorch record --continuous --push URL`, keep profiling a long-running
 * process and upload one profile per interval.
 *
 * Flow: start the command (or take -p PID) -> per interval, run `scorch record -p PID
 * --duration S -q` (this same executable) into a private temporary folder -> upload its
 * profile.pb.gz with from/until = the interval (the next interval's from is this one's until,
 * so the intervals tile the time) -> remove the folder -> again, until the process is gone or
 * SIGINT/SIGTERM (the interval under way is finished and uploaded first). A failed upload is
 * reported and the next interval goes on; the exit status is 1 when any upload failed, else the
 * command's own status (0 with -p).
 *
 * Each interval is a recording of its own: a new attach per interval costs the few milliseconds
 * between one recorder's end and the next one's start, when no sample is taken.
 * Not here: the recording (record.c, src/record), the uploads (push.c, src/push).
 */
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/push.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const usage[] = {
    "scorch record --continuous --push URL --app NAME -p PID [--interval SECONDS]",
    "scorch record --continuous --parca URL [--grpc-web] [--interval SECONDS] -- COMMAND "
    "[ARGS...]",
    NULL,
};

static const char *const examples[] = {
    "scorch record --continuous --push http://localhost:4040 --app api -p 1234 --interval 10s",
    "scorch record --continuous --parca localhost:7070 --interval 30 -- ./server --port 8080",
    NULL,
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

bool sc_cli_record_is_continuous(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--continuous"))
			return true;
	return false;
}

/* "10", "10s", "2m", "1.5s": seconds, at least 1. Returns -1 after printing. */
static double parse_interval(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (!errno && end != s) {
		if (!strcmp(end, "m"))
			v *= 60, end++;
		else if (!strcmp(end, "s"))
			end++;
	}
	if (errno || end == s || *end || !(v >= 1 && v <= 86400)) {
		sc_cli_error("record", 0,
			     "--interval '%s': expected seconds between 1 and 86400 (10, 10s, 2m)",
			     s);
		return -1;
	}
	return v;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Waits for `pid`, forwarding a stop signal once. Returns its wait status, or -1. */
static int wait_recorder(pid_t pid)
{
	bool forwarded = false;
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, 0);
		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		if (stop_signal && !forwarded) {
			kill(pid, SIGINT);
			forwarded = true;
		}
	}
}

/* Whether the profiled process is still there; reaps our own command when it ended. */
static bool target_alive(pid_t pid, bool ours, int *cmd_status)
{
	if (ours) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			*cmd_status = sc_cli_exit_status(true, st);
			return false;
		}
		return r == 0;
	}
	return kill(pid, 0) == 0 || errno == EPERM;
}

int sc_cli_record_continuous(int argc, char **argv)
{
	sc_cli_push p = {.cmd = "record"};
	sc_option_list labels = {0}, headers = {0};
	const char *interval_s = "10", *pid_s = NULL;
	bool continuous = false;
	int freq = 0;
	sc_option opts[] = {
	    SC_OPT_FLAG(0, "continuous", &continuous,
			"record one profile per interval and upload each, until the process "
			"exits or Ctrl-C"),
	    SC_OPT_STR(0, "push", &p.pyroscope, "URL", "Grafana Pyroscope server to upload to"),
	    SC_OPT_STR(0, "parca", &p.parca, "URL", "Parca server to upload to (gRPC)"),
	    SC_OPT_FLAG(0, "grpc-web", &p.grpc_web, "--parca: gRPC-Web over HTTP/1.1"),
	    SC_OPT_STR(0, "app", &p.app, "NAME",
		       "application name (default: the command's or the process's name)"),
	    SC_OPT_LIST(0, "label", &labels, "K=V", "add a label (repeatable)"),
	    SC_OPT_STR('p', "pid", &pid_s, "PID", "profile this running process"),
	    SC_OPT_STR(0, "interval", &interval_s, "SECONDS",
		       "length of each profile (default 10; 10s and 2m work too)"),
	    SC_OPT_INT_RANGE('F', "frequency", &freq, "HZ", 1, 100000,
			     "samples per second per thread (default 1000)"),
	    SC_OPT_FLAG(0, "insecure", &p.client.insecure,
			"do not verify the server's TLS certificate"),
	    SC_OPT_LIST('H', "header", &headers, "'NAME: VALUE'",
			"add an HTTP header to every upload (repeatable), as scorch push -H"),
	    SC_OPT_END(),
	};
	int argi = sc_options_parse("record", usage, opts, examples, argc, argv);
	if (argi == SC_OPTIONS_HELP)
		return 0;
	if (argi < 0)
		return 2;
	int ret = 2;
	char tmpl[] = "/tmp/scorch-continuous.XXXXXX", *dir = NULL;
	char app[64] = "";
	pid_t pid = 0;
	bool ours = argi < argc;
	double interval = parse_interval(interval_s);
	if (interval < 0)
		goto out;
	p.labels = &labels;
	p.client.headers = headers.items;
	p.client.nheaders = (size_t)headers.len;
	if (!p.pyroscope && !p.parca) {
		sc_cli_error("record", 0, "--continuous needs --push URL or --parca URL");
		goto out;
	}
	if (!!pid_s == ours) {
		sc_cli_error("record", 0, "--continuous: give -p PID or a command, one of them");
		goto out;
	}
	if (pid_s) {
		char *end;
		long v = strtol(pid_s, &end, 10);
		if (end == pid_s || *end || v <= 0 || v > 0x7fffffff) {
			sc_cli_error("record", 0, "-p '%s': expected one process id", pid_s);
			goto out;
		}
		pid = (pid_t)v;
		if (kill(pid, 0) < 0 && errno == ESRCH) {
			sc_cli_error("record", -ESRCH, "-p %ld", v);
			goto out;
		}
	}
	if (!p.app) {
		/* The command's name, or the process's (its comm). */
		if (ours) {
			const char *b = strrchr(argv[argi], '/');
			snprintf(app, sizeof(app), "%s", b ? b + 1 : argv[argi]);
		} else {
			char path[64];
			snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
			FILE *f = fopen(path, "r");
			if (f && fgets(app, sizeof(app), f))
				app[strcspn(app, "\n")] = 0;
			if (f)
				fclose(f);
		}
		for (char *c = app; *c; c++)
			if (strchr("{},= ", *c))
				*c = '_';
		p.app = *app ? app : "scorch";
	}
	if (sc_cli_push_check(&p) < 0)
		goto out;
	ret = 1;
	if (!(dir = mkdtemp(tmpl))) {
		sc_cli_error("record", -errno, "cannot create a temporary folder in /tmp");
		goto out;
	}
	if (sc_push_global_init() < 0) {
		sc_cli_error("record", -ENOMEM, "cannot start libcurl");
		goto out;
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (ours) {
		pid = fork();
		if (pid < 0) {
			sc_cli_error("record", -errno, "cannot start '%s'", argv[argi]);
			goto out;
		}
		if (pid == 0) {
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			execvp(argv[argi], argv + argi);
			fprintf(stderr, "scorch record: cannot run '%s': %s\n", argv[argi],
				strerror(errno));
			_exit(errno == ENOENT ? 127 : 126);
		}
	}
	char pidarg[24], durarg[32], freqarg[16], outarg[4096 + 32];
	snprintf(pidarg, sizeof(pidarg), "%d", (int)pid);
	snprintf(durarg, sizeof(durarg), "%g", interval);
	snprintf(freqarg, sizeof(freqarg), "%d", freq);
	int cmd_status = 0, failed = 0;
	time_t from = time(NULL);
	fprintf(stderr, "scorch record: profiling pid %d, a profile every %g s to %s%s%s\n",
		(int)pid, interval, p.pyroscope ? p.pyroscope : "",
		p.pyroscope && p.parca ? " and " : "", p.parca ? p.parca : "");
	for (int n = 1; !stop_signal; n++) {
		snprintf(outarg, sizeof(outarg), "%s/interval-%d", dir, n);
		char *rargv[16];
		int k = 0;
		rargv[k++] = "scorch";
		rargv[k++] = "record";
		rargv[k++] = "-q";
		rargv[k++] = "-p";
		rargv[k++] = pidarg;
		rargv[k++] = "--duration";
		rargv[k++] = durarg;
		rargv[k++] = "-o";
		rargv[k++] = outarg;
		if (freq) {
			rargv[k++] = "-F";
			rargv[k++] = freqarg;
		}
		rargv[k] = NULL;
		pid_t rec = fork();
		if (rec < 0) {
			sc_cli_error("record", -errno, "cannot start the recorder");
			failed++;
			break;
		}
		if (rec == 0) {
			/* The recorder finishes on our forwarded SIGINT, not the terminal's. */
			setpgid(0, 0);
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			execv("/proc/self/exe", rargv);
			_exit(126);
		}
		int st = wait_recorder(rec);
		time_t until = time(NULL);
		if (until <= from)
			until = from + 1;
		bool alive = target_alive(pid, ours, &cmd_status);
		char profile[sizeof(outarg) + 32];
		snprintf(profile, sizeof(profile), "%s/profile.pb.gz", outarg);
		if (access(profile, R_OK) < 0) {
			/* The recorder said why (no samples, the process gone) on stderr. */
			if (alive)
				fprintf(stderr,
					"scorch record: interval %d: no profile (the recorder "
					"exited with %d)\n",
					n, st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		} else {
			sc_cli_push_file f;
			if (sc_cli_push_load(&p, profile, &f) < 0 ||
			    sc_cli_push_send(&p, &f, from, until) < 0) {
				fprintf(
				    stderr,
				    "scorch record: interval %d (%lld-%lld) not uploaded; going "
				    "on\n",
				    n, (long long)from, (long long)until);
				failed++;
			}
			sc_cli_push_file_release(&f);
		}
		rm_tree(outarg);
		from = until;
		if (!alive)
			break;
	}
	if (ours && stop_signal) {
		/* Ctrl-C reached the command too on a terminal; otherwise pass it on. */
		kill(pid, stop_signal);
		int st;
		if (waitpid(pid, &st, 0) == pid)
			cmd_status = sc_cli_exit_status(true, st);
	}
	ret = failed ? 1 : ours ? cmd_status : 0;
out:
	if (dir)
		rm_tree(dir);
	sc_option_list_release(&labels);
	sc_option_list_release(&headers);
	return ret;
}
