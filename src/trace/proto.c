/*
 * proto.c: the console socket's path (proto.h), shared by the runtime inside the program and
 * `scorch console`. libc only.
 */
#include "trace/proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sc_console_path(pid_t pid, int make_dir, char *buf, size_t size, char *err, size_t errsize)
{
	char dir[256];
	const char *run = getenv("XDG_RUNTIME_DIR");
	int n;
	if (run && run[0] == '/')
		n = snprintf(dir, sizeof(dir), "%s/scorch", run);
	else
		n = snprintf(dir, sizeof(dir), "/tmp/scorch-%u", (unsigned)geteuid());
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		snprintf(err, errsize, "the runtime directory's path is too long");
		return -ENAMETOOLONG;
	}
	if (make_dir && mkdir(dir, 0700) < 0 && errno != EEXIST) {
		int e = errno;
		snprintf(err, errsize, "cannot create %s: %s", dir, strerror(e));
		return -e;
	}
	struct stat st;
	if (lstat(dir, &st) < 0) {
		int e = errno;
		snprintf(err, errsize, "cannot use %s: %s", dir, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		snprintf(err, errsize,
			 "%s is not a folder of the user's with no access for others: not used",
			 dir);
		return -EPERM;
	}
	n = snprintf(buf, size, "%s/console-%ld.sock", dir, (long)pid);
	if (n < 0 || (size_t)n >= size || (size_t)n >= 108 /* sun_path */) {
		snprintf(err, errsize, "the socket's path under %s is too long", dir);
		return -ENAMETOOLONG;
	}
	return 0;
}
