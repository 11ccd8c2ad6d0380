/*
 * test_heap_gates.c: --fail-on (src/heap/gates.c): parsing (names, operators, 1024-based
 * suffixes, blanks), errors that name the bad part, and evaluation at the boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "heap/heap.h"

static void test_parse(void **state)
{
	(void)state;
	sc_heap_gates g;
	sc_diag d = {0};
	assert_int_equal(sc_heap_gates_parse("leaks>1K,peak>=1G, largest > 64M ,count>1M,bytes>10,"
					     "leaked_blocks>0,peak>2MiB,peak>3kb,peak>7B",
					     &g, &d),
			 0);
	assert_int_equal(g.n, 9);
	assert_int_equal(g.gate[0].metric, SC_HEAP_GATE_LEAKS);
	assert_int_equal(g.gate[0].limit, 1024);
	assert_false(g.gate[0].or_equal);
	assert_string_equal(g.gate[0].text, "leaks>1K");
	assert_int_equal(g.gate[1].metric, SC_HEAP_GATE_PEAK);
	assert_int_equal(g.gate[1].limit, 1ULL << 30);
	assert_true(g.gate[1].or_equal);
	assert_int_equal(g.gate[2].metric, SC_HEAP_GATE_LARGEST);
	assert_int_equal(g.gate[2].limit, 64ULL << 20);
	assert_string_equal(g.gate[2].text, "largest>64M");
	assert_int_equal(g.gate[3].metric, SC_HEAP_GATE_COUNT);
	assert_int_equal(g.gate[3].limit, 1ULL << 20);
	assert_int_equal(g.gate[4].metric, SC_HEAP_GATE_BYTES);
	assert_int_equal(g.gate[4].limit, 10);
	assert_int_equal(g.gate[5].metric, SC_HEAP_GATE_LEAKED_BLOCKS);
	assert_int_equal(g.gate[5].limit, 0);
	assert_int_equal(g.gate[6].limit, 2ULL << 20);
	assert_int_equal(g.gate[7].limit, 3072);
	assert_int_equal(g.gate[8].limit, 7);
	assert_string_equal(sc_heap_metric_name(SC_HEAP_GATE_LEAKED_BLOCKS), "leaked_blocks");
}

/* Each bad expression fails with a message holding the part named. */
static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *expr, *needle;
	} cases[] = {
	    {"leak>1K", "unknown gate name 'leak' in 'leak>1K'"},
	    {"leaks>1K,peek>1G", "'peek'"},
	    {"leaks>1Q", "bad limit '1Q' in 'leaks>1Q'"},
	    {"leaks>-1", "bad limit '-1'"},
	    {"leaks>1.5K", "bad limit '1.5K'"},
	    {"leaks1K", "gate 'leaks1K' has no '>'"},
	    {"leaks<1K", "gate 'leaks<1K' has no '>'"},
	    {"leaks>", "gate 'leaks>' has no limit"},
	    {"leaks>=", "gate 'leaks>=' has no limit"},
	    {"", "empty gate in ''"},
	    {"leaks>1,,peak>2", "empty gate in 'leaks>1,,peak>2'"},
	    {"leaks>1,", "empty gate"},
	    {"leaks>99999999999999999999", "bad limit '99999999999999999999'"},
	    {"leaks>17179869184G", "bad limit '17179869184G'"},
	    {"leaks>1KK", "bad limit '1KK'"},
	    {"count>1,count>1,count>1,count>1,count>1,count>1,count>1,count>1,count>1,count>1,"
	     "count>1,count>1,count>1,count>1,count>1,count>1,count>1",
	     "too many gates"},
	    {"leaks>1111111111111111111111111111111111111111111111111111111111111111111",
	     "is too long"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sc_heap_gates g;
		sc_diag d = {0};
		assert_int_equal(sc_heap_gates_parse(cases[i].expr, &g, &d), -EINVAL);
		if (!strstr(d.message, cases[i].needle))
			fail_msg("'%s': message '%s' lacks '%s'", cases[i].expr, d.message,
				 cases[i].needle);
	}
}

static void test_eval(void **state)
{
	(void)state;
	sc_heap_gates g;
	assert_int_equal(sc_heap_gates_parse("leaks>1K,leaks>=1K,peak>100,largest>=50,count>3,"
					     "bytes>1000,leaked_blocks>1",
					     &g, NULL),
			 0);
	sc_heap_totals t = {.leaked_bytes = 1024,
			    .leaked_blocks = 2,
			    .peak_bytes = 100,
			    .largest = 49,
			    .allocs = 4,
			    .bytes_allocated = 1000};
	assert_int_equal(sc_heap_gates_eval(&g, &t), 3);
	bool want[] = {false, true, false, false, true, false, true};
	uint64_t values[] = {1024, 1024, 100, 49, 4, 1000, 2};
	for (size_t i = 0; i < g.n; i++) {
		assert_int_equal(g.gate[i].failed, want[i]);
		assert_int_equal(g.gate[i].value, values[i]);
	}
	t = (sc_heap_totals){0};
	assert_int_equal(sc_heap_gates_eval(&g, &t), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_eval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
