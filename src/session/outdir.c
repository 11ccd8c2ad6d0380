/*
 * outdir.c: creating and removing the output folder of a run; the contract is in outdir.h.
 * The remembering of created folders (`created`) is what makes removal safe: only the part of the
 * path this run made is ever removed. The signal-context removal is in sigsafe.c.
 */
#include "session/outdir.h"
#include "util/fileio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Creates `path` and its parents like mkdir -p, remembering in d->created the shallowest folder
 * that did not exist yet (kept if already set). Returns 0 or -errno. */
static int mkdir_tracked(sc_outdir *d, const char *path)
{
	if (!d->created) {
		char *p = strdup(path);
		if (!p)
			return -ENOMEM;
		struct stat st;
		for (char *s = p + 1;; s++) {
			if (*s != '/' && *s != '\0')
				continue;
			char c = *s;
			*s = '\0';
			if (stat(p, &st) < 0 && errno == ENOENT) {
				d->created = p;
				break;
			}
			*s = c;
			if (!c) {
				free(p);
				break;
			}
		}
	}
	return sc_mkdir_p(path);
}

int sc_outdir_make_dated(sc_outdir *d, const char *parent, const char *name)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	int r = 0;
	for (int n = 1; n <= 10000; n++) {
		sc_strbuf_reset(&d->path);
		if (sc_strbuf_addf(&d->path, "%s/%s-%s", parent, name, stamp) < 0 ||
		    (n > 1 && sc_strbuf_addf(&d->path, "-%d", n) < 0))
			return -ENOMEM;
		if (mkdir(d->path.buf, 0777) == 0) {
			if (!d->created && !(d->created = strdup(d->path.buf)))
				return -ENOMEM;
			return 0;
		}
		r = -errno;
		/* The parent is missing, or another scorch just removed it as empty: (re)create. */
		if (r == -ENOENT && (r = mkdir_tracked(d, parent)) == 0) {
			n--;
			continue;
		}
		if (r != -EEXIST)
			return r;
	}
	return r;
}

int sc_outdir_make(sc_outdir *d, const char *path)
{
	if (sc_strbuf_adds(&d->path, path) < 0)
		return -ENOMEM;
	return mkdir_tracked(d, d->path.buf);
}

void sc_outdir_remove_if_empty(const sc_outdir *d)
{
	if (!d->created || !d->path.buf)
		return;
	char *p = strdup(d->path.buf);
	if (!p)
		return;
	size_t stop = strlen(d->created);
	while (strlen(p) >= stop && rmdir(p) == 0) {
		char *slash = strrchr(p, '/');
		if (!slash || slash == p)
			break;
		*slash = '\0';
	}
	free(p);
}

void sc_outdir_release(sc_outdir *d)
{
	if (!d)
		return;
	sc_strbuf_release(&d->path);
	free(d->created);
	d->created = NULL;
}
