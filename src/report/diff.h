/*
 * diff.h: what changed between two profiles, function by function.
 *
 * Two ways to compare, chosen by sc_diff_compute and named in every output:
 *
 *   absolute    when both profiles measure the same thing (the same sample type and unit, and
 *               for counts the same sampling period) and no normalization was asked for: a
 *               function's change is its new value minus its base value, in that unit. A
 *               function whose time did not move is unchanged however the others moved.
 *   normalized  on request (SC_DIFF_NORMALIZE), or when the profiles measure different things:
 *               the base is scaled to the new total (as pprof -normalize does), so a change is
 *               one of shares: a run twice as long is not "twice as slow".
 *
 * Each row carries its change in the compared unit (`*_delta`), relative to its base value
 * (`*_rel`, percent; NAN for a function the base does not have), and in points (`*_pts`): the
 * change as a percentage of the base total, which when normalized is new% - base% of the
 * shares. Functions are matched by display name and module; when either profile knows no
 * modules (folded stacks), by name alone. A function present in one profile only is marked
 * SC_DIFF_NEW or SC_DIFF_GONE.
 *
 * The differential flamegraph is flamegraph.h's sc_flamegraph_write_diff_html.
 */
#ifndef SC_REPORT_DIFF_H
#define SC_REPORT_DIFF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"

typedef enum sc_diff_presence {
	SC_DIFF_BOTH, /* in both profiles */
	SC_DIFF_NEW,  /* only in the new profile */
	SC_DIFF_GONE, /* only in the base profile */
} sc_diff_presence;

typedef struct sc_diff_row {
	const char *name, *module;			    /* borrowed from the profiles */
	int64_t base_self, base_total, new_self, new_total; /* in each profile's unit, unscaled */
	double base_self_pct, base_total_pct, new_self_pct, new_total_pct; /* of own totals */
	double self_delta, total_delta; /* new - base (the base scaled when normalized) */
	double self_rel, total_rel;	/* delta / base value, in percent; NAN when base is 0 */
	double self_pts, total_pts;	/* delta / base total (scaled), in percent */
	sc_diff_presence presence;
} sc_diff_row;

/* Flags of sc_diff_compute. */
#define SC_DIFF_NORMALIZE 1u /* compare shares even when absolute values could be compared */

typedef struct sc_diff {
	sc_diff_row *rows; /* every function of either profile, biggest self change first */
	size_t len;
	int64_t base_total, new_total;
	const char *type, *unit;		/* the new profile's sample type */
	const char *base_type, *base_unit;	/* the base profile's */
	const char *base_name, *new_name;	/* labels for the output (the caller sets them) */
	const char *base_path, *new_path;	/* the inputs' paths (the caller may set them) */
	const char *base_command, *new_command; /* the profiles' "command:" comments, or NULL */
	bool by_name;				/* matched by name alone */
	bool normalized;    /* shares compared (the base scaled to the new total) */
	bool asked;	    /* normalized because SC_DIFF_NORMALIZE said so */
	double scale;	    /* new total / base total when normalized, else 1 */
	size_t nnew, ngone; /* functions in one profile only */
	void *priv;
} sc_diff;

/* Whether the sample types can be compared as absolute values: the same type and unit, and for a
 * "count" unit the same period (and period type). On false, *why (when not NULL) is a static
 * sentence saying what differs. */
bool sc_diff_same_measure(const sc_profile *base, int base_type, const sc_profile *p, int new_type,
			  const char **why);

/* Compares sample type `base_type` of `base` with `new_type` of `p` (flags: SC_DIFF_*). The
 * profiles must outlive the diff. Returns 0, -EINVAL for a bad sample type, or -ENOMEM; on
 * failure *d is left released. */
int sc_diff_compute(const sc_profile *base, int base_type, const sc_profile *p, int new_type,
		    unsigned flags, sc_diff *d);
void sc_diff_release(sc_diff *d);

/* The row whose self grew the most in points (NULL when none grew by 0.005 points or more). */
const sc_diff_row *sc_diff_max_self_growth(const sc_diff *d);

/* Relative change of a share in percent, or NAN when the base share is 0. */
double sc_diff_relative(double base_pct, double new_pct);

/* The profile's "command: ..." comment without its prefix (borrowed), or NULL. */
const char *sc_diff_command(const sc_profile *p);

/* Text for a terminal or a CI log: the inputs, the comparison made and why, then the n
 * functions that got slower (self grew; then total alone) and the n that got faster, largest
 * change first, and the largest self growth. */
int sc_diff_print_text(const sc_diff *d, size_t n, FILE *f);
/* JSON document "scorch.diff" version 2 (described in diff.c) with n rows per list. */
int sc_diff_print_json(const sc_diff *d, size_t n, FILE *f);

#endif
