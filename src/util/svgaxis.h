/*
 * svgaxis.h: the axes of scorch's SVG charts (heap/heap_svg.c's timeline.svg, gpu/gpu_svg.c's
 * gpu.svg): a unit that keeps a range's numbers short (bytes in B, KiB, MiB or GiB; nanoseconds
 * in ns, us, ms or s) and a round step between ticks (1, 2 or 5 times a power of ten).
 *
 * Pure functions: thread-safe, no allocation.
 */
#ifndef SC_UTIL_SVGAXIS_H
#define SC_UTIL_SVGAXIS_H

typedef struct sc_svg_unit {
	const char *name; /* "MiB", "ms" */
	double scale;	  /* what one of the unit is worth in the values' own unit */
} sc_svg_unit;

/* The largest of B, KiB, MiB, GiB not above `max` bytes (B for max < 1024). */
sc_svg_unit sc_svg_bytes_unit(double max);
/* The largest of ns, us, ms, s not above `max_ns` nanoseconds. */
sc_svg_unit sc_svg_time_unit(double max_ns);
/* A round tick step (1, 2 or 5 times a power of ten) giving about `ticks` ticks from 0 to
 * `max`; 1 for max <= 0. */
double sc_svg_nice_step(double max, int ticks);

#endif
