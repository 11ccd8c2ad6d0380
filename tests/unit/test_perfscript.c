/*
 * test_perfscript.c: `perf script` text read into a profile. Known answers come from real
 * `perf record` outputs committed in tests/data/perfscript/ (hot with and without callchains,
 * threads with pid/tid, cpu and --ns times) and a hand-written file of the odd shapes (comm with
 * spaces, C++ symbols, "(deleted)" dsos, several events, tracepoint payloads). The counts below
 * were taken from the files with grep/awk when they were recorded. Also: every malformed-line
 * diagnostic, sniffing, and each allocation failed in turn.
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

#include "formats/folded.h"
#include "formats/perfscript.h"
#include "profile/profile.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include "alloc_torture.h"

static char *read_fixture(const char *name, size_t *n)
{
	char path[512];
	char *data = NULL;
	snprintf(path, sizeof(path), "%s/tests/data/perfscript/%s", SC_TEST_SRCDIR, name);
	assert_int_equal(sc_read_file(path, &data, n), 0);
	return data;
}

static sc_profile *parse_fixture(const char *name, unsigned flags)
{
	size_t n;
	char *data = read_fixture(name, &n);
	sc_profile *p = NULL;
	sc_diag d;
	sc_diag_clear(&d);
	int r = sc_perfscript_parse_flags(data, n, flags, &p, &d);
	if (r)
		fail_msg("%s: %d %s at %lld:%lld", name, r, d.message, (long long)d.line,
			 (long long)d.column);
	assert_true(sc_perfscript_sniff(data, n));
	free(data);
	return p;
}

/* Sum of sample type `type` over samples whose leaf function is `leaf` (NULL: all samples). */
static int64_t leaf_total(const sc_profile *p, int type, const char *leaf)
{
	int64_t sum = 0;
	for (size_t i = 0; i < p->samples.len; i++) {
		sc_frame f[64];
		size_t nf = sc_profile_stack_frames(p, p->samples.data[i].stack, f, 64);
		if (leaf &&
		    (!nf || strcmp(sc_profile_frame_name(p, &f[nf > 64 ? 63 : nf - 1]), leaf) != 0))
			continue;
		sum += sc_profile_sample_values(p, i)[type];
	}
	return sum;
}

/* The folded text of sample type `type` with root frames `root`, in a static buffer. */
static const char *folded_root(const sc_profile *p, int type, sc_folded_root root)
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	assert_int_equal(sc_folded_write_root(p, type, root, f), 0);
	fputc('\0', f);
	fclose(f);
	return buf;
}

/* The folded text of sample type `type` without root frames, in a static buffer. */
static const char *folded(const sc_profile *p, int type)
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	assert_int_equal(sc_folded_write_root(p, type, SC_FOLDED_ROOT_NONE, f), 0);
	fputc('\0', f);
	fclose(f);
	return buf;
}

