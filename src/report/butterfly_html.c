/*
 * butterfly_html.c: writes the butterfly page (see butterfly_html.h).
 *
 * The page is the markup below in the frame both pages share (sc_flamegraph_page_head and _end:
 * the shared CSS, flamegraph.css, plus butterfly.css; the scripts tree.js and butterfly.js), the
 * call tree as the flamegraph's JSON in <script id="scorch-data"> (written by
 * sc_flamegraph_write_data), and the page's settings in <script id="scorch-page">:
 *
 *   {"focus":"main","top":50}     focus: the function shown first ("" for the hottest by self);
 *                                 top: how many functions the side bar lists
 *
 * Not for: the numbers themselves (butterfly.js computes them from the tree).
 */
#include "report/butterfly_html.h"

#include <errno.h>

#include "report/assets.h"
#include "report/flamegraph.h"
#include "report/frames.h"
#include "util/strbuf.h"

/* The side bar scrolls: it lists at least SIDE_BAR_MIN functions, more when `top` asks for more
 * (a report's --top 10 is for its text tables, not for what a page can list). */
#define SIDE_BAR_MIN 200
static size_t side_bar_len(const sc_butterfly_html_options *o)
{
	return o && o->top > SIDE_BAR_MIN ? o->top : SIDE_BAR_MIN;
}

int sc_butterfly_html_write(const sc_profile *p, const sc_butterfly_html_options *o, FILE *f)
{
	const char *title = o && o->title ? o->title : "scorch butterfly";
	int type = o ? o->type : 0;
	if (type < 0 || (size_t)type >= p->nsample_types)
		return -EINVAL;
	sc_strbuf sb = {0};
	int r = -ENOMEM;
	if (sc_flamegraph_page_head(&sb, title, sc_asset_butterfly_css) < 0 ||
	    sc_strbuf_adds(
		&sb, "<input id=\"search\" type=\"search\" placeholder=\"function (regex), Enter\" "
		     "spellcheck=\"false\" autocomplete=\"off\">\n"
		     "<label>list by <select id=\"order\"><option value=\"self\">self</option>"
		     "<option value=\"total\">total</option></select></label>\n"
		     "</header>\n<div id=\"bf\">\n<nav id=\"list\"><ol id=\"top\"></ol></nav>\n"
		     "<section id=\"view\">\n<h2 id=\"fname\"></h2>\n<p id=\"fstats\"></p>\n"
		     "<table id=\"callers\"><caption>Callers: who calls it, and how much of its "
		     "time comes through each</caption><thead><tr><th>share</th><th>value</th>"
		     "<th>of total</th><th class=\"name\">caller</th></tr></thead>"
		     "<tbody></tbody></table>\n"
		     "<table id=\"callees\"><caption>Callees: where its time goes</caption>"
		     "<thead><tr><th>share</th><th>value</th><th>of total</th>"
		     "<th class=\"name\">callee</th></tr></thead><tbody></tbody></table>\n"
		     "</section>\n</div>\n"
		     "<script type=\"application/json\" id=\"scorch-data\">\n") < 0 ||
	    sc_flush_strbuf(&sb, f) < 0)
		goto out;
	sc_flamegraph_options fo = {.title = title, .type = type};
	if ((r = sc_flamegraph_write_data(NULL, 0, p, &fo, f)) < 0)
		goto out;
	r = -ENOMEM;
	if (sc_strbuf_adds(&sb, "\n</script>\n<script type=\"application/json\" "
				"id=\"scorch-page\">\n{\"focus\":\"") < 0 ||
	    sc_strbuf_add_json(&sb, o && o->focus ? o->focus : "") < 0 ||
	    sc_strbuf_addf(&sb, "\",\"top\":%zu}\n</script>\n", side_bar_len(o)) < 0 ||
	    sc_flamegraph_page_end(&sb, sc_asset_butterfly_js) < 0)
		goto out;
	r = sc_flush_strbuf(&sb, f);
	if (!r && ferror(f))
		r = -EIO;
out:
	sc_strbuf_release(&sb);
	return r;
}
