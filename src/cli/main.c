/*
 * main.c: scorch's entry point and command table.
 *
 * A command is one row in commands[] and one file in this folder defining cmd_NAME(argc, argv),
 * where argv[0] is the command's name. `scorch help CMD` runs `scorch CMD --help`, so help has one
 * path. After the command returns, main checks that stdout was written successfully (a full disk
 * or a closed pipe must not pass for success). SIGINT, SIGTERM, SIGHUP and SIGPIPE remove the
 * temporaries of outputs being written (util/fileio.h) before they end scorch as usual; commands
 * that need more (record finishes its profile first) install their own handlers meanwhile.
 */
#include "cli/commands.h"

#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SCORCH_VERSION
#define SCORCH_VERSION "0.1.0"
#endif

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
    {"record", cmd_record, "profile a command's (or a running process's) CPU time"},
    {"heap", cmd_heap, "track every allocation of a command: leaks, peak, allocation sites"},
    {"trace", cmd_trace,
     "collect the spans, counters and marks of a program linked with libscorch"},
    {"gpu", cmd_gpu, "GPU metrics over a command's run: utilization, memory, power (NVML)"},
    {"report", cmd_report, "read a profile (pprof or folded) and show where the time goes"},
    {"diff", cmd_diff, "compare two profiles: what got slower, what got faster"},
    {"console", cmd_console, "live view of a running instrumented program (SCORCH_CONSOLE=1)"},
    {"run", cmd_run, "one profiling session: cpu, memory, trace, gpu modes, a report and CI gates"},
    {"config", cmd_config, "check or write scorch.toml, the settings of scorch run"},
    {"push", cmd_push, "upload profiles to Grafana Pyroscope or Parca"},
    {"bench", cmd_bench, "work with saved benchmark results: scorch bench compare A.json B.json"},
};

int sc_cli_exit_status(bool exited, int wait_status)
{
	if (!exited)
		return 0;
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return 0;
}

void sc_cli_error(const char *cmd, int err, const char *fmt, ...)
{
	/* Messages quote file names and values as given, and names from files: shown escaped
	 * (util/strbuf.h), so none can drive the terminal or split the line. */
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sc_strbuf sb = {0};
	sc_strbuf_add_text(&sb, msg);
	fprintf(stderr, "scorch %s: %s", cmd, sb.buf ? sb.buf : msg);
	sc_strbuf_release(&sb);
	if (err)
		fprintf(stderr, ": %s", strerror(err < 0 ? -err : err));
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: scorch COMMAND [options] [args]\n\n"
		   "scorch profiles programs on Linux: where CPU time goes, with flamegraphs.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-10s %s\n", "help", "show a command's help: scorch help record");
	fprintf(f, "  %-10s %s\n", "version", "print scorch's version");
	fprintf(f, "\nEXAMPLES\n"
		   "  scorch record -- ./myprog arg1 arg2\n"
		   "  scorch record -p 1234 --duration 10\n"
		   "  scorch report scorch-out/myprog-20261122-101500/profile.pb.gz --top 20\n");
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

bool sc_cli_has_command(const char *name)
{
	return find(name) != NULL;
}

/* A signal that ends scorch must not leave half-written temporaries beside the outputs. */
static void on_fatal_signal(int sig)
{
	sc_afile_unlink_temporaries();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_cleanup(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa, old;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_fatal_signal;
		sigemptyset(&sa.sa_mask);
		/* Keep a signal ignored by whoever started us (nohup, a shell's `&`) ignored. */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

int main(int argc, char **argv)
{
	install_cleanup();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(name, "version") == 0 || strcmp(name, "--version") == 0) {
		printf("scorch %s\n", SCORCH_VERSION);
		return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
	}
	int rc;
	if (strcmp(name, "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		const struct command *c = find(argv[2]);
		if (!c) {
			fprintf(stderr, "scorch: unknown command '%s' (see 'scorch --help')\n",
				argv[2]);
			return 2;
		}
		char *hargv[] = {(char *)c->name, "--help", NULL};
		rc = c->fn(2, hargv);
	} else {
		const struct command *c = find(name);
		if (!c) {
			fprintf(stderr, "scorch: unknown command '%s' (see 'scorch --help')\n",
				name);
			return 2;
		}
		rc = c->fn(argc - 1, argv + 1);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "scorch %s: cannot write standard output: %s\n", name,
				strerror(errno));
		return rc ? rc : 1;
	}
	return rc;
}
