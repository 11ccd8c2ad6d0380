/*
 * trace-cost.c: what a span costs (include/scorch/trace.h, libscorch), per begin+end pair,
 * against an empty loop. bench/trace-span.sh runs it (built twice: linked with build/libscorch.so
 * and with build/libscorch.a) and prints the table of docs/performance.md.
 *
 *     trace-cost [PAIRS [RUNS]]      (default 2000000 pairs, 7 runs)
 *
 * Three loops of PAIRS iterations, each timed with the thread's CPU clock, RUNS times (the
 * minimum is reported, and the median):
 *   empty      the loop body alone (an increment the compiler must keep);
 *   off        the body in a SCORCH_SPAN scope, the runtime off (no collector: the load and the
 *              branch of scorch_trace_on_);
 *   tsc2       the body and two reads of the TSC (rdtsc), the time source of a begin and an
 *              end: what a recorded pair cannot cost less than;
 *   recording  the same with the runtime on: this program runs itself again with an event file
 *              of its own in SCORCH_AGENT_FILE (a 16 MiB ring per thread, gone round twice
 *              before the runs so that its pages are mapped: a ring's first pass costs a page
 *              fault per 64 pairs, about 50 ns a pair, once per recording), and the parent is
 *              the consumer that drains the rings every 0.5 ms while the child runs, as
 *              `scorch trace` does: it reads every record (checks its type) and moves the
 *              tail. Events the runtime had to drop are counted and printed (a figure with
 *              drops would measure the drop path, which is cheaper).
 * Output: one line per loop, "NAME min_ns median_ns per_iteration", then "lost N" and "events N".
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <scorch/trace.h>

#include "agent/stream.h"
#include "agent/tsc.h"

#define RING_BYTES (16u << 20)
#define NRINGS	   2u
#define MAX_RUNS   64

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static __attribute__((noinline)) double loop_empty(long n)
{
	uint64_t x = 0, t0 = cpu_ns();
	for (long i = 0; i < n; i++) {
		x++;
		SCORCH_DO_NOT_OPTIMIZE(x);
	}
	return (double)(cpu_ns() - t0) / (double)n;
}

static __attribute__((noinline)) double loop_tsc(long n)
{
	uint64_t x = 0, t0 = cpu_ns();
	for (long i = 0; i < n; i++) {
		x += sc_tsc_read();
		x += sc_tsc_read();
		SCORCH_DO_NOT_OPTIMIZE(x);
	}
	return (double)(cpu_ns() - t0) / (double)n;
}

static __attribute__((noinline)) double loop_span(long n)
{
	uint64_t x = 0, t0 = cpu_ns();
	for (long i = 0; i < n; i++) {
		SCORCH_SPAN("pair");
		x++;
		SCORCH_DO_NOT_OPTIMIZE(x);
	}
	return (double)(cpu_ns() - t0) / (double)n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *name, double *v, int runs)
{
	qsort(v, (size_t)runs, sizeof(double), cmp_double);
	printf("%s %.2f %.2f\n", name, v[0], v[runs / 2]);
	fflush(stdout);
}

/* The recording child: the runtime mapped SCORCH_AGENT_FILE at start-up. */
static int child(long pairs, int runs)
{
	if (!scorch_trace_enabled()) {
		fprintf(stderr, "trace-cost: the runtime is not recording in the child\n");
		return 1;
	}
	double v[MAX_RUNS];
	/* The thread's ring, its site's number, the clock's rate, and every page of the ring
	 * touched (twice round): a ring's first pass takes a page fault per 64 pairs, a cost of
	 * the start of a recording, not of a span. */
	loop_span(2 * (RING_BYTES / 64));
	struct timespec pause = {0, 20000000};
	nanosleep(&pause, NULL);
	for (int r = 0; r < runs; r++) {
		v[r] = loop_span(pairs);
		nanosleep(&pause, NULL); /* lets the consumer catch up between runs */
	}
	report("recording", v, runs);
	return 0;
}

typedef struct file {
	unsigned char *m;
	size_t size;
	char path[64];
} file;

