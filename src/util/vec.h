/*
 * vec.h: growable arrays for any element type.
 *
 *     SC_VEC(uint64_t) v = {0};
 *     if (sc_vec_push(&v, 42) < 0) return -ENOMEM;
 *     for (size_t i = 0; i < v.len; i++) use(v.data[i]);
 *     sc_vec_release(&v);
 *
 * A zeroed vector is empty and valid. The vector owns `data`; pointers into it are invalidated by
 * any push. Push returns 0 or -ENOMEM and leaves the vector unchanged on failure. Not thread-safe.
 */
#ifndef SC_UTIL_VEC_H
#define SC_UTIL_VEC_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#define SC_VEC(T)                                                                                  \
	struct {                                                                                   \
		T *data;                                                                           \
		size_t len, cap;                                                                   \
	}

/* Makes room for at least `n` more elements. Returns 0 or -ENOMEM. */
int sc_vec_grow_(void **data, size_t *cap, size_t len, size_t n, size_t elem);

#define sc_vec_reserve(v, n)                                                                       \
	sc_vec_grow_((void **)&(v)->data, &(v)->cap, (v)->len, (n), sizeof(*(v)->data))

#define sc_vec_push(v, x) (sc_vec_reserve((v), 1) < 0 ? -ENOMEM : ((v)->data[(v)->len++] = (x), 0))

/* The bytes a vector holds on the heap (its capacity). */
#define sc_vec_bytes(v) ((v).cap * sizeof(*(v).data))

#define sc_vec_release(v)                                                                          \
	do {                                                                                       \
		free((v)->data);                                                                   \
		(v)->data = NULL;                                                                  \
		(v)->len = (v)->cap = 0;                                                           \
	} while (0)

#endif