static void test_hot_callchain(void **state)
{
	(void)state;
	sc_profile *p = parse_fixture("hot-callchain.txt", 0);
	assert_int_equal(p->nsample_types, 2);
	assert_string_equal(sc_profile_str(p, p->sample_types[0].type), "samples");
	assert_string_equal(sc_profile_str(p, p->sample_types[1].type), "cpu-clock");
	assert_string_equal(sc_profile_str(p, p->sample_types[1].unit), "nanoseconds");
	assert_string_equal(sc_profile_str(p, p->default_sample_type), "cpu-clock");
	/* 76 samples of 1001001 ns: hot_a 38, hot_b 23, hot_c 15, merged into 3 stacks. */
	assert_int_equal(p->samples.len, 3);
	assert_int_equal(leaf_total(p, 0, NULL), 76);
	assert_int_equal(leaf_total(p, 0, "hot_a"), 38);
	assert_int_equal(leaf_total(p, 0, "hot_b"), 23);
	assert_int_equal(leaf_total(p, 0, "hot_c"), 15);
	assert_int_equal(leaf_total(p, 1, NULL), 76 * 1001001LL);
	assert_string_equal(folded(p, 0), "__libc_start_call_main;hot_a 38\n"
					  "__libc_start_call_main;hot_b 23\n"
					  "__libc_start_call_main;hot_c 15\n");
	/* The header has only the tid: FlameGraph's --pid root says '?'. */
	assert_string_equal(folded_root(p, 0, SC_FOLDED_ROOT_PID),
			    "hot-?;__libc_start_call_main;hot_a 38\n"
			    "hot-?;__libc_start_call_main;hot_b 23\n"
			    "hot-?;__libc_start_call_main;hot_c 15\n");
	for (size_t i = 0; i < p->samples.len; i++) {
		assert_int_equal(p->samples.data[i].pid, 18291);
		assert_int_equal(p->samples.data[i].tid, 18291);
		assert_int_equal(p->samples.data[i].time_ns, 0);
	}
	/* Mappings are the dsos, for --modules. */
	assert_int_equal(p->mappings.len, 2);
	const sc_sample *s = &p->samples.data[0];
	uint32_t leaf = sc_profile_node(p, s->stack)->location;
	assert_string_equal(sc_profile_location_module(p, leaf), "hot");
	assert_true(sc_profile_location(p, leaf)->mapping);
	assert_true(sc_profile_mapping(p, sc_profile_location(p, leaf)->mapping)->symbolized);
	sc_profile_free(p);
}

static void test_times(void **state)
{
	(void)state;
	sc_profile *p = parse_fixture("hot-callchain.txt", SC_PERFSCRIPT_TIMES);
	assert_int_equal(p->samples.len, 76);
	/* first header: 2137.144500, last: 2137.273678 */
	assert_int_equal(p->samples.data[0].time_ns, 2137144500000ULL);
	assert_int_equal(p->samples.data[75].time_ns, 2137273678000ULL);
	for (size_t i = 1; i < p->samples.len; i++)
		assert_true(p->samples.data[i].time_ns >= p->samples.data[i - 1].time_ns);
	assert_int_equal(leaf_total(p, 0, "hot_c"), 15);
	sc_profile_free(p);
}

static void test_no_callchain(void **state)
{
	(void)state;
	sc_profile *p = parse_fixture("hot-nocallchain.txt", 0);
	/* 46 samples: hot_a 23, hot_b 14, hot_c 9; one frame each (the ip on the header) */
	assert_int_equal(leaf_total(p, 0, NULL), 46);
	assert_int_equal(leaf_total(p, 0, "hot_a"), 23);
	assert_int_equal(leaf_total(p, 0, "hot_b"), 14);
	assert_int_equal(leaf_total(p, 0, "hot_c"), 9);
	assert_string_equal(folded(p, 1), "hot_a 23023023\nhot_b 14014014\nhot_c 9009009\n");
	/* The header's ip is kept as the location's address. */
	uint32_t loc = sc_profile_node(p, p->samples.data[0].stack)->location;
	assert_int_equal(sc_profile_location(p, loc)->address, 0x555d77d19278ULL);
	sc_profile_free(p);
}

static void test_threads(void **state)
{
	(void)state;
	sc_profile *p = parse_fixture("threads-pid-tid-cpu-ns.txt", SC_PERFSCRIPT_TIMES);
	/* 133 samples of 2004008 ns, pid 18332, tids 18334..18337: 34, 32, 36, 31 */
	static const int expect[4] = {34, 32, 36, 31};
	int count[4] = {0};
	assert_int_equal(p->samples.len, 133);
	for (size_t i = 0; i < p->samples.len; i++) {
		const sc_sample *s = &p->samples.data[i];
		assert_int_equal(s->pid, 18332);
		assert_in_range(s->tid, 18334, 18337);
		count[s->tid - 18334]++;
		assert_int_equal(sc_profile_sample_values(p, i)[1], 2004008);
	}
	for (int t = 0; t < 4; t++)
		assert_int_equal(count[t], expect[t]);
	/* --ns: nine digits of fraction */
	assert_int_equal(p->samples.data[0].time_ns, 2139617315931ULL);
	sc_profile_free(p);
}

