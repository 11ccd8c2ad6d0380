/*
 * failwrite.c: libfailwrite.so, an LD_PRELOAD library that makes a disk look full, for the tests
 * of what scorch leaves behind when its writes fail (issue 8: a recording's files are one set).
 *
 *   SC_FAIL_WRITE_MATCH=SUBSTRING   write(2) to a file whose path (as /proc/self/fd shows it)
 *                                   contains SUBSTRING fails with ENOSPC ...
 *   SC_FAIL_WRITE_AFTER=BYTES       ... once BYTES bytes have gone to such files (default 0)
 *
 * (tests/programs/stallwrite.c holds a write instead, for signals in the middle of one.)
 * Only write(2) is wrapped: scorch's output streams write through it (util/fileio.c), so the error
 * shows up where a real full disk shows it first. Without SC_FAIL_WRITE_MATCH nothing changes.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t written;

ssize_t write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	if (!real)
		real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	const char *match = getenv("SC_FAIL_WRITE_MATCH");
	if (match && *match && fd > 2) {
		char link[64], path[4096];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t k = readlink(link, path, sizeof(path) - 1);
		if (k > 0) {
			path[k] = 0;
			if (strstr(path, match)) {
				const char *after = getenv("SC_FAIL_WRITE_AFTER");
				size_t limit = after ? strtoull(after, NULL, 10) : 0;
				if (written + n > limit) {
					errno = ENOSPC;
					return -1;
				}
				written += n;
			}
		}
	}
	return real(fd, buf, n);
}
