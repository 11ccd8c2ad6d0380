/*
 * pagedata.h: the optional sections of the flamegraph page's JSON document that come from the
 * profile's samples and source lines rather than from the call tree: the timeline (per thread,
 * which frames ran when) and the source lines of the hottest functions (the annotate panel).
 *
 * Internal to src/report/: flamegraph.c calls these while it writes the document; flamegraph.c's
 * opening comment describes the JSON of both sections, timeline.js and annotate.js read them.
 */
#ifndef SC_REPORT_PAGEDATA_H
#define SC_REPORT_PAGEDATA_H

#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"
#include "util/strbuf.h"

/* The timeline cuts the run into at most this many equal time buckets. */
#define SC_TIMELINE_BUCKETS 1000
/* The timeline's buckets are made coarser (two into one, in turn) while the (track, bucket, node)
 * cells would be more than this: about 4 MB of page at most. */
#define SC_TIMELINE_CELLS 250000
/* Threads drawn as their own track; the rest share one "other threads" track. */
#define SC_TIMELINE_TRACKS 32
/* The profile's intervals (spans) drawn on the tracks at most: the longest. */
#define SC_TIMELINE_SPANS 20000
/* Points a counter series keeps on the timeline (scorch record --gpu: 100 ms apart, 33 min). */
#define SC_TIMELINE_COUNTER_POINTS 20000

/* The annotate section: at most this many functions (the hottest by total), and at most this
 * many bytes of source text over all of them (functions past the cap keep their line numbers
 * and shares, without text). */
#define SC_PAGE_ANNOTATE_FUNCS 40
#define SC_PAGE_SOURCE_BYTES   (256u << 10)

/*
 * Appends `,"timeline":{...}` to `sb` (flushing it to `f` as it grows) when samples of `p` carry
 * times; nothing otherwise. node_of_stack[n] is the page node (preorder index) that profile stack
 * node n is drawn in, UINT32_MAX for stacks the page does not draw. Returns 0, -ENOMEM or -EIO.
 */
int sc_page_write_timeline(const sc_profile *p, int type, const uint32_t *node_of_stack,
			   sc_strbuf *sb, FILE *f);

/*
 * Appends `,"annotate":{...}` to `sb`: the source lines of the hottest functions whose samples
 * have line numbers (sc_annotate_compute), with the text of the files readable now, within the
 * caps above; nothing when no sampled location has a line. Returns 0, -ENOMEM or -EIO.
 */
int sc_page_write_annotate(const sc_profile *p, int type, sc_strbuf *sb, FILE *f);

#endif
