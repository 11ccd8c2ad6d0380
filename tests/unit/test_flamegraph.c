/*
 * test_flamegraph.c: the flamegraph page: embedded data, escaping, no network references.
 *
 * The profile (samples/count, one per sample):
 *
 *   main -> a -> c      x 30     tree (children sorted by name):
 *   main -> b -> c      x 10       all 65 > main 65 > a 50 > c 30
 *   main -> a           x 20                         > b 10 > c 10
 *   main -> r -> r      x 5                          > r 5  > r 5
 *
 * "a" is reached through two locations (two call sites) that must merge into one box.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile.h"
#include "report/flamegraph.h"

static uint32_t next_address = 0x1000;

static uint32_t fn_location(sc_profile *p, uint32_t mapping, const char *name)
{
	sc_function f = {(sc_str)sc_profile_intern(p, name), 0, 0, 0};
	int64_t id = sc_profile_add_function(p, &f);
	assert_true(id > 0);
	sc_line l = {(uint32_t)id, 0, 0};
	int64_t loc = sc_profile_add_location(p, mapping, next_address += 0x10, &l, 1);
	assert_true(loc > 0);
	return (uint32_t)loc;
}

static void add_stack(sc_profile *p, int count, size_t n, const uint32_t *outer_first)
{
	uint32_t leaf_first[16];
	for (size_t i = 0; i < n; i++)
		leaf_first[i] = outer_first[n - 1 - i];
	int64_t id = sc_profile_intern_stack(p, leaf_first, n);
	assert_true(id > 0);
	int64_t one = 1;
	for (int i = 0; i < count; i++)
		assert_true(sc_profile_add_sample(p, (sc_stack_id)id, &one, 1, 1, 0) >= 0);
}

static sc_profile *new_profile(uint32_t *mapping)
{
	sc_profile *p = sc_profile_new();
	assert_non_null(p);
	assert_int_equal(sc_profile_add_sample_type(p, "samples", "count"), 0);
	sc_mapping m = {.start = 0x1000, .limit = 0x100000};
	m.file = (sc_str)sc_profile_intern(p, "/opt/app/bin/prog");
	*mapping = (uint32_t)sc_profile_add_mapping(p, &m);
	return p;
}

static char *render(const sc_profile *p, const char *title)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	sc_flamegraph_options o = {.title = title, .type = 0};
	assert_int_equal(sc_flamegraph_write_html(p, &o, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(strlen(buf), len);
	return buf;
}

/* The text between `start` and the next `end`, as a new string. */
static char *between(const char *s, const char *start, const char *end)
{
	const char *a = strstr(s, start);
	assert_non_null(a);
	a += strlen(start);
	const char *b = strstr(a, end);
	assert_non_null(b);
	return strndup(a, (size_t)(b - a));
}

static void test_embedded_tree(void **state)
{
	(void)state;
	uint32_t m;
	sc_profile *p = new_profile(&m);
	uint32_t main_ = fn_location(p, m, "main"), a = fn_location(p, m, "a");
	uint32_t a2 = fn_location(p, m, "a"), b = fn_location(p, m, "b");
	uint32_t c = fn_location(p, m, "c"), r = fn_location(p, m, "r");
	add_stack(p, 30, 3, (uint32_t[]){main_, a, c});
	add_stack(p, 10, 3, (uint32_t[]){main_, b, c});
	add_stack(p, 20, 2, (uint32_t[]){main_, a2});
	add_stack(p, 5, 3, (uint32_t[]){main_, r, r});
	char *html = render(p, "scorch: prog");
	assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	assert_non_null(strstr(html, "<title>scorch: prog</title>"));
	assert_non_null(strstr(html, "\"type\":\"samples\",\"unit\":\"count\",\"total\":65,"));
	/* keys numbered in order of first use: main 0, a 1, c 2, b 3, r 4 */
	char *names = between(html, "\"names\":[", "]");
	assert_string_equal(names, "\"main\",\"a\",\"c\",\"b\",\"r\"");
	char *tree = between(html, "\"tree\":[", "]");
	assert_string_equal(tree, "-1,65,7,0,65,6,1,50,1,2,30,0,3,10,1,2,10,0,4,5,1,4,5,0");
	char *mods = between(html, "\"modules\":[", "]");
	assert_string_equal(mods, "\"prog\"");
	char *mod = between(html, "\"mod\":[", "]");
	assert_string_equal(mod, "0,0,0,0,0");
	/* the renderer and its style are there */
	assert_non_null(strstr(html, "function matchedTotal()"));
	assert_non_null(strstr(html, "#tip"));
	assert_non_null(strstr(html, "</script>\n</body>\n</html>\n"));
	free(names);
	free(tree);
	free(mods);
	free(mod);
	free(html);
	sc_profile_free(p);
}

