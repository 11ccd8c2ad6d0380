/*
 * fork.c: work split between a parent and the child it forks.
 *
 *   usage: fork [SCALE]     SCALE multiplies the work (default 1.0: 0.4 s + 0.6 s of CPU)
 *
 * The parent forks, then runs parent_work for 4 units while the child runs child_work for 6
 * units and exits; the parent waits for it. A profiler that follows forks (inherits its events
 * into children) must attribute of all samples
 *   parent_work   self 40%
 *   child_work    self 60%   (in the child's pid)
 * tests/cli/fork.sh checks child_work within 7 points. Exit status 0 when the child exited 0.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "work.h"

NOINLINE uint64_t parent_work(uint64_t n)
{
	uint64_t x = 4;

	SPIN(x, n, 0x9e3779b97f4a7c15ull); /* expect: parent_work self 40% */
	return x;
}

NOINLINE uint64_t child_work(uint64_t n)
{
	uint64_t x = 6;

	SPIN(x, n, 0xbf58476d1ce4e5b9ull); /* expect: child_work self 60% */
	return x;
}

int main(int argc, char **argv)
{
	uint64_t sum;
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork: fork");
		return 1;
	}
	if (pid == 0) {
		sum = child_work(scaled(argc, argv, 1, 6.0));
		printf("fork child: %llu\n", (unsigned long long)sum);
		fflush(stdout);
		_exit(0);
	}
	sum = parent_work(scaled(argc, argv, 1, 4.0));
	if (waitpid(pid, &status, 0) < 0) {
		perror("fork: waitpid");
		return 1;
	}
	printf("fork parent: %llu\n", (unsigned long long)sum);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