/* Finds the function named `name` and returns how many locations use it. */
static int locations_of(const sc_profile *p, const char *name, const char **module)
{
	int n = 0;
	for (uint32_t id = 1; id <= p->locations.len; id++) {
		const sc_location *l = sc_profile_location(p, id);
		const sc_line *lines = sc_profile_location_lines(p, l);
		if (l->nlines != 1)
			continue;
		const sc_function *fn = sc_profile_function(p, lines[0].function);
		if (strcmp(sc_profile_str(p, fn->name), name) == 0) {
			*module = sc_profile_location_module(p, id);
			n++;
		}
	}
	return n;
}

static void test_variants(void **state)
{
	(void)state;
	sc_profile *p = parse_fixture("variants.txt", 0);
	/* Types: one per event in order of appearance (modifiers dropped), and no "samples" type
	 * that would add different events up (issue 8 item 20). */
	assert_int_equal(p->nsample_types, 3);
	assert_string_equal(sc_profile_str(p, p->sample_types[0].type), "cpu-clock");
	assert_string_equal(sc_profile_str(p, p->sample_types[0].unit), "nanoseconds");
	assert_string_equal(sc_profile_str(p, p->sample_types[1].type), "page-faults");
	assert_string_equal(sc_profile_str(p, p->sample_types[1].unit), "count");
	assert_string_equal(sc_profile_str(p, p->sample_types[2].type), "sched:sched_switch");
	assert_string_equal(sc_profile_str(p, p->default_sample_type), "cpu-clock");
	/* Two cpu-clock samples of "Web Content 2" 100/101 at different offsets merge. */
	assert_int_equal(p->samples.len, 3);
	const char *module = NULL;
	/* Names as FlameGraph shows them: no argument list (the raw symbol is the system name). */
	assert_int_equal(
	    locations_of(p, "std::vector<int, std::allocator<int> >::push_back", &module), 1);
	assert_string_equal(module, "libxul.so");
	assert_int_equal(locations_of(p, "run", &module), 1);
	assert_string_equal(module, "app (deleted)");
	assert_int_equal(locations_of(p, "[unknown]", &module), 1);
	assert_string_equal(module, "?"); /* "([unknown])": no mapping */
	assert_int_equal(locations_of(p, "clear_page_erms", &module), 1);
	assert_string_equal(module, "[kernel]");
	int64_t totals[3];
	sc_profile_totals(p, totals);
	assert_int_equal(totals[0], 500000);
	assert_int_equal(totals[1], 1000);
	assert_int_equal(totals[2], 1); /* no period printed: 1 per sample */
	for (size_t i = 0; i < p->samples.len; i++) {
		const sc_sample *s = &p->samples.data[i];
		const int64_t *v = sc_profile_sample_values(p, i);
		if (v[1]) {
			assert_int_equal(s->pid, 100);
			assert_int_equal(s->tid, 102);
		} else if (v[0]) {
			assert_int_equal(v[0], 500000);
			assert_int_equal(s->tid, 101);
		} else {
			assert_int_equal(s->pid, 0);
			assert_int_equal(sc_profile_node(p, s->stack)->depth, 1);
		}
	}
	assert_string_equal(
	    folded(p, 0),
	    "[unknown];run;std::vector<int, std::allocator<int> >::push_back 500000\n");
	/* The process name is the root frame by default, as in FlameGraph (blanks as '_'). */
	assert_string_equal(folded_root(p, 0, SC_FOLDED_ROOT_COMM),
			    "Web_Content_2;[unknown];run;std::vector<int, std::allocator<int> "
			    ">::push_back 500000\n");
	assert_string_equal(folded_root(p, 1, SC_FOLDED_ROOT_TID),
			    "Web_Content_2-100/102;run;clear_page_erms 1000\n");
	sc_profile_free(p);
}

