/*
 * test_top.c: sc_top, functions ranked by self and total cost, on hand-built profiles.
 *
 * The main profile (two sample types: samples/count = 1 and cpu/nanoseconds = 1 ms per sample):
 *
 *   main -> a -> c      x 30     self: c 40, a 20, r 5, main 0, b 0       (65 samples in all)
 *   main -> b -> c      x 10     total: main 65, a 50, c 40, b 10,
 *   main -> a           x 20            r 5 (not 15: recursion counts once per stack)
 *   main -> r -> r -> r x 5
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
#include "report/top.h"
#include "util/strbuf.h"

struct fixture {
	sc_profile *p;
	uint32_t mapping;
	uint64_t next_address;
};

/* A symbolized location of one function (its own line), in the fixture's mapping. */
static uint32_t fn_location(struct fixture *fx, const char *name, int64_t start_line)
{
	sc_function f = {(sc_str)sc_profile_intern(fx->p, name), 0,
			 (sc_str)sc_profile_intern(fx->p, "src/t.c"), start_line};
	int64_t id = sc_profile_add_function(fx->p, &f);
	assert_true(id > 0);
	sc_line l = {(uint32_t)id, start_line + 2, 0};
	int64_t loc = sc_profile_add_location(fx->p, fx->mapping, fx->next_address += 0x10, &l, 1);
	assert_true(loc > 0);
	return (uint32_t)loc;
}

/* Adds `count` samples of the stack given outermost first. */
static void add_stack(struct fixture *fx, int count, size_t n, const uint32_t *outer_first)
{
	uint32_t leaf_first[64];
	for (size_t i = 0; i < n; i++)
		leaf_first[i] = outer_first[n - 1 - i];
	int64_t id = sc_profile_intern_stack(fx->p, leaf_first, n);
	assert_true(id > 0);
	int64_t values[2] = {1, 1000000};
	for (int i = 0; i < count; i++)
		assert_true(sc_profile_add_sample(fx->p, (sc_stack_id)id, values, 1, 1, 0) >= 0);
}

static void fixture_init(struct fixture *fx)
{
	fx->p = sc_profile_new();
	assert_non_null(fx->p);
	assert_int_equal(sc_profile_add_sample_type(fx->p, "samples", "count"), 0);
	assert_int_equal(sc_profile_add_sample_type(fx->p, "cpu", "nanoseconds"), 1);
	sc_mapping m = {.start = 0x400000, .limit = 0x500000, .offset = 0};
	m.file = (sc_str)sc_profile_intern(fx->p, "/usr/bin/prog");
	fx->mapping = (uint32_t)sc_profile_add_mapping(fx->p, &m);
	fx->next_address = 0x401000;
}

static sc_profile *main_profile(void)
{
	struct fixture fx;
	fixture_init(&fx);
	uint32_t main_ = fn_location(&fx, "main", 10), a = fn_location(&fx, "a", 20);
	uint32_t b = fn_location(&fx, "b", 30), c = fn_location(&fx, "c", 40);
	uint32_t r = fn_location(&fx, "r", 50);
	add_stack(&fx, 30, 3, (uint32_t[]){main_, a, c});
	add_stack(&fx, 10, 3, (uint32_t[]){main_, b, c});
	add_stack(&fx, 20, 2, (uint32_t[]){main_, a});
	add_stack(&fx, 5, 4, (uint32_t[]){main_, r, r, r});
	return fx.p;
}

static const sc_top_entry *find(const sc_top *t, const char *name)
{
	for (size_t i = 0; i < t->len; i++)
		if (strcmp(t->entries[i].name, name) == 0)
			return &t->entries[i];
	return NULL;
}