static void test_escaping(void **state)
{
	(void)state;
	uint32_t m;
	sc_profile *p = new_profile(&m);
	uint32_t evil = fn_location(p, m, "</script><script>alert(\"&\")</script>");
	uint32_t tmpl = fn_location(p, m, "operator<<(std::ostream&, T const&)");
	add_stack(p, 2, 2, (uint32_t[]){tmpl, evil});
	char *html = render(p, "</title><b>x&y\"</b>");
	/* exactly the page's own two closing tags (data and code) */
	int closes = 0;
	for (const char *q = html; (q = strstr(q, "</script")); q++)
		closes++;
	assert_int_equal(closes, 2);
	assert_null(strstr(html, "<script><"));
	assert_non_null(
	    strstr(html, "<title>&lt;/title&gt;&lt;b&gt;x&amp;y&quot;&lt;/b&gt;</title>"));
	assert_non_null(
	    strstr(html, "\"\\u003c/script>\\u003cscript>alert(\\\"&\\\")\\u003c/script>\""));
	assert_non_null(strstr(html, "\"operator\\u003c\\u003c(std::ostream&, T const&)\""));
	assert_non_null(strstr(html, "\"title\":\"\\u003c/title>\\u003cb>x&y\\\"\\u003c/b>\""));
	free(html);
	sc_profile_free(p);
}

/* The page must work offline: no URL of any kind. */
static void test_no_network(void **state)
{
	(void)state;
	uint32_t m;
	sc_profile *p = new_profile(&m);
	uint32_t f = fn_location(p, m, "f");
	add_stack(p, 1, 1, (uint32_t[]){f});
	char *html = render(p, NULL);
	assert_non_null(strstr(html, "<title>scorch flamegraph</title>"));
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "https://"));
	assert_null(strstr(html, "//cdn"));
	assert_null(strstr(html, "src=\""));
	assert_null(strstr(html, "href=\""));
	assert_null(strstr(html, "@import"));
	assert_null(strstr(html, "url("));
	free(html);
	sc_profile_free(p);
}

/* Unsymbolized frames and inline chains: each inline frame is a box of its own. */
static void test_unsymbolized_and_inline(void **state)
{
	(void)state;
	uint32_t m;
	sc_profile *p = new_profile(&m);
	uint32_t raw = (uint32_t)sc_profile_location_for_address(p, m, 0x2345);
	sc_function fo = {(sc_str)sc_profile_intern(p, "outer"), 0, 0, 0};
	sc_function fi = {(sc_str)sc_profile_intern(p, "inl"), 0, 0, 0};
	sc_line lines[] = {{(uint32_t)sc_profile_add_function(p, &fi), 3, 0},
			   {(uint32_t)sc_profile_add_function(p, &fo), 4, 0}};
	uint32_t both = (uint32_t)sc_profile_add_location(p, m, 0x3000, lines, 2);
	add_stack(p, 4, 2, (uint32_t[]){raw, both});
	char *html = render(p, "t");
	char *names = between(html, "\"names\":[", "]");
	assert_string_equal(names, "\"prog+0x1345\",\"outer\",\"inl\"");
	char *tree = between(html, "\"tree\":[", "]");
	assert_string_equal(tree, "-1,4,3,0,4,2,1,4,1,2,4,0");
	free(names);
	free(tree);
	free(html);
	sc_profile_free(p);
}

/* Zero-valued stacks (e.g. of another sample type) are left out; an empty profile still gives
 * a page. */
static void test_empty(void **state)
{
	(void)state;
	uint32_t m;
	sc_profile *p = new_profile(&m);
	uint32_t f = fn_location(p, m, "f");
	uint32_t leaf[] = {f};
	assert_true(sc_profile_intern_stack(p, leaf, 1) > 0);
	char *html = render(p, "t");
	assert_non_null(strstr(html, "\"total\":0,"));
	char *tree = between(html, "\"tree\":[", "]");
	assert_string_equal(tree, "-1,0,0");
	free(tree);
	free(html);
	sc_flamegraph_options o = {.title = NULL, .type = 3};
	assert_int_equal(sc_flamegraph_write_html(p, &o, stdout), -EINVAL);
	sc_profile_free(p);
}

/* Components: each node carries the group most of its cost belongs to; totals per group. */
static void test_groups(void **state)
{
	(void)state;
	uint32_t m;
	sc_profile *p = new_profile(&m);
	uint32_t main_ = fn_location(p, m, "main"), a = fn_location(p, m, "a");
	uint32_t b = fn_location(p, m, "b"), c = fn_location(p, m, "c");
	add_stack(p, 30, 3, (uint32_t[]){main_, a, c});
	add_stack(p, 10, 3, (uint32_t[]){main_, b, c});
	add_stack(p, 20, 2, (uint32_t[]){main_, a});
	const char *specs[] = {"alpha=^a$", "beta=^b$"};
	sc_groups *g = NULL;
	assert_int_equal(sc_groups_new(specs, 2, &g, NULL), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	sc_flamegraph_options o = {.title = "t", .type = 0, .icicle = true, .groups = g};
	assert_int_equal(sc_flamegraph_write_html(p, &o, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(buf, "\"icicle\":true"));
	assert_non_null(strstr(buf, "\"groups\":[\"alpha\",\"beta\",\"other\"]"));
	/* alpha 50 (a and c under a), beta 10, other 0 */
	assert_non_null(strstr(buf, "\"group_totals\":[50,10,0]"));
	/* preorder: all, main, a, c, b, c */
	char *tree = between(buf, "\"tree\":[", "]");
	assert_string_equal(tree, "-1,60,5,0,60,4,1,50,1,2,30,0,3,10,1,2,10,0");
	char *grp = between(buf, "\"grp\":[", "]");
	assert_string_equal(grp, "0,0,0,0,1,1");
	free(tree);
	free(grp);
	free(buf);
	sc_groups_free(g);
	sc_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_embedded_tree), cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_no_network),	  cmocka_unit_test(test_unsymbolized_and_inline),
	    cmocka_unit_test(test_empty),	  cmocka_unit_test(test_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
