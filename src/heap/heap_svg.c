/*
 * heap_svg.c: timeline.svg, heap size and RSS over the run as one self-contained SVG chart.
 *
 * The heap line is the requested bytes live: for each time bucket of the analysis's timeline
 * (heap.h: at most SC_HEAP_TIMELINE_POINTS, their width doubling as the run grows) the highest
 * value in the bucket, drawn as steps, so no maximum is hidden by the bucketing; buckets without
 * an event carry the previous value on. RSS is a second line through its samples; the allocator's
 * own statistics (mallinfo2: bytes held from the system, solid, and in use by chunks, dashed) two
 * more, green, when the agent sent them (path ids alloc_held, alloc_in_use). The peak is a
 * dashed vertical line at its exact time with a dot and a label ("peak 1.5 MiB at 0.90 s").
 * Axes: time in s, ms or us from the first event; bytes in B, KiB, MiB or GiB, with round ticks.
 * No script, no external reference: it opens in any browser or image viewer.
 */
#include "heap/heap.h"

#include <errno.h>
#include <inttypes.h>

#include "util/strbuf.h"
#include "util/svgaxis.h"

#define W      900
#define H      380
#define LEFT   80
#define RIGHT  30
#define TOP    40
#define BOTTOM 50
#define PW     (W - LEFT - RIGHT)
#define PH     (H - TOP - BOTTOM)

