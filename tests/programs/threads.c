/*
 * threads.c: four threads, each running its own named function with equal work.
 *
 *   usage: threads [SCALE]  SCALE multiplies the work (default 1.0: 4 x 0.3 s of CPU)
 *
 * main starts thread_work_0 .. thread_work_3 with pthread_create and joins them. Each runs the
 * same number of steps, so however the threads are scheduled each gets 25% of the CPU samples
 * (self time), under start_thread/clone in its own thread's stacks. main itself does nothing.
 * tests/cli/threads.sh checks 25% within 5 points for each.
 */
#include <pthread.h>
#include <stdio.h>

#include "work.h"

static uint64_t steps;
static uint64_t results[4];

NOINLINE void *thread_work_0(void *arg)
{
	uint64_t x = 10;

	SPIN(x, steps, 0x9e3779b97f4a7c15ull); /* expect: thread_work_0 self 25% */
	results[0] = x;
	return arg;
}

NOINLINE void *thread_work_1(void *arg)
{
	uint64_t x = 11;

	SPIN(x, steps, 0xbf58476d1ce4e5b9ull); /* expect: thread_work_1 self 25% */
	results[1] = x;
	return arg;
}

NOINLINE void *thread_work_2(void *arg)
{
	uint64_t x = 12;

	SPIN(x, steps, 0x94d049bb133111ebull); /* expect: thread_work_2 self 25% */
	results[2] = x;
	return arg;
}

NOINLINE void *thread_work_3(void *arg)
{
	uint64_t x = 13;

	SPIN(x, steps, 0xd1b54a32d192ed03ull); /* expect: thread_work_3 self 25% */
	results[3] = x;
	return arg;
}

int main(int argc, char **argv)
{
	void *(*const fn[4])(void *) = {thread_work_0, thread_work_1, thread_work_2, thread_work_3};
	pthread_t tid[4];

	steps = scaled(argc, argv, 1, 3.0);
	for (int i = 0; i < 4; i++) {
		if (pthread_create(&tid[i], NULL, fn[i], NULL) != 0) {
			fprintf(stderr, "threads: pthread_create failed\n");
			return 1;
		}
	}
	for (int i = 0; i < 4; i++)
		pthread_join(tid[i], NULL);
	printf("threads: %llu\n",
	       (unsigned long long)(results[0] ^ results[1] ^ results[2] ^ results[3]));
	return 0;
}
