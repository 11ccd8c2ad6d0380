/*
 * perfscript.h: the text `perf script` prints, read into a profile, so that an existing perf.data
 * gets every view:  perf script | scorch report -
 *
 * One sample is a header line and, when the data has callchains, one tab-indented frame line per
 * frame, leaf first, then a blank line:
 *
 *     hot 14457/14457 [001]  1857.244490:    1001001 cpu-clock:
 *     	            127b hot_a+0x2b (/work/build/tests/programs/hot)
 *     	           2724a __libc_start_call_main+0x7a (/usr/lib/x86_64-linux-gnu/libc.so.6)
 *
 * Without callchains the one frame follows the event on the header line itself. Every header
 * field perf can leave out is optional (tid, cpu, time, period, event); see perfscript.c for the
 * exact grammar and docs/formats.md for examples. Not for perf.data itself (binary) nor for
 * `perf script -F` outputs with fields reordered by hand.
 */
#ifndef SC_FORMATS_PERFSCRIPT_H
#define SC_FORMATS_PERFSCRIPT_H

#include <stddef.h>
#include <stdio.h>

#include "profile/profile.h"
#include "util/diag.h"

enum {
	/* Keep every sample with its time (perf's seconds.micro- or nanoseconds, as ns) instead of
	 * merging samples of equal (stack, pid, tid) into one. Memory then grows with samples;
	 * for timelines (the Chrome trace writer). */
	SC_PERFSCRIPT_TIMES = 1 << 0,
	/* Parse every line on its own, without the caches of repeated callchain blocks and
	 * headers. The profile is the same, only slower: for tests that check exactly that. */
	SC_PERFSCRIPT_LINE_BY_LINE = 1 << 1,
	/* A 4 MiB cache of callchain blocks instead of 64 MiB: for tests of what happens when it
	 * is full. The profile is the same. */
	SC_PERFSCRIPT_SMALL_CACHE = 1 << 2,
};

/*
 * Parses `perf script` text into a new profile:
 *   - with one event or none: sample types (samples, count) and, when the headers carry
 *     periods, the event's type named after it without modifiers ("cpu-clock:u" ->
 *     "cpu-clock"), unit "nanoseconds" for cpu-clock and task-clock, "count" otherwise;
 *     (events, count) when periods come without an event name;
 *   - with two events or more: one type per event (its periods, 1 per sample without), and no
 *     (samples, count) type, which would add different quantities up; (samples or events,
 *     count) for headers without an event. The default sample type is the first event's.
 *   - one function per (symbol, dso, java process) named as FlameGraph's stackcollapse-perf
 *     shows it (no "+0x" offset, no argument list, no quotes, "[dso-basename]" for an unknown
 *     symbol of a known dso, a java JIT name without its 'L'), the raw symbol as its system
 *     name; one location per distinct frame, one mapping per dso (its file; `kernel` set for
 *     "[kernel.kallsyms]" and other "[kernel...]" dsos), marked symbolized so nobody
 *     symbolizes them again.
 *   - samples with equal (stack, pid, tid, comm, event) merged into one (time 0), unless
 *     SC_PERFSCRIPT_TIMES; pid is the thread's process when the header has "pid/tid", else
 *     pid = tid and the sample has a numeric label "pid_unknown" = 1; each sample whose header
 *     names its command has it as a string label "comm".
 * Returns 0, or -EINVAL with `d` set to the line and column of the first malformed line, or
 * -ENOMEM. *out is NULL on failure. `flags` is a set of SC_PERFSCRIPT_*.
 */
int sc_perfscript_parse_flags(const char *data, size_t n, unsigned flags, sc_profile **out,
			      sc_diag *d);
/* sc_perfscript_parse_flags with flags 0 (samples merged). */
int sc_perfscript_parse(const char *data, size_t n, sc_profile **out, sc_diag *d);
/*
 * As sc_perfscript_parse_flags, for inputs too big to hold: parses `head` (bytes the caller has
 * already read from the stream, e.g. to sniff it; may be NULL with nhead 0) and then the rest of
 * `f` to its end, in 1 MiB chunks, so memory grows with distinct stacks (plus a cache of
 * callchain text seen before, 64 MiB at most) and never with the size of the text. Returns as
 * sc_perfscript_parse_flags, or -errno when reading fails.
 */
int sc_perfscript_read_stream(FILE *f, const void *head, size_t nhead, unsigned flags,
			      sc_profile **out, sc_diag *d);
/* As sc_perfscript_read_stream, but stops with -EFBIG (nothing in *out) once what the profile
 * and the parser hold passes `max_memory` bytes (0: no limit), checked after each chunk. */
int sc_perfscript_read_stream_max(FILE *f, const void *head, size_t nhead, unsigned flags,
				  size_t max_memory, sc_profile **out, sc_diag *d);

/* What sc_perfscript_read_stream_opts is asked for. */
typedef struct sc_perfscript_stream_options {
	unsigned flags;	   /* SC_PERFSCRIPT_* */
	size_t max_memory; /* as sc_perfscript_read_stream_max; 0: no limit */
	/* When f is a regular file of 2 * part_bytes or more: read it in up to this many parts
	 * at once (part_bytes each at least), one thread each, merged in order into the profile one
	 * thread gives. <= 1: one thread. */
	int threads;
	size_t part_bytes; /* the least bytes of a part; 0: 8 MiB (tests use small parts) */
} sc_perfscript_stream_options;
/* As sc_perfscript_read_stream_max with options; `head` must be the bytes read from f just
 * before its current position (as the caller sniffed them). Each part needs a chunk buffer
 * and its own tables: memory is at most `threads` times the one-thread reader's, within
 * max_memory. Returns as sc_perfscript_read_stream_max. */
int sc_perfscript_read_stream_opts(FILE *f, const void *head, size_t nhead,
				   const sc_perfscript_stream_options *o, sc_profile **out,
				   sc_diag *d);

/* True when the first line that is not blank or a comment is a tab-indented frame (`-F ip,sym`),
 * or reads as a sample header ("[comm] pid[/tid] [[cpu]] [time:] [period] event:" or with a
 * time) that ends with ':', carries its frame after the event, or is followed by a frame line
 * (tab-, space- or not indented) or by another header. Looks at three lines at most. Folded
 * stacks (whose lines end with a count) and pprof never match. */
int sc_perfscript_sniff(const char *data, size_t n);

#endif
