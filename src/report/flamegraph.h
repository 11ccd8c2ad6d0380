/*
 * flamegraph.h: the self-contained interactive flamegraph page (no network access needed).
 *
 * Hover shows name, value and percentage; click zooms into a frame; the search box takes a regex,
 * highlights matching frames and shows their total share; reset returns to the whole profile.
 */
#ifndef SC_REPORT_FLAMEGRAPH_H
#define SC_REPORT_FLAMEGRAPH_H

#include <stdio.h>

#include "profile/profile.h"

typedef struct sc_flamegraph_options {
	const char *title; /* NULL: "scorch flamegraph" */
	int type;	   /* sample type index */
} sc_flamegraph_options;

int sc_flamegraph_write_html(const sc_profile *p, const sc_flamegraph_options *o, FILE *f);

#endif
