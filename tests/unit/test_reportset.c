/*
 * test_reportset.c: the advice rules (report/advice.h) and the report set (report/reportset.h).
 *
 * The profile, as folded stacks (100 samples; "_[k]" marks kernel frames as perf does):
 *
 *   main;compute                              40   hot-function: compute 40% self (>= 20%)
 *   main;compute;malloc;_int_malloc           8    allocator: 8 + 4 = 12% on the stack (>= 5%)
 *   main;load;free                            4
 *   main;load;__memmove_avx_unaligned_erms    6    memcopy: 6% (>= 5%)
 *   main;load;read;ksys_read_[k]              12   kernel: 12 + 3 = 15% innermost (>= 10%)
 *   main;worker;pthread_mutex_lock;futex_wait_[k]  3   locks: 3% (< 5%, does not fire)
 *   _dl_start;_dl_relocate_object;do_lookup_x 1    dynlink: 1% (< 2%)
 *   main;other                                26
 *
 * The inline rule needs an inline chain, which folded input cannot hold: test_inlined builds one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/folded.h"
#include "report/advice.h"
#include "report/reportset.h"
#include "util/fileio.h"

static const char PROFILE[] = "main;compute 40\n"
			      "main;compute;malloc;_int_malloc 8\n"
			      "main;load;free 4\n"
			      "main;load;__memmove_avx_unaligned_erms 6\n"
			      "main;load;read;ksys_read_[k] 12\n"
			      "main;worker;pthread_mutex_lock;futex_wait_[k] 3\n"
			      "_dl_start;_dl_relocate_object;do_lookup_x 1\n"
			      "main;other 26\n";

static sc_profile *folded(const char *text)
{
	sc_profile *p = NULL;
	assert_int_equal(sc_folded_parse(text, strlen(text), &p, NULL), 0);
	return p;
}

static const sc_advice_finding *rule(const sc_advice *a, const char *id)
{
	for (size_t i = 0; i < a->nall; i++)
		if (strcmp(a->all[i].rule, id) == 0)
			return &a->all[i];
	fail_msg("no rule %s", id);
	return NULL;
}

static bool fired(const sc_advice *a, const char *id)
{
	for (size_t i = 0; i < a->len; i++)
		if (strcmp(a->items[i].rule, id) == 0)
			return true;
	return false;
}

static void test_rules(void **state)
{
	(void)state;
	sc_profile *p = folded(PROFILE);
	sc_advice a;
	assert_int_equal(sc_advice_compute(p, 0, &a), 0);
	assert_int_equal(a.nall, 8);
	assert_float_equal(rule(&a, "hot-function")->pct, 40.0, 1e-9);
	assert_float_equal(rule(&a, "allocator")->pct, 12.0, 1e-9);
	assert_float_equal(rule(&a, "memcopy")->pct, 6.0, 1e-9);
	assert_float_equal(rule(&a, "kernel")->pct, 15.0, 1e-9);
	assert_float_equal(rule(&a, "locks")->pct, 3.0, 1e-9);
	assert_float_equal(rule(&a, "dynlink")->pct, 1.0, 1e-9);
	assert_float_equal(rule(&a, "page-faults")->pct, 0.0, 1e-9);
	assert_float_equal(rule(&a, "inlined")->pct, 0.0, 1e-9);
	assert_true(fired(&a, "hot-function") && fired(&a, "allocator") && fired(&a, "memcopy") &&
		    fired(&a, "kernel"));
	assert_false(fired(&a, "locks") || fired(&a, "dynlink") || fired(&a, "page-faults"));
	assert_int_equal(a.len, 4);
	/* largest share first */
	assert_string_equal(a.items[0].rule, "hot-function");
	assert_string_equal(a.items[1].rule, "kernel");
	assert_string_equal(a.items[2].rule, "allocator");
	assert_string_equal(rule(&a, "hot-function")->evidence, "compute 40.00% self");
	assert_string_equal(rule(&a, "allocator")->evidence,
			    "_int_malloc 8.00% total, malloc 8.00% total, free 4.00% total");
	assert_string_equal(rule(&a, "kernel")->evidence,
			    "ksys_read_[k] 12.00% self, futex_wait_[k] 3.00% self");
	sc_advice_release(&a);
	sc_advice_release(&a);
	assert_int_equal(sc_advice_compute(p, 2, &a), -EINVAL);
	sc_profile_free(p);
}

