/*
 * folded.h: FlameGraph's folded stacks: one line per distinct stack,
 * "outer;caller;leaf COUNT", frames outermost first, count after the last space.
 */
#ifndef SC_FORMATS_FOLDED_H
#define SC_FORMATS_FOLDED_H

#include <stddef.h>
#include <stdio.h>

#include "profile/profile.h"
#include "util/diag.h"

/* The root frame the writer puts above each stack, as FlameGraph's stackcollapse-perf.pl does for
 * `perf script` input: none; the sample's "comm" string label (the process name, blanks as '_');
 * "comm-PID" (an unknown pid, 0 or with a numeric label "pid_unknown" of 1, prints '?');
 * "comm-PID/TID". Samples without a comm label get "[unknown]" for comm in the PID and TID forms
 * and no root in the COMM form. */
typedef enum sc_folded_root {
	SC_FOLDED_ROOT_NONE,
	SC_FOLDED_ROOT_COMM,
	SC_FOLDED_ROOT_PID,
	SC_FOLDED_ROOT_TID,
} sc_folded_root;

/* Writes one line per distinct stack text with sample type `type`'s total (stacks with a zero total
 * are skipped), inline frames expanded, lines sorted bytewise (deterministic). Stack nodes that
 * print the same (e.g. two call sites in one function) are merged. In frame names ';' becomes ':'
 * and line breaks become spaces. Returns 0, -EINVAL for a bad `type`, or -errno. */
int sc_folded_write(const sc_profile *p, int type, FILE *f);
/* As sc_folded_write, with root frames (sc_folded_write is SC_FOLDED_ROOT_COMM: samples with a
 * comm label, as `perf script` input gives, get their process name as root frame; others none).
 * The lines are then one per distinct (root, stack text). */
int sc_folded_write_root(const sc_profile *p, int type, sc_folded_root root, FILE *f);
/* Parses folded text into a new profile with sample type (samples, count), one sample per line;
 * each distinct frame name becomes a function and a location without a mapping (an empty frame
 * name becomes "[unknown]"). The count follows the last space or tab and must be a non-negative
 * integer; blank lines and a trailing '\r' are ignored. Returns 0, or -EINVAL with `d` set to
 * the line and column of the first malformed line, or -ENOMEM. */
int sc_folded_parse(const char *data, size_t n, sc_profile **out, sc_diag *d);

#endif
