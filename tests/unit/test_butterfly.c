/*
 * test_butterfly.c: sc_butterfly, callers and callees of a focus, on hand-built profiles.
 *
 * The main profile (fx_main_profile, helper_profile.h; 1 ms of cpu per sample):
 *
 *   main -> a -> c       x 30     butterfly c: total 40 = self 40; callers a 30, b 10
 *   main -> b -> c       x 10     butterfly a: total 50, self 20; callers main 50;
 *   main -> a            x 20                  callees c 30, (self) 20
 *   main -> r -> r -> r  x 5      butterfly r: total 5 = self 5; callers main 5 (r -> r is
 *                                              inside the focus)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "helper_profile.h"
#include "report/butterfly.h"

/* Checks an edge list against "name=value" strings, in order. */
static void check_edges(const sc_butterfly_edge *e, size_t n, size_t want_n, const char **want)
{
	assert_int_equal(n, want_n);
	for (size_t i = 0; i < n; i++) {
		char got[128];
		snprintf(got, sizeof(got), "%s=%lld", e[i].name, (long long)e[i].value);
		assert_string_equal(got, want[i]);
	}
}

#define CHECK(edges, n, ...)                                                                       \
	do {                                                                                       \
		const char *w_[] = {__VA_ARGS__};                                                  \
		check_edges(edges, n, sizeof(w_) / sizeof(*w_), w_);                               \
	} while (0)

static void test_leaf(void **state)
{
	(void)state;
	sc_profile *p = fx_main_profile(NULL, NULL);
	sc_butterfly b;
	assert_int_equal(sc_butterfly_compute(p, 0, "^c$", &b), 0);
	assert_int_equal(b.nmatched, 1);
	assert_string_equal(b.matched[0], "c");
	assert_string_equal(b.matched_modules[0], "prog");
	assert_int_equal(b.total, 40);
	assert_int_equal(b.self, 40);
	assert_int_equal(b.grand_total, 65);
	CHECK(b.callers, b.ncallers, "a=30", "b=10");
	CHECK(b.callees, b.ncallees, "(self)=40");
	assert_int_equal(b.callees[0].kind, SC_BUTTERFLY_SELF);
	assert_int_equal(b.callers[0].kind, SC_BUTTERFLY_FUNCTION);
	sc_butterfly_release(&b);

	/* the cpu sample type: 1 ms each */
	assert_int_equal(sc_butterfly_compute(p, 1, "^c$", &b), 0);
	assert_int_equal(b.total, 40000000);
	sc_butterfly_release(&b);
	sc_profile_free(p);
}

static void test_middle(void **state)
{
	(void)state;
	sc_profile *p = fx_main_profile(NULL, NULL);
	sc_butterfly b;
	assert_int_equal(sc_butterfly_compute(p, 0, "^a$", &b), 0);
	assert_int_equal(b.total, 50);
	assert_int_equal(b.self, 20);
	CHECK(b.callers, b.ncallers, "main=50");
	CHECK(b.callees, b.ncallees, "c=30", "(self)=20");
	sc_butterfly_release(&b);
	sc_profile_free(p);
}

/* An exact name wins over the regex, and the outermost frame's caller is "(root)". */
static void test_exact_and_root(void **state)
{
	(void)state;
	sc_profile *p = fx_main_profile(NULL, NULL);
	sc_butterfly b;
	assert_int_equal(sc_butterfly_compute(p, 0, "main", &b), 0);
	assert_int_equal(b.nmatched, 1);
	assert_int_equal(b.total, 65);
	assert_int_equal(b.self, 0);
	CHECK(b.callers, b.ncallers, "(root)=65");
	assert_int_equal(b.callers[0].kind, SC_BUTTERFLY_ROOT);
	CHECK(b.callees, b.ncallees, "a=50", "b=10", "r=5");
	sc_butterfly_release(&b);

	/* "a" is a function's exact name: only a, not main too */
	assert_int_equal(sc_butterfly_compute(p, 0, "a", &b), 0);
	assert_int_equal(b.nmatched, 1);
	assert_int_equal(b.total, 50);
	sc_butterfly_release(&b);
	sc_profile_free(p);
}

/* Several functions form one focus; edges between them are inside it. */
static void test_several(void **state)
{
	(void)state;
	sc_profile *p = fx_main_profile(NULL, NULL);
	sc_butterfly b;
	assert_int_equal(sc_butterfly_compute(p, 0, "^(a|b)$", &b), 0);
	assert_int_equal(b.nmatched, 2);
	assert_int_equal(b.total, 60);
	assert_int_equal(b.self, 20);
	CHECK(b.callers, b.ncallers, "main=60");
	CHECK(b.callees, b.ncallees, "c=40", "(self)=20");
	sc_butterfly_release(&b);

	assert_int_equal(sc_butterfly_compute(p, 0, "^(a|c)$", &b), 0);
	assert_int_equal(b.total, 60); /* 30 + 10 + 20: each sample once */
	assert_int_equal(b.self, 60);
	CHECK(b.callers, b.ncallers, "main=50", "b=10");
	CHECK(b.callees, b.ncallees, "(self)=60");
	sc_butterfly_release(&b);
	sc_profile_free(p);
}

