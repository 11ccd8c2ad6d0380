/*
 * outdir.h: the output folder of a profiling run, created before the run (better to refuse at once
 * than to lose a long recording) and removed again, with the parents the run created, when
 * nothing was written into it (a command that could not be run, a refused perf_event_open).
 * A folder that existed before the run is never removed.
 *
 * Dated folders: sc_outdir_make_dated() creates PARENT/NAME-YYYYmmdd-HHMMSS (local time)
 * exclusively; when it exists already (another run started in the same second, here or in
 * another scorch), the next free one of NAME-STAMP-2, NAME-STAMP-3, ... is taken, so that two runs
 * never share a folder. PARENT is created when missing (again if another scorch just removed it
 * as empty).
 *
 * Returns 0 or -errno and never prints. Not thread-safe; the *_armed calls are process-wide.
 */
#ifndef SC_SESSION_OUTDIR_H
#define SC_SESSION_OUTDIR_H

#include "util/strbuf.h"

typedef struct sc_outdir {
	sc_strbuf path; /* the folder (path.buf), once made; may be set after a failure too */
	char *created;	/* the shallowest folder of path that this run created, or NULL */
} sc_outdir;

/* Creates `path` and its parents like mkdir -p (an existing folder is reused). `d` starts zeroed;
 * release it with sc_outdir_release() whatever this returns. */
int sc_outdir_make(sc_outdir *d, const char *path);
/* Creates the dated folder PARENT/NAME-STAMP[-N] described above. Same ownership as above. */
int sc_outdir_make_dated(sc_outdir *d, const char *parent, const char *name);
/* Removes the folders this run created, deepest first, as long as they are empty. */
void sc_outdir_remove_if_empty(const sc_outdir *d);
/* Frees `d`'s strings (the folders stay). NULL-safe, idempotent. */
void sc_outdir_release(sc_outdir *d);

/* For a signal handler that abandons the run: sc_outdir_arm() copies what
 * sc_outdir_remove_if_empty() would remove into a static buffer (nothing when the run created no
 * folder, or the path is longer than PATH_MAX); sc_outdir_remove_armed() removes those folders
 * while empty, and is async-signal-safe (in sigsafe.c). sc_outdir_arm(NULL) disarms. */
void sc_outdir_arm(const sc_outdir *d);
void sc_outdir_remove_armed(void);

#endif