static void test_self_and_total(void **state)
{
	(void)state;
	sc_profile *p = main_profile();
	sc_top t;
	assert_int_equal(sc_top_compute(p, 0, &t), 0);
	assert_int_equal(t.grand_total, 65);
	assert_int_equal(t.len, 5);
	struct {
		const char *name;
		int64_t self, total, line;
	} want[] = {
	    {"main", 0, 65, 10}, {"a", 20, 50, 20}, {"b", 0, 10, 30},
	    {"c", 40, 40, 40},	 {"r", 5, 5, 50},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const sc_top_entry *e = find(&t, want[i].name);
		assert_non_null(e);
		assert_int_equal(e->self, want[i].self);
		assert_int_equal(e->total, want[i].total);
		assert_int_equal(e->line, want[i].line);
		assert_string_equal(e->module, "prog");
		assert_string_equal(e->file, "src/t.c");
	}
	sc_top_release(&t);

	/* The second sample type: the same shape in nanoseconds. */
	assert_int_equal(sc_top_compute(p, 1, &t), 0);
	assert_int_equal(t.grand_total, 65 * 1000000LL);
	assert_int_equal(find(&t, "a")->total, 50 * 1000000LL);
	assert_int_equal(find(&t, "r")->total, 5 * 1000000LL);
	sc_top_release(&t);

	assert_int_equal(sc_top_compute(p, 2, &t), -EINVAL);
	sc_top_release(&t);
	sc_profile_free(p);
}

static void test_sorting(void **state)
{
	(void)state;
	sc_profile *p = main_profile();
	sc_top t;
	assert_int_equal(sc_top_compute(p, 0, &t), 0);
	/* by self desc; ties (main and b, both 0) by total desc */
	const char *by_self[] = {"c", "a", "r", "main", "b"};
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(t.entries[i].name, by_self[i]);
	sc_top_sort_total(&t);
	const char *by_total[] = {"main", "a", "c", "b", "r"};
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(t.entries[i].name, by_total[i]);
	sc_top_release(&t);
	sc_profile_free(p);
}

/* Equal self and total: the name decides. */
static void test_ties_by_name(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_init(&fx);
	uint32_t z = fn_location(&fx, "zeta", 1), al = fn_location(&fx, "alpha", 2);
	uint32_t mu = fn_location(&fx, "mu", 3);
	add_stack(&fx, 7, 1, (uint32_t[]){z});
	add_stack(&fx, 7, 1, (uint32_t[]){mu});
	add_stack(&fx, 7, 1, (uint32_t[]){al});
	sc_top t;
	assert_int_equal(sc_top_compute(fx.p, 0, &t), 0);
	assert_int_equal(t.len, 3);
	assert_string_equal(t.entries[0].name, "alpha");
	assert_string_equal(t.entries[1].name, "mu");
	assert_string_equal(t.entries[2].name, "zeta");
	sc_top_release(&t);
	sc_profile_free(fx.p);
}

/* Recursion through another function (r -> s -> r) and inline frames. */
static void test_recursion_and_inlines(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_init(&fx);
	uint32_t main_ = fn_location(&fx, "main", 1), r = fn_location(&fx, "r", 2);
	uint32_t s = fn_location(&fx, "s", 3);
	/* One address holding outer() with inl() inlined into it, and inl() inlined twice more
	 * (an inlined recursion): lines[0] is the innermost. */
	sc_function fo = {(sc_str)sc_profile_intern(fx.p, "outer"), 0, 0, 0};
	sc_function fi = {(sc_str)sc_profile_intern(fx.p, "inl"), 0, 0, 0};
	uint32_t outer = (uint32_t)sc_profile_add_function(fx.p, &fo);
	uint32_t inl = (uint32_t)sc_profile_add_function(fx.p, &fi);
	sc_line lines[] = {{inl, 7, 0}, {inl, 8, 0}, {outer, 9, 0}};
	uint32_t both = (uint32_t)sc_profile_add_location(fx.p, fx.mapping, 0x402000, lines, 3);
	add_stack(&fx, 4, 5, (uint32_t[]){main_, r, s, r, s});
	add_stack(&fx, 6, 2, (uint32_t[]){main_, both});
	sc_top t;
	assert_int_equal(sc_top_compute(fx.p, 0, &t), 0);
	assert_int_equal(t.grand_total, 10);
	assert_int_equal(find(&t, "r")->total, 4);
	assert_int_equal(find(&t, "r")->self, 0);
	assert_int_equal(find(&t, "s")->total, 4);
	assert_int_equal(find(&t, "s")->self, 4);
	assert_int_equal(find(&t, "inl")->self, 6);
	assert_int_equal(find(&t, "inl")->total, 6);
	assert_int_equal(find(&t, "outer")->self, 0);
	assert_int_equal(find(&t, "outer")->total, 6);
	/* No start line: the line of the heaviest occurrence (the outermost inl frame). */
	assert_int_equal(find(&t, "inl")->line, 8);
	assert_string_equal(find(&t, "inl")->file, "");
	assert_int_equal(find(&t, "main")->total, 10);
	sc_top_release(&t);
	sc_profile_free(fx.p);
}