static void test_small_shapes(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		size_t samples; /* after merging */
		int64_t total;	/* of the last sample type */
		const char *folded;
	} cases[] = {
	    /* perf script -F ip,sym: callchains without headers */
	    {"\n\t 1 a\n\t 2 main\n\n\n\t 1 a\n\t 2 main\n\n", 1, 2, "main;a 2\n"},
	    /* -F comm,pid,period,event: the number before the event is the period */
	    {"x 7 300 cycles:\n\t1 f (/x)\n", 1, 300, "f 300\n"},
	    /* period without event: (events, count) */
	    {"x 7/8 1.0: 5\n\t1 f\n", 1, 5, "f 5\n"},
	    /* time without period; CRLF line ends; a header with no frames */
	    {"x 7 1.5: cpu-clock:\r\n\t1 f+0x1 (/x)\r\n\r\ny 9 2.0: cpu-clock:\n", 2, 2, "f 1\n"},
	    /* an address that is all digits after the event is a frame, not a period */
	    {"x 7 1.5: cpu-clock: 401136 main+0x6 (/bin/x)\n", 1, 1, "main 1\n"},
	    /* comments and blank lines only */
	    {"# header\n\n#\n", 0, 0, ""},
	    {"", 0, 0, ""},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		sc_profile *p = NULL;
		sc_diag d;
		sc_diag_clear(&d);
		int r = sc_perfscript_parse(cases[c].text, strlen(cases[c].text), &p, &d);
		if (r)
			fail_msg("case %zu: %d %s", c, r, d.message);
		assert_int_equal(p->samples.len, cases[c].samples);
		int t = (int)p->nsample_types - 1;
		int64_t totals[SC_MAX_SAMPLE_TYPES];
		sc_profile_totals(p, totals);
		assert_int_equal(totals[t], cases[c].total);
		assert_string_equal(folded(p, t), cases[c].folded);
		sc_profile_free(p);
	}
}

static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int64_t line, column;
		const char *message;
	} cases[] = {
	    {"main;a 12\n", 1, 1, "expected a sample header"},
	    {"x 1 1.0: cpu-clock:\n\tzz f (/x)\n", 2, 2, "expected a frame"},
	    {"x 1 1.0: cpu-clock:\n\t12345678901234567 f\n", 2, 18, "expected a frame"},
	    {"x 99999999999 1.0: cpu-clock:\n", 1, 3, "pid/tid is out of range"},
	    {"x 1/99999999999 [0] e:\n", 1, 3, "pid/tid is out of range"},
	    {"x 1 99999999999999999999.0: e:\n", 1, 5, "time is out of range"},
	    {"x 1 1.0000000001: e:\n", 1, 5, "time is out of range"},
	    {"x 1 1.0: 99999999999999999999 e:\n", 1, 10, "period is out of range"},
	    {"\n\nx 1 1.0: a:\nx 1 1.0: b:\nx 1 1.0: c:\nx 1 1.0: d:\nx 1 1.0: e:\nx 1 1.0: f:\n"
	     "x 1 1.0: g:\nx 1 1.0: h:\n",
	     10, 10, "more than 7 different events"},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		sc_profile *p = (sc_profile *)1;
		sc_diag d;
		sc_diag_clear(&d);
		sc_diag_set_file(&d, "in.txt");
		int r = sc_perfscript_parse(cases[c].text, strlen(cases[c].text), &p, &d);
		assert_int_equal(r, -EINVAL);
		assert_null(p);
		if (d.line != cases[c].line || d.column != cases[c].column ||
		    !strstr(d.message, cases[c].message))
			fail_msg("case %zu: got %lld:%lld %s", c, (long long)d.line,
				 (long long)d.column, d.message);
		char buf[1024];
		const char *msg = sc_diag_format(&d, buf, sizeof(buf));
		assert_true(strncmp(msg, "in.txt:", 7) == 0);
		assert_null(strchr(msg, '\n'));
	}
}

