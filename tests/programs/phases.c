/*
 * phases.c: a known-answer program for time and thread names (tests/cli/time_threads.sh).
 *
 * main starts one thread and waits for it (blocked in pthread_join: no CPU samples). The thread
 * names itself "worker" (pthread_setname_np, which perf sees as a COMM record without the exec
 * flag), then works in two phases one after the other: phase_one, then phase_two, equal work.
 *
 *   --by thread          worker ~100% of the samples
 *   --comm worker        keeps them all
 *   first half of time   phase_one ~100%, phase_two ~0%
 *   second half of time  phase_two ~100%, phase_one ~0%
 *
 * Usage: phases [SCALE]; each phase is 10 work units (about 1 s at scale 1.0, see work.h).
 */
#include "work.h"

#include <pthread.h>
#include <stdio.h>

static uint64_t steps;
static volatile uint64_t sink;

static NOINLINE void phase_one(void)
{
	uint64_t x = 1;
	SPIN(x, steps, 6364136223846793005ull); /* the first half of the recording: ~100% */
	sink = x;
}

static NOINLINE void phase_two(void)
{
	uint64_t x = 2;
	SPIN(x, steps, 1442695040888963407ull); /* the second half: ~100% */
	sink = x;
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "worker"); /* every sample: thread_name "worker" */
	phase_one();
	phase_two();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	steps = scaled(argc, argv, 1, 10);
	if (pthread_create(&t, NULL, worker, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pthread_join(t, NULL); /* main is off the CPU: ~0% */
	return 0;
}
