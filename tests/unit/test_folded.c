/*
 * test_folded.c: folded stacks ("main;work 12" per line): parsing (including the reuse of the
 * previous line's frames and every malformed-line diagnostic) and writing (merging, sorting,
 * sanitized names), and the round trip between them.
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
#include <time.h>

#include "alloc_torture.h"
#include "formats/folded.h"
#include "profile/profile.h"
#include "util/strbuf.h"

/* The stack of sample i as "outer;...;leaf". */
static const char *stack_text(const sc_profile *p, size_t i)
{
	static char buf[4096];
	sc_frame f[256];
	size_t nf = sc_profile_stack_frames(p, p->samples.data[i].stack, f, 256);
	assert_true(nf <= 256);
	size_t len = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < nf; k++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", k ? ";" : "",
					sc_profile_frame_name(p, &f[k]));
	return buf;
}

static sc_profile *parse_ok(const char *text)
{
	sc_profile *p = NULL;
	sc_diag d;
	sc_diag_clear(&d);
	int r = sc_folded_parse(text, strlen(text), &p, &d);
	if (r)
		print_message("parse failed: %d %s\n", r, d.message);
	assert_int_equal(r, 0);
	assert_non_null(p);
	return p;
}

static char *write_text(const sc_profile *p, int type)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	assert_int_equal(sc_folded_write(p, type, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_parse_basic(void **state)
{
	(void)state;
	sc_profile *p = parse_ok("main;a 300\nmain;b 100\n");
	assert_int_equal(p->nsample_types, 1);
	assert_string_equal(sc_profile_str(p, p->sample_types[0].type), "samples");
	assert_string_equal(sc_profile_str(p, p->sample_types[0].unit), "count");
	assert_int_equal(p->samples.len, 2);
	assert_string_equal(stack_text(p, 0), "main;a");
	assert_string_equal(stack_text(p, 1), "main;b");
	assert_int_equal(sc_profile_sample_values(p, 0)[0], 300);
	assert_int_equal(sc_profile_sample_values(p, 1)[0], 100);
	/* One function and one location per distinct name; "main" is shared. */
	assert_int_equal(p->functions.len, 3);
	assert_int_equal(p->locations.len, 3);
	assert_int_equal(p->nodes.len, 4); /* root, main, main;a, main;b */
	sc_profile_free(p);
}

static void test_parse_whitespace(void **state)
{
	(void)state;
	/* CRLF, blank and whitespace-only lines, tabs, a frame with spaces, no final newline. */
	sc_profile *p =
	    parse_ok("\r\nmain;do work 5\r\n\n   \nmain;x\t7  \r\n\nstd::map<int, int>::find 0\n"
		     "main;a 1");
	assert_int_equal(p->samples.len, 4);
	assert_string_equal(stack_text(p, 0), "main;do work");
	assert_int_equal(sc_profile_sample_values(p, 0)[0], 5);
	assert_string_equal(stack_text(p, 1), "main;x");
	assert_int_equal(sc_profile_sample_values(p, 1)[0], 7);
	assert_string_equal(stack_text(p, 2), "std::map<int, int>::find");
	assert_int_equal(sc_profile_sample_values(p, 2)[0], 0);
	assert_string_equal(stack_text(p, 3), "main;a");
	assert_int_equal(sc_profile_sample_values(p, 3)[0], 1);
	sc_profile_free(p);

	p = parse_ok("");
	assert_int_equal(p->samples.len, 0);
	sc_profile_free(p);
	p = parse_ok("\n\n\r\n");
	assert_int_equal(p->samples.len, 0);
	sc_profile_free(p);
}

/* Lines sharing a prefix with the line before reuse its nodes; the corner cases are frames that
 * only look shared ("a;b" then "a;bb", "a" then "ab"). */
static void test_parse_prefix_reuse(void **state)
{
	(void)state;
	const char *stacks[] = {"a;b;c", "a;b;d",  "a;bb;c", "a;b", "a;b;c;e", "a",
				"ab",	 "ab;b;c", "a;b;c",  "b;c", "a;;c",    "a;b;c;"};
	sc_strbuf sb = {0};
	for (size_t i = 0; i < sizeof(stacks) / sizeof(*stacks); i++)
		assert_int_equal(sc_strbuf_addf(&sb, "%s %zu\n", stacks[i], i + 1), 0);
	sc_profile *p = parse_ok(sc_strbuf_cstr(&sb));
	assert_int_equal(p->samples.len, sizeof(stacks) / sizeof(*stacks));
	for (size_t i = 0; i < p->samples.len; i++) {
		char want[64];
		snprintf(want, sizeof(want), "%s", stacks[i]);
		/* Empty frame names are read as "[unknown]". */
		if (strcmp(want, "a;;c") == 0)
			snprintf(want, sizeof(want), "a;[unknown];c");
		if (strcmp(want, "a;b;c;") == 0)
			snprintf(want, sizeof(want), "a;b;c;[unknown]");
		assert_string_equal(stack_text(p, i), want);
		assert_int_equal(sc_profile_sample_values(p, i)[0], (int64_t)i + 1);
	}
	/* Equal stacks are one node, whichever line came before. */
	assert_int_equal(p->samples.data[0].stack, p->samples.data[8].stack);
	/* Node count: a, a;b, a;b;c, a;b;d, a;bb, a;bb;c, a;b;c;e, ab, ab;b, ab;b;c, b, b;c,
	 * a;[unknown], a;[unknown];c, a;b;c;[unknown], plus the root. */
	assert_int_equal(p->nodes.len, 16);
	sc_strbuf_release(&sb);
	sc_profile_free(p);
}

static void expect_error(const char *text, int64_t line, int64_t column, const char *want)
{
	sc_profile *p = (sc_profile *)1;
	sc_diag d;
	sc_diag_clear(&d);
	int r = sc_folded_parse(text, strlen(text), &p, &d);
	if (r != -EINVAL || d.line != line || d.column != column || !strstr(d.message, want))
		print_message("got %d at %lld:%lld '%s'\n", r, (long long)d.line,
			      (long long)d.column, d.message);
	assert_int_equal(r, -EINVAL);
	assert_null(p);
	assert_int_equal(d.line, line);
	assert_int_equal(d.column, column);
	assert_non_null(strstr(d.message, want));
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_error("main;a\n", 1, 7, "expected a space and a count");
	expect_error("main;a 1\n\nmain;b\r\n", 3, 7, "expected a space and a count");
	expect_error("main;a 1\nmain;b 12x\n", 2, 8,
		     "the count '12x' is not a non-negative integer");
	expect_error("main;a -5\n", 1, 8, "'-5'");
	expect_error("main;a 1.5\n", 1, 8, "'1.5'");
	expect_error("main;a 99999999999999999999\n", 1, 8, "not a non-negative integer");
	expect_error("ok 1\n  42\n", 2, 1, "a count but no stack");
	/* The largest count that fits is accepted. */
	sc_profile *p = parse_ok("main 9223372036854775807\n");
	assert_int_equal(sc_profile_sample_values(p, 0)[0], INT64_MAX);
	sc_profile_free(p);
}

static uint32_t fn(sc_profile *p, const char *name)
{
	sc_function f = {.name = (sc_str)sc_profile_intern(p, name)};
	int64_t id = sc_profile_add_function(p, &f);
	assert_true(id > 0);
	return (uint32_t)id;
}

static void test_write(void **state)
{
	(void)state;
	sc_profile *p = sc_profile_new();
	assert_int_equal(sc_profile_add_sample_type(p, "samples", "count"), 0);
	assert_int_equal(sc_profile_add_sample_type(p, "cpu", "nanoseconds"), 1);
	sc_mapping m = {.start = 0x400000,
			.limit = 0x500000,
			.file = (sc_str)sc_profile_intern(p, "/usr/bin/app")};
	uint32_t mid = (uint32_t)sc_profile_add_mapping(p, &m);
	sc_line lmain = {fn(p, "main"), 1, 0};
	sc_line lw1 = {fn(p, "work"), 10, 0}, lw2 = {fn(p, "work"), 20, 0};
	sc_line linl[] = {{fn(p, "helper"), 5, 0}, {fn(p, "work"), 30, 0}};
	sc_line lodd = {fn(p, "operator;\nweird"), 0, 0};
	uint32_t loc_main = (uint32_t)sc_profile_add_location(p, mid, 0x401000, &lmain, 1);
	uint32_t loc_w1 = (uint32_t)sc_profile_add_location(p, mid, 0x402000, &lw1, 1);
	uint32_t loc_w2 = (uint32_t)sc_profile_add_location(p, mid, 0x402010, &lw2, 1);
	uint32_t loc_inl = (uint32_t)sc_profile_add_location(p, mid, 0x402020, linl, 2);
	uint32_t loc_odd = (uint32_t)sc_profile_add_location(p, mid, 0x403000, &lodd, 1);
	uint32_t loc_raw = (uint32_t)sc_profile_location_for_address(p, mid, 0x404abc);

	/* Two call sites of work (different locations, one folded stack): 3 + 4 samples. */
	uint32_t s1[] = {loc_w1, loc_main}, s2[] = {loc_w2, loc_main}, s3[] = {loc_inl, loc_main};
	uint32_t s4[] = {loc_odd, loc_main}, s5[] = {loc_raw}, s6[] = {loc_main};
	sc_stack_id k1 = (sc_stack_id)sc_profile_intern_stack(p, s1, 2);
	sc_stack_id k2 = (sc_stack_id)sc_profile_intern_stack(p, s2, 2);
	sc_stack_id k3 = (sc_stack_id)sc_profile_intern_stack(p, s3, 2);
	sc_stack_id k4 = (sc_stack_id)sc_profile_intern_stack(p, s4, 2);
	sc_stack_id k5 = (sc_stack_id)sc_profile_intern_stack(p, s5, 1);
	sc_stack_id k6 = (sc_stack_id)sc_profile_intern_stack(p, s6, 1);
	int64_t v[2] = {1, 100};
	for (int i = 0; i < 3; i++)
		assert_true(sc_profile_add_sample(p, k1, v, 0, 0, 0) >= 0);
	for (int i = 0; i < 4; i++)
		assert_true(sc_profile_add_sample(p, k2, v, 0, 0, 0) >= 0);
	assert_true(sc_profile_add_sample(p, k3, v, 0, 0, 0) >= 0);
	assert_true(sc_profile_add_sample(p, k4, v, 0, 0, 0) >= 0);
	int64_t v5[2] = {2, 0}, v6[2] = {0, 500};
	assert_true(sc_profile_add_sample(p, k5, v5, 0, 0, 0) >= 0);
	assert_true(sc_profile_add_sample(p, k6, v6, 0, 0, 0) >= 0);

	/* Sorted bytewise; the inline chain expanded outermost first; ';' and the newline in a
	 * name replaced; main alone has no samples (0), so it has no line for type 0. */
	char *out = write_text(p, 0);
	assert_string_equal(out, "app+0x4abc 2\n"
				 "main;operator: weird 1\n"
				 "main;work 7\n"
				 "main;work;helper 1\n");
	free(out);
	out = write_text(p, 1);
	assert_string_equal(out, "main 500\n"
				 "main;operator: weird 100\n"
				 "main;work 700\n"
				 "main;work;helper 100\n");
	free(out);

	/* What the writer wrote, the parser reads back to the same totals per stack. */
	out = write_text(p, 1);
	sc_profile *q = parse_ok(out);
	assert_int_equal(q->samples.len, 4);
	char *again = write_text(q, 0);
	assert_string_equal(again, out);
	free(again);
	free(out);
	sc_profile_free(q);

	FILE *f = fopen("/dev/null", "w");
	assert_non_null(f);
	assert_int_equal(sc_folded_write(p, 2, f), -EINVAL);
	assert_int_equal(sc_folded_write(p, -1, f), -EINVAL);
	fclose(f);
	sc_profile_free(p);
}

static void test_round_trip(void **state)
{
	(void)state;
	/* Sorted, distinct stacks: parsing and writing again gives the same bytes. */
	const char *text = "a;b;c 10\n"
			   "a;b;d 20\n"
			   "a;e 5\n"
			   "x 1\n"
			   "x;y;z 1234567890123\n";
	sc_profile *p = parse_ok(text);
	char *out = write_text(p, 0);
	assert_string_equal(out, text);
	free(out);
	sc_profile_free(p);

	/* Unsorted with duplicates: one line per stack, summed, sorted. */
	p = parse_ok("b 1\na;c 2\nb 3\na 4\n");
	out = write_text(p, 0);
	assert_string_equal(out, "a 4\na;c 2\nb 4\n");
	free(out);
	sc_profile_free(p);
}

/* Many lines from few distinct frames, the shape of real folded files. Prints the parse rate
 * (informational only: the test asserts contents, not time). */
static void test_parse_large(void **state)
{
	(void)state;
	enum { NLINES = 100000 };
	sc_strbuf sb = {0};
	uint64_t x = 7;
	int64_t want = 0;
	for (int i = 0; i < NLINES; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		int depth = 5 + (int)(x >> 60);
		uint64_t y = x;
		for (int k = 0; k < depth; k++) {
			y = y * 6364136223846793005ULL + 1442695040888963407ULL;
			int which = (int)((y >> 33) % (k < 3 ? 3 : 50));
			assert_int_equal(sc_strbuf_addf(&sb, "%sns::Module%d::function_%d",
							k ? ";" : "", k, which),
					 0);
		}
		int64_t c = (int64_t)(x % 1000);
		want += c;
		assert_int_equal(sc_strbuf_addf(&sb, " %lld\n", (long long)c), 0);
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sc_profile *p = NULL;
	sc_diag d;
	sc_diag_clear(&d);
	assert_int_equal(sc_folded_parse(sb.buf, sb.len, &p, &d), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("parsed %d lines (%zu bytes, %zu distinct frames) in %.1f ms\n", NLINES,
		      sb.len, p->functions.len, ms);
	assert_int_equal(p->samples.len, NLINES);
	int64_t tot;
	sc_profile_totals(p, &tot);
	assert_int_equal(tot, want);
	assert_true(p->functions.len <= 3 * 3 + 17 * 50);
	sc_strbuf_release(&sb);
	sc_profile_free(p);
}

/* Fails each allocation of parsing and of writing in turn: -ENOMEM, nothing leaked. */
static void test_allocation_failures(void **state)
{
	(void)state;
#if !ALLOC_TORTURE
	print_message("skipped: allocation failure injection does not run under ASan\n");
	skip();
#else
	const char *text = "main;a;b 1\nmain;a;c 2\nmain;d 3\nx;y 4\nmain;a;b 5\n";
	long i, failures = 0;
	sc_profile *keep = NULL;
	for (i = 0;; i++) {
		sc_profile *p = NULL;
		sc_diag d;
		sc_diag_clear(&d);
		long before = live_blocks;
		fail_countdown = i;
		int r = sc_folded_parse(text, strlen(text), &p, &d);
		bool injected = fail_countdown < 0;
		fail_countdown = -1;
		if (!injected) {
			assert_int_equal(r, 0);
			keep = p;
			break;
		}
		assert_int_equal(r, -ENOMEM);
		assert_null(p);
		assert_int_equal(live_blocks, before);
		failures++;
	}
	assert_true(failures > 5);
	FILE *f = fopen("/dev/null", "w");
	assert_non_null(f);
	static char iobuf[4096]; /* so that stdio allocates nothing while failures are injected */
	assert_int_equal(setvbuf(f, iobuf, _IOFBF, sizeof(iobuf)), 0);
	for (i = 0;; i++) {
		long before = live_blocks;
		fail_countdown = i;
		int r = sc_folded_write(keep, 0, f);
		bool injected = fail_countdown < 0;
		fail_countdown = -1;
		if (!injected) {
			assert_int_equal(r, 0);
			break;
		}
		assert_int_equal(r, -ENOMEM);
		assert_int_equal(live_blocks, before);
	}
	fclose(f);
	sc_profile_free(keep);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_basic),
	    cmocka_unit_test(test_parse_whitespace),
	    cmocka_unit_test(test_parse_prefix_reuse),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_write),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_parse_large),
	    cmocka_unit_test(test_allocation_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