static void test_unsymbolized_names(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_init(&fx);
	sc_mapping m = {.start = 0x7f0000000000, .limit = 0x7f0000100000, .offset = 0x2000};
	m.file = (sc_str)sc_profile_intern(fx.p, "/usr/lib/libfoo.so.1");
	uint32_t lib = (uint32_t)sc_profile_add_mapping(fx.p, &m);
	uint32_t main_ = fn_location(&fx, "main", 1);
	uint32_t raw = (uint32_t)sc_profile_location_for_address(fx.p, lib, 0x7f0000001234);
	uint32_t raw2 = (uint32_t)sc_profile_location_for_address(fx.p, lib, 0x7f0000005678);
	uint32_t nomap = (uint32_t)sc_profile_location_for_address(fx.p, 0, 0xdead);
	add_stack(&fx, 3, 3, (uint32_t[]){main_, raw, raw2});
	add_stack(&fx, 2, 2, (uint32_t[]){main_, nomap});
	sc_top t;
	assert_int_equal(sc_top_compute(fx.p, 0, &t), 0);
	/* module+0x(address - start + offset) */
	const sc_top_entry *e = find(&t, "libfoo.so.1+0x3234");
	assert_non_null(e);
	assert_string_equal(e->module, "libfoo.so.1");
	assert_int_equal(e->self, 0);
	assert_int_equal(e->total, 3);
	e = find(&t, "libfoo.so.1+0x7678");
	assert_non_null(e);
	assert_int_equal(e->self, 3);
	e = find(&t, "0xdead");
	assert_non_null(e);
	assert_string_equal(e->module, "?");
	assert_int_equal(e->self, 2);
	assert_string_equal(e->file, "");
	assert_int_equal(e->line, 0);
	sc_top_release(&t);
	sc_profile_free(fx.p);
}

/* Runs a print function into a memory buffer. */
static char *print_to_string(int (*fn)(const sc_profile *, const sc_top *, size_t, FILE *),
			     const sc_profile *p, const sc_top *t, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(fn(p, t, n, f), 0);
	fclose(f);
	return buf;
}

static void test_json(void **state)
{
	(void)state;
	sc_profile *p = main_profile();
	sc_top t;
	assert_int_equal(sc_top_compute(p, 0, &t), 0);
	char *s = print_to_string(sc_top_print_json, p, &t, 3);
	assert_non_null(
	    strstr(s, "{\"schema\":\"scorch.top\",\"version\":1,\"sample_type\":\"samples\","
		      "\"unit\":\"count\",\"total\":65,"));
	/* by_self starts with c; 40/65 = 61.538...% */
	const char *bs = strstr(s, "\"by_self\":[");
	const char *bt = strstr(s, "\"by_total\":[");
	assert_non_null(bs);
	assert_non_null(bt);
	assert_true(bs < bt);
	assert_non_null(
	    strstr(bs, "{\"name\":\"c\",\"module\":\"prog\",\"file\":\"src/t.c\",\"line\":40,"
		       "\"self\":40,\"self_pct\":61.54,\"total\":40,\"total_pct\":61.54}"));
	const char *first_total = strstr(bt, "{\"name\":\"");
	char name[32];
	long long total;
	double total_pct;
	assert_int_equal(sscanf(first_total, "{\"name\":\"%31[^\"]", name), 1);
	assert_string_equal(name, "main");
	assert_int_equal(sscanf(strstr(first_total, "\"total\":"),
				"\"total\":%lld,\"total_pct\":%lf", &total, &total_pct),
			 2);
	assert_int_equal(total, 65);
	assert_true(total_pct > 99.99 && total_pct < 100.01);
	/* n = 3 rows in each list */
	int rows = 0;
	for (const char *q = bs; q < bt; q++)
		rows += strncmp(q, "{\"name\"", 7) == 0;
	assert_int_equal(rows, 3);
	free(s);
	sc_top_release(&t);
	sc_profile_free(p);
}