static void test_sniff(void **state)
{
	(void)state;
	static const char *const yes[] = {
	    "hot 1 1.0: 10 cpu-clock:\n\t 127b hot_a+0x2b (/x)\n",
	    "# comment\n\n   hot 1  1.0: 10 cpu-clock:   55bb60f0b278 hot_a (/x)\n",
	    "\n\t 127b hot_a\n",
	    /* A header ending with ':' is no folded line (it has no count), whatever follows. */
	    "hot 1 1.0: 10 cpu-clock:\nmain;a 1\n",
	    /* Issue 8 item 16: the first sample has no frames (perf script -F
	     * comm,tid,time,period,event), nor the next. */
	    "hot 1 1.0: 10 cpu-clock:\nhot 1 1.1: 10 cpu-clock:\n",
	    /* ... and headers that end with the period (-F comm,tid,time,period) */
	    "hot 1 1.0: 10\nhot 1 1.1: 10\n",
	    /* Item 19: frames indented with spaces after a header without time, and frames not
	     * indented at all. */
	    "node 31912 cpu-clock: \n            13a80b608e0a RegExp:[&<>] (/tmp/perf-7539.map)\n",
	    "java 19983 cycles:\nffffffff8103d0ca native_write_msr_safe ([kernel.kallsyms])\n",
	};
	static const char *const no[] = {
	    "main;a;b 12\nmain 3\n",
	    "hot 1 1.0: 10\nmain;a 1\n",
	    "main 1\nmain 2\n",
	    "x 1 y 3\n",
	    "\x1f\x8b\x08\x00",
	    "",
	    "\n\n",
	    "a: b\n",
	};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!sc_perfscript_sniff(yes[i], strlen(yes[i])))
			fail_msg("should sniff as perf script: %s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (sc_perfscript_sniff(no[i], strlen(no[i])))
			fail_msg("should not sniff as perf script: %s", no[i]);
}

static void test_stream(void **state)
{
	(void)state;
	/* 80 copies of hot-callchain.txt (1.2 MiB: lines cross the 1 MiB chunk boundary), the
	 * first 1000 bytes given as the already-read head. */
	size_t n;
	char *one = read_fixture("hot-callchain.txt", &n);
	size_t total = 80 * n;
	char *all = malloc(total);
	for (int i = 0; i < 80; i++)
		memcpy(all + i * n, one, n);
	FILE *f = fmemopen(all + 1000, total - 1000, "r");
	assert_non_null(f);
	sc_profile *p = NULL;
	assert_int_equal(sc_perfscript_read_stream(f, all, 1000, 0, &p, NULL), 0);
	fclose(f);
	assert_int_equal(p->samples.len, 3);
	assert_int_equal(leaf_total(p, 0, "hot_a"), 80 * 38);
	assert_int_equal(leaf_total(p, 0, "hot_b"), 80 * 23);
	assert_int_equal(leaf_total(p, 1, NULL), 80 * 76 * 1001001LL);
	sc_profile_free(p);

	/* An error's line number counts across chunks: a bad frame in the 60th copy. */
	char *bad = strstr(all + 59 * n, "\t            127b");
	assert_non_null(bad);
	bad[13] = 'z';
	int64_t line = 1;
	for (char *c = all; c < bad; c++)
		line += *c == '\n';
	f = fmemopen(all, total, "r");
	sc_diag d;
	sc_diag_clear(&d);
	assert_int_equal(sc_perfscript_read_stream(f, NULL, 0, 0, &p, &d), -EINVAL);
	assert_null(p);
	assert_int_equal(d.line, line);
	fclose(f);
	free(all);
	free(one);
}

