/*
 * sigprog.c: a program that uses SIGPROF itself and blocks every signal in a worker thread, as
 * servers do: what a profiler that samples with a signal must live with.
 *
 *   usage: sigprog [SCALE]   SCALE multiplies the work (default 1.0)
 *
 * main installs its own SIGPROF handler (sigaction), starts a worker that blocks all signals
 * (pthread_sigmask) and runs blocked_work, raises SIGPROF at itself three times (its handler must
 * run each time: exactly 3 calls), then runs main_work with the same number of steps as the
 * worker, and joins it. Exit status 0 when its handler ran exactly 3 times and still is the
 * installed one, else 1 (it prints what it saw).
 *   blocked_work self 50% (the worker's signals are all blocked)
 *   main_work    self 50%
 * tests/cli/signal.sh checks both under `scorch record --backend signal`.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "work.h"

static uint64_t steps;
static volatile sig_atomic_t own_calls;
static uint64_t results[2];

static void own_handler(int sig)
{
	(void)sig;
	own_calls++;
}

NOINLINE void blocked_work(void)
{
	uint64_t x = 3;

	SPIN(x, steps, 0x9e3779b97f4a7c15ull); /* expect: blocked_work self 50% */
	results[0] = x;
}

static void *worker(void *arg)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	blocked_work();
	return arg;
}

NOINLINE void main_work(void)
{
	uint64_t x = 5;

	SPIN(x, steps, 0xbf58476d1ce4e5b9ull); /* expect: main_work self 50% */
	results[1] = x;
}

int main(int argc, char **argv)
{
	struct sigaction a, now;
	pthread_t t;

	steps = scaled(argc, argv, 1, 4.0);
	memset(&a, 0, sizeof(a));
	a.sa_handler = own_handler;
	sigemptyset(&a.sa_mask);
	if (sigaction(SIGPROF, &a, NULL) != 0)
		return 1;
	if (pthread_create(&t, NULL, worker, NULL) != 0)
		return 1;
	for (int i = 0; i < 3; i++)
		raise(SIGPROF);
	main_work();
	pthread_join(t, NULL);
	if (sigaction(SIGPROF, NULL, &now) != 0)
		return 1;
	int ok = own_calls == 3 && now.sa_handler == own_handler;
	printf("sigprog: own handler ran %d times, %s installed: %llu\n", (int)own_calls,
	       now.sa_handler == own_handler ? "still" : "no longer",
	       (unsigned long long)(results[0] ^ results[1]));
	return ok ? 0 : 1;
}