int sc_heap_write_timeline(const sc_heap *h, FILE *f)
{
	if (!sc_heap_is_finished(h))
		return -EINVAL;
	const sc_heap_totals *t = sc_heap_get_totals(h);
	size_t n;
	uint64_t width;
	const sc_heap_point *pts = sc_heap_timeline(h, &n, &width);

	/* Every event and sample is at most the end (sc_heap_finish clamps): the duration covers
	 * every point. */
	double tmax = t->duration ? (double)t->duration : 1;
	double ymax = (double)(t->peak_bytes > t->max_rss ? t->peak_bytes : t->max_rss);
	if ((double)t->alloc_held > ymax)
		ymax = (double)t->alloc_held;
	sc_svg_unit bu = sc_svg_bytes_unit(ymax), tu = sc_svg_time_unit(tmax);
	double ystep = sc_svg_nice_step(ymax / bu.scale, 5) * bu.scale;
	double ytop = ymax > 0 ? ystep * (double)(uint64_t)(ymax / ystep + 1) : bu.scale;
	double xstep = sc_svg_nice_step(tmax / tu.scale, 5) * tu.scale;

#define X(ns) (LEFT + (double)(ns) / tmax * PW)
#define Y(b)  (TOP + PH - (double)(b) / ytop * PH)

	sc_strbuf sb = {0};
	int r = 0;
	r |= sc_strbuf_addf(
	    &sb,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
	    "<title>scorch heap: heap size, RSS and the allocator over time</title>\n"
	    "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n"
	    "<text x=\"%d\" y=\"22\" font-size=\"15\">Heap size (requested bytes "
	    "live), RSS and the allocator, pid %" PRIu32 "</text>\n",
	    W, H, W, H, W, H, LEFT, sc_heap_pid(h));
	/* grid and axes */
	for (double y = 0; y <= ytop * 1.0001; y += ystep)
		r |= sc_strbuf_addf(
		    &sb,
		    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
		    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g %s</text>\n",
		    LEFT, Y(y), LEFT + PW, Y(y), LEFT - 6, Y(y) + 4, y / bu.scale, bu.name);
	for (double x = 0; x <= tmax * 1.0001; x += xstep)
		r |= sc_strbuf_addf(
		    &sb,
		    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>"
		    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
		    X(x), TOP + PH, X(x), TOP + PH + 5, X(x), TOP + PH + 18, x / tu.scale);
	r |= sc_strbuf_addf(
	    &sb,
	    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>"
	    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n"
	    "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time since the first "
	    "allocation (%s)</text>\n"
	    "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 "
	    "%d)\">bytes</text>\n",
	    LEFT, TOP, LEFT, TOP + PH, LEFT, TOP + PH, LEFT + PW, TOP + PH, LEFT + PW / 2, H - 12,
	    tu.name, TOP + PH / 2, TOP + PH / 2);
	/* heap: steps at each bucket's maximum */
	r |= sc_strbuf_adds(&sb, "<path id=\"heap\" fill=\"none\" stroke=\"#d62728\" "
				 "stroke-width=\"1.5\" d=\"M");
	uint64_t cur = 0;
	r |= sc_strbuf_addf(&sb, "%.1f,%.1f", X(0), Y(0));
	for (size_t i = 0; i < n; i++) {
		uint64_t v = pts[i].has_heap ? pts[i].heap_max : cur;
		double x0 = X((double)i * (double)width);
		double x1 =
		    X((double)(i + 1) * (double)width > tmax ? tmax : (double)(i + 1) * width);
		r |= sc_strbuf_addf(&sb, " L%.1f,%.1f L%.1f,%.1f", x0, Y(v), x1, Y(v));
		cur = pts[i].has_heap ? pts[i].heap_last : cur;
	}
	r |= sc_strbuf_addf(&sb, " L%.1f,%.1f\"/>\n", X(tmax), Y(cur));
	/* RSS */
	bool any_rss = false;
	for (size_t i = 0; i < n; i++) {
		if (!pts[i].has_rss)
			continue;
		double x =
		    X(((double)i + 0.5) * (double)width > tmax ? tmax : ((double)i + 0.5) * width);
		r |= sc_strbuf_addf(&sb, "%s%.1f,%.1f",
				    any_rss ? " L"
					    : "<path id=\"rss\" fill=\"none\" stroke=\"#1f77b4\" "
					      "stroke-width=\"1.5\" d=\"M",
				    x, Y(pts[i].rss));
		any_rss = true;
	}
	if (any_rss)
		r |= sc_strbuf_adds(&sb, "\"/>\n");
	/* the allocator's statistics: held from the system (solid), in use by chunks (dashed) */
	bool any_alloc = false;
	for (int pass = 0; pass < 2; pass++) {
		bool first = true;
		for (size_t i = 0; i < n; i++) {
			if (!pts[i].has_alloc)
				continue;
			double x =
			    X(((double)i + 0.5) * (double)width > tmax ? tmax
								       : ((double)i + 0.5) * width);
			uint64_t v = pass ? pts[i].alloc_in_use : pts[i].alloc_held;
			if (first)
				r |= sc_strbuf_addf(
				    &sb,
				    "<path id=\"%s\" fill=\"none\" stroke=\"#2ca02c\" "
				    "stroke-width=\"1.5\"%s d=\"M",
				    pass ? "alloc_in_use" : "alloc_held",
				    pass ? " stroke-dasharray=\"5 3\"" : "");
			r |= sc_strbuf_addf(&sb, "%s%.1f,%.1f", first ? "" : " L", x, Y(v));
			first = false;
			any_alloc = true;
		}
		if (!first)
			r |= sc_strbuf_adds(&sb, "\"/>\n");
	}
	/* the peak */
	if (t->peak_bytes) {
		sc_svg_unit pu = sc_svg_bytes_unit((double)t->peak_bytes),
			    ptu = sc_svg_time_unit((double)t->peak_time ? (double)t->peak_time
									: tmax);
		double px = X(t->peak_time), py = Y(t->peak_bytes);
		r |= sc_strbuf_addf(
		    &sb,
		    "<g id=\"peak\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		    "stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>"
		    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#d62728\"/>"
		    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">peak %.4g %s at "
		    "%.4g %s</text></g>\n",
		    px, TOP, px, TOP + PH, px, py, px + (px > LEFT + PW / 2 ? -8 : 8),
		    py < TOP + 14 ? py + 16 : py - 8, px > LEFT + PW / 2 ? "end" : "start",
		    (double)t->peak_bytes / pu.scale, pu.name, (double)t->peak_time / ptu.scale,
		    ptu.name);
	}
	/* legend */
	r |= sc_strbuf_addf(&sb,
			    "<g id=\"legend\"><line x1=\"%d\" y1=\"30\" x2=\"%d\" y2=\"30\" "
			    "stroke=\"#d62728\" stroke-width=\"2\"/><text x=\"%d\" y=\"34\">heap "
			    "(requested bytes live)</text>",
			    W - 330, W - 310, W - 305);
	if (any_rss)
		r |= sc_strbuf_addf(
		    &sb,
		    "<line x1=\"%d\" y1=\"30\" x2=\"%d\" y2=\"30\" stroke=\"#1f77b4\" "
		    "stroke-width=\"2\"/><text x=\"%d\" y=\"34\">RSS</text>",
		    W - 120, W - 100, W - 95);
	if (any_alloc)
		r |= sc_strbuf_addf(
		    &sb,
		    "<line x1=\"%d\" y1=\"48\" x2=\"%d\" y2=\"48\" stroke=\"#2ca02c\" "
		    "stroke-width=\"2\"/><text x=\"%d\" y=\"52\">allocator: held</text>"
		    "<line x1=\"%d\" y1=\"48\" x2=\"%d\" y2=\"48\" stroke=\"#2ca02c\" "
		    "stroke-width=\"2\" stroke-dasharray=\"5 3\"/><text x=\"%d\" y=\"52\">"
		    "in use (mallinfo2)</text>",
		    W - 330, W - 310, W - 305, W - 200, W - 180, W - 175);
	r |= sc_strbuf_adds(&sb, "</g>\n</svg>\n");
#undef X
#undef Y
	if (r < 0)
		r = -ENOMEM;
	else if (fwrite(sb.buf, 1, sb.len, f) != sb.len)
		r = -EIO;
	sc_strbuf_release(&sb);
	return r;
}
