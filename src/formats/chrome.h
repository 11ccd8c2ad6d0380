/*
 * chrome.h: the Chrome trace event format (JSON), written, for Perfetto UI (ui.perfetto.dev) and
 * chrome://tracing: one flame chart per thread along real time.
 *
 * Consecutive samples of a thread that share their outer frames become one "ph":"X" (complete)
 * slice per frame, nested by depth. We write X events rather than the format's "samples" and
 * "stackFrames" tables because Perfetto's JSON importer does not read those (it drops them; see
 * docs/formats.md), while it draws X events of one thread as a nested flame chart. chrome.c has
 * an annotated example; otherData.version holds our format version. Not read back by scorch.
 */
#ifndef SC_FORMATS_CHROME_H
#define SC_FORMATS_CHROME_H

#include <stdio.h>

#include "profile/profile.h"
#include "util/strbuf.h"

/* The profile's intervals (profile.h: spans of scorch record --trace) are X events on a track
 * of their own per thread: tid + this (Linux tids stay below 2^22), named "THREAD spans". */
#define SC_CHROME_SPAN_TID (1u << 30)

typedef struct sc_chrome_options {
	int type;	  /* sample type whose values give a sample's width (see below) */
	const char *name; /* process name for pids whose samples carry none; NULL for none */
	/* More events after the profile's (scorch record --trace: its spans), appended to `out`,
	 * each preceded by a comma when *nevents is not 0 (incremented per event); NULL for
	 * none. Returns 0 or -errno. */
	int (*more)(void *ctx, sc_strbuf *out, size_t *nevents);
	void *more_ctx;
} sc_chrome_options;

/*
 * Whether `p` can be written as a timeline of sample type `type`: 0 when every sample that counts
 * (value > 0) carries its time, -ENODATA when one does not (aggregated profiles: folded stacks,
 * pprof without a "time" label, perf script read without SC_PERFSCRIPT_TIMES), -EINVAL for a bad
 * type. A profile without samples passes (its trace is empty).
 */
int sc_chrome_check(const sc_profile *p, int type);

/*
 * Writes `p` to `f`. A sample covers [time, time + width): width is its value when the type's
 * unit is nanoseconds, else the thread's median interval between samples, and never reaches past
 * the thread's next sample. A sample later than the previous one's end plus one median interval
 * ends every open slice (the thread was off CPU). Samples with a value <= 0 are skipped.
 * Returns 0, or what sc_chrome_check returns (-EINVAL, -ENODATA: nothing is written), -ENOMEM or
 * -EIO.
 */
int sc_chrome_write(const sc_profile *p, const sc_chrome_options *o, FILE *f);

#endif
