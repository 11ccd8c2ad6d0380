/*
 * trace_loop.c: an instrumented epoll loop for the live console's tests (tests/cli/console*.sh).
 * Runs until killed; prints nothing. Run it with SCORCH_CONSOLE=1 and attach `scorch console`.
 *
 * What the console should see (rates are nominal; the tests check names and that counts grow,
 * never timings):
 *   loop "main" (thread "main"): epoll_wait with a timeout to the next 10 ms deadline;
 *   span "tick"      100/s, a callback of the loop, with "handle" nested inside (~0.2 ms spin);
 *   span "slow"      every 100th tick (~1/s): sleeps 150 ms inside the callback, so the loop is
 *                    BLOCKED (over the default --block-ms 100) and the next waits are late (lag);
 *   counter "queue_depth": a sawtooth 0..49, one step per tick;
 *   thread "cruncher": always inside a "crunch" span (5 ms each, mostly asleep so as not to take
 *                    a core from the machine): busy 100% of the time, a BUSY warning;
 *   thread "stuck":  begins span "stuck" and never ends it: a STUCK warning after --stuck-s.
 */
#include <scorch/trace.h>

#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void spin_ns(uint64_t ns)
{
	uint64_t end = now_ns() + ns;
	while (now_ns() < end)
		;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
	while (nanosleep(&ts, &ts) < 0)
		;
}

static void *cruncher(void *arg)
{
	(void)arg;
	scorch_thread_name("cruncher");
	for (;;) {
		SCORCH_SPAN("crunch");
		spin_ns(200000);
		sleep_ns(4800000);
	}
	return NULL;
}

static void *stuck(void *arg)
{
	(void)arg;
	scorch_thread_name("stuck");
	scorch_span_begin("stuck");
	for (;;)
		pause();
	return NULL;
}

static void handle(unsigned long n)
{
	SCORCH_SPAN("handle");
	scorch_counter("queue_depth", n % 50);
	spin_ns(200000);
}

static void on_tick(unsigned long n)
{
	SCORCH_SPAN("tick");
	handle(n);
}

static void on_slow(void)
{
	SCORCH_SPAN("slow");
	sleep_ns(150000000);
}

int main(void)
{
	scorch_thread_name("main");
	pthread_t t1, t2;
	if (pthread_create(&t1, NULL, cruncher, NULL) || pthread_create(&t2, NULL, stuck, NULL))
		return 1;
	int ep = epoll_create1(EPOLL_CLOEXEC), p[2];
	if (ep < 0 || pipe(p) < 0)
		return 1;
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = p[0]};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) < 0)
		return 1;
	scorch_loop *loop = scorch_loop_new("main");
	uint64_t next = now_ns() + 10000000;
	for (unsigned long n = 1;; n++) {
		uint64_t now = now_ns();
		int64_t timeout = next > now ? (int64_t)(next - now) : 0;
		scorch_loop_wait(loop, timeout);
		struct epoll_event out;
		epoll_wait(ep, &out, 1, (int)((timeout + 999999) / 1000000));
		scorch_loop_wake(loop);
		on_tick(n);
		if (n % 100 == 0)
			on_slow();
		next += 10000000;
		if (next < now_ns())
			next =
			    now_ns() + 10000000; /* after a slow callback: no burst to catch up */
	}
}
