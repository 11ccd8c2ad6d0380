/*
 * hashmap.c: linear probing over power-of-two tables, grown at 50% load so probes stay short.
 * See hashmap.h for the contract.
 */
#include "util/hashmap.h"
#include "util/vec.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY UINT64_MAX

int sc_vec_grow_(void **data, size_t *cap, size_t len, size_t n, size_t elem)
{
	if (len + n <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 8;
	while (ncap < len + n)
		ncap *= 2;
	void *p = realloc(*data, ncap * elem);
	if (!p)
		return -ENOMEM;
	*data = p;
	*cap = ncap;
	return 0;
}

void sc_hashmap_release(sc_hashmap *m)
{
	if (!m)
		return;
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}

bool sc_hashmap_get(const sc_hashmap *m, uint64_t hash, sc_hashmap_eq eq, const void *key,
		    const void *ctx, uint64_t *value)
{
	if (!m->cap)
		return false;
	size_t mask = m->cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		if (m->values[i] == EMPTY)
			return false;
		if (m->keys[i] == hash && (!eq || eq(m->values[i], key, ctx))) {
			*value = m->values[i];
			return true;
		}
	}
}

static void insert(uint64_t *keys, uint64_t *values, size_t cap, uint64_t hash, uint64_t value)
{
	size_t mask = cap - 1;
	size_t i = hash & mask;
	while (values[i] != EMPTY)
		i = (i + 1) & mask;
	keys[i] = hash;
	values[i] = value;
}

int sc_hashmap_put(sc_hashmap *m, uint64_t hash, uint64_t value)
{
	if ((m->len + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 64;
		uint64_t *keys = malloc(ncap * sizeof(*keys));
		uint64_t *values = malloc(ncap * sizeof(*values));
		if (!keys || !values) {
			free(keys);
			free(values);
			return -ENOMEM;
		}
		memset(values, 0xff, ncap * sizeof(*values));
		for (size_t i = 0; i < m->cap; i++)
			if (m->values[i] != EMPTY)
				insert(keys, values, ncap, m->keys[i], m->values[i]);
		free(m->keys);
		free(m->values);
		m->keys = keys;
		m->values = values;
		m->cap = ncap;
	}
	insert(m->keys, m->values, m->cap, hash, value);
	m->len++;
	return 0;
}

uint64_t sc_hash_bytes(const void *p, size_t n, uint64_t seed)
{
	/* FNV-1a over 8-byte words, finished with a mixer: fast enough for symbol names and
	 * stack arrays, and good enough since the table checks equality on every hash match. */
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	while (n--)
		h = (h ^ *s++) * 0x100000001b3ULL;
	return sc_hash_u64(h);
}
