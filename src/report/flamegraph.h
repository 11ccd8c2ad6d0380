/*
 * flamegraph.h: the self-contained interactive flamegraph page (no network access needed), and
 * its differential variant comparing two profiles.
 *
 * Hover shows name, value and percentage; click zooms into a frame; the search box takes a regex,
 * highlights matching frames and shows their total share; reset returns to the whole profile.
 * The page can flip between a flame graph (root at the bottom) and an icicle (root on top), and
 * colour frames by name, by module or by component (with a legend that stays in view); frames too
 * narrow to draw are merged into one grey box per run of siblings. The tooltip gives a frame's
 * self cost and its function's file:line; the title is the recorded command when the profile
 * carries one ("command: ..." comment).
 *
 * When the samples carry times, a timeline shows a track per thread, and brushing a time range
 * redraws the flamegraph from that range's samples. A frame's function opens in a sandwich
 * (callers above, callees below) or in a source panel (its lines with their shares, and their
 * text when the file is readable as the page is written: pagedata.h has the caps). A tree of
 * more than SC_FLAMEGRAPH_DROP_NODES frames leaves out those narrower than a pixel at full width,
 * with a note on the page; the folded output keeps them.
 *
 * The differential page (sc_flamegraph_write_diff_html) draws the union of both profiles' trees
 * with widths from NEW and colours from each frame's change (red grew, blue shrank, white
 * unchanged): of its share of its profile's total, or with base_scale 1 of its value against the
 * base total. Code only the base has is drawn too, hatched, as wide as its base value (scaled),
 * so what disappeared stays visible beside what remains.
 *
 * Read flamegraph.c for the embedded JSON, flamegraph.js for the renderer, timeline.js and
 * panels.js for the timeline, sandwich and source panel.
 */
#ifndef SC_REPORT_FLAMEGRAPH_H
#define SC_REPORT_FLAMEGRAPH_H

#include <stdbool.h>
#include <stdio.h>

#include "profile/profile.h"
#include "report/groups.h"
#include "util/strbuf.h"

/* Trees of more than this many frames drop those narrower than one pixel of a page this many
 * pixels wide (their cost stays in their caller's width, and the page says what was left out). */
#define SC_FLAMEGRAPH_DROP_NODES  200000
#define SC_FLAMEGRAPH_DROP_PIXELS 1920

typedef struct sc_flamegraph_options {
	const char *title; /* NULL: "scorch flamegraph" */
	int type;	   /* sample type index */
	bool icicle;	   /* start with the root on top (the page has a toggle) */
	/* Optional components: each frame can be coloured by the component (group) that most of
	 * its cost belongs to, with a legend of the components' shares. Borrowed. */
	const sc_groups *groups;
	/* Differential page: what base values are multiplied by to compare them with new ones; 0
	 * for new total / base total (shares, as scorch diff --normalize), 1 for values. */
	double base_scale;
} sc_flamegraph_options;

/* Writes the page to `f`. Returns 0, -EINVAL for a bad sample type, -ENOMEM or -EIO. */
int sc_flamegraph_write_html(const sc_profile *p, const sc_flamegraph_options *o, FILE *f);

/* Writes the differential page of `base` (sample type `base_type`) against `p` (o->type);
 * o->groups is ignored. Returns as sc_flamegraph_write_html. */
int sc_flamegraph_write_diff_html(const sc_profile *base, int base_type, const sc_profile *p,
				  const sc_flamegraph_options *o, FILE *f);

/* For the other pages of src/report/ (butterfly_html.c): writes only the JSON document the page
 * embeds (described in flamegraph.c), for `p` and, when `base` is not NULL, the diff against it. */
int sc_flamegraph_write_data(const sc_profile *base, int base_type, const sc_profile *p,
			     const sc_flamegraph_options *o, FILE *f);

/* For the same pages, the markup every page starts with: the head (`title`, the shared
 * flamegraph.css then `css` when not NULL) and the header's title and first spans (info, spacer,
 * matched), the header left open for the page's own controls. */
int sc_flamegraph_page_head(sc_strbuf *sb, const char *title, const char *css);
/* The markup every page ends with: one <script> with the shared tree.js then `js`, and the closing
 * tags. Both return 0 or -ENOMEM. */
int sc_flamegraph_page_end(sc_strbuf *sb, const char *js);

#endif
