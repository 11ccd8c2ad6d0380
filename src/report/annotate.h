/*
 * annotate.h: the source lines of chosen functions with the share of samples on each (`scorch
 * report --annotate REGEX`), as perf annotate and pprof -list show them.
 *
 * Samples come from the recorded addresses, through the inline chains the symbolizer gave each
 * location; nothing is re-estimated. For a function F matching the regex, a sample counts when F
 * is in the inline chain of one of its stack's locations, once per sample (the innermost such
 * location, so recursion counts once). It is charged to that location's innermost line
 * (lines[0]): the line of the sampled address, or for code inlined into F the inlined function's
 * own file and line. Self = the location is the sample's leaf (F's own code, or code inlined
 * into it, was running); total = anywhere on the stack (for a caller's location, the line of
 * the call).
 *
 * Not thread-safe with writers of the same profile; reads it only. Read disasm.h for the same
 * shares per instruction, top.h for lines ranked over the profile.
 */
#ifndef SC_REPORT_ANNOTATE_H
#define SC_REPORT_ANNOTATE_H

#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"
#include "util/strbuf.h"

typedef struct sc_annotate_line {
	sc_str file;  /* the source file (a string of the profile; 0 when unknown) */
	int64_t line; /* 0 when unknown */
	int64_t self, total;
} sc_annotate_line;

typedef struct sc_annotate_func {
	uint32_t function; /* function id */
	int64_t self, total;
	/* Sorted: the function's own file first, then other files by name, each by line. */
	sc_annotate_line *lines;
	size_t nlines;
} sc_annotate_func;

typedef struct sc_annotate {
	sc_annotate_func *funcs; /* sorted by total descending, ties by self then name */
	size_t len;
	int64_t grand_total; /* the profile's total for the sample type */
	int type;
} sc_annotate;

/* Finds the functions whose name matches the POSIX extended `regex` and have samples, and
 * charges their samples to lines. Returns 0; -EINVAL for a bad regex or type; -ENOENT when no
 * function with samples matches; -ENOMEM (nothing is left to release after a failure). */
int sc_annotate_compute(const sc_profile *p, int type, const char *regex, sc_annotate *a);
/* Frees what compute allocated (the lines arrays); the file ids are the profile's strings, so `a`
 * is read with the profile it was computed from. Accepts NULL and a released sc_annotate. */
void sc_annotate_release(sc_annotate *a);

/* Text: for each function a header (name, file, its total and self as values and shares of the
 * profile), then its lines with self% and total% (shares of the function's total), read from the
 * source file when it can be opened (with a few lines of context around the sampled ones and
 * from the function's first line); when it cannot, the sampled lines alone and a note saying the
 * file was not found. n: at most n functions (0: all). Returns 0, -ENOMEM or -EIO. */
int sc_annotate_print_text(const sc_profile *p, const sc_annotate *a, size_t n, FILE *f);

struct sc_strbuf;
/* Appends value v of sample type `type` as people read it: "812 samples", "0.243 s of cpu",
 * "4096 bytes of alloc_space". 0 or -ENOMEM. (Shared with disasm.c.) */
int sc_annotate_add_value(struct sc_strbuf *sb, const sc_profile *p, int type, int64_t v);

/* Prints `len` functions' blocks (at most n; 0 = all), each built by add(sb, i, ctx), a blank
 * line between two, and "(N more matching functions...)" when some were left out: the text form
 * of --annotate and --disasm. 0, -ENOMEM or -EIO. */
int sc_annotate_print_functions(size_t len, size_t n,
				int (*add)(sc_strbuf *sb, size_t i, void *ctx), void *ctx, FILE *f);

#endif
