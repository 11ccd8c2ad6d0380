/*
 * record_helper.c: known-answer workloads that test_record profiles and test_unwind reads.
 *
 *   record_helper leaf MS          a frameless leaf `leaf` called by caller_a, caller_b, caller_c
 *                                  in the proportions 1:2:3 (shares of leaf time ~17/33/50 %)
 *                                  for MS ms of CPU time
 *   record_helper segv MS          spins in spin_crash for MS ms, then dies of SIGSEGV
 *   record_helper fork MS FILE     forks; the child spins in child_spin, the parent in
 *                                  parent_spin, MS ms each; the child's pid is written to FILE
 *   record_helper thread MS FILE   a thread spins in thread_spin, main in main_spin, MS ms each;
 *                                  the thread's tid is written to FILE
 *   record_helper spin MS          spins in plain_spin for MS ms
 *   record_helper stopped MS       stops itself (SIGSTOP), then, once continued, spins in
 *                                  plain_spin for MS ms: test_record attaches to it while it is
 *                                  stopped, so every millisecond of the spin is recorded
 *   record_helper ready MS FD      spins in plain_spin for MS ms, writes one byte to file
 *                                  descriptor FD, then spins in plain_spin until killed: what
 *                                  happens after the byte is sure to follow MS ms of samples
 *
 * Built with -O2 -fno-omit-frame-pointer -momit-leaf-frame-pointer whatever the build type (see
 * tests/unit/meson.build): `leaf` then sets up no frame, which is what the leaf fix must repair,
 * and the callers keep theirs. The CPU-time loops make sample counts independent of machine load.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile unsigned long sink;
/* Read anew for every call, so the compiler cannot merge the calls of a pure caller. */
/* Iterations of leaf per call: a few milliseconds of CPU, several sampling periods (1 ms), so
 * that the samples share the calls by time. At about 0.2 ms a call, a round of six calls took
 * about one period and the samples could fall in step with the rounds, crowding one caller (seen
 * once under load: 49/117/234 where 67/133/200 was due). */
static volatile unsigned long work = 3000000;

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Frameless: only registers, no calls. Unsigned arithmetic so UBSan adds no checks either. */
NOINLINE unsigned long leaf(unsigned long n)
{
	unsigned long x = n;
	for (unsigned long i = 0; i < n; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	return x;
}

/* `+ 1` after the call: no tail call, so each caller's frame is really on the stack. */
NOINLINE unsigned long caller_a(unsigned long n)
{
	return leaf(n) + 1;
}

NOINLINE unsigned long caller_b(unsigned long n)
{
	return leaf(n) + 2;
}

NOINLINE unsigned long caller_c(unsigned long n)
{
	return leaf(n) + 3;
}

/* A busy loop that checks the clock rarely, so nearly every sample lands in `fn` itself. */
#define SPIN_FN(fn)                                                                                \
	NOINLINE void fn(double ms)                                                                \
	{                                                                                          \
		double end = cpu_ms() + ms;                                                        \
		unsigned long x = 1;                                                               \
		while (cpu_ms() < end)                                                             \
			for (int i = 0; i < 200000; i++)                                           \
				x = x * 2862933555777941757UL + 3037000493UL;                      \
		sink = x;                                                                          \
	}

SPIN_FN(spin_crash)
SPIN_FN(child_spin)
SPIN_FN(parent_spin)
SPIN_FN(thread_spin)
SPIN_FN(main_spin)
SPIN_FN(plain_spin)

static void write_id(const char *file, long id)
{
	FILE *f = fopen(file, "w");
	if (!f || fprintf(f, "%ld\n", id) < 0 || fclose(f) != 0) {
		perror(file);
		exit(3);
	}
}

static double thread_ms;

static void *thread_fn(void *arg)
{
	write_id(arg, (long)gettid());
	thread_spin(thread_ms);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(
		    stderr,
		    "usage: record_helper leaf|segv|fork|thread|spin|stopped|ready MS [FILE|FD]\n");
		return 2;
	}
	const char *mode = argv[1];
	double ms = atof(argv[2]);
	if (!strcmp(mode, "leaf")) {
		/* One round: a once, b twice, c three times, with the same work per call. */
		double end = cpu_ms() + ms;
		unsigned long s = 0;
		while (cpu_ms() < end) {
			s += caller_a(work);
			s += caller_b(work);
			s += caller_b(work);
			s += caller_c(work);
			s += caller_c(work);
			s += caller_c(work);
		}
		sink = s;
	} else if (!strcmp(mode, "segv")) {
		spin_crash(ms);
		signal(SIGSEGV,
		       SIG_DFL); /* a sanitizer runtime would turn the crash into exit(1) */
		/* Through a volatile pointer: a literal NULL store would be compiled into ud2. */
		int *volatile bad = NULL;
		*bad = 1;
		raise(SIGSEGV);
	} else if (!strcmp(mode, "fork") && argc > 3) {
		pid_t pid = fork();
		if (pid < 0)
			return 3;
		if (pid == 0) {
			write_id(argv[3], (long)getpid());
			child_spin(ms);
			_exit(0);
		}
		parent_spin(ms);
		int st;
		waitpid(pid, &st, 0);
	} else if (!strcmp(mode, "thread") && argc > 3) {
		pthread_t t;
		thread_ms = ms;
		if (pthread_create(&t, NULL, thread_fn, argv[3]) != 0)
			return 3;
		main_spin(ms);
		pthread_join(t, NULL);
	} else if (!strcmp(mode, "spin")) {
		plain_spin(ms);
	} else if (!strcmp(mode, "stopped")) {
		raise(SIGSTOP);
		plain_spin(ms);
	} else if (!strcmp(mode, "ready") && argc > 3) {
		plain_spin(ms);
		if (write(atoi(argv[3]), "r", 1) != 1)
			return 3;
		for (;;)
			plain_spin(1000);
	} else {
		fprintf(stderr, "record_helper: unknown mode '%s'\n", mode);
		return 2;
	}
	return 0;
}
