/*
 * top.h: hot spots: functions ranked by self and by total (inclusive) cost.
 *
 * Self = samples whose leaf frame is the function; total = samples with the function anywhere on
 * the stack, counted once per sample even under recursion. Inlined frames count as functions of
 * their own. Computed by one walk over the stack tree.
 *
 * Rows are functions by default; sc_top_compute_by() ranks source lines (a function's frames at
 * one file:line) or instruction addresses (module+offset) the same way.
 */
#ifndef SC_REPORT_TOP_H
#define SC_REPORT_TOP_H

#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"

/* What makes two frames "the same row" (of top, and of the other views' walks). */
typedef enum sc_key_mode {
	SC_KEY_FUNCTION, /* (display name, module): the default, one row per function */
	SC_KEY_LINE,	 /* (display name, module, source file, line): one row per source line */
	/* (module, offset in it): one row per instruction address. All frames of a location's
	 * inline chain share its key, so an address counts once per stack. */
	SC_KEY_ADDRESS,
} sc_key_mode;

typedef struct sc_top_entry {
	/* The function (SC_KEY_ADDRESS: the innermost function at the address), borrowed from the
	 * profile, or a "module+0xoff" copy owned by top for unsymbolized frames. */
	const char *name;
	const char *module; /* borrowed */
	/* Borrowed, "" and 0 when unknown. SC_KEY_FUNCTION: the function's source file and first
	 * line (or its heaviest call site's line); SC_KEY_LINE: the row's line; SC_KEY_ADDRESS: the
	 * line of the address. */
	const char *file;
	int64_t line;
	int64_t self, total;
	uint64_t address; /* SC_KEY_ADDRESS: offset in the module's file (kernel: the address) */
} sc_top_entry;

typedef struct sc_top {
	sc_top_entry *entries; /* sorted by self descending, ties by total then name */
	size_t len;
	int64_t grand_total; /* total of the sample type over all samples */
	int type;	     /* sample type index */
	sc_key_mode mode;
	void *priv;
} sc_top;

/* Computes the table of functions for sample type `type`. Returns 0, -EINVAL for a bad type, or
 * -ENOMEM. */
int sc_top_compute(const sc_profile *p, int type, sc_top *t);
/* The same with rows keyed by `mode`. */
int sc_top_compute_by(const sc_profile *p, int type, sc_key_mode mode, sc_top *t);
void sc_top_release(sc_top *t);
/* Re-sorts by total instead of self. */
void sc_top_sort_total(sc_top *t);

/* Text table with the n first rows by self and by total; columns: self and total (share and
 * value), the function, its source (file basename:line) and module, and in SC_KEY_ADDRESS mode the
 * offset. Columns no row has a value for (module, source) are left out. */
int sc_top_print_text(const sc_profile *p, const sc_top *t, size_t n, FILE *f);
/* The same table fitted to `width` columns (SC_TOP_TEXT_WIDTH in sc_top_print_text): modules and
 * sources give way first (to 28 and 32 columns), then function names (to 24 at least), each cut
 * cell ending in "…". width 0: nothing is cut, whatever the line's length. */
#define SC_TOP_TEXT_WIDTH 120
int sc_top_print_text_width(const sc_profile *p, const sc_top *t, size_t n, size_t width, FILE *f);
/* JSON document (schema "scorch.top", version 1) with the n first rows by self and by total.
 * Function rows are counted in "functions"; in the other modes "by" names the mode ("line",
 * "address") and "rows" counts the rows, and address rows also carry "address" ("0x..."). */
int sc_top_print_json(const sc_profile *p, const sc_top *t, size_t n, FILE *f);

#endif
