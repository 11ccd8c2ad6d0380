/*
 * fileio.h: whole-file reads and the one writer of every output file.
 *
 * Every artifact scorch writes (recordings, report and diff outputs, bench outputs, baselines) goes
 * through sc_afile, so that a failed or interrupted write never destroys the previous file nor
 * leaves a half-written one under the final name:
 *
 *     sc_afile f;
 *     if ((r = sc_afile_open(&f, "out/profile.pb.gz")) < 0) ... -errno
 *     fwrite(..., f.fp);               // or any writer taking a FILE *
 *     if (writer failed) return sc_afile_fail(&f, r);   // discards; returns the real cause
 *     r = sc_afile_commit(&f);         // flush, fsync, close, rename; -errno on failure
 *
 * Where the bytes go, by what `path` names:
 *   - "-" and "/dev/stdout" (and "/dev/stderr"): scorch's own descriptor, written in place (no
 *     temporary, no rename).
 *   - an existing FIFO, character device or socket: written in place, so `-o /dev/null`,
 *     `-o /dev/full` and `-o FIFO` behave as users expect; it is never replaced by a regular
 *     file. Refused (-EACCES) when another user put it in a sticky, world-writable folder that is
 *     not theirs either (the system's temp folder), as the kernel's fs.protected_fifos=2 does.
 *   - a symlink: replaced by the new file, never followed, since in a shared folder it may have
 *     been planted to make us write elsewhere. The system's own links under /dev and /proc
 *     (/dev/fd/N, /proc/self/fd/N) are followed and written in place.
 *   - a directory: -EISDIR.
 *   - anything else: a temporary created exclusively (O_EXCL, mode 0600 until commit) in the
 *     target's own folder, named ".NAME.XXXXXX", renamed over the target by commit. It never
 *     follows a symlink planted at a predictable name, and gets the replaced file's mode (or
 *     0666 & ~umask) before the rename.
 *
 * Errors are the real ones: writes go through the stream's own write function, which keeps the
 * first errno (ENOSPC, EDQUOT, EIO...) so that sc_afile_commit/sc_afile_fail report "No space left
 * on device" rather than whatever errno a later call left behind.
 *
 * A set of files that belongs together (a recording's profile, flamegraph and folded stacks) is
 * written all-new or all-old with sc_afile_commit_all: every file is written and synced first,
 * the renames happen only when all succeeded, with SIGINT/SIGTERM/SIGHUP held off meanwhile.
 *
 * Live temporaries are listed in a small process-wide table so that a signal handler can remove
 * them (sc_afile_unlink_temporaries, async-signal-safe). Not thread-safe: one thread writes.
 */
#ifndef SC_UTIL_FILEIO_H
#define SC_UTIL_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct sc_afile_io;

typedef struct sc_afile {
	FILE *fp;		/* write here */
	char *path;		/* the target, as given: what the temporary is renamed to */
	char *tmp;		/* the temporary, NULL when written in place */
	struct sc_afile_io *io; /* the stream's state: fd, first write error */
	int slot;		/* index in the table of live temporaries, -1 */
	bool finished;		/* flushed, synced and closed: only the rename is left */
} sc_afile;

/* Starts writing `path` (see above). Returns 0, or -errno with *f zeroed (nothing to release). */
int sc_afile_open(sc_afile *f, const char *path);
/* Flushes, syncs and closes; the temporary stays, ready for sc_afile_rename. Returns 0 or -errno
 * (the first write error). On failure the temporary is removed and *f released. */
int sc_afile_finish(sc_afile *f);
/* Renames a finished temporary into place and releases *f. Returns 0 or -errno (temporary
 * removed). */
int sc_afile_rename(sc_afile *f);
/* sc_afile_finish, then sc_afile_rename. */
int sc_afile_commit(sc_afile *f);
/* Discards the temporary (NULL-safe, idempotent); the target is untouched. */
void sc_afile_abort(sc_afile *f);
/* After a writer returned `r` < 0: discards the temporary and returns the real cause, the stream's
 * first write error when there was one (a writer that saw ferror() can only say -EIO), else r. */
int sc_afile_fail(sc_afile *f, int r);
/* Finishes all `n` files; only when every one succeeded are they renamed into place (signals held
 * off), so the targets end all new or all old. Every file is released. Returns 0, or the first
 * error with *failed (if not NULL) set to the index of the file that failed. */
int sc_afile_commit_all(sc_afile *files, size_t n, size_t *failed);
/* Writes the files DIR/names[0..n) as one set: each through sc_afile, its content from
 * write(f, i, ctx) (0 or -errno), then sc_afile_commit_all. Returns 0, or the first error (the
 * stream's real one, e.g. -ENOSPC) with *failed set to the index of the file that failed; the
 * targets are then all as they were. */
int sc_afile_write_set(const char *dir, const char *const *names, size_t n,
		       int (*write)(FILE *f, size_t i, void *ctx), void *ctx, size_t *failed);
/* Removes every live temporary of this process. Async-signal-safe: for signal handlers. */
void sc_afile_unlink_temporaries(void);

/* Writes `n` bytes to `path` through sc_afile. Returns 0 or -errno. */
int sc_write_file(const char *path, const void *data, size_t n);

/* Reads a whole file ("-" is standard input) into a malloc'd, NUL-terminated buffer. Returns 0 and
 * sets *data and *n, or -errno: -EISDIR for a directory, -EFBIG when it holds more than `max`
 * bytes (0: no limit; nothing beyond max + 1 bytes is read). The caller frees *data. */
int sc_read_file_max(const char *path, size_t max, char **data, size_t *n);
/* sc_read_file_max without a limit. */
int sc_read_file(const char *path, char **data, size_t *n);

/* Creates a directory and its parents, like mkdir -p. Returns 0 or -errno. */
int sc_mkdir_p(const char *path);

#endif
