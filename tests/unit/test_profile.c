/* test_profile.c: the sc_profile model: interning, the stack tree, frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "profile/profile.h"

static void test_strings_interned_once(void **state)
{
	(void)state;
	sc_profile *p = sc_profile_new();
	assert_non_null(p);
	assert_int_equal(sc_profile_intern(p, ""), 0);
	int64_t a = sc_profile_intern(p, "main");
	int64_t b = sc_profile_intern(p, "work");
	assert_int_equal(sc_profile_intern(p, "main"), a);
	assert_int_not_equal(a, b);
	assert_string_equal(sc_profile_str(p, (sc_str)b), "work");
	assert_string_equal(sc_profile_str(p, 9999), "");
	/* intern_n must compare lengths, not prefixes */
	int64_t c = sc_profile_intern_n(p, "mainly", 4);
	assert_int_equal(c, a);
	for (int i = 0; i < 10000; i++) {
		char buf[32];
		snprintf(buf, sizeof(buf), "s%d", i);
		assert_true(sc_profile_intern(p, buf) > 0);
	}
	assert_int_equal(sc_profile_intern(p, "s1234"), sc_profile_intern(p, "s1234"));
	assert_int_equal(p->strings.len, 10000 + 3);
	sc_profile_free(p);
}

static void test_stacks_shared_prefix(void **state)
{
	(void)state;
	sc_profile *p = sc_profile_new();
	uint32_t l1 = (uint32_t)sc_profile_location_for_address(p, 0, 0x10);
	uint32_t l2 = (uint32_t)sc_profile_location_for_address(p, 0, 0x20);
	uint32_t l3 = (uint32_t)sc_profile_location_for_address(p, 0, 0x30);
	assert_int_equal(sc_profile_location_for_address(p, 0, 0x20), l2);
	assert_int_equal(p->locations.len, 3);
	/* leaf first: l3 called by l2 called by l1 */
	uint32_t s1[] = {l3, l2, l1};
	uint32_t s2[] = {l2, l1};
	int64_t a = sc_profile_intern_stack(p, s1, 3);
	int64_t b = sc_profile_intern_stack(p, s2, 2);
	int64_t c = sc_profile_intern_stack(p, s1, 3);
	assert_int_equal(a, c);
	assert_int_equal(sc_profile_node(p, (sc_stack_id)a)->parent, b);
	assert_int_equal(sc_profile_node(p, (sc_stack_id)a)->depth, 3);
	assert_int_equal(p->nodes.len, 4); /* root + 3 */
	assert_int_equal(sc_profile_intern_stack(p, NULL, 0), 0);
	sc_profile_free(p);
}

static void test_samples_and_totals(void **state)
{
	(void)state;
	sc_profile *p = sc_profile_new();
	assert_int_equal(sc_profile_add_sample_type(p, "samples", "count"), 0);
	assert_int_equal(sc_profile_add_sample_type(p, "cpu", "nanoseconds"), 1);
	assert_int_equal(sc_profile_find_sample_type(p, "cpu"), 1);
	assert_int_equal(sc_profile_find_sample_type(p, "alloc_space"), -1);
	int64_t v[2] = {1, 1000000};
	assert_int_equal(sc_profile_add_sample(p, 0, v, 1, 1, 0), 0);
	int64_t w[2] = {3, 3000000};
	assert_int_equal(sc_profile_add_sample(p, 0, w, 1, 2, 0), 1);
	assert_int_equal(sc_profile_add_label(p, "thread", "worker", 0, NULL), 0);
	/* sample types are fixed once samples exist */
	assert_int_equal(sc_profile_add_sample_type(p, "late", "count"), -EINVAL);
	int64_t t[2];
	sc_profile_totals(p, t);
	assert_int_equal(t[0], 4);
	assert_int_equal(t[1], 4000000);
	assert_int_equal(p->samples.data[1].nlabels, 1);
	sc_profile_free(p);
}

static void test_frames_expand_inlines(void **state)
{
	(void)state;
	sc_profile *p = sc_profile_new();
	sc_mapping m = {.start = 0x400000,
			.limit = 0x500000,
			.offset = 0,
			.file = (sc_str)sc_profile_intern(p, "/usr/bin/prog")};
	uint32_t mid = (uint32_t)sc_profile_add_mapping(p, &m);
	sc_function fmain = {.name = (sc_str)sc_profile_intern(p, "main")};
	sc_function fouter = {.name = (sc_str)sc_profile_intern(p, "outer")};
	sc_function finl = {.name = (sc_str)sc_profile_intern(p, "inlined_helper")};
	uint32_t idmain = (uint32_t)sc_profile_add_function(p, &fmain);
	uint32_t idouter = (uint32_t)sc_profile_add_function(p, &fouter);
	uint32_t idinl = (uint32_t)sc_profile_add_function(p, &finl);
	assert_int_equal(sc_profile_add_function(p, &fouter), idouter);
	uint32_t lmain = (uint32_t)sc_profile_location_for_address(p, mid, 0x401000);
	uint32_t lleaf = (uint32_t)sc_profile_location_for_address(p, mid, 0x402000);
	uint32_t lraw = (uint32_t)sc_profile_location_for_address(p, mid, 0x403abc);
	sc_line lm[] = {{idmain, 10, 0}};
	sc_line ll[] = {{idinl, 5, 0}, {idouter, 20, 0}}; /* innermost first */
	assert_int_equal(sc_profile_set_location_lines(p, lmain, lm, 1), 0);
	assert_int_equal(sc_profile_set_location_lines(p, lleaf, ll, 2), 0);
	uint32_t st[] = {lraw, lleaf, lmain};
	sc_stack_id id = (sc_stack_id)sc_profile_intern_stack(p, st, 3);
	sc_frame fr[8];
	size_t n = sc_profile_stack_frames(p, id, fr, 8);
	assert_int_equal(n, 4);
	assert_string_equal(sc_profile_frame_name(p, &fr[0]), "main");
	assert_string_equal(sc_profile_frame_name(p, &fr[1]), "outer");
	assert_false(fr[1].inlined);
	assert_string_equal(sc_profile_frame_name(p, &fr[2]), "inlined_helper");
	assert_true(fr[2].inlined);
	assert_string_equal(sc_profile_frame_name(p, &fr[3]), "prog+0x3abc");
	assert_string_equal(sc_profile_location_module(p, lraw), "prog");
	/* a short buffer still reports the full count and writes the outermost frames */
	assert_int_equal(sc_profile_stack_frames(p, id, fr, 2), 4);
	sc_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strings_interned_once),
	    cmocka_unit_test(test_stacks_shared_prefix),
	    cmocka_unit_test(test_samples_and_totals),
	    cmocka_unit_test(test_frames_expand_inlines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
