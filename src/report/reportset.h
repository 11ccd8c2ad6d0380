/*
 * reportset.h: the report set, every view of one profile written into one directory for people
 * and tools to pick up (`scorch report --all -o DIR`):
 *
 *   summary.txt      the CPU breakdown: totals, hottest functions by self and by total, modules
 *                    (and components, when given)
 *   hotspots.json    the same for tools: schema "scorch.hotspots", version 1 (documented in
 *                    docs/cmd/report-set.md and beside its writer in reportset.c), with the
 *                    advice rules' measurements
 *   flamegraph.html  the interactive flamegraph (flamegraph.h), coloured by component if given
 *   butterfly.html   callers and callees of any function, opening on the hottest (butterfly_html.h)
 *   report.md        an executive summary in Markdown: the main bottlenecks and the advice rules
 *                    that fired (advice.h), each with its threshold and the numbers behind it
 *
 * Each file is written atomically (sc_afile): a failed run leaves the previous file in place.
 */
#ifndef SC_REPORT_REPORTSET_H
#define SC_REPORT_REPORTSET_H

#include <stddef.h>

#include "profile/profile.h"
#include "report/groups.h"
#include "util/diag.h"

typedef struct sc_reportset_options {
	int type;		 /* sample type index */
	size_t top;		 /* rows per table; 0: 20 */
	const char *title;	 /* page titles; NULL: "scorch report" */
	const char *source;	 /* the input's name for the texts; NULL: "profile" */
	const sc_groups *groups; /* optional components (borrowed); NULL: none */
} sc_reportset_options;

/* Creates `dir` (and its parents) if needed and writes the five files into it. Returns 0, or
 * -EINVAL for a bad sample type, -ENOMEM, or -errno of a failed write with `d` (may be NULL)
 * naming the file. Files written before a failure stay. */
int sc_reportset_write(const sc_profile *p, const sc_reportset_options *o, const char *dir,
		       sc_diag *d);

#endif
