/*
 * fileio.h: whole-file reads and crash-safe writes.
 *
 * Every artifact scorch writes goes through sc_afile: the data goes to "PATH.tmp.PID" and is
 * renamed over PATH only by sc_afile_commit(), so a failed or interrupted write never destroys the
 * previous artifact or leaves a half-written one under the final name.
 *
 *     sc_afile f;
 *     if (sc_afile_open(&f, "out/profile.pb.gz") < 0) ... errno-style error
 *     fwrite(..., f.fp);
 *     r = sc_afile_commit(&f);   // flushes, fsyncs, checks for write errors, renames; on error
 *                                // the temporary file is removed and -errno returned
 *     sc_afile_abort(&f);        // instead of commit: discards the temporary file (NULL-safe)
 */
#ifndef SC_UTIL_FILEIO_H
#define SC_UTIL_FILEIO_H

#include <stddef.h>
#include <stdio.h>

typedef struct sc_afile {
	FILE *fp;
	char *path, *tmp;
} sc_afile;

int sc_afile_open(sc_afile *f, const char *path);
int sc_afile_commit(sc_afile *f);
void sc_afile_abort(sc_afile *f);

/* Writes `n` bytes to `path` atomically. Returns 0 or -errno. */
int sc_write_file(const char *path, const void *data, size_t n);

/* Reads a whole file ("-" is standard input) into a malloc'd, NUL-terminated buffer. Returns 0 and
 * sets *data and *n, or -errno. The caller frees *data. */
int sc_read_file(const char *path, char **data, size_t *n);

/* Creates a directory and its parents, like mkdir -p. Returns 0 or -errno. */
int sc_mkdir_p(const char *path);

#endif
