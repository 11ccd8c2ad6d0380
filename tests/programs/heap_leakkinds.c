/*
 * heap_leakkinds.c: one block of each leak kind, as valgrind's memcheck names them, left at exit.
 *
 *   usage: heap_leakkinds             writes "heap_leakkinds: done" on stdout and returns 0 from
 *                                     main while a thread it started still runs
 *          heap_leakkinds _exit       the same, but ends with _exit(0): no destructor runs, so
 *                                     the leaks cannot be classified
 *          heap_leakkinds wait FILE   the same as without arguments, after writing "waiting" and
 *                                     waiting (up to 60 s) for FILE to exist: a test kills scorch
 *                                     meanwhile (the exit must not hang without it)
 *
 * Built twice (tests/programs/meson.build): heap_leakkinds with frame pointers and
 * heap_leakkinds_nofp with -O2 -fomit-frame-pointer; the numbers are the same.
 * tests/cli/heap_leakkinds.sh checks that `scorch heap` reports exactly these, by function (the
 * innermost function of this file on the block's stack):
 *
 *   keep_global     64 B, 1 block   still reachable  (only a global points to it)
 *   lose_pointer   128 B, 1 block   definitely lost  (its only pointer was overwritten)
 *   lose_list       32 B, 1 block   definitely lost  (the head of a list nobody points to)
 *   lose_list       96 B, 3 blocks  indirectly lost  (the list's nodes, behind its head)
 *   keep_interior  100 B, 1 block   possibly lost    (a global points 40 bytes into it)
 *   worker_drop_deep 48 B, 1 block  definitely lost  (made by a thread, its pointer dropped: copies
 *                                                      left in the dead part of the thread's
 *                                                      stack, below where it waits, do not count)
 *   worker_hold    256 B, 1 block   still reachable  (a thread still running at exit holds it in a
 *                                                      variable on its stack, 16 KiB below its
 *                                                      TLS)
 *
 * Totals of the program's own blocks: definitely lost 208 B in 3 blocks, indirectly lost 96 B in
 * 3, possibly lost 100 B in 1, still reachable 320 B in 2; leaked (every block live at exit) 724 B
 * in 9. libc adds, for the thread: its dynamic thread vector (pthread_create ->
 * _dl_allocate_tls), pointed to 8 bytes into itself by the thread's control block: possibly lost
 * for memcheck and for scorch alike; the check leaves it to "other".
 *
 * `valgrind --leak-check=full --show-leak-kinds=all` on this program (3.19, glibc 2.36) reports
 * the same kinds with the libc block included; tests/cli/heap_leakkinds.sh compares the two when
 * valgrind is there.
 *
 * Pointers that were dropped must not linger where the scans look: every block is made in a
 * function of its own, and scrub_stack() clears the stack below main before main returns, so no
 * stale copy sits in the frames that exit() later occupies (valgrind scans them; scorch starts
 * above the frame that called exit).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "heap_common.h"

struct node {
	struct node *next;
	char pad[24]; /* 32 bytes a node */
};

void *reachable_global;	       /* -> keep_global's block */
char *interior_global;	       /* -> 40 bytes into keep_interior's block */
void *volatile dropped_global; /* holds a block for a moment, then NULL */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ready;
static pid_t worker_tid;

NOINLINE static void keep_global(void)
{
	reachable_global = malloc(64); /* expect: still reachable, 64 B */
	KEEP(reachable_global);
}

NOINLINE static void lose_pointer(void)
{
	dropped_global = malloc(128); /* expect: definitely lost, 128 B */
	memset(dropped_global, 0, 128);
	dropped_global = NULL;
}

NOINLINE static struct node *new_node(struct node *next)
{
	struct node *n = malloc(sizeof(*n)); /* 32 B (the caller says which kind) */
	KEEP(n);
	memset(n, 0, sizeof(*n));
	n->next = next;
	return n;
}

