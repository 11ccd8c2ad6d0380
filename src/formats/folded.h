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

/* Writes one line per distinct stack text with sample type `type`'s total (stacks with a zero total
 * are skipped), inline frames expanded, lines sorted bytewise (deterministic). Stack nodes that
 * print the same (e.g. two call sites in one function) are merged. In frame names ';' becomes ':'
 * and line breaks become spaces. Returns 0, -EINVAL for a bad `type`, or -errno. */
int sc_folded_write(const sc_profile *p, int type, FILE *f);
/* Parses folded text into a new profile with sample type (samples, count), one sample per line;
 * each distinct frame name becomes a function and a location without a mapping (an empty frame
 * name becomes "[unknown]"). The count follows the last space or tab and must be a non-negative
 * integer; blank lines and a trailing '\r' are ignored. Returns 0, or -EINVAL with `d` set to
 * the line and column of the first malformed line, or -ENOMEM. */
int sc_folded_parse(const char *data, size_t n, sc_profile **out, sc_diag *d);

#endif
