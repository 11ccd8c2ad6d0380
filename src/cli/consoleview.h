/*
 * consoleview.h: the live console's screen as text (consoleui.c draws it, --once prints it):
 * the header, spans (sorted, filtered), threads with busy bars, loops, counters with sparklines
 * and warnings, from a live view (src/trace/live.h) and the console's state. With `ansi`, lines
 * end with "erase to the end of the line" and CR LF, headings are bold, and the keys' line is the
 * last of `rows`; without, plain lines. Every line is cut to `cols` columns (a column per UTF-8
 * character); names from the program are escaped (util/strbuf.h's sc_strbuf_add_text).
 */
#ifndef SC_CLI_CONSOLEVIEW_H
#define SC_CLI_CONSOLEVIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "trace/live.h"
#include "util/strbuf.h"

/* The spans' sorts, in the order the s key cycles them. */
enum {
	SC_CVIEW_RATE,
	SC_CVIEW_P99,
	SC_CVIEW_TOTAL,
	SC_CVIEW_COUNT,
	SC_CVIEW_NAME,
	SC_CVIEW_NSORTS
};
extern const char *const sc_cview_sort_names[SC_CVIEW_NSORTS];

typedef struct sc_cview {
	const sc_live_view *view;
	const char *program;
	pid_t pid;
	long long uptime_ms; /* < 0: unknown */
	uint64_t lost, held; /* the decoder's: records dropped, events waiting for their site */
	int sort;	     /* SC_CVIEW_* */
	const char *filter;  /* "" for none */
	bool editing, paused, exited;
	const char *why; /* when exited */
} sc_cview;

/* Appends the screen to `out`. */
void sc_cview_compose(const sc_cview *st, sc_strbuf *out, int rows, int cols, bool ansi);

#endif
