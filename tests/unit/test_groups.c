/*
 * test_groups.c: sc_groups, time by named component, on hand-built profiles.
 *
 * The main profile (fx_main_profile, helper_profile.h; 1 ms of cpu per sample):
 *
 *   main -> a -> c       x 30     with leafy=^c$ and mid=^a$ (in that order):
 *   main -> b -> c       x 10       leafy 40 (innermost match c), mid 20, other 5;
 *   main -> a            x 20       inclusive: leafy 40, mid 50
 *   main -> r -> r -> r  x 5
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "helper_profile.h"
#include "report/groups.h"

static sc_stack_id stacks[4];

static sc_profile *main_profile(void)
{
	return fx_main_profile(NULL, stacks);
}

static sc_groups *make(size_t n, const char **specs)
{
	sc_groups *g = NULL;
	sc_diag d;
	sc_diag_clear(&d);
	assert_int_equal(sc_groups_new(specs, n, &g, &d), 0);
	assert_non_null(g);
	return g;
}

static void test_totals(void **state)
{
	(void)state;
	sc_profile *p = main_profile();
	sc_groups *g = make(2, (const char *[]){"leafy=^c$", "mid=^a$"});
	assert_int_equal(sc_groups_count(g), 2);
	assert_string_equal(sc_groups_name(g, 0), "leafy");
	assert_string_equal(sc_groups_name(g, 2), "other");
	sc_group_row rows[3];
	assert_int_equal(sc_groups_totals(g, p, 0, rows), 65);
	assert_string_equal(rows[0].name, "leafy");
	assert_int_equal(rows[0].value, 40);
	assert_int_equal(rows[0].inclusive, 40);
	assert_int_equal(rows[1].value, 20);
	assert_int_equal(rows[1].inclusive, 50);
	assert_string_equal(rows[2].name, "other");
	assert_int_equal(rows[2].value, 5);
	assert_int_equal(rows[2].inclusive, 0);
	assert_true(rows[1].pct > 30.76 && rows[1].pct < 30.77);
	assert_true(rows[1].inclusive_pct > 76.92 && rows[1].inclusive_pct < 76.93);
	/* the cpu type: 1 ms per sample */
	assert_int_equal(sc_groups_totals(g, p, 1, rows), 65000000);
	assert_int_equal(rows[0].value, 40000000);
	assert_int_equal(sc_groups_totals(g, p, 5, rows), -EINVAL);

	/* one stack at a time agrees with all nodes at once */
	uint32_t *cls = NULL;
	assert_int_equal(sc_groups_classify_nodes(g, p, &cls), 0);
	size_t want[4] = {0, 0, 1, 2};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(sc_groups_classify(g, p, stacks[i]), want[i]);
		assert_int_equal(cls[stacks[i]], want[i]);
	}
	assert_int_equal(cls[0], 2);
	free(cls);
	sc_groups_free(g);
	sc_profile_free(p);
}

/* The innermost matching frame decides; on one frame, the group given first. */
static void test_innermost_and_ties(void **state)
{
	(void)state;
	sc_profile *p = main_profile();
	sc_groups *g = make(2, (const char *[]){"outer=^main$", "inner=^c$"});
	sc_group_row rows[3];
	sc_groups_totals(g, p, 0, rows);
	assert_int_equal(rows[0].value, 25); /* main -> a (20), main -> r... (5) */
	assert_int_equal(rows[1].value, 40);
	assert_int_equal(rows[2].value, 0);
	assert_int_equal(rows[0].inclusive, 65);
	sc_groups_free(g);

	g = make(2, (const char *[]){"first=^c$", "second=c"});
	sc_groups_totals(g, p, 0, rows);
	assert_int_equal(rows[0].value, 40);
	assert_int_equal(rows[1].value, 0);
	assert_int_equal(rows[1].inclusive, 40);
	sc_groups_free(g);

	/* a name given twice is one group with both regexes */
	g = make(3, (const char *[]){"x=^a$", "y=^r$", "x=^b$"});
	assert_int_equal(sc_groups_count(g), 2);
	assert_string_equal(sc_groups_regex(g, 0), "^a$|^b$");
	assert_string_equal(sc_groups_regex(g, 2), "");
	sc_groups_totals(g, p, 0, rows);
	assert_int_equal(rows[0].value, 60);
	assert_int_equal(rows[1].value, 5);
	sc_groups_free(g);

	/* no groups: everything is other */
	g = make(0, NULL);
	sc_groups_totals(g, p, 0, rows);
	assert_int_equal(rows[0].value, 65);
	sc_groups_free(g);
	sc_profile_free(p);
}