/* Asserts that a and b are the same profile, id for id. */
static void assert_same_profile(const sc_profile *a, const sc_profile *b)
{
	assert_int_equal(a->strings.len, b->strings.len);
	for (size_t i = 0; i < a->strings.len; i++)
		assert_string_equal(a->strings.data[i], b->strings.data[i]);
	assert_int_equal(a->nsample_types, b->nsample_types);
	assert_memory_equal(a->sample_types, b->sample_types,
			    a->nsample_types * sizeof(a->sample_types[0]));
	assert_int_equal(a->default_sample_type, b->default_sample_type);
	assert_int_equal(a->mappings.len, b->mappings.len);
	assert_int_equal(a->functions.len, b->functions.len);
	assert_int_equal(a->locations.len, b->locations.len);
	for (size_t i = 0; i < a->locations.len; i++) {
		const sc_location *x = &a->locations.data[i], *y = &b->locations.data[i];
		assert_int_equal(x->mapping, y->mapping);
		assert_int_equal(x->address, y->address);
		assert_int_equal(x->first_line, y->first_line);
	}
	assert_int_equal(a->nodes.len, b->nodes.len);
	for (size_t i = 0; i < a->nodes.len; i++) {
		assert_int_equal(a->nodes.data[i].parent, b->nodes.data[i].parent);
		assert_int_equal(a->nodes.data[i].location, b->nodes.data[i].location);
	}
	assert_int_equal(a->samples.len, b->samples.len);
	for (size_t i = 0; i < a->samples.len; i++) {
		const sc_sample *x = &a->samples.data[i], *y = &b->samples.data[i];
		assert_int_equal(x->stack, y->stack);
		assert_int_equal(x->pid, y->pid);
		assert_int_equal(x->tid, y->tid);
		assert_int_equal(x->time_ns, y->time_ns);
		assert_memory_equal(sc_profile_sample_values(a, i), sc_profile_sample_values(b, i),
				    a->nsample_types * sizeof(int64_t));
	}
}

/* Reads text[0..n) from a regular file in 2, 3 and 7 parts of a few bytes at least, on as many
 * threads (perfscript_split.c), and asserts the result (r, and p or the diagnostic d) that one
 * parser gave. */
static void same_in_parts(const char *text, size_t n, unsigned flags, int r, const sc_profile *p,
			  const sc_diag *d)
{
	static const int threads[] = {2, 3, 7};
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		size_t nhead = n < 7 ? n : 7;
		sc_perfscript_stream_options o = {
		    .flags = flags, .threads = threads[i], .part_bytes = 8};
		sc_profile *s = NULL;
		sc_diag ds;
		sc_diag_clear(&ds);
		assert_int_equal(fseek(f, (long)nhead, SEEK_SET), 0);
		assert_int_equal(sc_perfscript_read_stream_opts(f, text, nhead, &o, &s, &ds), r);
		if (r == 0) {
			assert_same_profile(p, s);
		} else {
			assert_int_equal(d->line, ds.line);
			assert_int_equal(d->column, ds.column);
		}
		sc_profile_free(s);
	}
	fclose(f);
}

/* Parses text[0..n) with the caches and line by line (also as a stream), with and without
 * times, and asserts the same profile or the same error. Returns the cached parse's result. */
static int parse_both_ways(const char *text, size_t n)
{
	int first = 0;
	for (unsigned times = 0; times <= SC_PERFSCRIPT_TIMES; times += SC_PERFSCRIPT_TIMES) {
		sc_profile *p = NULL, *q = NULL, *s = NULL;
		sc_diag dp, dq, ds;
		sc_diag_clear(&dp);
		sc_diag_clear(&dq);
		sc_diag_clear(&ds);
		int rp = sc_perfscript_parse_flags(text, n, times, &p, &dp);
		int rq =
		    sc_perfscript_parse_flags(text, n, times | SC_PERFSCRIPT_LINE_BY_LINE, &q, &dq);
		FILE *f = fmemopen((void *)text, n ? n : 1, "r");
		assert_non_null(f);
		/* The first 7 bytes as the head: the rest cuts a line. */
		size_t nhead = n < 7 ? n : 7;
		if (n && fseek(f, (long)nhead, SEEK_SET) < 0)
			fail();
		int rs = n ? sc_perfscript_read_stream(f, text, nhead, times, &s, &ds)
			   : sc_perfscript_parse_flags(text, n, times, &s, &ds);
		fclose(f);
		assert_int_equal(rp, rq);
		assert_int_equal(rp, rs);
		same_in_parts(text, n, times, rp, p, &dp);
		if (rp == 0) {
			assert_same_profile(p, q);
			assert_same_profile(p, s);
		} else {
			assert_int_equal(dp.line, dq.line);
			assert_int_equal(dp.column, dq.column);
			assert_string_equal(dp.message, dq.message);
			assert_int_equal(dp.line, ds.line);
			assert_int_equal(dp.column, ds.column);
		}
		sc_profile_free(p);
		sc_profile_free(q);
		sc_profile_free(s);
		first = times ? first : rp;
	}
	return first;
}

