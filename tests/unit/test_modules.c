/*
 * test_modules.c: sc_modules, cost by executable / shared object / kernel.
 *
 * The profile (helper_profile.h mappings: prog, libc.so.6, [kernel]; 1 ms per sample):
 *
 *   main -> work -> memcpy(libc)                    x 6    self: libc 8, [kernel] 3, prog 1
 *   main -> work -> syscall(libc) -> kfunc(kernel)  x 3    total: prog 12, libc 11, kernel 3
 *   main -> work                                    x 1    (12 samples)
 *   main -> libc.so.6+0x2345 (unsymbolized)         x 2
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "helper_profile.h"
#include "report/modules.h"

static sc_profile *mod_profile(void)
{
	struct fx fx;
	fx_init(&fx);
	uint32_t m = fx_fn(&fx, "main", FX_PROG, 1), w = fx_fn(&fx, "work", FX_PROG, 2);
	uint32_t cp = fx_fn(&fx, "memcpy", FX_LIBC, 3), sys = fx_fn(&fx, "syscall", FX_LIBC, 4);
	uint32_t k = fx_fn(&fx, "kfunc", FX_KERNEL, 5), raw = fx_raw(&fx, FX_LIBC, 0x7f0000002345);
	fx_add(&fx, 6, (struct fx_s){0}, 3, (uint32_t[]){m, w, cp});
	fx_add(&fx, 3, (struct fx_s){0}, 4, (uint32_t[]){m, w, sys, k});
	fx_add(&fx, 1, (struct fx_s){0}, 2, (uint32_t[]){m, w});
	fx_add(&fx, 2, (struct fx_s){0}, 2, (uint32_t[]){m, raw});
	return fx.p;
}

static void test_compute(void **state)
{
	(void)state;
	sc_profile *p = mod_profile();
	sc_modules m;
	assert_int_equal(sc_modules_compute(p, 0, &m), 0);
	assert_int_equal(m.grand_total, 12);
	assert_int_equal(m.len, 3);
	assert_string_equal(m.rows[0].name, "libc.so.6");
	assert_string_equal(m.rows[0].path, "/lib/x86_64-linux-gnu/libc.so.6");
	assert_int_equal(m.rows[0].self, 8);
	assert_int_equal(m.rows[0].total, 11);
	assert_string_equal(m.rows[1].name, "[kernel]");
	assert_int_equal(m.rows[1].self, 3);
	assert_int_equal(m.rows[1].total, 3);
	assert_string_equal(m.rows[2].name, "prog");
	assert_int_equal(m.rows[2].self, 1);
	assert_int_equal(m.rows[2].total, 12);
	sc_modules_release(&m);
	sc_modules_release(NULL);
	assert_int_equal(sc_modules_compute(p, 9, &m), -EINVAL);
	sc_profile_free(p);
}

/* A module recursing through another counts once per sample: prog -> libc -> prog. */
static void test_reentry(void **state)
{
	(void)state;
	struct fx fx;
	fx_init(&fx);
	uint32_t m = fx_fn(&fx, "main", FX_PROG, 1), q = fx_fn(&fx, "qsort", FX_LIBC, 2);
	uint32_t c = fx_fn(&fx, "cmp", FX_PROG, 3);
	fx_add(&fx, 4, (struct fx_s){0}, 3, (uint32_t[]){m, q, c});
	fx_add(&fx, 1, (struct fx_s){0}, 2, (uint32_t[]){m, q});
	sc_modules mods;
	assert_int_equal(sc_modules_compute(fx.p, 1, &mods), 0);
	assert_int_equal(mods.grand_total, 5000000);
	assert_string_equal(mods.rows[0].name, "prog");
	assert_int_equal(mods.rows[0].self, 4000000);
	assert_int_equal(mods.rows[0].total, 5000000);
	assert_int_equal(mods.rows[1].self, 1000000);
	assert_int_equal(mods.rows[1].total, 5000000);
	sc_modules_release(&mods);
	sc_profile_free(fx.p);
}

static void test_print(void **state)
{
	(void)state;
	sc_profile *p = mod_profile();
	sc_modules m;
	assert_int_equal(sc_modules_compute(p, 1, &m), 0);
	char *s = fx_print(sc_modules_print_text(p, &m, 0, f));
	assert_string_equal(s, "total: 12.0ms cpu (nanoseconds), 3 modules\n\n"
			       "  self%   self   total%  total  module\n"
			       " 66.67% 8.00ms   91.67% 11.0ms  libc.so.6\n"
			       " 25.00% 3.00ms   25.00% 3.00ms  [kernel]\n"
			       "  8.33% 1.00ms  100.00% 12.0ms  prog\n");
	free(s);
	s = fx_print(sc_modules_print_json(p, &m, 1, f));
	assert_string_equal(s,
			    "{\"schema\":\"scorch.modules\",\"version\":1,\"sample_type\":\"cpu\","
			    "\"unit\":\"nanoseconds\",\"total\":12000000,\n\"modules\":[\n"
			    "{\"name\":\"libc.so.6\",\"path\":\"/lib/x86_64-linux-gnu/libc.so.6\","
			    "\"self\":8000000,\"self_pct\":66.67,\"total\":11000000,"
			    "\"total_pct\":91.67}\n]}\n");
	free(s);
	sc_modules_release(&m);
	sc_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compute),
	    cmocka_unit_test(test_reentry),
	    cmocka_unit_test(test_print),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
