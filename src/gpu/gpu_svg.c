/*
 * gpu_svg.c: gpu.svg, the NVML metrics over the run as one self-contained SVG chart, in the
 * style of heap/heap_svg.c (same width, margins, colours, no script; the axes of util/svgaxis.h).
 *
 * Per device, three panels one above the other on one time axis (s, ms or us from the first
 * sample): utilization in % (the driver's utilization, memory utilization, and GPM's SM
 * activity when the device has it), memory used (the device's total dashed, the axis going up
 * to it; the command's own processes in blue), power in W. Each series
 * is a polyline through its samples; a metric a device never gave is left out of its panel with
 * "(not available)" beside the panel's title.
 */
#include "gpu/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/svgaxis.h"

#define W      900
#define PANEL  200
#define LEFT   80
#define RIGHT  30
#define TOP    50
#define GAP    40
#define BOTTOM 50
#define PW     (W - LEFT - RIGHT)
#define PH     (PANEL - GAP)

struct chart {
	sc_strbuf sb;
	int r;
	const sc_gpu_series *s;
	double tmax;
	sc_svg_unit tu;
};

struct line {
	enum sc_gpu_metric m;
	const char *colour;
	const char *dash; /* NULL: solid */
	const char *label;
};

static double xpos(const struct chart *c, uint64_t t)
{
	return LEFT + (double)(t - c->s->start) / c->tmax * PW;
}

/* One panel at y0 of device d: `lines` scaled by `scale` (the unit's divisor) up to `ymax`. */
static void panel(struct chart *c, uint32_t d, int y0, const char *title, const char *unit,
		  double scale, double ymax, const struct line *lines, int nlines)
{
	double ystep = sc_svg_nice_step(ymax / scale, 4) * scale;
	double ytop = ymax > 0 ? ystep * (double)(uint64_t)(ymax / ystep + 0.9999) : scale;
	if (ytop < ymax)
		ytop += ystep;
#define Y(v) (y0 + PH - (v) / ytop * PH)
	bool any = false;
	for (int k = 0; k < nlines; k++) {
		sc_gpu_stat st;
		sc_gpu_stat_of(c->s, d, lines[k].m, &st);
		any |= st.count > 0;
	}
	c->r |= sc_strbuf_addf(&c->sb, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s%s</text>\n",
			       LEFT, y0 - 8, title, any ? "" : " (not available)");
	for (double y = 0; y <= ytop * 1.0001; y += ystep)
		c->r |= sc_strbuf_addf(
		    &c->sb,
		    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
		    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g %s</text>\n",
		    LEFT, Y(y), LEFT + PW, Y(y), LEFT - 6, Y(y) + 4, y / scale, unit);
	double xstep = sc_svg_nice_step(c->tmax / c->tu.scale, 4) * c->tu.scale;
	for (double x = 0; x <= c->tmax * 1.0001; x += xstep) {
		double px = LEFT + x / c->tmax * PW;
		c->r |= sc_strbuf_addf(
		    &c->sb,
		    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>"
		    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
		    px, y0 + PH, px, y0 + PH + 5, px, y0 + PH + 18, x / c->tu.scale);
	}
	c->r |= sc_strbuf_addf(&c->sb,
			       "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>"
			       "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
			       LEFT, y0, LEFT, y0 + PH, LEFT, y0 + PH, LEFT + PW, y0 + PH);
	int lx = W - 440;
	for (int k = 0; k < nlines; k++) {
		const struct line *l = &lines[k];
		bool first = true;
		for (size_t i = 0; i < c->s->samples.len; i++) {
			const sc_gpu_sample *p = &c->s->samples.data[i];
			if (p->dev != d || !(p->have & (1u << l->m)))
				continue;
			if (first)
				c->r |= sc_strbuf_addf(
				    &c->sb,
				    "<polyline id=\"gpu%u-%s\" fill=\"none\" stroke=\"%s\" "
				    "stroke-width=\"1.5\"%s%s%s points=\"",
				    d, sc_gpu_metric_infos[l->m].column, l->colour,
				    l->dash ? " stroke-dasharray=\"" : "", l->dash ? l->dash : "",
				    l->dash ? "\"" : "");
			c->r |= sc_strbuf_addf(&c->sb, "%s%.1f,%.1f", first ? "" : " ",
					       xpos(c, p->time), Y(p->v[l->m]));
			first = false;
		}
		if (first)
			continue;
		c->r |= sc_strbuf_adds(&c->sb, "\"/>\n");
		c->r |= sc_strbuf_addf(
		    &c->sb,
		    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
		    "stroke-width=\"2\"%s%s%s/><text x=\"%d\" y=\"%d\">%s</text>\n",
		    lx, y0 - 12, lx + 20, y0 - 12, l->colour, l->dash ? " stroke-dasharray=\"" : "",
		    l->dash ? l->dash : "", l->dash ? "\"" : "", lx + 25, y0 - 8, l->label);
		lx += 135;
	}
#undef Y
}