static void test_json_escaping(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_init(&fx);
	uint32_t l = fn_location(&fx, "op\"<\\>\n", 1);
	add_stack(&fx, 1, 1, (uint32_t[]){l});
	sc_top t;
	assert_int_equal(sc_top_compute(fx.p, 0, &t), 0);
	char *s = print_to_string(sc_top_print_json, fx.p, &t, 10);
	assert_non_null(strstr(s, "\"name\":\"op\\\"\\u003c\\\\>\\n\""));
	free(s);
	sc_top_release(&t);
	sc_profile_free(fx.p);
}

/* Hostile names (issue 8, item 7): JSON stays valid UTF-8 (ill-formed bytes become U+FFFD, DEL
 * and C1 controls are escaped), text shows control characters and ill-formed bytes as \xNN and
 * sizes its columns by what it shows. */
static void test_hostile_names(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_init(&fx);
	uint32_t l = fn_location(&fx, "a\xff\x1b[31m\x7f\xc2\x9b\xed\xa0\x80\xc3\xa9", 1);
	add_stack(&fx, 1, 1, (uint32_t[]){l});
	sc_top t;
	assert_int_equal(sc_top_compute(fx.p, 0, &t), 0);
	char *s = print_to_string(sc_top_print_json, fx.p, &t, 10);
	assert_non_null(strstr(
	    s, "\"name\":\"a\\ufffd\\u001b[31m\\u007f\\u009b\\ufffd\\ufffd\\ufffd\xc3\xa9\""));
	free(s);
	s = print_to_string(sc_top_print_text, fx.p, &t, 10);
	assert_non_null(strstr(s, "  a\\xff\\x1b[31m\\x7f\\xc2\\x9b\\xed\\xa0\\x80\xc3\xa9"));
	assert_null(strchr(s, 0x1b));
	free(s);
	sc_top_release(&t);
	sc_profile_free(fx.p);

	sc_strbuf sb = {0};
	assert_int_equal(sc_strbuf_add_text(&sb, "x\ny\tz"), 0);
	assert_string_equal(sc_strbuf_cstr(&sb), "x\\x0ay\\x09z");
	assert_int_equal(sc_text_columns("x\ny\xc3\xa9"), 1 + 4 + 1 + 1);
	sc_strbuf_reset(&sb);
	assert_int_equal(sc_strbuf_add_html(&sb, "<\xf4\x90\x80\x80>"), 0);
	assert_string_equal(sc_strbuf_cstr(&sb),
			    "&lt;\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd&gt;");
	sc_strbuf_release(&sb);
	assert_int_equal(sc_utf8_len("\xf0\x9f\x94\xa5"), 4); /* U+1F525 */
	assert_int_equal(sc_utf8_len("\xc0\x80"), 0);	      /* overlong NUL */
	assert_int_equal(sc_utf8_len("\xe2\x82"), 0);	      /* truncated */
}

