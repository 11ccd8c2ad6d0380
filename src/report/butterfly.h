/*
 * butterfly.h: the caller/callee ("butterfly") view of one or more functions.
 *
 * For the functions whose display name matches a regex, taken together as one "focus": the focus's
 * self and total cost; each caller (the frame directly above a focus frame) with the cost of the
 * samples in which it called into the focus; each callee (the frame directly below a focus frame)
 * with the cost of the samples in which the focus called it, plus the focus's self cost as its own
 * row. Under recursion each sample counts once per caller/callee. Computed from the stack tree
 * with inline-expanded frames (sc_profile_stack_frames), keyed like top.h's rows (name + module).
 *
 * Matching: when some function's display name equals the pattern exactly, only those functions
 * form the focus (so "main" is main, not also __libc_start_call_main); otherwise every function
 * whose name the regex matches (unanchored search). Calls between focus functions (recursion, or
 * a calling b when both match) are inside the focus and show as neither caller nor callee. A
 * focus frame with nothing above it (the outermost frame) has the caller "(root)".
 *
 * Cost: one walk over the stack tree, like top.c; regexes run once per distinct function.
 */
#ifndef SC_REPORT_BUTTERFLY_H
#define SC_REPORT_BUTTERFLY_H

#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"
#include "report/top.h"

typedef enum sc_butterfly_kind {
	SC_BUTTERFLY_FUNCTION, /* a real caller or callee */
	SC_BUTTERFLY_SELF,     /* the callees' "(self)" row: the focus's own cost */
	SC_BUTTERFLY_ROOT,     /* the callers' "(root)" row: the focus was the outermost frame */
} sc_butterfly_kind;

typedef struct sc_butterfly_edge {
	const char *name, *module; /* borrowed from the profile or the butterfly ("" for rows
				      that are not functions) */
	int64_t value;		   /* cost flowing through this caller or callee */
	sc_butterfly_kind kind;
} sc_butterfly_edge;

typedef struct sc_butterfly {
	const char *pattern; /* borrowed from the caller of sc_butterfly_compute */
	int64_t self, total, grand_total;
	size_t nmatched;			 /* distinct functions the pattern matched */
	const char **matched, **matched_modules; /* their names and modules (nmatched each) */
	sc_butterfly_edge *callers, *callees;	 /* sorted by value, descending, ties by name */
	size_t ncallers, ncallees;
	int type;
	void *priv;
} sc_butterfly;

/* Computes the butterfly of the functions matching `regex` (POSIX extended) for sample type
 * `type`. Returns 0, -EINVAL for a bad regex or type, -ENOENT when nothing matches, or -ENOMEM;
 * *b is released (zeroed) on failure. The result borrows from `p` and `regex`. */
int sc_butterfly_compute(const sc_profile *p, int type, const char *regex, sc_butterfly *b);
void sc_butterfly_release(sc_butterfly *b);
/* Text: the focus's total and self (with shares of the whole), then the n first callers and
 * callees with their share of the focus's total. n = 0 shows all. Returns 0, -ENOMEM or -EIO. */
int sc_butterfly_print_text(const sc_profile *p, const sc_butterfly *b, size_t n, FILE *f);
/* JSON (n as for text):
 *   {"schema":"scorch.butterfly","version":1,"sample_type":"cpu","unit":"nanoseconds",
 *    "pattern":"spread_","functions":[{"name":..,"module":..}],"grand_total":..,
 *    "total":..,"total_pct":..,"self":..,"self_pct":..,
 *    "callers":[{"name":..,"module":..,"kind":"function"|"root","value":..,"pct":..}],
 *    "callees":[{... "kind":"function"|"self" ...}]}
 * total_pct and self_pct are shares of grand_total; an edge's pct is its share of total. */
int sc_butterfly_print_json(const sc_profile *p, const sc_butterfly *b, size_t n, FILE *f);

#endif
