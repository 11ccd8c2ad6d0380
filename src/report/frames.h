/*
 * frames.h: what the views in src/report/ share: frame keys and per-node values.
 *
 * A view shows functions as people read them: a display name (sc_profile_frame_name) in a module
 * (sc_profile_location_module). Several locations, and several function ids, can show as the same
 * (name, module) pair: every call site of `memcpy` in libc is one row of `top` and one box per
 * caller in a flamegraph. sc_fkeys gives each distinct pair a small integer once, up front, so the
 * walks over the stack tree compare integers instead of strings.
 *
 * Keys can also be made per source line or per address (sc_key_mode, top.h), for hot spots at a
 * finer grain. The depth-first walk of the stack tree the views share (sc_walk_tree) and the
 * printers' shared helpers (value scaling, column cells, JSON heads) are here too.
 *
 * Internal to src/report/ (not for the CLI). Read top.c for a walk that uses both halves.
 */
#ifndef SC_REPORT_FRAMES_H
#define SC_REPORT_FRAMES_H

#include <stdint.h>
#include <stdio.h>

#include "profile/profile.h"
#include "report/top.h" /* sc_key_mode */
#include "util/strbuf.h"

typedef struct sc_fkey {
	const char *name;   /* borrowed from the profile, or a copy owned by sc_fkeys */
	const char *module; /* borrowed from the profile (or a static string) */
	uint32_t function;  /* a function id showing under this key, 0 for unsymbolized frames */
	/* SC_KEY_LINE and SC_KEY_ADDRESS only (else "" and 0): the source file and line (for an
	 * address, of its innermost inlined frame), borrowed. */
	const char *file;
	int64_t line;
	/* SC_KEY_ADDRESS only: the offset of the address in its module's file (the absolute
	 * address for kernel frames and frames without a mapping). */
	uint64_t address;
} sc_fkey;

typedef struct sc_fkeys {
	sc_key_mode mode;
	SC_VEC(sc_fkey) keys; /* key id = index */
	uint32_t *line_key;   /* key of each profile line (p->lines), by line index */
	uint32_t *loc_key;    /* key of each location without lines, by location id - 1 */
	sc_hashmap index;
	SC_VEC(char *) owned; /* names made for unsymbolized frames */
} sc_fkeys;

/* Assigns a key to every frame of every location of `p`. The profile must not change while the
 * keys are in use (names and modules are borrowed). Returns 0 or -ENOMEM (`k` is released then). */
int sc_fkeys_init(sc_fkeys *k, const sc_profile *p);
/* The same with another key mode (sc_fkeys_init is SC_KEY_FUNCTION). */
int sc_fkeys_init_mode(sc_fkeys *k, const sc_profile *p, sc_key_mode mode);
void sc_fkeys_release(sc_fkeys *k);

/* Writes the keys of a location's own frames, outermost first (the function the address belongs
 * to, then the functions inlined into it), into `out`, which must hold the location's line count
 * or 1. Returns how many were written (0 for location id 0, the root). */
static inline uint32_t sc_fkeys_location(const sc_fkeys *k, const sc_profile *p, uint32_t location,
					 uint32_t *out, uint32_t cap)
{
	const sc_location *l = sc_profile_location(p, location);
	if (!l || !cap)
		return 0;
	if (!l->nlines) {
		out[0] = k->loc_key[location - 1];
		return 1;
	}
	uint32_t n = l->nlines < cap ? l->nlines : cap;
	for (uint32_t i = 0; i < n; i++)
		out[i] = k->line_key[l->first_line + l->nlines - 1 - i];
	return n;
}

/* The largest inline chain of any location (the capacity sc_fkeys_location needs). */
uint32_t sc_fkeys_max_lines(const sc_profile *p);

/* Visits the stack tree depth first, parents before children: visit(ctx, id, false) on entering
 * node `id` (the root, 0, first), visit(ctx, id, true) on leaving it, once all its descendants are
 * left. The views' walks keep per-key "on the current path" counters with it. Returns 0, -ENOMEM,
 * or the first negative value visit returned (which stops the walk). */
int sc_walk_tree(const sc_profile *p, int (*visit)(void *ctx, sc_stack_id id, bool leave),
		 void *ctx);

/* Per stack node values of sample type `type`: self[n] = sum over samples whose stack is node n,
 * and (when `total` is not NULL) total[n] = self of n and of all its descendants. Both arrays have
 * p->nodes.len entries and are allocated here (the caller frees them). Returns 0 or -ENOMEM. */
int sc_node_values(const sc_profile *p, int type, int64_t **self, int64_t **total);

/*
 * Text and JSON helpers of the views' printers.
 */

/* 100 * v / total, 0 when total is 0. */
double sc_pct(int64_t v, int64_t total);
/* Sort order "larger first": -1 when a > b, 1 when a < b, 0 when equal. */
static inline int sc_cmp_desc(int64_t a, int64_t b)
{
	return a > b ? -1 : a < b;
}
/* How many of `len` rows to show for a "top n" option: n, or all of them when n is 0. */
static inline size_t sc_limit(size_t len, size_t n)
{
	return n && n < len ? n : len;
}
/* A value in its unit, scaled for reading: "1.25s", "723ms", "3.00MiB", or the plain number. */
void sc_fmt_value(char *buf, size_t size, int64_t v, const char *unit);
/* Widens *width to fit `v` as sc_fmt_value writes it. */
void sc_fit_value(size_t *width, int64_t v, const char *unit);
/* Display width of `s` as text views show it (sc_strbuf_add_text: one column per code point,
 * four per escaped byte). */
size_t sc_text_width(const char *s);
/* Appends `s` neutralised for text (sc_strbuf_add_text), padded to `width` columns (when `pad`),
 * or cut to width - 1 columns plus "…" when longer. Every name a text table shows goes through
 * it. Returns 0 or -ENOMEM. */
int sc_add_cell(sc_strbuf *sb, const char *s, size_t width, bool pad);
/* Appends "TYPE (UNIT)", both neutralised for text: a sample type's names come from the file. */
int sc_add_type_unit(sc_strbuf *sb, const char *type, const char *unit);
/* Ends a text table's row: drops the blanks its last (empty or padded) cells left, adds '\n'.
 * Returns 0 or -ENOMEM. */
int sc_end_row(sc_strbuf *sb);
/* Writes the buffer to `f`. Returns 0 or -EIO (a short write, or the stream's error flag). */
int sc_write_strbuf(const sc_strbuf *sb, FILE *f);
/* Writes the buffer to `f` and empties it, for writers that stream a large document in pieces.
 * Returns 0 or -EIO (a short write; the stream's error flag is left to the caller). */
int sc_flush_strbuf(sc_strbuf *sb, FILE *f);
/* Appends `"escaped value"` (a JSON string). Returns 0 or -ENOMEM. */
int sc_add_json_quoted(sc_strbuf *sb, const char *value);
/* Appends `"key":"escaped value"` (JSON). Returns 0 or -ENOMEM. */
int sc_add_json_str(sc_strbuf *sb, const char *key, const char *value);
/* Appends the common head of a view's JSON document: {"schema":"SCHEMA","version":VERSION,
 * "sample_type":..,"unit":..,"total":TOTAL (no closing brace). Returns 0 or -ENOMEM. */
int sc_add_json_head(sc_strbuf *sb, const char *schema, int version, const sc_profile *p, int type,
		     int64_t total);
/* The last path component of a source file name ("" stays ""). */
const char *sc_basename(const char *path);

#endif
