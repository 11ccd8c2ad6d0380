/*
 * top.h: hot spots: functions ranked by self and by total (inclusive) cost.
 *
 * Self = samples whose leaf frame is the function; total = samples with the function anywhere on
 * the stack, counted once per sample even under recursion. Inlined frames count as functions of
 * their own. Computed by one walk over the stack tree.
 */
#ifndef SC_REPORT_TOP_H
#define SC_REPORT_TOP_H

#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"

typedef struct sc_top_entry {
	const char *name;   /* borrowed from the profile (or a "module+0xoff" copy owned by top) */
	const char *module; /* borrowed */
	const char *file;   /* borrowed, "" when unknown */
	int64_t line;
	int64_t self, total;
} sc_top_entry;

typedef struct sc_top {
	sc_top_entry *entries; /* sorted by self descending, ties by total then name */
	size_t len;
	int64_t grand_total; /* total of the sample type over all samples */
	int type;	     /* sample type index */
	void *priv;
} sc_top;

/* Computes the table for sample type `type`. Returns 0 or -ENOMEM. */
int sc_top_compute(const sc_profile *p, int type, sc_top *t);
void sc_top_release(sc_top *t);
/* Re-sorts by total instead of self. */
void sc_top_sort_total(sc_top *t);

/* Text table with the n first rows by self and by total. */
int sc_top_print_text(const sc_profile *p, const sc_top *t, size_t n, FILE *f);
/* JSON document (schema "scorch.top", version 1) with the n first rows by self and by total. */
int sc_top_print_json(const sc_profile *p, const sc_top *t, size_t n, FILE *f);

#endif
