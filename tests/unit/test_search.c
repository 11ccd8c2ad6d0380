/*
 * test_search.c: SC_UPPER_BOUND and SC_LOWER_BOUND (util/search.h) on empty arrays, keys below,
 * between, on and above the elements, runs of equal keys, the extremes of uint64_t, and against a
 * linear scan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/search.h"

struct range {
	uint32_t tag;
	uint64_t start, end;
};

static void test_empty(void **state)
{
	(void)state;
	const struct range *none = NULL;
	assert_int_equal(SC_UPPER_BOUND(none, 0, start, 0), 0);
	assert_int_equal(SC_LOWER_BOUND(none, 0, start, UINT64_MAX), 0);
	assert_int_equal(SC_UPPER_BOUND(none, 0, start, UINT64_MAX), 0);
}

static void test_positions(void **state)
{
	(void)state;
	const struct range v[] = {{1, 10, 20}, {2, 30, 40}, {3, 30, 35}, {4, 50, 60}};
	assert_int_equal(SC_UPPER_BOUND(v, 4, start, 0), 0);
	assert_int_equal(SC_UPPER_BOUND(v, 4, start, 9), 0);
	assert_int_equal(SC_UPPER_BOUND(v, 4, start, 10), 1);
	assert_int_equal(SC_UPPER_BOUND(v, 4, start, 29), 1);
	/* equal keys: past the whole run */
	assert_int_equal(SC_UPPER_BOUND(v, 4, start, 30), 3);
	assert_int_equal(SC_UPPER_BOUND(v, 4, start, 49), 3);
	assert_int_equal(SC_UPPER_BOUND(v, 4, start, 50), 4);
	assert_int_equal(SC_UPPER_BOUND(v, 4, start, UINT64_MAX), 4);
	/* lower bound: where an exact match would be, before a run of equal keys */
	assert_int_equal(SC_LOWER_BOUND(v, 4, start, 10), 0);
	assert_int_equal(SC_LOWER_BOUND(v, 4, start, 11), 1);
	assert_int_equal(SC_LOWER_BOUND(v, 4, start, 30), 1);
	assert_int_equal(SC_LOWER_BOUND(v, 4, start, 31), 3);
	assert_int_equal(SC_LOWER_BOUND(v, 4, start, UINT64_MAX), 4);
	/* another field of the same elements (also sorted here) */
	assert_int_equal(SC_UPPER_BOUND(v, 1, end, 20), 1);
	assert_int_equal(SC_UPPER_BOUND(v, 1, end, 19), 0);
}

static void test_plain_and_extremes(void **state)
{
	(void)state;
	const uint64_t v[] = {0, 0, 7, UINT64_MAX};
	assert_int_equal(sc_upper_bound_u64(v, 4, sizeof(*v), 0, 0), 2);
	assert_int_equal(sc_upper_bound_u64(v, 4, sizeof(*v), 0, 6), 2);
	assert_int_equal(sc_upper_bound_u64(v, 4, sizeof(*v), 0, 7), 3);
	assert_int_equal(sc_upper_bound_u64(v, 4, sizeof(*v), 0, UINT64_MAX - 1), 3);
	assert_int_equal(sc_upper_bound_u64(v, 4, sizeof(*v), 0, UINT64_MAX), 4);
}

static void test_against_scan(void **state)
{
	(void)state;
	struct range v[64];
	for (size_t n = 0; n <= 64; n++) {
		for (size_t i = 0; i < n; i++)
			v[i] = (struct range){(uint32_t)i, 3 * (i / 2) + 1,
					      0}; /* pairs of equal keys */
		for (uint64_t x = 0; x < 3 * 33 + 3; x++) {
			size_t want = 0;
			while (want < n && v[want].start <= x)
				want++;
			assert_int_equal(SC_UPPER_BOUND(v, n, start, x), want);
			size_t below = 0;
			while (below < n && v[below].start < x)
				below++;
			assert_int_equal(SC_LOWER_BOUND(v, n, start, x), below);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_positions),
	    cmocka_unit_test(test_plain_and_extremes),
	    cmocka_unit_test(test_against_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
