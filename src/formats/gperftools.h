/*
 * gperftools.h: gperftools' binary CPU profile, what libprofiler writes for C and C++ programs
 * run with CPUPROFILE=FILE (and what `go tool pprof` reads as a "legacy" CPU profile).
 *
 * Read only. The file is a sequence of machine words (4 or 8 bytes, the writer's byte order):
 *
 *     0  3  0  PERIOD_US  0                  header: 3 more words, version 0, sampling period
 *     COUNT  DEPTH  PC[0] ... PC[DEPTH-1]    one record per distinct stack, PC[0] the leaf
 *     ...
 *     0  1  0                                trailer
 *     text of /proc/self/maps                where the code was: maps the PCs to files
 *
 * The Java variant (header version 1, from Google's Java CPU profiler agent) has method ids for
 * PCs and, after the trailer, lines " 0xID method (File.java:LINE)" naming them instead of maps.
 *
 * Not here: gperftools' heap profiles and the other legacy text profiles.
 */
#ifndef SC_FORMATS_GPERFTOOLS_H
#define SC_FORMATS_GPERFTOOLS_H

#include <stddef.h>

#include "profile/profile.h"
#include "util/diag.h"

/* True when data[0..n) starts with the header of a gperftools CPU profile (either word size,
 * either byte order, version 0 or 1). */
int sc_gperftools_sniff(const void *data, size_t n);

/*
 * Parses a gperftools CPU profile into a new profile, as `go tool pprof` reads it:
 *   - sample types (samples, count) and (cpu, nanoseconds) = count x period, the default cpu;
 *     period type (cpu, nanoseconds);
 *   - one sample per record; return addresses (every PC but the leaf) minus 1, so that they fall
 *     inside the call instruction; the one or two frames the signal handler pushes (a second
 *     frame shared by all samples but one in 32) are dropped, as pprof drops them;
 *   - one mapping per executable line of the maps text (start, limit, file offset, path), and
 *     one unsymbolized location per distinct address, in the mapping that holds it (none when
 *     no mapping does): sc_symbolize_profile can then name them from the files.
 * The Java variant: ids as they are (no minus 1, no frame dropped), no mappings, each id named by
 * its line after the trailer (function, file and line; a state such as "GC" or "VM" as is).
 * Returns 0, or -EINVAL with `d` set (the byte offset of the problem: a header that is not one,
 * a record running past the end), or -ENOMEM. *out is NULL on failure.
 */
int sc_gperftools_parse(const void *data, size_t n, sc_profile **out, sc_diag *d);

#endif
