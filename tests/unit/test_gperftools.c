/*
 * test_gperftools.c: the gperftools CPU profile reader (issue 8, item 22) on profiles built here
 * word by word: both word sizes and byte orders, the sample values, return addresses minus 1,
 * the signal handler's frame dropped as pprof drops it, addresses mapped by the maps text,
 * malformed input (-EINVAL and a message with the byte offset) and allocation failures.
 * tests/cli/gperftools.sh reads a profile libprofiler wrote.
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

#include "alloc_torture.h"
#include "formats/gperftools.h"
#include "profile/profile.h"

/* A profile being built: words of `word` bytes in the chosen byte order, then text. */
struct buf {
	uint8_t data[4096];
	size_t n, word;
	bool big;
};

static void put(struct buf *b, uint64_t v)
{
	for (size_t i = 0; i < b->word; i++) {
		size_t shift = 8 * (b->big ? b->word - 1 - i : i);
		b->data[b->n++] = (uint8_t)(v >> shift);
	}
}

static void header(struct buf *b, size_t word, bool big, uint64_t version, uint64_t period)
{
	b->n = 0;
	b->word = word;
	b->big = big;
	put(b, 0);
	put(b, 3);
	put(b, version);
	put(b, period);
	put(b, 0);
}

static void record(struct buf *b, uint64_t count, size_t depth, const uint64_t *pcs)
{
	put(b, count);
	put(b, depth);
	for (size_t i = 0; i < depth; i++)
		put(b, pcs[i]);
}

static void trailer(struct buf *b, const char *maps)
{
	put(b, 0);
	put(b, 1);
	put(b, 0);
	memcpy(b->data + b->n, maps, strlen(maps));
	b->n += strlen(maps);
}

static const char maps[] = "00400000-00401000 r-xp 00000000 08:01 11 /bin/prog\n"
			   "00600000-00601000 rw-p 00000000 08:01 11 /bin/prog\n"
			   "b7000000-b7100000 r-xp 00020000 08:01 22 /lib/libc.so.6\n"
			   "not a maps line\n";

/* A profile of three records: main -> work (40 samples), main -> rest (2), libc (1). */
static void build(struct buf *b, size_t word, bool big)
{
	header(b, word, big, 0, 10000); /* 10 ms */
	record(b, 40, 2, (const uint64_t[]){0x400100, 0x400201});
	record(b, 2, 2, (const uint64_t[]){0x400150, 0x400201});
	record(b, 1, 1, (const uint64_t[]){0xb7000040});
	trailer(b, maps);
}

static void check_profile(const sc_profile *p)
{
	assert_int_equal(p->nsample_types, 2);
	assert_string_equal(sc_profile_str(p, p->sample_types[0].type), "samples");
	assert_string_equal(sc_profile_str(p, p->sample_types[1].type), "cpu");
	assert_string_equal(sc_profile_str(p, p->sample_types[1].unit), "nanoseconds");
	assert_string_equal(sc_profile_str(p, p->default_sample_type), "cpu");
	assert_int_equal(p->period, 10000000);
	int64_t totals[2];
	sc_profile_totals(p, totals);
	assert_int_equal(totals[0], 43);
	assert_int_equal(totals[1], 430000000);
	/* Two executable mappings; "rw-p" and the junk line are skipped. */
	assert_int_equal(p->mappings.len, 2);
	/* The first sample: leaf 0x400100 as is, caller 0x400201 - 1, both in /bin/prog. */
	const sc_sample *s = &p->samples.data[0];
	const sc_stack_node *leaf = sc_profile_node(p, s->stack);
	const sc_location *l = sc_profile_location(p, leaf->location);
	assert_int_equal(l->address, 0x400100);
	assert_string_equal(sc_profile_location_module(p, leaf->location), "prog");
	const sc_location *caller =
	    sc_profile_location(p, sc_profile_node(p, leaf->parent)->location);
	assert_int_equal(caller->address, 0x400200);
	/* The libc sample's location is in libc's mapping. */
	const sc_stack_node *lc = sc_profile_node(p, p->samples.data[2].stack);
	assert_string_equal(sc_profile_location_module(p, lc->location), "libc.so.6");
	assert_int_equal(sc_profile_mapping(p, l->mapping)->start, 0x400000);
}

static void test_word_sizes_and_orders(void **state)
{
	(void)state;
	static const struct {
		size_t word;
		bool big;
	} ways[] = {{8, false}, {8, true}, {4, false}, {4, true}};
	for (size_t i = 0; i < 4; i++) {
		struct buf b;
		build(&b, ways[i].word, ways[i].big);
		assert_true(sc_gperftools_sniff(b.data, b.n));
		sc_profile *p = NULL;
		sc_diag d;
		sc_diag_clear(&d);
		assert_int_equal(sc_gperftools_parse(b.data, b.n, &p, &d), 0);
		check_profile(p);
		sc_profile_free(p);
	}
}

static void test_handler_frame_dropped(void **state)
{
	(void)state;
	/* 40 samples whose second frame is the same (the signal trampoline) are read without it
	 * (then their callers differ: nothing more goes); a second frame shared by fewer is the
	 * program's and stays. */
	struct buf b;
	header(&b, 8, false, 0, 1000);
	for (int i = 0; i < 40; i++)
		record(&b, 1, 3,
		       (const uint64_t[]){0x400100 + (uint64_t)i, 0xb7000011,
					  0x400301 + 0x100 * (uint64_t)(i % 2)});
	trailer(&b, maps);
	sc_profile *p = NULL;
	assert_int_equal(sc_gperftools_parse(b.data, b.n, &p, NULL), 0);
	for (size_t i = 0; i < p->samples.len; i++)
		assert_int_equal(sc_profile_node(p, p->samples.data[i].stack)->depth, 2);
	sc_profile_free(p);

	header(&b, 8, false, 0, 1000);
	for (int i = 0; i < 4; i++)
		record(&b, 1, 3,
		       (const uint64_t[]){0x400100, 0x400201 + (uint64_t)(i % 2), 0x400301});
	trailer(&b, maps);
	assert_int_equal(sc_gperftools_parse(b.data, b.n, &p, NULL), 0);
	for (size_t i = 0; i < p->samples.len; i++)
		assert_int_equal(sc_profile_node(p, p->samples.data[i].stack)->depth, 3);
	sc_profile_free(p);
}

