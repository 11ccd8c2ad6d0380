/*
 * hashmap.h: an open-addressing map from 64-bit keys to 64-bit values.
 *
 * The workhorse behind every interning table (strings, stacks, locations, symbol caches): callers
 * hash their own keys to 64 bits and keep the real key in their own arrays, storing the index as
 * the value and comparing on collision through the `eq` callback. Keys are full 64-bit hashes, so
 * `eq` is asked only when two hashes are equal.
 *
 * A zeroed sc_hashmap is empty and valid. Not thread-safe.
 */
#ifndef SC_UTIL_HASHMAP_H
#define SC_UTIL_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A slot: the hash of its key beside the caller's value (UINT64_MAX: empty), so a probe touches
 * one cache line, not one in each of two arrays (lookups in big tables are memory-bound). */
typedef struct sc_hashmap_slot {
	uint64_t key, value;
} sc_hashmap_slot;

typedef struct sc_hashmap {
	sc_hashmap_slot *slots;
	size_t len, cap; /* cap is 0 or a power of two */
} sc_hashmap;

/* Called on hash collision: is the entry stored as `value` equal to the key being looked up? */
typedef bool (*sc_hashmap_eq)(uint64_t value, const void *key, const void *ctx);

void sc_hashmap_release(sc_hashmap *m);
/* The bytes the table holds on the heap. */
static inline size_t sc_hashmap_bytes(const sc_hashmap *m)
{
	return m->cap * sizeof(*m->slots);
}

/* Finds the value stored for a key whose hash is `hash`; `eq` may be NULL when hashes are the
 * keys themselves. Returns true and fills *value when found. */
bool sc_hashmap_get(const sc_hashmap *m, uint64_t hash, sc_hashmap_eq eq, const void *key,
		    const void *ctx, uint64_t *value);

/* Inserts (hash -> value) without checking for an existing equal key: call get first.
 * `value` must not be UINT64_MAX. Returns 0 or -ENOMEM (the map is unchanged then). */
int sc_hashmap_put(sc_hashmap *m, uint64_t hash, uint64_t value);

/* 64-bit hashes for the callers' keys. */
uint64_t sc_hash_bytes(const void *p, size_t n, uint64_t seed);
static inline uint64_t sc_hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}
static inline uint64_t sc_hash_combine(uint64_t h, uint64_t x)
{
	return sc_hash_u64(h ^ (x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
}

#endif
