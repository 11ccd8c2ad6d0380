/*
 * frames.c: frame keys and per-node values shared by the views (see frames.h).
 *
 * Keys are interned through an sc_hashmap keyed by hash(name, module); the value is the key's
 * index and the equality callback compares the strings.
 */
#include "report/frames.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct key_probe {
	const char *name, *module;
};

static bool key_eq(uint64_t value, const void *key, const void *ctx)
{
	const sc_fkeys *k = ctx;
	const struct key_probe *probe = key;
	const sc_fkey *e = &k->keys.data[value];
	return strcmp(e->name, probe->name) == 0 && strcmp(e->module, probe->module) == 0;
}

/* True when sc_profile_frame_name returns a profile string (stable) rather than its buffer. */
static bool name_is_borrowed(const sc_profile *p, const sc_frame *f)
{
	const sc_function *fn = sc_profile_function(p, f->function);
	return fn && (*sc_profile_str(p, fn->name) || *sc_profile_str(p, fn->system_name));
}

/* The key of one frame, added if new. Returns the key id or -ENOMEM. */
static int64_t frame_key(sc_fkeys *k, const sc_profile *p, const sc_frame *f)
{
	struct key_probe probe = {sc_profile_frame_name(p, f),
				  sc_profile_location_module(p, f->location)};
	uint64_t h = sc_hash_combine(sc_hash_bytes(probe.name, strlen(probe.name), 0),
				     sc_hash_bytes(probe.module, strlen(probe.module), 1));
	uint64_t v;
	if (sc_hashmap_get(&k->index, h, key_eq, &probe, k, &v))
		return (int64_t)v;
	sc_fkey e = {probe.name, probe.module, f->function};
	if (!name_is_borrowed(p, f)) {
		char *copy = strdup(probe.name);
		if (!copy || sc_vec_push(&k->owned, copy) < 0) {
			free(copy);
			return -ENOMEM;
		}
		e.name = copy;
	}
	if (k->keys.len >= UINT32_MAX || sc_vec_reserve(&k->keys, 1) < 0 ||
	    sc_hashmap_put(&k->index, h, k->keys.len) < 0)
		return -ENOMEM;
	k->keys.data[k->keys.len] = e;
	return (int64_t)k->keys.len++;
}

int sc_fkeys_init(sc_fkeys *k, const sc_profile *p)
{
	*k = (sc_fkeys){0};
	k->line_key = calloc(p->lines.len ? p->lines.len : 1, sizeof(*k->line_key));
	k->loc_key = calloc(p->locations.len ? p->locations.len : 1, sizeof(*k->loc_key));
	if (!k->line_key || !k->loc_key)
		goto fail;
	for (uint32_t id = 1; id <= p->locations.len; id++) {
		const sc_location *l = sc_profile_location(p, id);
		if (!l->nlines) {
			sc_frame f = {id, UINT32_MAX, 0, false};
			int64_t key = frame_key(k, p, &f);
			if (key < 0)
				goto fail;
			k->loc_key[id - 1] = (uint32_t)key;
			continue;
		}
		for (uint32_t i = 0; i < l->nlines; i++) {
			const sc_line *ln = &p->lines.data[l->first_line + i];
			sc_frame f = {id, i, ln->function, i + 1 < l->nlines};
			int64_t key = frame_key(k, p, &f);
			if (key < 0)
				goto fail;
			k->line_key[l->first_line + i] = (uint32_t)key;
		}
	}
	return 0;
fail:
	sc_fkeys_release(k);
	return -ENOMEM;
}

void sc_fkeys_release(sc_fkeys *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->owned.len; i++)
		free(k->owned.data[i]);
	sc_vec_release(&k->owned);
	sc_vec_release(&k->keys);
	sc_hashmap_release(&k->index);
	free(k->line_key);
	free(k->loc_key);
	k->line_key = k->loc_key = NULL;
}

uint32_t sc_fkeys_max_lines(const sc_profile *p)
{
	uint32_t max = 1;
	for (size_t i = 0; i < p->locations.len; i++)
		if (p->locations.data[i].nlines > max)
			max = p->locations.data[i].nlines;
	return max;
}

int sc_node_values(const sc_profile *p, int type, int64_t **self, int64_t **total)
{
	size_t n = p->nodes.len;
	int64_t *s = calloc(n ? n : 1, sizeof(*s));
	int64_t *t = NULL;
	if (!s)
		return -ENOMEM;
	if (type >= 0 && (size_t)type < p->nsample_types)
		for (size_t i = 0; i < p->samples.len; i++)
			s[p->samples.data[i].stack] += sc_profile_sample_values(p, i)[type];
	if (total) {
		t = malloc((n ? n : 1) * sizeof(*t));
		if (!t) {
			free(s);
			return -ENOMEM;
		}
		memcpy(t, s, n * sizeof(*t));
		/* A child's id is always larger than its parent's (the tree only grows at the
		 * leaves), so one backwards pass folds every subtree into its root. */
		for (size_t i = n; i-- > 1;)
			t[p->nodes.data[i].parent] += t[i];
		*total = t;
	}
	*self = s;
	return 0;
}