static void test_text(void **state)
{
	(void)state;
	sc_profile *p = main_profile();
	sc_top t;
	assert_int_equal(sc_top_compute(p, 0, &t), 0);
	char *s = print_to_string(sc_top_print_text, p, &t, 2);
	assert_non_null(strstr(s, "total: 65 samples (count), 5 functions\n"));
	const char *bs = strstr(s, "by self:\n");
	const char *bt = strstr(s, "by total:\n");
	assert_non_null(bs);
	assert_non_null(bt);
	assert_true(bs < bt);
	/* first row by self: c, then a; by total: main, then a; two rows each */
	const char *row = strchr(strchr(bs, '\n') + 1, '\n') + 1;
	assert_true(strncmp(row, " 61.54%   40   61.54%    40  c   ", 33) == 0);
	assert_null(strstr(bs, "  r  "));
	row = strchr(strchr(bt, '\n') + 1, '\n') + 1;
	assert_true(strncmp(row, "  0.00%    0  100.00%    65  main", 33) == 0);
	free(s);
	sc_top_release(&t);

	/* nanoseconds are scaled for reading */
	assert_int_equal(sc_top_compute(p, 1, &t), 0);
	s = print_to_string(sc_top_print_text, p, &t, 10);
	assert_non_null(strstr(s, "total: 65.0ms cpu (nanoseconds), 5 functions\n"));
	assert_non_null(strstr(s, " 61.54% 40.0ms   61.54% 40.0ms  c"));
	free(s);
	sc_top_release(&t);
	sc_profile_free(p);
}

/* Lines stay under 120 columns whatever the names; long names end in an ellipsis. */
static void test_text_truncates(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_init(&fx);
	char longname[400];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memcpy(longname, "std::vector<", 12);
	uint32_t a = fn_location(&fx, longname, 1), b = fn_location(&fx, "short", 2);
	add_stack(&fx, 3, 2, (uint32_t[]){b, a});
	sc_top t;
	assert_int_equal(sc_top_compute(fx.p, 0, &t), 0);
	char *s = print_to_string(sc_top_print_text, fx.p, &t, 10);
	int lines = 0;
	for (char *line = s, *end; *line; line = end + 1) {
		end = strchr(line, '\n');
		assert_non_null(end);
		size_t cols = 0;
		for (char *q = line; q < end; q++)
			cols += ((unsigned char)*q & 0xc0) != 0x80;
		assert_true(cols <= 120);
		lines++;
	}
	/* header, then blank+title+head+rows twice: "by self" leaves out the caller with no self */
	assert_int_equal(lines, 1 + (3 + 1) + (3 + 2));
	assert_non_null(strstr(s, "std::vector<xxx"));
	assert_non_null(strstr(s, "x\u2026  prog"));
	free(s);
	sc_top_release(&t);
	sc_profile_free(fx.p);
}

/* A wide, deep tree: many distinct stacks, checked against a brute-force count. */
static void test_many_stacks(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_init(&fx);
	enum { NFUNC = 40, NSTACK = 20000, DEPTH = 12 };
	uint32_t locs[NFUNC];
	for (int i = 0; i < NFUNC; i++) {
		char name[16];
		snprintf(name, sizeof(name), "f%02d", i);
		locs[i] = fn_location(&fx, name, i + 1);
	}
	int64_t want_total[NFUNC] = {0}, want_self[NFUNC] = {0};
	uint32_t seed = 12345;
	for (int s = 0; s < NSTACK; s++) {
		uint32_t st[DEPTH];
		int seen[NFUNC] = {0};
		int depth = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % DEPTH;
		for (int d = 0; d < depth; d++) {
			int f = (int)((seed = seed * 1103515245 + 12345) >> 16) % NFUNC;
			st[d] = locs[f];
			if (!seen[f]++)
				want_total[f]++;
			if (d == depth - 1)
				want_self[f]++;
		}
		add_stack(&fx, 1, (size_t)depth, st);
	}
	sc_top t;
	assert_int_equal(sc_top_compute(fx.p, 0, &t), 0);
	assert_int_equal(t.grand_total, NSTACK);
	for (int i = 0; i < NFUNC; i++) {
		char name[16];
		snprintf(name, sizeof(name), "f%02d", i);
		const sc_top_entry *e = find(&t, name);
		assert_non_null(e);
		assert_int_equal(e->self, want_self[i]);
		assert_int_equal(e->total, want_total[i]);
	}
	sc_top_release(&t);
	sc_profile_free(fx.p);
}

