/*
 * stallwrite.c: libstallwrite.so, an LD_PRELOAD library that holds a write in mid-air, for the
 * tests of signals that arrive while scorch writes a recording (issue 8: finish the write or
 * remove the temporaries, never leave a partial set).
 *
 *   SC_STALL_WRITE_MATCH=SUBSTRING  the first write(2) to a file whose path (as /proc/self/fd
 *                                   shows it) contains SUBSTRING ...
 *   SC_STALL_READY=PATH             ... creates PATH, then waits until ...
 *   SC_STALL_GO=PATH                ... PATH exists before it writes
 *
 * The test waits for READY, sends its signals, then creates GO (or not). Signal handlers run
 * during the wait (nanosleep is interrupted and resumed). Without SC_STALL_WRITE_MATCH nothing
 * changes. Not profiled; built without sanitizers.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int stalled;

static void stall(void)
{
	const char *ready = getenv("SC_STALL_READY"), *go = getenv("SC_STALL_GO");
	if (!ready || !go)
		return;
	int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	while (access(go, F_OK) != 0) {
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
}

ssize_t write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	if (!real)
		real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	const char *match = getenv("SC_STALL_WRITE_MATCH");
	if (!stalled && match && *match && fd > 2) {
		char link[64], path[4096];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t k = readlink(link, path, sizeof(path) - 1);
		if (k > 0) {
			path[k] = 0;
			if (strstr(path, match)) {
				stalled = 1;
				stall();
			}
		}
	}
	return real(fd, buf, n);
}
