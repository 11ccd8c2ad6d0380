/*
 * offcpu.c: known-answer program for off-CPU and wall-clock profiling (tests/cli/offcpu.sh).
 *
 * Three threads block, each in a function of its own, for known lengths of time:
 *   wait_sleep  sleeps in nanosleep, 6 x 100 ms = 600 ms             (3/6 of the three waits)
 *   wait_mutex  blocks on a mutex that main holds for 400 ms         (2/6)
 *   wait_pipe   blocks reading a pipe that main writes after 200 ms  (1/6)
 * and a fourth runs: spin burns 300 ms of CPU time (CLOCK_THREAD_CPUTIME_ID), for the wall mode.
 * main holds the mutex in hold_mutex (sleeping 400 ms with it) and writes the pipe in feed_pipe
 * (sleeping 200 ms before), then joins the threads.
 *
 * Each thread measures its own wait (CLOCK_MONOTONIC around the blocking call) and the program
 * prints "NAME MS" per wait on stdout (for spin, the wall-clock time it took: its CPU time and
 * any time it waited for a CPU on a loaded machine), so the test compares the profile's shares with
 * what actually happened rather than with the intended lengths (a loaded machine stretches them).
 * Optional argument: a scale factor for the lengths (default 1).
 *
 * `offcpu block`, for attaching: naps (100 ms sleeps in nap) until SIGUSR1, then blocks for good
 * in block_forever (pause) until killed: a thread still blocked when a recording ends.
 *
 * `offcpu disk DIR [SCALE]`, for the uninterruptible (D state, "disk I/O") waits: two threads at
 * once, for known lengths of time:
 *   wait_disk   reads a 4 MiB file in DIR with O_DIRECT, 1 MiB at a time, for 400 ms: each read
 *               bypasses the page cache and sleeps uninterruptibly until the device has answered
 *               (on a virtual machine's disk too: the guest waits for the virtio request)
 *   wait_sleep  as above, 600 ms asleep in nanosleep (interruptible)
 * and prints "NAME MS" for both. DIR must be on a block device's file system (not tmpfs: its
 * O_DIRECT reads are memory copies that never wait); the file is unlinked at once. Most of
 * wait_disk's wall-clock time is in D state (92% measured here, the rest on the CPU submitting the
 * reads), none of wait_sleep's. Exit status 3, with a message, when DIR refuses O_DIRECT.
 */
/* O_DIRECT: _GNU_SOURCE, which the build defines */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int pipefd[2];
static double scale = 1;
static double waited[4];

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
	ms *= scale;
	struct timespec ts = {(time_t)(ms / 1000),
			      (long)((ms - (double)(time_t)(ms / 1000) * 1000) * 1e6)};
	while (nanosleep(&ts, &ts) != 0)
		;
}

__attribute__((noinline)) static void *wait_sleep(void *arg)
{
	(void)arg;
	double t0 = now_ms();
	for (int i = 0; i < 6; i++)
		sleep_ms(100); /* 600 ms asleep: 3/6 */
	waited[0] = now_ms() - t0;
	return NULL;
}

__attribute__((noinline)) static void *wait_mutex(void *arg)
{
	(void)arg;
	double t0 = now_ms();
	pthread_mutex_lock(&lock); /* held by main for 400 ms: 2/6 */
	waited[1] = now_ms() - t0;
	pthread_mutex_unlock(&lock);
	return NULL;
}

__attribute__((noinline)) static void *wait_pipe(void *arg)
{
	(void)arg;
	char c;
	double t0 = now_ms();
	if (read(pipefd[0], &c, 1) != 1) /* written by main after 200 ms: 1/6 */
		abort();
	waited[2] = now_ms() - t0;
	return NULL;
}

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

__attribute__((noinline)) static void *spin(void *arg)
{
	(void)arg;
	double t0 = now_ms(), c0 = cpu_ms();
	volatile unsigned long x = 0;
	while (cpu_ms() - c0 < 300 * scale) /* 300 ms on the CPU */
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
	waited[3] = now_ms() - t0;
	return NULL;
}

__attribute__((noinline)) static void hold_mutex(void)
{
	sleep_ms(400);
	pthread_mutex_unlock(&lock);
}

__attribute__((noinline)) static void *feed_pipe(void *arg)
{
	(void)arg;
	sleep_ms(200);
	if (write(pipefd[1], "x", 1) != 1)
		abort();
	return NULL;
}

/* ---- offcpu disk ----------------------------------------------------------------------------- */

enum { DISK_FILE = 4 << 20, DISK_BLOCK = 1 << 20 };

static int disk_fd = -1;
static void *disk_buf;
static double disk_waited;

