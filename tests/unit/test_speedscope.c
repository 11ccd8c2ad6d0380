/*
 * test_speedscope.c: the speedscope writer, read back by an independent reader:
 * tests/unit/check_formats.py validates each file against our transcription of speedscope's
 * file-format schema plus the rules the schema cannot state, and prints per-profile and per-frame
 * totals that the tests compare with known answers (skips without python3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/perfscript.h"
#include "formats/speedscope.h"
#include "helper_check.h"
#include "profile/profile.h"
#include "util/fileio.h"

/* Writes `p` as speedscope to a temporary file, runs the checker on it and returns its output
 * (malloc'd). Fails the test when the checker rejects the file. */
static char *write_and_check(const sc_profile *p, const sc_speedscope_options *o)
{
	return check_written("speedscope", sc_speedscope_write(p, o, f));
}

static void test_perf_script_profile(void **state)
{
	(void)state;
	if (!have_python())
		skip();
	char path[512], *data;
	size_t n;
	snprintf(path, sizeof(path), "%s/tests/data/perfscript/hot-callchain.txt", SC_TEST_SRCDIR);
	assert_int_equal(sc_read_file(path, &data, &n), 0);
	sc_profile *p;
	assert_int_equal(sc_perfscript_parse(data, n, &p, NULL), 0);
	free(data);
	sc_speedscope_options o = {.type = 1, .name = "hot"};
	char *out = write_and_check(p, &o);
	/* 76 samples of 1001001 ns: hot_a 38, hot_b 23, hot_c 15 (see test_perfscript.c) */
	/* The profile is named after the thread: perf script's command name. */
	expect_line(out, "PROFILE\thot (pid 18291 tid 18291)\tnanoseconds\t3\t76076076");
	expect_line(out, "FRAME\t__libc_start_call_main\t0\t76076076");
	expect_line(out, "FRAME\thot_a\t38038038\t38038038");
	expect_line(out, "FRAME\thot_b\t23023023\t23023023");
	expect_line(out, "FRAME\thot_c\t15015015\t15015015");
	free(out);
	/* The sample count type: unit "count" is not speedscope's, so "none". */
	o.type = 0;
	out = write_and_check(p, &o);
	expect_line(out, "PROFILE\thot (pid 18291 tid 18291)\tnone\t3\t76");
	free(out);
	sc_profile_free(p);
}

static uint32_t add_loc(sc_profile *p, const char *name, const char *file, int64_t line)
{
	sc_function fn = {.name = (sc_str)sc_profile_intern(p, name),
			  .filename = (sc_str)sc_profile_intern(p, file),
			  .start_line = line};
	sc_line l = {.function = (uint32_t)sc_profile_add_function(p, &fn), .line = line + 1};
	return (uint32_t)sc_profile_add_location(p, 0, 0x1000, &l, 1);
}

static void test_built_profile(void **state)
{
	(void)state;
	if (!have_python())
		skip();
	sc_profile *p = sc_profile_new();
	assert_int_equal(sc_profile_add_sample_type(p, "alloc_space", "bytes"), 0);
	uint32_t main_ = add_loc(p, "main", "m.c", 10);
	uint32_t odd = add_loc(p, "odd \"name\"\\\n\t", "dir/odd.c", 0);
	/* An inlined frame: "inl" inlined into "outer" at one address. */
	sc_function fi = {.name = (sc_str)sc_profile_intern(p, "inl")};
	sc_function fo = {.name = (sc_str)sc_profile_intern(p, "outer")};
	sc_line lines[2] = {{.function = (uint32_t)sc_profile_add_function(p, &fi)},
			    {.function = (uint32_t)sc_profile_add_function(p, &fo)}};
	uint32_t inl = (uint32_t)sc_profile_add_location(p, 0, 0x2000, lines, 2);
	/* An unsymbolized address in a mapping. */
	sc_mapping m = {.start = 0x400000,
			.limit = 0x500000,
			.file = (sc_str)sc_profile_intern(p, "/usr/lib/libz.so.1")};
	uint32_t raw = (uint32_t)sc_profile_location_for_address(
	    p, (uint32_t)sc_profile_add_mapping(p, &m), 0x401234);

	uint32_t s1[] = {odd, main_}, s2[] = {inl, main_}, s3[] = {raw, inl, main_};
	int64_t v;
	v = 100;
	sc_profile_add_sample(p, (sc_stack_id)sc_profile_intern_stack(p, s1, 2), &v, 1, 1, 0);
	v = 50;
	sc_profile_add_sample(p, (sc_stack_id)sc_profile_intern_stack(p, s2, 2), &v, 1, 2, 0);
	v = 0; /* skipped */
	sc_profile_add_sample(p, (sc_stack_id)sc_profile_intern_stack(p, s3, 3), &v, 1, 2, 0);
	v = -5; /* skipped */
	sc_profile_add_sample(p, (sc_stack_id)sc_profile_intern_stack(p, s3, 3), &v, 1, 2, 0);
	v = 7;
	sc_profile_add_sample(p, (sc_stack_id)sc_profile_intern_stack(p, s3, 3), &v, 1, 2, 0);

	sc_speedscope_options o = {.type = 0, .name = "a \"group\""};
	char *out = write_and_check(p, &o);
	expect_line(out, "PROFILE\tpid 1 tid 1\tbytes\t1\t100");
	expect_line(out, "PROFILE\tpid 1 tid 2\tbytes\t2\t57");
	expect_line(out, "FRAME\tmain\t0\t157");
	expect_line(out, "FRAME\todd \"name\"\\\n\t\t100\t100");
	expect_line(out, "FRAME\touter\t0\t57");
	expect_line(out, "FRAME\tinl\t50\t57");
	expect_line(out, "FRAME\tlibz.so.1+0x1234\t7\t7");
	free(out);

	o.type = 3;
	assert_int_equal(sc_speedscope_write(p, &o, stdout), -EINVAL);
	sc_profile_free(p);
}

static void test_empty_profile(void **state)
{
	(void)state;
	if (!have_python())
		skip();
	sc_profile *p = sc_profile_new();
	assert_int_equal(sc_profile_add_sample_type(p, "cpu", "nanoseconds"), 0);
	sc_speedscope_options o = {.type = 0};
	char *out = write_and_check(p, &o);
	/* One empty profile, so the file still opens. */
	assert_string_equal(out, "PROFILE\tall samples\tnanoseconds\t0\t0\n");
	free(out);
	sc_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_perf_script_profile),
	    cmocka_unit_test(test_built_profile),
	    cmocka_unit_test(test_empty_profile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