NOINLINE static void lose_list(void)
{
	struct node *n3 = new_node(NULL); /* expect: indirectly lost, 32 B */
	struct node *n2 = new_node(n3);	  /* expect: indirectly lost, 32 B */
	struct node *n1 = new_node(n2);	  /* expect: indirectly lost, 32 B */
	dropped_global = new_node(n1);	  /* expect: definitely lost, 32 B (the head) */
	dropped_global = NULL;
}

NOINLINE static void keep_interior(void)
{
	char *p = malloc(100); /* expect: possibly lost, 100 B */
	memset(p, 0, 100);
	interior_global = p + 40;
	KEEP(interior_global);
}

/* Deep in the thread: a block whose only pointer is dropped when this returns. Its address stays
 * behind in the dead part of the thread's stack (in `copy`, and the tracker's frames), below where
 * the thread waits: memcheck scans a thread's stack from its stack pointer, and so must scorch. */
NOINLINE static void worker_drop_deep(int depth)
{
	volatile char frame[256];
	frame[0] = (char)depth;
	if (depth > 0) {
		worker_drop_deep(depth - 1);
		KEEP(frame[0]);
		return;
	}
	void *volatile copy[1]; /* stays behind in this frame's memory after it returns */
	copy[0] = malloc(48);	/* expect: definitely lost, 48 B (in a thread) */
	memset(copy[0], 0, 48);
}

NOINLINE static void worker_hold(void)
{
	void *volatile mine = malloc(256); /* expect: still reachable, 256 B (on this stack) */
	memset(mine, 0, 256);
	pthread_mutex_lock(&lock);
	ready = 1;
	worker_tid = gettid();
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	for (;;)
		pause(); /* still running when main returns */
}

/* The thread: its block is held 16 KiB down its stack, away from its TLS (a root too). */
NOINLINE static void *worker(void *arg)
{
	volatile char pad[16384];
	pad[0] = (char)(uintptr_t)arg;
	worker_drop_deep(8);
	worker_hold();
	return (void *)(uintptr_t)pad[0];
}

NOINLINE static void start_worker(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, worker, NULL) != 0)
		_exit(1);
	pthread_mutex_lock(&lock);
	while (!ready)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	/* Until the worker waits in pause() (system call 34 on x86-64), so that its stack pointer
	 * is known at the exit, however late the scheduler runs it (10 s at most). */
	char path[64] = "/proc/self/task/", num[16];
	int n = 0;
	for (pid_t id = worker_tid; id; id /= 10)
		num[n++] = (char)('0' + id % 10);
	size_t at = strlen(path);
	while (n)
		path[at++] = num[--n];
	memcpy(path + at, "/syscall", 9);
	struct timespec tick = {0, 1000000};
	for (int i = 0; i < 10000; i++) {
		char text[8] = "";
		int fd = open(path, O_RDONLY);
		if (fd >= 0) {
			ssize_t got = read(fd, text, sizeof(text) - 1);
			close(fd);
			if (got >= 3 && !memcmp(text, "34 ", 3))
				break;
		}
		nanosleep(&tick, NULL);
	}
}

/* Clears the stack below main, where the functions above left copies of their pointers. */
NOINLINE static void scrub_stack(void)
{
	volatile char area[32768];
	for (size_t i = 0; i < sizeof(area); i++)
		area[i] = 0;
}

int main(int argc, char **argv)
{
	keep_global();
	lose_pointer();
	lose_list();
	keep_interior();
	start_worker();
	if (argc > 2 && !strcmp(argv[1], "wait")) {
		say(1, "waiting\n");
		struct timespec tick = {0, 10000000};
		for (int i = 0; i < 6000 && access(argv[2], F_OK) != 0; i++)
			nanosleep(&tick, NULL);
	}
	scrub_stack();
	say(1, "heap_leakkinds: done\n");
	if (argc > 1 && !strcmp(argv[1], "_exit"))
		_exit(0);
	return 0;
}
