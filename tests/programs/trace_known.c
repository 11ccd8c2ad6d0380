/*
 * trace_known.c: known spans for `scorch trace` (tests/cli/trace_known.sh, trace_crash.sh).
 * Every count below is exact; every duration is at least its nominal time (sleeps are
 * nanosleep, spins are CPU time of the thread, which wall time can only exceed).
 *
 *   trace_known          the spans, counters and marks written beside the code
 *   trace_known kill     3 "before" spans, then SIGKILL to itself inside the open span "doomed"
 *   trace_known fork     a child process with 2 "child" spans, the parent 1 "parent" span
 *   trace_known many [N] N (default 2000) "tiny" spans in a burst (2N events: 2000 spans are
 *                        more than a 4K ring holds); bench/trace.sh's workload
 *   trace_known forever  a "tick" span of 5 ms after another inside the span "forever", until
 *                        killed
 *   trace_known threads N  N threads alive at once, each with one "t" span (N rings needed)
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <scorch/trace.h>

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Burns `ms` of this thread's CPU time. */
static void spin_ms(long ms)
{
	uint64_t end = cpu_ns() + (uint64_t)ms * 1000000ull;
	volatile uint64_t x = 0;
	while (cpu_ns() < end)
		for (int i = 0; i < 1000; i++)
			x += (uint64_t)i;
}

static void inner(void)
{
	SCORCH_SPAN("inner"); /* 6 in all (2 per outer), each >= 10 ms, self = total */
	sleep_ms(10);
}

static void outer(void)
{
	SCORCH_SPAN("outer"); /* 3: each >= 40 ms; self = total - its 2 inner >= 20 ms */
	sleep_ms(20);
	inner();
	inner();
}

static void *worker(void *arg)
{
	int n = (int)(intptr_t)arg;
	scorch_thread_name(n == 1 ? "worker-1" : "worker-2"); /* the two threads' names */
	for (int i = 0; i < 5; i++) {
		SCORCH_SPAN("work"); /* 10 in all: 5 per worker, 2 threads; each >= 2 ms */
		sleep_ms(2);
	}
	if (n == 1)
		scorch_async_end("request", 7); /* ended on worker-1: another thread */
	return NULL;
}

static int known(void)
{
	scorch_thread_name("main");
	SCORCH_SPAN("run"); /* 1, >= 159 ms: encloses everything below on the main thread */
	scorch_async_begin("request", 7); /* 1 async span, id 7, begun on main */
	for (int i = 0; i < 3; i++)
		outer();
	for (int i = 0; i < 4; i++) {
		scorch_span_begin("spin"); /* 4: each >= 5 ms (CPU time spun) */
		spin_ms(5);
		scorch_span_end();
	}
	for (int v = 0; v < 5; v++)
		scorch_counter("queue", v); /* 5 values 0..4: min 0, mean 2, max 4, last 4 */
	scorch_mark("tick");		    /* 2 marks */
	scorch_mark("tick");
	for (int i = 0; i < 4; i++)
		scorch_frame_mark("frame"); /* 4 frame marks */
	scorch_loop *ev = scorch_loop_new("ev");
	for (int i = 0; i < 3; i++) { /* 3 iterations: timeout 1 ms, woken >= 3 ms later */
		scorch_loop_wait(ev, 1000000);
		sleep_ms(3); /* lag >= 2 ms each */
		scorch_loop_wake(ev);
	}
	scorch_loop_free(ev);
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)(i + 1));
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return 0;
}

static int killed(void)
{
	for (int i = 0; i < 3; i++) {
		SCORCH_SPAN("before"); /* 3, completed */
		sleep_ms(2);
	}
	SCORCH_SPAN("doomed"); /* 1, open when the process dies */
	sleep_ms(5);
	raise(SIGKILL);
	return 0;
}

static int forked(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 2; i++) {
			SCORCH_SPAN("child"); /* 2, in the child process */
			sleep_ms(2);
		}
		_exit(0);
	}
	SCORCH_SPAN("parent"); /* 1, in the parent, around the wait */
	int st;
	waitpid(pid, &st, 0);
	return 0;
}

static int many(long n)
{
	for (long i = 0; i < n; i++) {
		SCORCH_SPAN("tiny"); /* n (2000), empty */
	}
	return 0;
}

static pthread_barrier_t all_up;

static void *one_span(void *arg)
{
	(void)arg;
	{
		SCORCH_SPAN("t"); /* one per thread: N in all */
	}
	pthread_barrier_wait(&all_up); /* every thread holds its ring until all have one */
	return NULL;
}

static int threads(int n)
{
	pthread_t t[256];
	if (n < 1 || n > 256)
		return 2;
	pthread_barrier_init(&all_up, NULL, (unsigned)n);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, one_span, NULL);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}

static int forever(void)
{
	SCORCH_SPAN("forever"); /* 1, never ended */
	for (;;) {
		SCORCH_SPAN("tick"); /* one per 5 ms or so */
		sleep_ms(5);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "threads"))
		return threads(atoi(argv[2]));
	if (argc > 1 && !strcmp(argv[1], "forever"))
		return forever();
	if (argc > 1 && !strcmp(argv[1], "many"))
		return many(argc > 2 ? atol(argv[2]) : 2000);
	if (argc > 1 && !strcmp(argv[1], "kill"))
		return killed();
	if (argc > 1 && !strcmp(argv[1], "fork"))
		return forked();
	return known();
}
