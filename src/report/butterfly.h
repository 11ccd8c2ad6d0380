/*
 * butterfly.h: the caller/callee ("butterfly") view of one or more functions.
 *
 * For the functions whose display name matches a regex, taken together as one "focus": the focus's
 * self and total cost; each caller (the frame directly above a focus frame) with the cost of the
 * samples in which it called into the focus; each callee (the frame directly below a focus frame)
 * with the cost of the samples in which the focus called it, plus the focus's self cost as its own
 * row. Under recursion each sample counts once per caller/callee. Computed from the stack tree
 * with inline-expanded frames (sc_profile_stack_frames), keyed like top.h's rows (name + module).
 */
#ifndef SC_REPORT_BUTTERFLY_H
#define SC_REPORT_BUTTERFLY_H

#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"
#include "report/top.h"

typedef struct sc_butterfly_edge {
	const char *name, *module; /* borrowed from the profile or the butterfly */
	int64_t value;		   /* cost flowing through this caller or callee */
} sc_butterfly_edge;

typedef struct sc_butterfly {
	const char *pattern;
	int64_t self, total, grand_total;
	size_t nmatched;		   /* distinct functions the pattern matched */
	sc_butterfly_edge *callers, *callees; /* sorted by value, descending */
	size_t ncallers, ncallees;
	int type;
	void *priv;
} sc_butterfly;

/* Computes the butterfly of the functions matching `regex` (POSIX extended) for sample type
 * `type`. Returns 0, -EINVAL for a bad regex, -ENOENT when nothing matches, or -ENOMEM. */
int sc_butterfly_compute(const sc_profile *p, int type, const char *regex, sc_butterfly *b);
void sc_butterfly_release(sc_butterfly *b);
int sc_butterfly_print_text(const sc_profile *p, const sc_butterfly *b, size_t n, FILE *f);
/* JSON: {"schema":"scorch.butterfly","version":1,"function":..,"self":..,"total":..,
 * "callers":[{"name","module","value","pct"}],"callees":[...]} */
int sc_butterfly_print_json(const sc_profile *p, const sc_butterfly *b, size_t n, FILE *f);

#endif
