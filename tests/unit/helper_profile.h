/*
 * helper_profile.h: hand-built profiles for the views' unit tests (test_filter, test_butterfly,
 * test_groups, test_modules). Header-only (static functions), included after <cmocka.h>.
 *
 *     struct fx fx;
 *     fx_init(&fx);                                   two sample types: samples/count and
 *     uint32_t m = fx_fn(&fx, "main", FX_PROG, 10);   cpu/nanoseconds (1 ms per sample);
 *     uint32_t a = fx_fn(&fx, "a", FX_LIBC, 20);      three mappings: prog, libc.so.6, kernel
 *     fx_add(&fx, 30, (struct fx_s){.tid = 1}, 2, (uint32_t[]){m, a});   30 samples main -> a
 *
 * fx_main_profile() builds the profile test_filter, test_butterfly and test_groups share;
 * fx_print() runs a printer into a string (the caller frees it).
 */
#ifndef SC_TESTS_HELPER_PROFILE_H
#define SC_TESTS_HELPER_PROFILE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile.h"

enum { FX_PROG, FX_LIBC, FX_KERNEL, FX_NMAP };

struct fx {
	sc_profile *p;
	uint32_t mapping[FX_NMAP];
	uint64_t next[FX_NMAP];
};

/* Per-sample fields of fx_add: pid, tid, first time (each further sample 1 ms later). */
struct fx_s {
	uint32_t pid, tid;
	uint64_t time_ns;
};

static inline void fx_init(struct fx *fx)
{
	static const struct {
		const char *file;
		uint64_t start, limit, offset;
		bool kernel;
	} maps[FX_NMAP] = {
	    {"/usr/bin/prog", 0x400000, 0x500000, 0, false},
	    {"/lib/x86_64-linux-gnu/libc.so.6", 0x7f0000001000, 0x7f0000100000, 0x1000, false},
	    {"[kernel.kallsyms]", 0xffffffff81000000, 0xffffffff82000000, 0, true},
	};
	fx->p = sc_profile_new();
	assert_non_null(fx->p);
	assert_int_equal(sc_profile_add_sample_type(fx->p, "samples", "count"), 0);
	assert_int_equal(sc_profile_add_sample_type(fx->p, "cpu", "nanoseconds"), 1);
	for (int i = 0; i < FX_NMAP; i++) {
		sc_mapping m = {.start = maps[i].start,
				.limit = maps[i].limit,
				.offset = maps[i].offset,
				.kernel = maps[i].kernel};
		m.file = (sc_str)sc_profile_intern(fx->p, maps[i].file);
		fx->mapping[i] = (uint32_t)sc_profile_add_mapping(fx->p, &m);
		fx->next[i] = maps[i].start + 0x100;
	}
}

static inline uint32_t fx_function(struct fx *fx, const char *name, int64_t start_line)
{
	sc_function f = {(sc_str)sc_profile_intern(fx->p, name), 0,
			 (sc_str)sc_profile_intern(fx->p, "src/t.c"), start_line};
	int64_t id = sc_profile_add_function(fx->p, &f);
	assert_true(id > 0);
	return (uint32_t)id;
}

/* A location of function `name` at its line start_line + 2, in mapping `map`. */
static inline uint32_t fx_fn(struct fx *fx, const char *name, int map, int64_t start_line)
{
	sc_line l = {fx_function(fx, name, start_line), start_line + 2, 0};
	int64_t loc =
	    sc_profile_add_location(fx->p, fx->mapping[map], fx->next[map] += 0x10, &l, 1);
	assert_true(loc > 0);
	return (uint32_t)loc;
}

/* A location where `inner` (line il) is inlined into `outer` (line ol). */
static inline uint32_t fx_inline(struct fx *fx, const char *outer, int64_t ol, const char *inner,
				 int64_t il)
{
	sc_line l[2] = {{fx_function(fx, inner, il), il, 0}, {fx_function(fx, outer, ol), ol, 0}};
	int64_t loc =
	    sc_profile_add_location(fx->p, fx->mapping[FX_PROG], fx->next[FX_PROG] += 0x10, l, 2);
	assert_true(loc > 0);
	return (uint32_t)loc;
}

/* An unsymbolized location at `address` in mapping `map`. */
static inline uint32_t fx_raw(struct fx *fx, int map, uint64_t address)
{
	int64_t loc = sc_profile_location_for_address(fx->p, fx->mapping[map], address);
	assert_true(loc > 0);
	return (uint32_t)loc;
}

/* Adds `count` samples of the stack given outermost first; returns the stack id. */
static inline sc_stack_id fx_add(struct fx *fx, int count, struct fx_s s, size_t n,
				 const uint32_t *outer_first)
{
	uint32_t leaf_first[64];
	for (size_t i = 0; i < n; i++)
		leaf_first[i] = outer_first[n - 1 - i];
	int64_t id = sc_profile_intern_stack(fx->p, leaf_first, n);
	assert_true(id >= 0);
	int64_t values[2] = {1, 1000000};
	for (int i = 0; i < count; i++)
		assert_true(
		    sc_profile_add_sample(fx->p, (sc_stack_id)id, values, s.pid, s.tid,
					  s.time_ns ? s.time_ns + (uint64_t)i * 1000000 : 0) >= 0);
	return (sc_stack_id)id;
}

/*
 * The views' main profile, all in prog (main, a, b, c, r at lines 10, 20, ..., 50):
 *
 *   main -> a -> c       x 30
 *   main -> b -> c       x 10
 *   main -> a            x 20
 *   main -> r -> r -> r  x 5
 *
 * `s` (NULL: all zero) gives each of the four stacks its pid, tid and first time; `stacks` (when
 * not NULL) receives their ids, in that order.
 */
static inline sc_profile *fx_main_profile(const struct fx_s *s, sc_stack_id *stacks)
{
	static const struct fx_s none[4];
	struct fx fx;
	sc_stack_id ids[4];
	fx_init(&fx);
	if (!s)
		s = none;
	uint32_t m = fx_fn(&fx, "main", FX_PROG, 10), a = fx_fn(&fx, "a", FX_PROG, 20);
	uint32_t b = fx_fn(&fx, "b", FX_PROG, 30), c = fx_fn(&fx, "c", FX_PROG, 40);
	uint32_t r = fx_fn(&fx, "r", FX_PROG, 50);
	ids[0] = fx_add(&fx, 30, s[0], 3, (uint32_t[]){m, a, c});
	ids[1] = fx_add(&fx, 10, s[1], 3, (uint32_t[]){m, b, c});
	ids[2] = fx_add(&fx, 20, s[2], 2, (uint32_t[]){m, a});
	ids[3] = fx_add(&fx, 5, s[3], 4, (uint32_t[]){m, r, r, r});
	if (stacks)
		memcpy(stacks, ids, sizeof(ids));
	return fx.p;
}

/* The output of a printer as a malloc'd string. */
#define fx_print(call_with_f)                                                                      \
	({                                                                                         \
		char *buf_ = NULL;                                                                 \
		size_t len_ = 0;                                                                   \
		FILE *f = open_memstream(&buf_, &len_);                                            \
		assert_non_null(f);                                                                \
		assert_int_equal((call_with_f), 0);                                                \
		fclose(f);                                                                         \
		buf_;                                                                              \
	})

#endif
