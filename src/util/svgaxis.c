/*
 * svgaxis.c: units and tick steps of the SVG charts' axes. See svgaxis.h.
 */
#include "util/svgaxis.h"

sc_svg_unit sc_svg_bytes_unit(double max)
{
	if (max >= 1024.0 * 1024 * 1024)
		return (sc_svg_unit){"GiB", 1024.0 * 1024 * 1024};
	if (max >= 1024.0 * 1024)
		return (sc_svg_unit){"MiB", 1024.0 * 1024};
	if (max >= 1024.0)
		return (sc_svg_unit){"KiB", 1024.0};
	return (sc_svg_unit){"B", 1};
}

sc_svg_unit sc_svg_time_unit(double max_ns)
{
	if (max_ns >= 1e9)
		return (sc_svg_unit){"s", 1e9};
	if (max_ns >= 1e6)
		return (sc_svg_unit){"ms", 1e6};
	if (max_ns >= 1e3)
		return (sc_svg_unit){"us", 1e3};
	return (sc_svg_unit){"ns", 1};
}

double sc_svg_nice_step(double max, int ticks)
{
	if (max <= 0 || ticks < 1)
		return 1;
	double raw = max / ticks, p = 1;
	while (p * 10 <= raw)
		p *= 10;
	while (p > raw)
		p /= 10;
	double m = raw / p;
	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}
