/*
 * diff.h: what changed between two profiles, function by function.
 *
 * Two profiles of different lengths are compared by shares: each function's self and total cost
 * as a percentage of its own profile's total (so a run twice as long is not "twice as slow").
 * A change is given in points (new% - base%) and relative to the base share ((new - base) / base;
 * none for a function the base does not have). Functions are matched by display name and module;
 * when either profile knows no modules (folded stacks), by name alone.
 *
 * The differential flamegraph is flamegraph.h's sc_flamegraph_write_diff_html.
 */
#ifndef SC_REPORT_DIFF_H
#define SC_REPORT_DIFF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"

typedef struct sc_diff_row {
	const char *name, *module;			    /* borrowed from the profiles */
	int64_t base_self, base_total, new_self, new_total; /* in each profile's unit */
	double base_self_pct, base_total_pct, new_self_pct, new_total_pct;
	double self_pts, total_pts; /* new% - base% */
} sc_diff_row;

typedef struct sc_diff {
	sc_diff_row *rows; /* every function of either profile, biggest self change first */
	size_t len;
	int64_t base_total, new_total;
	const char *type, *unit;	   /* the new profile's sample type */
	const char *base_type, *base_unit; /* the base profile's */
	const char *base_name, *new_name;  /* labels for the output (the caller sets them) */
	bool by_name;			   /* matched by name alone */
	void *priv;
} sc_diff;

/* Compares sample type `base_type` of `base` with `new_type` of `p`. The profiles must outlive
 * the diff. Returns 0, -EINVAL for a bad sample type, or -ENOMEM. */
int sc_diff_compute(const sc_profile *base, int base_type, const sc_profile *p, int new_type,
		    sc_diff *d);
void sc_diff_release(sc_diff *d);

/* The row whose self share grew the most (NULL when none grew). */
const sc_diff_row *sc_diff_max_self_growth(const sc_diff *d);

/* Relative change of a share in percent, or NAN when the base share is 0. */
double sc_diff_relative(double base_pct, double new_pct);

/* Text for a terminal or a CI log: the totals, then the n functions that got slower (self share
 * grew; then total) and the n that got faster, and the largest self growth. */
int sc_diff_print_text(const sc_diff *d, size_t n, FILE *f);
/* JSON document "scorch.diff" version 1 (described in diff.c) with n rows per list. */
int sc_diff_print_json(const sc_diff *d, size_t n, FILE *f);

#endif