/* 12 of 100 samples in `hash` inlined into `lookup`. */
static void test_inlined(void **state)
{
	(void)state;
	sc_profile *p = sc_profile_new();
	assert_non_null(p);
	assert_int_equal(sc_profile_add_sample_type(p, "samples", "count"), 0);
	sc_function fl = {(sc_str)sc_profile_intern(p, "lookup"), 0, 0, 0};
	sc_function fh = {(sc_str)sc_profile_intern(p, "hash"), 0, 0, 0};
	sc_line both[] = {{(uint32_t)sc_profile_add_function(p, &fh), 7, 0},
			  {(uint32_t)sc_profile_add_function(p, &fl), 20, 0}};
	uint32_t inl = (uint32_t)sc_profile_add_location(p, 0, 0x10, both, 2);
	uint32_t own = (uint32_t)sc_profile_add_location(p, 0, 0x20, &both[1], 1);
	int64_t one = 1;
	sc_stack_id s1 = (sc_stack_id)sc_profile_intern_stack(p, &inl, 1);
	sc_stack_id s2 = (sc_stack_id)sc_profile_intern_stack(p, &own, 1);
	for (int i = 0; i < 100; i++)
		assert_true(sc_profile_add_sample(p, i < 12 ? s1 : s2, &one, 0, 0, 0) >= 0);
	sc_advice a;
	assert_int_equal(sc_advice_compute(p, 0, &a), 0);
	assert_float_equal(rule(&a, "inlined")->pct, 12.0, 1e-9);
	assert_string_equal(rule(&a, "inlined")->evidence, "hash inlined into lookup: 12.00% self");
	assert_true(fired(&a, "inlined"));
	sc_advice_release(&a);
	sc_profile_free(p);
}

static char *slurp(const char *dir, const char *name)
{
	char path[512], *data = NULL;
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(sc_read_file(path, &data, &n), 0);
	assert_true(n > 0);
	return data;
}

static void test_write(void **state)
{
	(void)state;
	char dir[] = "/tmp/scorch-test-reportset.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char out[600];
	snprintf(out, sizeof(out), "%s/set/deeper", dir); /* created with its parents */
	sc_profile *p = folded(PROFILE);
	sc_reportset_options o = {.type = 0, .top = 5, .source = "t.folded"};
	sc_diag d;
	sc_diag_clear(&d);
	assert_int_equal(sc_reportset_write(p, &o, out, &d), 0);

	char *s = slurp(out, "summary.txt");
	assert_non_null(strstr(s, "scorch report: t.folded\nsample type: samples (count); "
				  "total 100 samples from 100 samples\n"));
	assert_non_null(
	    strstr(s, "  kernel         15.00% (threshold 10%)  Much time in the kernel\n"));
	char *h = slurp(out, "hotspots.json");
	assert_non_null(strstr(h, "{\"schema\":\"scorch.hotspots\",\"version\":1,"
				  "\"source\":\"t.folded\",\"sample_type\":\"samples\""));
	assert_non_null(strstr(h, "{\"rank\":1,\"name\":\"compute\",\"module\":\"?\",\"file\":\"\","
				  "\"line\":0,\"self\":40,\"self_pct\":40.00,\"total\":48,"
				  "\"total_pct\":48.00}"));
	assert_non_null(strstr(h, "{\"rule\":\"locks\",\"title\":\"Threads wait for locks\","
				  "\"pct\":3.00,\"threshold\":5.00,\"fired\":false"));
	char *m = slurp(out, "report.md");
	assert_non_null(strstr(m, "1. **`compute`**: 40.0% of the time in the function itself, "
				  "48.0% including what it calls.\n"));
	assert_non_null(strstr(m,
			       "### 3. Much time in memory allocation (`allocator`)\n\n"
			       "- **Measured:** 12.0% of the total (the rule fires at 5%)\n"
			       "- **Behind it:** \\_int\\_malloc 8.00% total, malloc 8.00% total"));
	assert_non_null(strstr(m, "| dynlink | 1.0% | 2% | no |\n"));
	char *fg = slurp(out, "flamegraph.html");
	assert_non_null(strstr(fg, "\"schema\":\"scorch.flamegraph\""));
	char *bf = slurp(out, "butterfly.html");
	assert_non_null(strstr(bf, "id=\"callers\""));
	/* The side bar lists at least 200 functions, whatever the set's --top (5 here). */
	assert_non_null(strstr(bf, "{\"focus\":\"\",\"top\":200}"));
	free(s);
	free(h);
	free(m);
	free(fg);
	free(bf);

	/* A directory that cannot be made: the diag names it. */
	char bad[700];
	snprintf(bad, sizeof(bad), "%s/summary.txt/x", out);
	assert_int_equal(sc_reportset_write(p, &o, bad, &d), -ENOTDIR);
	assert_string_equal(d.file, bad);
	sc_profile_free(p);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rules),
	    cmocka_unit_test(test_inlined),
	    cmocka_unit_test(test_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