static void test_java_variant(void **state)
{
	(void)state;
	/* Version 1: method ids, named after the trailer; ids as they are (no minus 1). */
	struct buf b;
	header(&b, 4, false, 1, 10000);
	record(&b, 3, 2, (const uint64_t[]){0x6, 0x12});
	record(&b, 2, 1, (const uint64_t[]){0x5});
	trailer(&b, "--- symbol ---\n 0x00000005 VM\n 0x0000006 com.example.work (Work.java:42)\n"
		    " 0x0000012 com.example.main (Main.java:7)\n 0x0000099 unused (X.java:1)\n");
	assert_true(sc_gperftools_sniff(b.data, b.n));
	sc_profile *p = NULL;
	assert_int_equal(sc_gperftools_parse(b.data, b.n, &p, NULL), 0);
	assert_int_equal(p->samples.len, 2);
	assert_int_equal(p->mappings.len, 0);
	const sc_stack_node *leaf = sc_profile_node(p, p->samples.data[0].stack);
	const sc_location *l = sc_profile_location(p, leaf->location);
	assert_int_equal(l->nlines, 1);
	const sc_line *line = sc_profile_location_lines(p, l);
	const sc_function *f = sc_profile_function(p, line->function);
	assert_string_equal(sc_profile_str(p, f->name), "com.example.work");
	assert_string_equal(sc_profile_str(p, f->filename), "Work.java");
	assert_int_equal(line->line, 42);
	const sc_location *caller =
	    sc_profile_location(p, sc_profile_node(p, leaf->parent)->location);
	f = sc_profile_function(p, sc_profile_location_lines(p, caller)->function);
	assert_string_equal(sc_profile_str(p, f->name), "com.example.main");
	const sc_location *vm =
	    sc_profile_location(p, sc_profile_node(p, p->samples.data[1].stack)->location);
	f = sc_profile_function(p, sc_profile_location_lines(p, vm)->function);
	assert_string_equal(sc_profile_str(p, f->name), "VM");
	int64_t totals[2];
	sc_profile_totals(p, totals);
	assert_int_equal(totals[1], 50000000);
	sc_profile_free(p);
}

static void test_no_trailer(void **state)
{
	(void)state;
	/* A profile cut after its last record (no trailer, no maps): read, addresses unmapped. */
	struct buf b;
	header(&b, 8, false, 0, 1000);
	record(&b, 5, 1, (const uint64_t[]){0x400100});
	sc_profile *p = NULL;
	assert_int_equal(sc_gperftools_parse(b.data, b.n, &p, NULL), 0);
	assert_int_equal(p->samples.len, 1);
	assert_int_equal(p->mappings.len, 0);
	sc_profile_free(p);
}

static void test_malformed(void **state)
{
	(void)state;
	struct buf b;
	sc_profile *p = (sc_profile *)1;
	sc_diag d;

	/* A record whose depth runs past the end. */
	header(&b, 8, false, 0, 1000);
	record(&b, 1, 1, (const uint64_t[]){0x400100});
	put(&b, 1);
	put(&b, 1000);
	sc_diag_clear(&d);
	assert_int_equal(sc_gperftools_parse(b.data, b.n, &p, &d), -EINVAL);
	assert_null(p);
	assert_int_equal(d.offset, 5 * 8 + 3 * 8);
	assert_non_null(strstr(d.message, "truncated record"));

	/* Not a header: a zero period, or text. */
	header(&b, 8, false, 0, 0);
	assert_false(sc_gperftools_sniff(b.data, b.n));
	assert_int_equal(sc_gperftools_parse(b.data, b.n, &p, &d), -EINVAL);
	assert_false(sc_gperftools_sniff("main;a 1\n", 9));
	assert_false(sc_gperftools_sniff(b.data, 16));

	/* A count above INT64_MAX. */
	header(&b, 8, false, 0, 1000);
	record(&b, UINT64_MAX, 1, (const uint64_t[]){0x400100});
	sc_diag_clear(&d);
	assert_int_equal(sc_gperftools_parse(b.data, b.n, &p, &d), -EINVAL);
	assert_non_null(strstr(d.message, "out of range"));
}

static void test_allocation_failures(void **state)
{
	(void)state;
#if ALLOC_TORTURE
	struct buf b;
	build(&b, 8, false);
	for (long i = 0;; i++) {
		long before = live_blocks;
		sc_profile *p = NULL;
		fail_countdown = i;
		int r = sc_gperftools_parse(b.data, b.n, &p, NULL);
		bool injected = fail_countdown < 0;
		fail_countdown = -1;
		if (!injected) {
			assert_int_equal(r, 0);
			sc_profile_free(p);
			assert_int_equal(live_blocks, before);
			break;
		}
		assert_int_equal(r, -ENOMEM);
		assert_null(p);
		assert_int_equal(live_blocks, before);
	}
#else
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_word_sizes_and_orders),
	    cmocka_unit_test(test_handler_frame_dropped),
	    cmocka_unit_test(test_java_variant),
	    cmocka_unit_test(test_no_trailer),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_allocation_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