static void test_empty_profile(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_init(&fx);
	sc_top t;
	assert_int_equal(sc_top_compute(fx.p, 0, &t), 0);
	assert_int_equal(t.len, 0);
	assert_int_equal(t.grand_total, 0);
	char *s = print_to_string(sc_top_print_text, fx.p, &t, 10);
	assert_string_equal(s, "total: 0 samples (count), 0 functions\n");
	free(s);
	s = print_to_string(sc_top_print_json, fx.p, &t, 10);
	assert_non_null(
	    strstr(s, "\"total\":0,\"functions\":0,\n\"by_self\":[],\n\"by_total\":[]}"));
	free(s);
	sc_top_release(&t);
	sc_top_release(NULL);
	sc_profile_free(fx.p);
}

/* Values near 2^63 saturate instead of wrapping (issue 8, item 8): two samples of INT64_MAX once
 * made "total: -2 samples" (and UBSan stop in frames.c). main -> a, main -> b, each INT64_MAX. */
static void test_saturating_sums(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_init(&fx);
	uint32_t main_ = fn_location(&fx, "main", 10), a = fn_location(&fx, "a", 20);
	uint32_t b = fn_location(&fx, "b", 30);
	int64_t big[2] = {INT64_MAX, INT64_MAX};
	uint32_t sa[2] = {a, main_}, sb[2] = {b, main_};
	int64_t ia = sc_profile_intern_stack(fx.p, sa, 2),
		ib = sc_profile_intern_stack(fx.p, sb, 2);
	assert_true(sc_profile_add_sample(fx.p, (sc_stack_id)ia, big, 1, 1, 0) >= 0);
	assert_true(sc_profile_add_sample(fx.p, (sc_stack_id)ib, big, 1, 1, 0) >= 0);
	sc_top t;
	assert_int_equal(sc_top_compute(fx.p, 0, &t), 0);
	assert_int_equal(t.grand_total, INT64_MAX);
	assert_int_equal(find(&t, "main")->total, INT64_MAX);
	assert_int_equal(find(&t, "a")->self, INT64_MAX);
	int64_t totals[2];
	sc_profile_totals(fx.p, totals);
	assert_int_equal(totals[0], INT64_MAX);
	char *s = print_to_string(sc_top_print_text, fx.p, &t, 10);
	assert_non_null(strstr(s, "total: 9223372036854775807 samples (count), 3 functions\n"));
	assert_null(strstr(s, "-"));
	free(s);
	sc_top_release(&t);
	sc_profile_free(fx.p);
	assert_int_equal(sc_sat_add(INT64_MAX, 1), INT64_MAX);
	assert_int_equal(sc_sat_add(INT64_MIN, -1), INT64_MIN);
	assert_int_equal(sc_sat_add(-5, 3), -2);
}

/* Rows by source line and by address (sc_top_compute_by). f runs at two lines (0x401800: line
 * 105, 3 samples; 0x401900: line 107, 5 samples) and has g inlined at 0x401a00 (g:200 in f:108,
 * 2 samples); main calls all three. */
static const sc_top_entry *find_at(const sc_top *t, const char *name, int64_t line)
{
	for (size_t i = 0; i < t->len; i++)
		if (strcmp(t->entries[i].name, name) == 0 && t->entries[i].line == line)
			return &t->entries[i];
	return NULL;
}

