/*
 * search.h: binary search over arrays sorted by a uint64_t key, for the "which range holds this
 * address" question that mappings, symbols, CUs and JIT entries all ask.
 *
 *     // the mapping holding addr: the last one starting at or below it, if it reaches addr
 *     size_t i = SC_UPPER_BOUND(maps, n, start, addr);
 *     const struct map *m = i && addr < maps[i - 1].end ? &maps[i - 1] : NULL;
 *
 * SC_UPPER_BOUND(v, n, field, x) is the number of leading elements of v[0, n) whose `field` is
 * at most x, i.e. the index just past the last element whose key is <= x (0: every key is above
 * x; n: none is). v must be sorted by `field`, ascending, ties allowed; `field` must be a
 * uint64_t (anything else does not compile). Pure: no allocation, thread- and signal-safe.
 * For an array of plain uint64_t values use sc_upper_bound_u64(v, n, sizeof(*v), 0, x).
 *
 * SC_LOWER_BOUND(v, n, field, x), on the same terms, is the number of leading elements whose key
 * is below x: the index of the first element whose key is >= x, where an exact match would be.
 *
 *     size_t i = SC_LOWER_BOUND(index, n, addr, addr);
 *     const struct ent *e = i < n && index[i].addr == addr ? &index[i] : NULL;
 */
#ifndef SC_UTIL_SEARCH_H
#define SC_UTIL_SEARCH_H

#include <stddef.h>
#include <stdint.h>

/* v: n elements of `size` bytes, each with a uint64_t key at byte `key_off`. */
size_t sc_upper_bound_u64(const void *v, size_t n, size_t size, size_t key_off, uint64_t x);

size_t sc_lower_bound_u64(const void *v, size_t n, size_t size, size_t key_off, uint64_t x);

#define SC_UPPER_BOUND(v, n, field, x)                                                             \
	sc_upper_bound_u64((v), (n), sizeof(*(v)),                                                 \
			   _Generic((v)->field, uint64_t                                           \
				    : offsetof(__typeof__(*(v)), field)),                          \
			   (x))

#define SC_LOWER_BOUND(v, n, field, x)                                                             \
	sc_lower_bound_u64((v), (n), sizeof(*(v)),                                                 \
			   _Generic((v)->field, uint64_t                                           \
				    : offsetof(__typeof__(*(v)), field)),                          \
			   (x))

#endif
