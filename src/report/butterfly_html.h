/*
 * butterfly_html.h: the self-contained butterfly page: for one function, its callers and callees
 * with the share of its time each accounts for; clicking a caller or callee moves the view to it.
 *
 * The page embeds the profile's call tree (the same JSON as the flamegraph page, see
 * flamegraph.c) and computes any function's butterfly in the browser, so navigation needs no
 * server and no network. The semantics match butterfly.h (the text/JSON view of `scorch report`):
 * callers are the frames directly above an occurrence of the function, callees the frames
 * directly below it plus "(self)"; under recursion each sample counts once per caller or callee.
 *
 * Read butterfly.js for the page's behaviour.
 */
#ifndef SC_REPORT_BUTTERFLY_HTML_H
#define SC_REPORT_BUTTERFLY_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "profile/profile.h"

typedef struct sc_butterfly_html_options {
	const char *title; /* NULL: "scorch butterfly" */
	int type;	   /* sample type index */
	const char *focus; /* display name of the function shown first; NULL: the hottest by self */
	size_t top;	   /* functions listed in the side bar, at least 200 */
} sc_butterfly_html_options;

/* Writes the page to `f`. Returns 0, -EINVAL for a bad sample type, -ENOMEM or -EIO. */
int sc_butterfly_html_write(const sc_profile *p, const sc_butterfly_html_options *o, FILE *f);

#endif