static void test_caches_agree(void **state)
{
	(void)state;
	static const char *const fixtures[] = {"hot-callchain.txt", "hot-nocallchain.txt",
					       "threads-pid-tid-cpu-ns.txt", "variants.txt"};
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		size_t n;
		char *data = read_fixture(fixtures[i], &n);
		assert_int_equal(parse_both_ways(data, n), 0);
		free(data);
	}
	/* Shapes around the block and header caches, each repeated so the second copy hits. */
	static const struct {
		const char *text;
		int ok;
	} cases[] = {
	    /* the same block after headers differing in time (and its width), period, pid,
	     * event; then one address changed (a new block, the same stack) */
	    {"x 7 1.5: 10 cpu-clock:\n\t1 a (/x)\n\t2 main (/x)\n\n"
	     "x 7 1.6: 10 cpu-clock:\n\t1 a (/x)\n\t2 main (/x)\n\n"
	     "x 7 10.75: 10 cpu-clock:\n\t1 a (/x)\n\t2 main (/x)\n\n"
	     "x 7 10.8: 20 cpu-clock:\n\t1 a (/x)\n\t2 main (/x)\n\n"
	     "x 8 10.9: 20 cpu-clock:\n\t1 a (/x)\n\t2 main (/x)\n\n"
	     "x 8 11.0: 20 page-faults:\n\t1 a (/x)\n\t2 main (/x)\n\n"
	     "x 8 11.1: 20 page-faults:\n\t3 a+0x2 (/x)\n\t2 main (/x)\n\n",
	     1},
	    /* blocks ended by the next header (no blank line), CRLF, at the end without '\n' */
	    {"x 7 1.5: e:\r\n\t1 a (/x)\r\n\t2 main (/x)\r\nx 7 1.6: e:\r\n\t1 a (/x)\r\n"
	     "\t2 main (/x)\r\n\r\nx 7 1.7: e:\n\t1 a (/x)\n\t2 main (/x)\nx 7 1.8: e:\n"
	     "\t1 a (/x)\n\t2 main (/x)",
	     1},
	    /* a tab-indented blank line inside the callchain ends the sample; the frames after it
	     * are a sample without header */
	    {"x 7 1.5: e:\n\t1 a\n\t\n\t2 main\n\nx 7 1.6: e:\n\t1 a\n\t\n\t2 main\n\n", 1},
	    /* a space-indented frame line continues the tab-indented callchain */
	    {"x 7 1.5: e:\n\t1 a\n    2 main\n\nx 7 1.6: e:\n\t1 a\n    2 main\n\n", 1},
	    /* a frame on the header line, then a callchain (which wins) */
	    {"x 7 1.5: e: 5 f (/x)\n\t1 a\n\nx 7 1.6: e: 5 f (/x)\n\t1 a\n\n"
	     "x 7 1.7: e: 5 f (/x)\n\n",
	     1},
	    /* a time out of range in a header that is the last one but for its time */
	    {"x 7 1.5: e:\n\t1 a\n\nx 7 1.0000000001: e:\n\t1 a\n\n", 0},
	    /* "1.x:" is neither a time nor an event (events start with a letter): the header
	     * that is the last one but for its time token is an error, with or without caches */
	    {"x 7 1.5: e:\n\t1 a\n\nx 7 1.x: e:\n\t1 a\n\n", 0},
	    /* a bad frame in a block like a cached one */
	    {"x 7 1.5: e:\n\t1 a\n\t2 b\n\nx 7 1.6: e:\n\t1 a\n\tz b\n\n", 0},
	    /* headers without time are parsed in full */
	    {"x 7 [001] e:\n\t1 a\n\nx 7 [001] e:\n\t1 a\n\nx 7 [002] e:\n\t1 a\n\n", 1},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		int r = parse_both_ways(cases[c].text, strlen(cases[c].text));
		if ((r == 0) != cases[c].ok)
			fail_msg("case %zu: %d", c, r);
	}
}