static int make_file(file *f)
{
	f->size = SC_AGENT_HEADER_BYTES + (size_t)NRINGS * (SC_AGENT_RING_HEADER + RING_BYTES);
	snprintf(f->path, sizeof(f->path), "/dev/shm/scorch-trace-cost-XXXXXX");
	int fd = mkstemp(f->path);
	if (fd < 0) {
		snprintf(f->path, sizeof(f->path), "/tmp/scorch-trace-cost-XXXXXX");
		fd = mkstemp(f->path);
	}
	if (fd < 0 || ftruncate(fd, (off_t)f->size) < 0) {
		perror("trace-cost: the event file");
		return -1;
	}
	f->m = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (f->m == MAP_FAILED) {
		perror("trace-cost: mmap");
		return -1;
	}
	sc_agent_header *h = (sc_agent_header *)f->m;
	memcpy(h->magic, SC_AGENT_MAGIC, 8);
	h->version = SC_AGENT_VERSION;
	h->minor = SC_AGENT_MINOR;
	h->header_bytes = SC_AGENT_HEADER_BYTES;
	h->nrings = NRINGS;
	h->ring_bytes = RING_BYTES;
	return 0;
}

/* Drains every ring once: the records' types are read, the tails moved. */
static uint64_t drain(file *f, uint64_t *lost)
{
	uint64_t events = 0;
	*lost = 0;
	for (uint32_t i = 0; i < NRINGS; i++) {
		sc_agent_ring *r =
		    (sc_agent_ring *)(f->m + SC_AGENT_HEADER_BYTES +
				      (size_t)i * (SC_AGENT_RING_HEADER + RING_BYTES));
		uint32_t st =
		    atomic_load_explicit((_Atomic uint32_t *)&r->state, memory_order_acquire);
		if (st != SC_AGENT_RING_OWNED && st != SC_AGENT_RING_CLOSED)
			continue;
		uint64_t head =
		    atomic_load_explicit((_Atomic uint64_t *)&r->head, memory_order_acquire);
		uint64_t tail = r->tail;
		const unsigned char *data = (const unsigned char *)r + SC_AGENT_RING_HEADER;
		while (tail < head) {
			const sc_agent_rec *rec =
			    (const sc_agent_rec *)(data + (tail & (RING_BYTES - 1)));
			if (rec->size < 8 || rec->size % 8)
				break;
			events += rec->type == SC_AGENT_REC_TRACE;
			tail += rec->size;
		}
		atomic_store_explicit((_Atomic uint64_t *)&r->tail, tail, memory_order_release);
		*lost += atomic_load_explicit((_Atomic uint64_t *)&r->lost, memory_order_relaxed);
	}
	return events;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--child") == 0)
		return child(atol(argv[2]), atoi(argv[3]));
	long pairs = argc > 1 ? atol(argv[1]) : 2000000;
	int runs = argc > 2 ? atoi(argv[2]) : 7;
	if (pairs < 1 || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: trace-cost [PAIRS [RUNS (1-%d)]]\n", MAX_RUNS);
		return 2;
	}
	if (scorch_trace_enabled()) {
		fprintf(stderr,
			"trace-cost: run it without SCORCH_AGENT_FILE and SCORCH_CONSOLE\n");
		return 2;
	}
	double e[MAX_RUNS], o[MAX_RUNS], t[MAX_RUNS];
	loop_empty(1000);
	loop_span(1000);
	loop_tsc(1000);
	for (int r = 0; r < runs; r++) { /* interleaved: drift hits all alike */
		e[r] = loop_empty(pairs);
		o[r] = loop_span(pairs);
		t[r] = loop_tsc(pairs);
	}
	report("empty", e, runs);
	report("off", o, runs);
	report("tsc2", t, runs);

	file f;
	if (make_file(&f) < 0)
		return 1;
	char env[128], sp[32], sr[16];
	snprintf(env, sizeof(env), "%s=%s", SC_AGENT_ENV_FILE, f.path);
	snprintf(sp, sizeof(sp), "%ld", pairs);
	snprintf(sr, sizeof(sr), "%d", runs);
	putenv(env);
	pid_t pid = fork();
	if (pid == 0) {
		char *args[] = {argv[0], "--child", sp, sr, NULL};
		execv("/proc/self/exe", args);
		_exit(127);
	}
	unsetenv(SC_AGENT_ENV_FILE);
	uint64_t events = 0, lost = 0;
	int st = 0;
	struct timespec tick = {0, 500000};
	for (;;) {
		events += drain(&f, &lost);
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		nanosleep(&tick, NULL);
	}
	events += drain(&f, &lost);
	munmap(f.m, f.size);
	unlink(f.path);
	printf("lost %llu\nevents %llu\n", (unsigned long long)lost, (unsigned long long)events);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
