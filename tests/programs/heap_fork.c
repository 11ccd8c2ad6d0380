/*
 * heap_fork.c: a parent and the child it forks, each with its own known heap.
 *
 *   usage: heap_fork [late]   writes "heap_fork: parent PID child PID" then "heap_fork: done" on
 *                             stdout; exits 0 when the child exited 0
 *
 * Before forking, the parent allocates one block of 2000 B (before_fork); both processes free
 * their copy of it. A profiler that gives the child a profile of its own, starting at the fork
 * (scorch heap: DIR/pid-N/heap.json), does not know that block in the child: the child's free of
 * it is a free of an unknown block. So, as `scorch heap` must report:
 *
 * parent (DIR/heap.json): allocs 6, frees 5, bytes_allocated 10321, bytes_freed 6000,
 *   peak 10321 B in 6 blocks, leaked 4321 B in 1 block, frees_unknown 0, reallocs 0, temporary 1
 *   (the last of parent_work's blocks: freed before the process allocates again)
 *     before_fork   1 alloc,  2000 B                        peak: 1 block,  2000 B
 *     parent_leak   1 alloc,  4321 B  leaked: 1 block, 4321 B  peak: 1 block,  4321 B
 *     parent_work   4 allocs, 4000 B                        peak: 4 blocks, 4000 B
 * child (DIR/pid-CHILD/heap.json): allocs 6, frees 5, bytes_allocated 2734, bytes_freed 1500,
 *   peak 2734 B in 6 blocks, leaked 1234 B in 1 block, frees_unknown 1 (before_fork's block),
 *   temporary 1 (the last of child_work's blocks)
 *     child_leak    1 alloc,  1234 B  leaked: 1 block, 1234 B  peak: 1 block,  1234 B
 *     child_work    5 allocs, 1500 B                        peak: 5 blocks, 1500 B
 * Every stack reaches main.
 *
 * With "late" the parent allocates nothing before its child has exited: no before_fork block
 * (so the child has frees_unknown 0), the parent waits for the child first, then runs parent_leak
 * and parent_work. The child's events then come first, yet DIR must still be the command's own
 * process (the parent) and the child DIR/pid-CHILD:
 *   parent: allocs 5, frees 4, bytes_allocated 8321, bytes_freed 4000, peak 8321 B in 5 blocks,
 *           leaked 4321 B in 1 block, temporary 1 (parent_leak and parent_work as above)
 *   child:  as above, but frees_unknown 0
 *
 * valgrind follows the fork too, but its child inherits the parent's heap: DHAT's child profile
 * also holds before_fork's block (allocs 7, bytes 4734, frees 6), the rest is the same.
 * Checked with valgrind 3.19 (glibc 2.36): valgrind --tool=dhat --run-libc-freeres=no
 * (tests/cli/heap_valgrind.sh, both processes, with and without "late") and
 * valgrind --leak-check=full (definitely lost: 4,321 bytes in 1 block in the parent, 1,234 bytes
 * in 1 block in the child). libc allocates nothing here (write(2), no stdio).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "heap_common.h"

NOINLINE void *before_fork(void)
{
	void *p = malloc(2000); /* expect: parent 1 alloc, 2000 B; freed by both */

	KEEP(p);
	return p;
}

NOINLINE void parent_leak(void)
{
	void *p = malloc(4321); /* expect: parent leaks 1 block, 4321 B */

	KEEP(p);
}

NOINLINE void parent_work(void)
{
	void *p[4];

	for (int i = 0; i < 4; i++) {
		p[i] =
		    malloc(1000); /* expect: parent 4 allocs, 4000 B; the parent's peak, 10321 B */
		KEEP(p[i]);
	}
	for (int i = 0; i < 4; i++)
		free(p[i]); /* expect: parent 4 frees */
}

NOINLINE void child_leak(void)
{
	void *p = malloc(1234); /* expect: child leaks 1 block, 1234 B */

	KEEP(p);
}

NOINLINE void child_work(void)
{
	void *p[5];

	for (int i = 0; i < 5; i++) {
		p[i] = malloc(300); /* expect: child 5 allocs, 1500 B; the child's peak, 2734 B */
		KEEP(p[i]);
	}
	for (int i = 0; i < 5; i++)
		free(p[i]); /* expect: child 5 frees */
}

int main(int argc, char **argv)
{
	bool late = argc > 1 && strcmp(argv[1], "late") == 0;
	void *shared = late ? NULL : before_fork();
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		fail_exit("heap_fork", "fork");
	if (pid == 0) {
		free(shared); /* expect: child frees_unknown 1 (late: free(NULL), nothing) */
		child_leak();
		child_work();
		exit(0);
	}
	say(1, "heap_fork: parent ");
	say_u(1, (uint64_t)getpid());
	say(1, " child ");
	say_u(1, (uint64_t)pid);
	say(1, "\n");
	if (late && waitpid(pid, &status, 0) != pid)
		fail_exit("heap_fork", "waitpid");
	parent_leak();
	parent_work();
	if (!late && waitpid(pid, &status, 0) != pid)
		fail_exit("heap_fork", "waitpid");
	free(shared); /* expect: parent frees 1 (late: free(NULL), nothing) */
	say(1, "heap_fork: done\n");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
