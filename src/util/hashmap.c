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
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

bool sc_hashmap_get(const sc_hashmap *m, uint64_t hash, sc_hashmap_eq eq, const void *key,
		    const void *ctx, uint64_t *value)
{
	if (!m->cap)
		return false;
	size_t mask = m->cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		const sc_hashmap_slot *s = &m->slots[i];
		if (s->value == EMPTY)
			return false;
		if (s->key == hash && (!eq || eq(s->value, key, ctx))) {
			*value = s->value;
			return true;
		}
	}
}

static void insert(sc_hashmap_slot *slots, size_t cap, uint64_t hash, uint64_t value)
{
	size_t mask = cap - 1;
	size_t i = hash & mask;
	while (slots[i].value != EMPTY)
		i = (i + 1) & mask;
	slots[i] = (sc_hashmap_slot){hash, value};
}

int sc_hashmap_put(sc_hashmap *m, uint64_t hash, uint64_t value)
{
	if ((m->len + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 64;
		sc_hashmap_slot *slots = malloc(ncap * sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		memset(slots, 0xff, ncap * sizeof(*slots));
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].value != EMPTY)
				insert(slots, ncap, m->slots[i].key, m->slots[i].value);
		free(m->slots);
		m->slots = slots;
		m->cap = ncap;
	}
	insert(m->slots, m->cap, hash, value);
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
