/*
 * groups.h: components, i.e. time attributed to named parts of a program by the frames on the
 * stack ("similarity=cosine|dot", "activation=spread_"), the way a profiling write-up says
 * "vector similarity takes 20% of compute".
 *
 * A sample belongs to the group whose regex matches the frame nearest the leaf (the innermost
 * match); ties between groups on one frame go to the group given first. Samples matching no group
 * count as "other". Groups come from --group NAME=REGEX (repeatable) or a file with one NAME=REGEX
 * per line ('#' comments, blank lines ignored).
 */
#ifndef SC_REPORT_GROUPS_H
#define SC_REPORT_GROUPS_H

#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"
#include "util/diag.h"

typedef struct sc_groups sc_groups;

/* Parses "NAME=REGEX" specs. Returns 0 and a new set, or -EINVAL with `d` (which spec, what is
 * wrong) or -ENOMEM. */
int sc_groups_new(const char *const *specs, size_t n, sc_groups **out, sc_diag *d);
/* Adds the specs of a file (diag names the file and line on error). */
int sc_groups_add_file(sc_groups *g, const char *path, sc_diag *d);
void sc_groups_free(sc_groups *g);
size_t sc_groups_count(const sc_groups *g);
const char *sc_groups_name(const sc_groups *g, size_t i); /* i == count: "other" */
/* Index of the group of a stack (count for "other"). */
size_t sc_groups_classify(const sc_groups *g, const sc_profile *p, sc_stack_id stack);

typedef struct sc_group_row {
	const char *name;
	int64_t value;
	double pct;
} sc_group_row;

/* Per-group totals of sample type `type`, "other" last; `rows` has count+1 entries (caller
 * allocates). Returns the grand total. */
int64_t sc_groups_totals(const sc_groups *g, const sc_profile *p, int type, sc_group_row *rows);

#endif