/* Appends n samples of pid 42 to `text`, sample i with callchain block i + first: a leaf whose
 * address makes the block distinct, above it one of three functions named by `pad` bytes. */
static void add_samples(sc_strbuf *text, int first, int n, int pad, int repeat)
{
	for (int i = first; i < first + n; i++)
		for (int k = 0; k < repeat; k++)
			assert_int_equal(sc_strbuf_addf(text,
							"prog 42 1.%06d: 1000 cpu-clock:\n"
							"\t%16x leaf+0x1 (/usr/lib/libleaf.so)\n"
							"\t%16x caller_%d_%0*d (/usr/bin/prog)\n\n",
							i % 1000000, 0x1000 + i, 0x2000, i % 3, pad,
							0),
					 0);
}

/* More distinct callchain text than the block cache holds, so it starts over: first with blocks
 * seen twice each (worth keeping), then with blocks seen once (then it is set aside for a while,
 * and comes back for blocks seen many times). Every sample still counts, in the same profile as
 * line by line. */
static void test_block_cache_full(void **state)
{
	(void)state;
	enum { DISTINCT = 10000, PAD = 2000, MANY = 60000 };
	sc_strbuf text = {0};
	add_samples(&text, 0, DISTINCT, PAD, 2);
	add_samples(&text, DISTINCT, DISTINCT, PAD, 1);
	for (int i = 0; i < MANY; i++)
		add_samples(&text, i % 6, 1, 10, 1);
	sc_profile *p = NULL, *q = NULL;
	assert_int_equal(
	    sc_perfscript_parse_flags(text.buf, text.len, SC_PERFSCRIPT_SMALL_CACHE, &p, NULL), 0);
	assert_int_equal(
	    sc_perfscript_parse_flags(text.buf, text.len, SC_PERFSCRIPT_LINE_BY_LINE, &q, NULL), 0);
	assert_same_profile(p, q);
	/* leaf under caller_{0,1,2}_ with 2000 digits, and with 10 */
	assert_int_equal(p->samples.len, 6);
	assert_int_equal(leaf_total(p, 0, NULL), 3 * DISTINCT + MANY);
	assert_int_equal(leaf_total(p, 1, NULL), (3 * DISTINCT + MANY) * 1000LL);
	sc_profile_free(p);
	sc_profile_free(q);
	sc_strbuf_release(&text);
}

static void test_alloc_failures(void **state)
{
	(void)state;
#if ALLOC_TORTURE
	size_t n;
	char *data = read_fixture("variants.txt", &n);
	int failures = 0;
	for (long i = 0;; i++) {
		sc_profile *p = NULL;
		long before = live_blocks;
		fail_countdown = i;
		int r =
		    sc_perfscript_parse_flags(data, n, i % 2 ? SC_PERFSCRIPT_TIMES : 0, &p, NULL);
		bool injected = fail_countdown < 0;
		fail_countdown = -1;
		if (r == 0) {
			sc_profile_free(p);
			assert_int_equal(live_blocks, before);
			if (!injected)
				break;
			continue;
		}
		assert_int_equal(r, -ENOMEM);
		assert_null(p);
		assert_int_equal(live_blocks, before);
		failures++;
	}
	assert_true(failures > 20);
	free(data);
#else
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hot_callchain),    cmocka_unit_test(test_times),
	    cmocka_unit_test(test_no_callchain),     cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_variants),	     cmocka_unit_test(test_small_shapes),
	    cmocka_unit_test(test_errors),	     cmocka_unit_test(test_sniff),
	    cmocka_unit_test(test_stream),	     cmocka_unit_test(test_caches_agree),
	    cmocka_unit_test(test_block_cache_full), cmocka_unit_test(test_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
