/*
 * test_chrome.c: the Chrome trace writer, read back by an independent reader
 * (tests/unit/check_formats.py chrome: structure, types, and that each thread's slices nest),
 * whose per-thread and per-name totals are compared with known answers (skips without python3).
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

#include "formats/chrome.h"
#include "formats/perfscript.h"
#include "helper_check.h"
#include "profile/profile.h"
#include "util/fileio.h"

static char *write_and_check(const sc_profile *p, const sc_chrome_options *o)
{
	return check_written("chrome", sc_chrome_write(p, o, f));
}

static uint32_t fn_loc(sc_profile *p, const char *name)
{
	sc_function fn = {.name = (sc_str)sc_profile_intern(p, name)};
	sc_line l = {.function = (uint32_t)sc_profile_add_function(p, &fn)};
	return (uint32_t)sc_profile_add_location(p, 0, 0, &l, 1);
}

/* Adds a sample of stack "outer;...;leaf" (names separated by ';'). */
static void add(sc_profile *p, const char *stack, int64_t v0, int64_t v1, uint32_t tid, uint64_t t)
{
	uint32_t locs[16];
	size_t n = 0;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", stack);
	for (char *s = buf, *semi; s; s = semi ? semi + 1 : NULL) {
		semi = strchr(s, ';');
		if (semi)
			*semi = '\0';
		locs[n++] = fn_loc(p, s);
	}
	uint32_t leaf_first[16];
	for (size_t i = 0; i < n; i++)
		leaf_first[i] = locs[n - 1 - i];
	int64_t v[2] = {v0, v1};
	sc_stack_id id = (sc_stack_id)sc_profile_intern_stack(p, leaf_first, n);
	assert_true(sc_profile_add_sample(p, id, v, 7, tid, t) >= 0);
}

static sc_profile *new_profile(void)
{
	sc_profile *p = sc_profile_new();
	assert_int_equal(sc_profile_add_sample_type(p, "samples", "count"), 0);
	assert_int_equal(sc_profile_add_sample_type(p, "cpu", "nanoseconds"), 1);
	return p;
}

static void test_slices(void **state)
{
	(void)state;
	if (!have_python())
		skip();
	sc_profile *p = new_profile();
	const uint64_t ms = 1000000;
	/* tid 1: main;a at 1 and 2 ms, main;b at 3 ms (1 ms each): main [1,4) a [1,3) b [3,4);
	 * then off CPU, main;a at 10 ms: new main and a slices [10,11). Added out of order. */
	add(p, "main;b", 1, ms, 1, 3 * ms);
	add(p, "main;a", 1, ms, 1, 1 * ms);
	add(p, "main;a", 1, ms, 1, 2 * ms);
	add(p, "main;a", 1, ms, 1, 10 * ms);
	/* tid 2: one sample of 0.5 ms; a zero-valued one is skipped */
	add(p, "main;c;d", 1, ms / 2, 2, 5 * ms);
	add(p, "main;zero", 1, 0, 2, 6 * ms);
	sc_chrome_options o = {.type = 1, .name = "demo"};
	char *out = write_and_check(p, &o);
	expect_line(out, "THREAD\t7\t1\t5\t4000000"); /* main 3 ms + main 1 ms */
	expect_line(out, "THREAD\t7\t2\t3\t500000");
	expect_line(out, "NAME\tmain\t3\t4500000");
	expect_line(out, "NAME\ta\t2\t3000000");
	expect_line(out, "NAME\tb\t1\t1000000");
	expect_line(out, "NAME\td\t1\t500000");
	assert_null(strstr(out, "zero"));
	free(out);

	/* The count type: widths are the median interval (1 ms), capped at the next sample. */
	o.type = 0;
	out = write_and_check(p, &o);
	/* tid 1 as before; tid 2: main;c;d [5,6) then main;zero [6,7) (a count of 1) */
	expect_line(out, "THREAD\t7\t2\t4\t2000000");
	expect_line(out, "NAME\tmain\t3\t6000000");
	expect_line(out, "NAME\tzero\t1\t1000000");
	free(out);

	o.type = 5;
	assert_int_equal(sc_chrome_write(p, &o, stdout), -EINVAL);
	sc_profile_free(p);
}

/* Tracks are named after the samples' thread and process names: tid 1 renamed itself (its last
 * name is its track's), tid 2 has none (no thread_name event), and the process's name wins over
 * the options' name. */
static void test_names(void **state)
{
	(void)state;
	sc_profile *p = new_profile();
	const uint64_t ms = 1000000;
	add(p, "main;a", 1, ms, 1, 1 * ms);
	assert_int_equal(sc_profile_add_label(p, "thread_name", "phases", 0, NULL), 0);
	add(p, "main;a", 1, ms, 1, 2 * ms);
	assert_int_equal(sc_profile_add_label(p, "thread_name", "worker", 0, NULL), 0);
	assert_int_equal(sc_profile_add_label(p, "process_name", "prog", 0, NULL), 0);
	add(p, "main;b", 1, ms, 2, 3 * ms);
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	assert_non_null(f);
	sc_chrome_options o = {.type = 1, .name = "demo"};
	assert_int_equal(sc_chrome_write(p, &o, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(out, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":7,\"tid\":0,"
				    "\"args\":{\"name\":\"prog\"}}"));
	assert_non_null(strstr(out, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":7,\"tid\":1,"
				    "\"args\":{\"name\":\"worker\"}}"));
	assert_null(strstr(out, "\"name\":\"phases\""));
	assert_null(strstr(out, "\"tid\":2,\"args\""));
	assert_null(strstr(out, "demo"));
	free(out);
	sc_profile_free(p);
}

/* A timeline needs times: an aggregated profile (no per-sample time) is refused with -ENODATA
 * and nothing written, instead of every slice at ts 0 (issue 8, item 16). */
static void test_needs_times(void **state)
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
	sc_chrome_options o = {.type = 1};
	assert_int_equal(sc_chrome_check(p, 1), -ENODATA);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(sc_chrome_write(p, &o, f), -ENODATA);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(len, 0);
	free(buf);
	assert_int_equal(sc_chrome_check(p, 2), -EINVAL);
	sc_profile_free(p);

	/* The same file with every sample's time: real slices. 76 samples of 1001001 ns: hot_a
	 * 38, hot_b 23, hot_c 15 (see test_perfscript.c). */
	assert_int_equal(sc_perfscript_parse_flags(data, n, SC_PERFSCRIPT_TIMES, &p, NULL), 0);
	assert_int_equal(sc_chrome_check(p, 1), 0);
	char *out = write_and_check(p, &o);
	expect_line(out, "NAME\thot_b\t4\t23030004");
	free(out);

	/* One sample without a time among timed ones is enough to refuse: it would sit at 0. */
	p->samples.data[3].time_ns = 0;
	assert_int_equal(sc_chrome_check(p, 1), -ENODATA);
	sc_profile_free(p);
	free(data);
}

static void test_empty(void **state)
{
	(void)state;
	if (!have_python())
		skip();
	sc_profile *p = new_profile();
	sc_chrome_options o = {.type = 1};
	char *out = write_and_check(p, &o);
	assert_string_equal(out, "\n");
	free(out);
	sc_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slices),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_needs_times),
	    cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