static void test_recursion(void **state)
{
	(void)state;
	sc_profile *p = fx_main_profile(NULL, NULL);
	sc_butterfly b;
	assert_int_equal(sc_butterfly_compute(p, 0, "^r$", &b), 0);
	assert_int_equal(b.total, 5);
	assert_int_equal(b.self, 5);
	CHECK(b.callers, b.ncallers, "main=5");
	CHECK(b.callees, b.ncallees, "(self)=5");
	sc_butterfly_release(&b);
	sc_profile_free(p);

	/* x -> f -> y -> f -> z: f's callers x and y, callees y and z, each sample once each */
	struct fx fx;
	fx_init(&fx);
	uint32_t x = fx_fn(&fx, "x", FX_PROG, 1), f = fx_fn(&fx, "f", FX_PROG, 2);
	uint32_t y = fx_fn(&fx, "y", FX_PROG, 3), z = fx_fn(&fx, "z", FX_PROG, 4);
	fx_add(&fx, 4, (struct fx_s){0}, 5, (uint32_t[]){x, f, y, f, z});
	fx_add(&fx, 1, (struct fx_s){0}, 4, (uint32_t[]){x, f, y, f});
	assert_int_equal(sc_butterfly_compute(fx.p, 0, "^f$", &b), 0);
	assert_int_equal(b.total, 5);
	assert_int_equal(b.self, 1);
	CHECK(b.callers, b.ncallers, "x=5", "y=5");
	CHECK(b.callees, b.ncallees, "y=5", "z=4", "(self)=1");
	sc_butterfly_release(&b);
	sc_profile_free(fx.p);
}

/* Inline frames are frames: g inlined into f, called from main. */
static void test_inline(void **state)
{
	(void)state;
	struct fx fx;
	fx_init(&fx);
	uint32_t m = fx_fn(&fx, "main", FX_PROG, 1), fg = fx_inline(&fx, "f", 10, "g", 20);
	uint32_t h = fx_fn(&fx, "h", FX_PROG, 30);
	fx_add(&fx, 3, (struct fx_s){0}, 2, (uint32_t[]){m, fg});
	fx_add(&fx, 2, (struct fx_s){0}, 3, (uint32_t[]){m, fg, h});
	sc_butterfly b;
	assert_int_equal(sc_butterfly_compute(fx.p, 0, "^g$", &b), 0);
	assert_int_equal(b.total, 5);
	assert_int_equal(b.self, 3);
	CHECK(b.callers, b.ncallers, "f=5");
	CHECK(b.callees, b.ncallees, "(self)=3", "h=2");
	sc_butterfly_release(&b);
	assert_int_equal(sc_butterfly_compute(fx.p, 0, "^f$", &b), 0);
	CHECK(b.callers, b.ncallers, "main=5");
	CHECK(b.callees, b.ncallees, "g=5");
	sc_butterfly_release(&b);
	sc_profile_free(fx.p);
}

static void test_errors(void **state)
{
	(void)state;
	sc_profile *p = fx_main_profile(NULL, NULL);
	sc_butterfly b;
	assert_int_equal(sc_butterfly_compute(p, 0, "nosuchfunction", &b), -ENOENT);
	assert_int_equal(sc_butterfly_compute(p, 0, "a(", &b), -EINVAL);
	assert_int_equal(sc_butterfly_compute(p, 7, "a", &b), -EINVAL);
	sc_butterfly_release(&b);
	sc_butterfly_release(NULL);
	sc_profile_free(p);
}

static void test_print(void **state)
{
	(void)state;
	sc_profile *p = fx_main_profile(NULL, NULL);
	sc_butterfly b;
	assert_int_equal(sc_butterfly_compute(p, 1, "^c$", &b), 0);
	char *s = fx_print(sc_butterfly_print_json(p, &b, 0, f));
	assert_non_null(
	    strstr(s, "{\"schema\":\"scorch.butterfly\",\"version\":1,"
		      "\"sample_type\":\"cpu\",\"unit\":\"nanoseconds\",\"pattern\":\"^c$\","
		      "\"functions\":[{\"name\":\"c\",\"module\":\"prog\"}],"
		      "\"grand_total\":65000000,\"total\":40000000,\"total_pct\":61.54,"
		      "\"self\":40000000,\"self_pct\":61.54,\n\"callers\":["));
	assert_non_null(strstr(s, "{\"name\":\"a\",\"module\":\"prog\",\"kind\":\"function\","
				  "\"value\":30000000,\"pct\":75.00}"));
	assert_non_null(strstr(s, "\"callees\":[\n{\"name\":\"(self)\",\"module\":\"\","
				  "\"kind\":\"self\",\"value\":40000000,\"pct\":100.00}\n]}\n"));
	free(s);

	s = fx_print(sc_butterfly_print_text(p, &b, 1, f));
	assert_non_null(strstr(s, "function: c (prog)\n"));
	assert_non_null(strstr(s, "total: 40.0ms cpu (61.54% of 65.0ms), self: 40.0ms (61.54%)\n"));
	assert_non_null(strstr(s, "\ncallers:\n  share  value  function  module\n"
				  " 75.00% 30.0ms  a         prog\n\ncallees:\n"));
	assert_null(strstr(s, " b ")); /* n = 1: only the first caller */
	free(s);
	sc_butterfly_release(&b);
	sc_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_leaf),	   cmocka_unit_test(test_middle),
	    cmocka_unit_test(test_exact_and_root), cmocka_unit_test(test_several),
	    cmocka_unit_test(test_recursion),	   cmocka_unit_test(test_inline),
	    cmocka_unit_test(test_errors),	   cmocka_unit_test(test_print),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
