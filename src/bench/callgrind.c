/*
 * callgrind.c: counting instructions without hardware counters, under valgrind's callgrind.
 *
 * `--measure instructions` on a machine without a PMU (most VMs), or `--measure callgrind`
 * anywhere, makes scorch_bench_main re-execute the benchmark program under
 *
 *     valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=DIR/cg.out PROGRAM ARGS
 *
 * with SCORCH_BENCH_CALLGRIND_OUT=DIR/cg.out in the environment (sc_bench_callgrind_exec). The
 * child sees that it runs under valgrind with that variable set (sc_bench_callgrind_active) and
 * the runner uses this file's clock: the first reading of a batch starts callgrind's
 * instrumentation, the second stops it, asks callgrind to dump its counts
 * (CALLGRIND_DUMP_STATS_AT) and reads the "totals:" line of the dump file, DIR/cg.out.N for the
 * N-th dump, which callgrind has written by the time the request returns. So only the benchmark's
 * body is counted: setup, teardown and the runner itself run uninstrumented. The counts are
 * those of the simulated CPU: the same binary with the same input gives the same numbers on every
 * run, whatever else the machine is doing.
 *
 * The clock's readings must come in pairs around the timed call; the runner guarantees that in
 * this mode (it warms up with one batch instead of a timed loop).
 *
 * Not for: perf counters (perf.c). Built without <valgrind/callgrind.h> this file keeps its
 * interface and reports the mode as unavailable.
 */
#include "bench/bench_impl.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef SC_HAVE_CALLGRIND
#include <valgrind/callgrind.h>
#endif

#define OUT_ENV "SCORCH_BENCH_CALLGRIND_OUT"

bool sc_bench_callgrind_active(void)
{
#ifdef SC_HAVE_CALLGRIND
	return RUNNING_ON_VALGRIND && getenv(OUT_ENV);
#else
	return false;
#endif
}

void sc_bench_callgrind_init(sc_bench_callgrind *cg)
{
	memset(cg, 0, sizeof(*cg));
	cg->out = getenv(OUT_ENV);
}

#ifdef SC_HAVE_CALLGRIND
/* The value of the "totals:" line of a callgrind dump; -1 when absent or unreadable. */
static long long read_totals(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return -1;
	char line[512];
	long long v = -1;
	while (v < 0 && fgets(line, sizeof(line), fp))
		if (!strncmp(line, "totals:", 7))
			v = strtoll(line + 7, NULL, 10);
	fclose(fp);
	return v;
}
#endif

uint64_t sc_bench_callgrind_read(void *data)
{
	sc_bench_callgrind *cg = data;
#ifdef SC_HAVE_CALLGRIND
	if (!cg->on) {
		cg->on = true;
		CALLGRIND_START_INSTRUMENTATION;
		return cg->total;
	}
	CALLGRIND_STOP_INSTRUMENTATION;
	CALLGRIND_DUMP_STATS_AT("scorch-bench");
	cg->on = false;
	cg->dumps++;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s.%u", cg->out ? cg->out : "", cg->dumps);
	long long v = read_totals(path);
	if (v < 0)
		cg->error = -EIO;
	else
		cg->total += (uint64_t)v;
	unlink(path);
#endif
	return cg->total;
}

#ifdef SC_HAVE_CALLGRIND
/* Removes DIR's files (the dumps) and DIR. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		char path[PATH_MAX];
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
				unlink(path);
			}
		closedir(d);
	}
	rmdir(dir);
}
#endif

int sc_bench_callgrind_exec(int argc, char **argv, int *status)
{
#ifndef SC_HAVE_CALLGRIND
	(void)argc;
	(void)argv;
	(void)status;
	return -EOPNOTSUPP;
#else
	char exe[PATH_MAX], dir[PATH_MAX], out[PATH_MAX + 16], outarg[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = 0;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/scorch-bench-cg.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -errno;
	snprintf(out, sizeof(out), "%s/cg.out", dir);
	snprintf(outarg, sizeof(outarg), "--callgrind-out-file=%s", out);
	char **av = calloc((size_t)argc + 8, sizeof(*av));
	if (!av) {
		remove_dir(dir);
		return -ENOMEM;
	}
	int k = 0;
	av[k++] = "valgrind";
	av[k++] = "--tool=callgrind";
	av[k++] = "--instr-atstart=no";
	av[k++] = "-q";
	av[k++] = outarg;
	av[k++] = exe;
	for (int i = 1; i < argc; i++)
		av[k++] = argv[i];
	av[k] = NULL;
	int err = 0;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		err = -errno;
	} else if (pid == 0) {
		setenv(OUT_ENV, out, 1);
		execvp("valgrind", av);
		_exit(127);
	} else {
		int st;
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR) {
				err = -errno;
				break;
			}
		if (!err)
			*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (!err && *status == 127)
			err = -ENOENT; /* no valgrind (or the program could not be run) */
	}
	free(av);
	remove_dir(dir);
	return err;
#endif
}