static void check_error(const char *spec, const char *message)
{
	sc_groups *g = (sc_groups *)1;
	sc_diag d;
	sc_diag_clear(&d);
	assert_int_equal(sc_groups_new(&spec, 1, &g, &d), -EINVAL);
	assert_null(g);
	assert_string_equal(d.message, message);
}

static void test_errors(void **state)
{
	(void)state;
	check_error("noequals", "'noequals': expected NAME=REGEX");
	check_error("=x", "'=x': the name is empty");
	check_error("x=", "'x=': the regex is empty");
	check_error("other=x", "'other=x': \"other\" is reserved for samples in no group");
	sc_groups *g = NULL;
	sc_diag d;
	sc_diag_clear(&d);
	const char *bad = "sim=a(";
	assert_int_equal(sc_groups_new(&bad, 1, &g, &d), -EINVAL);
	assert_true(strncmp(d.message, "'sim=a(': ", 10) == 0);
	assert_true(strlen(d.message) > 10);
	sc_groups_free(NULL);
}

static void test_file(void **state)
{
	(void)state;
	char path[] = "/tmp/scorch-test-groups-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "# components\n\nleafy = ^c$\n  mid=^a$  \r\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	sc_groups *g = make(0, NULL);
	sc_diag d;
	sc_diag_clear(&d);
	/* blanks around '=' are layout */
	assert_int_equal(sc_groups_add_file(g, path, &d), 0);
	assert_int_equal(sc_groups_count(g), 2);
	assert_string_equal(sc_groups_name(g, 0), "leafy");
	assert_string_equal(sc_groups_regex(g, 0), "^c$");
	assert_string_equal(sc_groups_name(g, 1), "mid");
	sc_profile *p = main_profile();
	sc_group_row rows[3];
	sc_groups_totals(g, p, 0, rows);
	assert_int_equal(rows[0].value, 40);
	assert_int_equal(rows[1].value, 20);
	sc_groups_free(g);

	fd = open(path, O_WRONLY | O_TRUNC);
	text = "ok=a\n# fine\nbroken\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	g = make(0, NULL);
	sc_diag_clear(&d);
	assert_int_equal(sc_groups_add_file(g, path, &d), -EINVAL);
	assert_int_equal(d.line, 3);
	assert_string_equal(d.file, path);
	assert_string_equal(d.message, "'broken': expected NAME=REGEX");
	sc_groups_free(g);
	unlink(path);
	g = make(0, NULL);
	assert_int_equal(sc_groups_add_file(g, path, &d), -ENOENT);
	sc_groups_free(g);
	sc_profile_free(p);
}

static void test_print(void **state)
{
	(void)state;
	sc_profile *p = main_profile();
	sc_groups *g = make(2, (const char *[]){"leafy=^c$", "mid=^a$"});
	char *s = fx_print(sc_groups_print_json(g, p, 1, f));
	assert_string_equal(
	    s, "{\"schema\":\"scorch.groups\",\"version\":1,\"sample_type\":\"cpu\","
	       "\"unit\":\"nanoseconds\",\"total\":65000000,\n\"groups\":[\n"
	       "{\"name\":\"leafy\",\"regex\":\"^c$\",\"value\":40000000,\"pct\":61.54,"
	       "\"inclusive\":40000000,\"inclusive_pct\":61.54},\n"
	       "{\"name\":\"mid\",\"regex\":\"^a$\",\"value\":20000000,\"pct\":30.77,"
	       "\"inclusive\":50000000,\"inclusive_pct\":76.92},\n"
	       "{\"name\":\"other\",\"regex\":\"\",\"value\":5000000,\"pct\":7.69,"
	       "\"inclusive\":0,\"inclusive_pct\":0.00}\n]}\n");
	free(s);
	s = fx_print(sc_groups_print_text(g, p, 0, f));
	assert_string_equal(s, "total: 65 samples (count), 2 groups\n\n"
			       "  share value  inclusive  group  regex\n"
			       " 61.54%    40     61.54%  leafy  ^c$\n"
			       " 30.77%    20     76.92%  mid    ^a$\n"
			       "  7.69%     5             other\n");
	free(s);
	sc_groups_free(g);
	sc_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_totals), cmocka_unit_test(test_innermost_and_ties),
	    cmocka_unit_test(test_errors), cmocka_unit_test(test_file),
	    cmocka_unit_test(test_print),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