static void test_key_modes(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_init(&fx);
	uint32_t main_ = fn_location(&fx, "main", 10);
	sc_str file = (sc_str)sc_profile_intern(fx.p, "src/f.c");
	sc_function ff = {(sc_str)sc_profile_intern(fx.p, "f"), 0, file, 100};
	sc_function gf = {(sc_str)sc_profile_intern(fx.p, "g"), 0, file, 199};
	uint32_t f = (uint32_t)sc_profile_add_function(fx.p, &ff);
	uint32_t g = (uint32_t)sc_profile_add_function(fx.p, &gf);
	sc_line l1 = {f, 105, 0}, l2 = {f, 107, 0}, l3[2] = {{g, 200, 0}, {f, 108, 0}};
	uint32_t a = (uint32_t)sc_profile_add_location(fx.p, fx.mapping, 0x401800, &l1, 1);
	uint32_t b = (uint32_t)sc_profile_add_location(fx.p, fx.mapping, 0x401900, &l2, 1);
	uint32_t c = (uint32_t)sc_profile_add_location(fx.p, fx.mapping, 0x401a00, l3, 2);
	add_stack(&fx, 3, 2, (uint32_t[]){main_, a});
	add_stack(&fx, 5, 2, (uint32_t[]){main_, b});
	add_stack(&fx, 2, 2, (uint32_t[]){main_, c});

	sc_top t;
	assert_int_equal(sc_top_compute(fx.p, 0, &t), 0);
	assert_int_equal(t.mode, SC_KEY_FUNCTION);
	assert_int_equal(find(&t, "f")->self, 8);
	assert_int_equal(find(&t, "f")->total, 10);
	assert_int_equal(find(&t, "f")->line, 100);
	sc_top_release(&t);

	assert_int_equal(sc_top_compute_by(fx.p, 0, SC_KEY_LINE, &t), 0);
	assert_int_equal(t.len, 5); /* f:105, f:107, f:108, g:200, main:12 */
	assert_int_equal(find_at(&t, "f", 107)->self, 5);
	assert_int_equal(find_at(&t, "f", 105)->self, 3);
	assert_int_equal(find_at(&t, "f", 108)->self, 0);
	assert_int_equal(find_at(&t, "f", 108)->total, 2);
	assert_int_equal(find_at(&t, "g", 200)->self, 2);
	assert_string_equal(find_at(&t, "g", 200)->file, "src/f.c");
	assert_string_equal(t.entries[0].name, "f");
	assert_int_equal(t.entries[0].line, 107);
	char *s = print_to_string(sc_top_print_text, fx.p, &t, 10);
	assert_non_null(strstr(s, "total: 10 samples (count), 5 lines\n"));
	assert_non_null(
	    strstr(s, " 50.00%    5   50.00%     5  f                prog    f.c:107\n"));
	free(s);
	sc_top_release(&t);

	assert_int_equal(sc_top_compute_by(fx.p, 0, SC_KEY_ADDRESS, &t), 0);
	assert_int_equal(t.len, 4); /* 0x1800, 0x1900, 0x1a00 (g in f: one row), main's */
	assert_int_equal(t.entries[0].address, 0x1900);
	assert_int_equal(t.entries[0].self, 5);
	const sc_top_entry *e = find_at(&t, "g", 200);
	assert_non_null(e);
	assert_int_equal(e->address, 0x1a00);
	assert_int_equal(e->self, 2);
	assert_int_equal(e->total, 2); /* the inline chain counts once */
	s = print_to_string(sc_top_print_json, fx.p, &t, 1);
	assert_non_null(strstr(s, "\"total\":10,\"by\":\"address\",\"rows\":4,"));
	assert_non_null(strstr(s, "{\"name\":\"f\",\"module\":\"prog\",\"file\":\"src/f.c\","
				  "\"line\":107,\"address\":\"0x1900\",\"self\":5,"));
	free(s);
	s = print_to_string(sc_top_print_text, fx.p, &t, 10);
	assert_non_null(
	    strstr(s, " 50.00%    5   50.00%     5  0x1900   f         prog    f.c:107\n"));
	free(s);
	sc_top_release(&t);
	sc_profile_free(fx.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_self_and_total),     cmocka_unit_test(test_sorting),
	    cmocka_unit_test(test_ties_by_name),       cmocka_unit_test(test_recursion_and_inlines),
	    cmocka_unit_test(test_unsymbolized_names), cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_escaping),      cmocka_unit_test(test_text),
	    cmocka_unit_test(test_text_truncates),     cmocka_unit_test(test_many_stacks),
	    cmocka_unit_test(test_empty_profile),      cmocka_unit_test(test_key_modes),
	    cmocka_unit_test(test_saturating_sums),    cmocka_unit_test(test_hostile_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
