/*
 * groups.h: components, i.e. time attributed to named parts of a program by the frames on the
 * stack ("similarity=cosine|dot", "activation=spread_"), the way a profiling write-up says
 * "vector similarity takes 20% of compute".
 *
 * A sample belongs to the group whose regex matches the frame nearest the leaf (the innermost
 * match); ties between groups on one frame go to the group given first. Samples matching no group
 * count as "other". So the groups' values add up to the total: "where does the time go" split
 * into parts. Each group also has an inclusive value: samples with a matching frame anywhere on the
 * stack (what "X takes 20% of compute" usually means when X calls into Y).
 *
 * Groups come from --group NAME=REGEX (repeatable) or a file with one NAME=REGEX per line ('#'
 * comments, blank lines ignored). Giving a NAME again adds an alternative regex to that group.
 * Regexes are POSIX extended, unanchored, matched against frames' display names (inline frames
 * expanded). "other" is reserved.
 *
 * Cost: regexes run once per distinct function (or unsymbolized location) and the classification
 * is one pass over the stack tree (sc_groups_classify_nodes), not one per sample.
 */
#ifndef SC_REPORT_GROUPS_H
#define SC_REPORT_GROUPS_H

#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"
#include "util/diag.h"

typedef struct sc_groups sc_groups;

/* Parses "NAME=REGEX" specs. Returns 0 and a new set, or -EINVAL with `d` (message "'SPEC': what
 * is wrong", e.g. "'sim=a(': Unmatched ( or \\(") or -ENOMEM. n = 0 gives an empty set. */
int sc_groups_new(const char *const *specs, size_t n, sc_groups **out, sc_diag *d);
/* Adds the specs of a file (diag names the file and line on error). */
int sc_groups_add_file(sc_groups *g, const char *path, sc_diag *d);
void sc_groups_free(sc_groups *g);
size_t sc_groups_count(const sc_groups *g);
const char *sc_groups_name(const sc_groups *g, size_t i); /* i == count: "other" */
/* The regexes of group i as given, joined with '|' ("" for "other"). */
const char *sc_groups_regex(const sc_groups *g, size_t i);
/* Index of the group of a stack (count for "other"). Walks the stack and runs the regexes on each
 * frame: for many stacks use sc_groups_classify_nodes. */
size_t sc_groups_classify(const sc_groups *g, const sc_profile *p, sc_stack_id stack);
/* The group of every stack node at once: *out (malloc'd, p->nodes.len entries, the caller frees
 * it) holds each node's group index (count for "other"; the root is "other"). Returns 0 or
 * -ENOMEM. */
int sc_groups_classify_nodes(const sc_groups *g, const sc_profile *p, uint32_t **out);

typedef struct sc_group_row {
	const char *name; /* borrowed from the set */
	int64_t value;	  /* samples attributed to the group (innermost match) */
	double pct;	  /* of the grand total */
	/* Samples with a frame of the group anywhere on the stack (0 for "other"). */
	int64_t inclusive;
	double inclusive_pct;
	const char *regex; /* sc_groups_regex */
} sc_group_row;

/* Per-group totals of sample type `type`, "other" last; `rows` has count+1 entries (caller
 * allocates). Returns the grand total (>= 0), or -EINVAL for a bad type / -ENOMEM. */
int64_t sc_groups_totals(const sc_groups *g, const sc_profile *p, int type, sc_group_row *rows);

/* Text table of the groups in the order given, "other" last. Returns 0, -EINVAL, -ENOMEM, -EIO. */
int sc_groups_print_text(const sc_groups *g, const sc_profile *p, int type, FILE *f);
/* JSON: {"schema":"scorch.groups","version":1,"sample_type":..,"unit":..,"total":..,
 * "groups":[{"name":..,"regex":..,"value":..,"pct":..,"inclusive":..,"inclusive_pct":..}]},
 * "other" last (regex "", inclusive 0). Returns as the text form. */
int sc_groups_print_json(const sc_groups *g, const sc_profile *p, int type, FILE *f);

#endif