int sc_gpu_write_svg(const sc_gpu_series *s, FILE *f)
{
	struct chart c = {.s = s};
	c.tmax = s->end > s->start ? (double)(s->end - s->start) : 1;
	c.tu = sc_svg_time_unit(c.tmax);
	size_t ndev = s->devices.len ? s->devices.len : 1;
	int h = TOP + (int)ndev * (3 * PANEL + 30) + BOTTOM;
	c.r |= sc_strbuf_addf(
	    &c.sb,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
	    "<title>scorch gpu: utilization, memory and power over time</title>\n"
	    "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n"
	    "<text x=\"%d\" y=\"22\" font-size=\"15\">GPU utilization, memory and power (NVML, "
	    "every %.0f ms); time since the first sample (%s)</text>\n",
	    W, h, W, h, W, h, LEFT, (double)s->interval / 1e6, c.tu.name);
	if (!s->devices.len)
		c.r |= sc_strbuf_addf(&c.sb, "<text x=\"%d\" y=\"%d\">no GPU</text>\n", LEFT,
				      TOP + 20);
	for (uint32_t d = 0; d < s->devices.len; d++) {
		const sc_gpu_device *dev = &s->devices.data[d];
		int y0 = TOP + (int)d * (3 * PANEL + 30);
		c.r |= sc_strbuf_adds(&c.sb, "<g id=\"gpu");
		c.r |= sc_strbuf_addf(&c.sb,
				      "%u\"><text x=\"%d\" y=\"%d\" font-size=\"14\">GPU %u: ", d,
				      LEFT, y0 + 4, dev->index);
		c.r |= sc_strbuf_add_html(&c.sb, dev->name);
		c.r |= sc_strbuf_adds(&c.sb, "</text>\n");
		static const struct line util[] = {
		    {SC_GPU_UTIL, "#d62728", NULL, "kernel running"},
		    {SC_GPU_MEM_UTIL, "#1f77b4", NULL, "memory busy"},
		    {SC_GPU_SM_ACTIVE, "#2ca02c", "5 3", "SMs busy (GPM)"},
		};
		panel(&c, d, y0 + GAP, "utilization", "%", 1, 100, util, 3);
		sc_gpu_stat used, total;
		sc_gpu_stat_of(s, d, SC_GPU_MEM_USED, &used);
		sc_gpu_stat_of(s, d, SC_GPU_MEM_TOTAL, &total);
		double mmax = total.count ? total.max : used.max;
		sc_svg_unit bu = sc_svg_bytes_unit(mmax);
		static const struct line mem[] = {
		    {SC_GPU_MEM_USED, "#d62728", NULL, "used"},
		    {SC_GPU_MEM_TOTAL, "#999999", "5 3", "total"},
		    {SC_GPU_PROC_MEM, "#1f77b4", NULL, "the command's"},
		};
		panel(&c, d, y0 + GAP + PANEL, "memory", bu.name, bu.scale, mmax, mem, 3);
		sc_gpu_stat pw;
		sc_gpu_stat_of(s, d, SC_GPU_POWER, &pw);
		static const struct line power[] = {{SC_GPU_POWER, "#ff7f0e", NULL, "power"}};
		panel(&c, d, y0 + GAP + 2 * PANEL, "power", "W", 1000, pw.count ? pw.max : 1000,
		      power, 1);
		c.r |= sc_strbuf_adds(&c.sb, "</g>\n");
	}
	c.r |= sc_strbuf_adds(&c.sb, "</svg>\n");
	int r = 0;
	if (c.r < 0)
		r = -ENOMEM;
	else if (fwrite(c.sb.buf, 1, c.sb.len, f) != c.sb.len)
		r = -EIO;
	sc_strbuf_release(&c.sb);
	return r;
}