__attribute__((noinline)) static void *wait_disk(void *arg)
{
	(void)arg;
	double t0 = now_ms();
	off_t off = 0;
	do { /* 400 ms of O_DIRECT reads, each in D state until the device answers */
		if (pread(disk_fd, disk_buf, DISK_BLOCK, off) != DISK_BLOCK)
			abort();
		off = (off + DISK_BLOCK) % DISK_FILE;
	} while (now_ms() - t0 < 400 * scale);
	disk_waited = now_ms() - t0;
	return NULL;
}

/* A 4 MiB file in dir, written and flushed, then opened again with O_DIRECT (through
 * /proc/self/fd, as it is already unlinked). Returns 0, 3 when dir refuses O_DIRECT, 1 else. */
static int disk_open(const char *dir)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/offcpu-disk.XXXXXX", dir) >= (int)sizeof(path))
		return 1;
	int fd = mkstemp(path);
	if (fd < 0) {
		fprintf(stderr, "offcpu disk: cannot create a file in %s: %s\n", dir,
			strerror(errno));
		return 1;
	}
	unlink(path);
	int r = 1;
	if (posix_memalign(&disk_buf, 4096, DISK_BLOCK))
		goto out_fd;
	memset(disk_buf, 0x5a, DISK_BLOCK);
	for (off_t off = 0; off < DISK_FILE; off += DISK_BLOCK)
		if (pwrite(fd, disk_buf, DISK_BLOCK, off) != DISK_BLOCK)
			goto out_write;
	if (fsync(fd) < 0)
		goto out_write;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	disk_fd = open(path, O_RDONLY | O_DIRECT);
	if (disk_fd < 0) {
		fprintf(stderr, "offcpu disk: %s refuses O_DIRECT: %s\n", dir, strerror(errno));
		r = errno == EINVAL ? 3 : 1;
		goto out_fd;
	}
	/* Some file systems accept O_DIRECT at open and refuse it at the first read. */
	if (pread(disk_fd, disk_buf, DISK_BLOCK, 0) != DISK_BLOCK) {
		fprintf(stderr, "offcpu disk: an O_DIRECT read in %s failed: %s\n", dir,
			strerror(errno));
		r = errno == EINVAL ? 3 : 1;
		goto out_fd;
	}
	r = 0;
	goto out_fd;
out_write:
	fprintf(stderr, "offcpu disk: cannot write a file in %s: %s\n", dir, strerror(errno));
out_fd:
	close(fd);
	return r;
}

static int disk_main(const char *dir)
{
	int r = disk_open(dir);
	if (r)
		return r;
	pthread_t t[2];
	if (pthread_create(&t[0], NULL, wait_disk, NULL) ||
	    pthread_create(&t[1], NULL, wait_sleep, NULL))
		return 1;
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	printf("wait_disk %.1f\nwait_sleep %.1f\n", disk_waited, waited[0]);
	return 0;
}

static volatile sig_atomic_t woken;

static void on_usr1(int sig)
{
	(void)sig;
	woken = 1;
}

__attribute__((noinline)) static void nap(void)
{
	struct timespec ts = {0, 100000000};
	nanosleep(&ts, NULL); /* interrupted by SIGUSR1 */
}

__attribute__((noinline)) static void block_forever(void)
{
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "block")) {
		struct sigaction sa = {.sa_handler = on_usr1};
		sigaction(SIGUSR1, &sa, NULL);
		while (!woken)
			nap();
		block_forever();
	}
	if (argc > 1 && !strcmp(argv[1], "disk")) {
		if (argc < 3 || argc > 4) {
			fprintf(stderr, "usage: offcpu disk DIR [SCALE]\n");
			return 2;
		}
		scale = argc > 3 ? atof(argv[3]) : 1;
		return scale > 0 ? disk_main(argv[2]) : 2;
	}
	if (argc > 1)
		scale = atof(argv[1]);
	if (scale <= 0 || pipe(pipefd) < 0)
		return 2;
	pthread_t t[4];
	pthread_mutex_lock(&lock);
	if (pthread_create(&t[0], NULL, wait_sleep, NULL) ||
	    pthread_create(&t[1], NULL, wait_mutex, NULL) ||
	    pthread_create(&t[2], NULL, wait_pipe, NULL) || pthread_create(&t[3], NULL, spin, NULL))
		return 1;
	/* The pipe is fed on a thread of its own, so that both waits start together. */
	pthread_t feeder;
	if (pthread_create(&feeder, NULL, feed_pipe, NULL))
		return 1;
	hold_mutex();
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	pthread_join(feeder, NULL);
	printf("wait_sleep %.1f\nwait_mutex %.1f\nwait_pipe %.1f\nspin %.1f\n", waited[0],
	       waited[1], waited[2], waited[3]);
	return 0;
}
