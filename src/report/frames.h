/*
 * frames.h: what the views in src/report/ share: frame keys and per-node values.
 *
 * A view shows functions as people read them: a display name (sc_profile_frame_name) in a module
 * (sc_profile_location_module). Several locations, and several function ids, can show as the same
 * (name, module) pair: every call site of `memcpy` in libc is one row of `top` and one box per
 * caller in a flamegraph. sc_fkeys gives each distinct pair a small integer once, up front, so the
 * walks over the stack tree compare integers instead of strings.
 *
 * Internal to src/report/ (not for the CLI). Read top.c for a walk that uses both halves.
 */
#ifndef SC_REPORT_FRAMES_H
#define SC_REPORT_FRAMES_H

#include <stdint.h>

#include "profile/profile.h"

typedef struct sc_fkey {
	const char *name;   /* borrowed from the profile, or a copy owned by sc_fkeys */
	const char *module; /* borrowed from the profile (or a static string) */
	uint32_t function;  /* a function id showing under this key, 0 for unsymbolized frames */
} sc_fkey;

typedef struct sc_fkeys {
	SC_VEC(sc_fkey) keys; /* key id = index */
	uint32_t *line_key;   /* key of each profile line (p->lines), by line index */
	uint32_t *loc_key;    /* key of each location without lines, by location id - 1 */
	sc_hashmap index;
	SC_VEC(char *) owned; /* names made for unsymbolized frames */
} sc_fkeys;

/* Assigns a key to every frame of every location of `p`. The profile must not change while the
 * keys are in use (names and modules are borrowed). Returns 0 or -ENOMEM (`k` is released then). */
int sc_fkeys_init(sc_fkeys *k, const sc_profile *p);
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

/* Per stack node values of sample type `type`: self[n] = sum over samples whose stack is node n,
 * and (when `total` is not NULL) total[n] = self of n and of all its descendants. Both arrays have
 * p->nodes.len entries and are allocated here (the caller frees them). Returns 0 or -ENOMEM. */
int sc_node_values(const sc_profile *p, int type, int64_t **self, int64_t **total);

#endif
