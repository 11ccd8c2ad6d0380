/*
 * filter.h: transformations of a profile before any view reads it (pprof's focus/ignore, perf's
 * --tid/--pid/--time, FlameGraph-style folding).
 *
 * sc_profile_filter() builds a NEW profile from `in` (which is not modified): samples outside the
 * thread/process/time selection are dropped; focus keeps samples with a frame matching the regex;
 * ignore drops samples with a matching frame; fold removes matching frames from stacks (their cost
 * goes to the caller); merge_recursion collapses runs of the same function into one frame;
 * no_inline drops inlined frames (their cost is their containing function's). Frames
 * are the inline-expanded frames of sc_profile_stack_frames; the output has one location per
 * (original location, frame) with a single line, so views see the same names.
 */
#ifndef SC_PROFILE_FILTER_H
#define SC_PROFILE_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "profile/profile.h"
#include "util/diag.h"

/* The latest --from/--to bound (about 31 years): nanoseconds from it still fit a uint64_t. */
#define SC_FILTER_MAX_SECONDS 1e9

typedef struct sc_filter {
	const char *focus;  /* regex (POSIX extended) on frame names, NULL = none */
	const char *ignore; /* regex, NULL = none */
	const char *fold;   /* regex of frames to remove, NULL = none */
	/* The same on the path of a frame's mapping (the file it was loaded from; "[kernel]" for
	 * kernel frames): focus_module keeps samples with a frame in a matching module (and, with
	 * focus too, a frame matching focus), fold_module removes the frames of matching modules.
	 */
	const char *focus_module, *fold_module;
	bool merge_recursion;
	/* Inlined frames fold into the function they were inlined into (pprof's -noinlines): each
	 * location keeps only its last line, so an inlined function's cost is its caller's self
	 * cost, and focus/ignore/fold see only the functions that remain. */
	bool no_inline;
	const uint32_t *tids; /* keep only these threads (ntids = 0: all) */
	size_t ntids;
	const uint32_t *pids;
	size_t npids;
	/* Threads and processes by name (see sc_names below): a sample is kept by --tid when its
	 * tid is in `tids` or its thread name in `tid_names`, by --pid likewise with its process
	 * name, by --comm when its thread or process name is in `comms`. */
	const char *const *tid_names;
	size_t ntid_names;
	const char *const *pid_names;
	size_t npid_names;
	const char *const *comms;
	size_t ncomms;
	double from, to; /* seconds since the first sample, 0..SC_FILTER_MAX_SECONDS (else
			  * -EINVAL); to 0 = until the end. Needs times. */
} sc_filter;

/*
 * Names of a sample's thread and process, from its string labels: "thread_name" and
 * "process_name" (scorch's recorder, pprof_write.c), else "comm" (perf script text names the
 * thread; it stands for both). sc_names_init looks the keys up once; the name functions return a
 * string id of `p` (0 when the sample carries none). The struct borrows nothing.
 */
typedef struct sc_names {
	sc_str thread, process, comm;
} sc_names;
void sc_names_init(sc_names *k, const sc_profile *p);
sc_str sc_sample_thread_name(const sc_profile *p, const sc_names *k, size_t sample);
sc_str sc_sample_process_name(const sc_profile *p, const sc_names *k, size_t sample);
/* The string id of `s` in `p`, 0 when `p` does not hold it (a linear search: for setup). */
sc_str sc_profile_find_string(const sc_profile *p, const char *s);

/* Returns 0 and a new profile in *out, -EINVAL with `d` set (bad regex; a time window on a
 * profile without per-sample times), or -ENOMEM. */
int sc_profile_filter(const sc_profile *in, const sc_filter *f, sc_profile **out, sc_diag *d);
/* True when the filter would change anything. */
bool sc_filter_active(const sc_filter *f);

#endif
