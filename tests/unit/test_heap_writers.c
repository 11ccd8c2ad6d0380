/*
 * test_heap_writers.c: every file `scorch heap` writes, read back by an independent reader:
 *   heap.pb.gz, peak.pb.gz   src/formats/pprof.h's reader: sample types, totals, per-stack values
 *   heap.json                tests/unit/test_heap_check.py heapjson (skips without python3)
 *   dhat.json                valgrind's own dh_view.js under node through test_heap_dhview.js
 *                            (skips without node or dh_view.js)
 *   alloc/leaks/peak.html    the flamegraph's embedded total
 *   timeline.svg             test_heap_check.py svg (well-formed, the peak labelled)
 *
 * The events are test_heap.c's main scenario (see there): 610 bytes in 6 blocks, the peak 400
 * bytes in 4 blocks at 5 us (A 200/2, B 150/1, C 50/1), leaks A 100/1 and C 60/2.
 * Stacks, outermost first: A = main;a   B = main;b   C = main;a;c
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

#include "formats/pprof.h"
#include "heap/heap.h"

#ifndef DH_VIEW_JS
#define DH_VIEW_JS "/usr/libexec/valgrind/dh_view.js"
#endif

struct fixture {
	sc_profile *p;
	sc_stack_id A, B, C;
	uint32_t mapping, loc_a;
	sc_heap *h;
};

static uint32_t fn_loc(struct fixture *x, const char *name, uint64_t addr, int64_t line)
{
	sc_profile *p = x->p;
	char file[64];
	snprintf(file, sizeof(file), "%s.c", name);
	sc_function f = {.name = (sc_str)sc_profile_intern(p, name),
			 .filename = (sc_str)sc_profile_intern(p, file)};
	sc_line l = {.function = (uint32_t)sc_profile_add_function(p, &f), .line = line};
	int64_t id = sc_profile_add_location(p, x->mapping, addr, &l, 1);
	assert_true(id > 0);
	return (uint32_t)id;
}

static void alloc(sc_heap *h, uint64_t t, uint64_t addr, uint64_t size, sc_stack_id s)
{
	sc_heap_event e = {
	    .time = t, .tid = 1, .kind = SC_HEAP_ALLOC, .addr = addr, .size = size, .stack = s};
	assert_int_equal(sc_heap_add(h, &e), 0);
}

static void dealloc(sc_heap *h, uint64_t t, uint64_t addr)
{
	sc_heap_event e = {.time = t, .tid = 1, .kind = SC_HEAP_FREE, .addr = addr};
	assert_int_equal(sc_heap_add(h, &e), 0);
}

#define US 1000ULL

static void scenario(struct fixture *x, bool exited)
{
	sc_heap *h = x->h;
	alloc(h, 1000 + 1 * US, 0x10, 100, x->A);
	alloc(h, 1000 + 2 * US, 0x20, 200, x->B);
	alloc(h, 1000 + 3 * US, 0x30, 50, x->C);
	dealloc(h, 1000 + 4 * US, 0x20);
	alloc(h, 1000 + 5 * US, 0x40, 100, x->A);
	alloc(h, 1000 + 6 * US, 0x50, 150, x->B);
	dealloc(h, 1000 + 7 * US, 0x10);
	dealloc(h, 1000 + 8 * US, 0x50);
	alloc(h, 1000 + 9 * US, 0x60, 10, x->C);
	assert_int_equal(sc_heap_rss(h, 1000 + 5 * US, 8192), 0);
	assert_int_equal(sc_heap_finish(h, 1000 + 10 * US, exited), 0);
}

static int setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));
	x->p = sc_profile_new();
	sc_mapping m = {.start = 0x400000, .limit = 0x500000};
	m.file = (sc_str)sc_profile_intern(x->p, "/opt/app/prog");
	x->mapping = (uint32_t)sc_profile_add_mapping(x->p, &m);
	uint32_t mn = fn_loc(x, "main", 0x401000, 10), a = fn_loc(x, "a", 0x402000, 20),
		 b = fn_loc(x, "b", 0x403000, 30), c = fn_loc(x, "c", 0x404000, 40);
	x->loc_a = a;
	uint32_t sa[] = {a, mn}, sb[] = {b, mn}, sc[] = {c, a, mn};
	x->A = (sc_stack_id)sc_profile_intern_stack(x->p, sa, 2);
	x->B = (sc_stack_id)sc_profile_intern_stack(x->p, sb, 2);
	x->C = (sc_stack_id)sc_profile_intern_stack(x->p, sc, 3);
	x->h = sc_heap_new(x->p, 4242);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *x = *state;
	sc_heap_free(x->h);
	sc_profile_free(x->p);
	free(x);
	return 0;
}

/* Writes with `call` (using `FILE *f`) into a temporary file; returns its malloc'd path. */
#define write_tmp(call)                                                                            \
	({                                                                                         \
		char *path_ = strdup("/tmp/test_heap.XXXXXX");                                     \
		int fd_ = mkstemp(path_);                                                          \
		assert_true(fd_ >= 0);                                                             \
		FILE *f = fdopen(fd_, "w");                                                        \
		assert_int_equal((call), 0);                                                       \
		assert_int_equal(fclose(f), 0);                                                    \
		path_;                                                                             \
	})

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* Runs `cmd`; returns its output, failing the test when it exits non-zero. */
static char *run(const char *cmd)
{
	FILE *out = popen(cmd, "r");
	assert_non_null(out);
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, out);
	buf[n] = 0;
	int rc = pclose(out);
	if (rc != 0)
		fail_msg("'%s' failed: %s", cmd, buf);
	return buf;
}

static void expect(const char *out, const char *line)
{
	if (!strstr(out, line))
		fail_msg("missing '%s' in:\n%s", line, out);
}

static bool have(const char *cmd)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s >/dev/null 2>&1", cmd);
	return system(buf) == 0;
}

/* The values of the sample whose stack's frame names, innermost first and ';'-joined, are
 * `stack`; fails when there is none. */
static const int64_t *sample_of(const sc_profile *p, const char *stack)
{
	for (size_t i = 0; i < p->samples.len; i++) {
		sc_frame fr[16];
		size_t n = sc_profile_stack_frames(p, p->samples.data[i].stack, fr, 16);
		char buf[256] = "";
		for (size_t k = n; k-- > 0;) {
			strcat(buf, sc_profile_frame_name(p, &fr[k]));
			if (k)
				strcat(buf, ";");
		}
		if (!strcmp(buf, stack))
			return sc_profile_sample_values(p, i);
	}
	fail_msg("no sample for %s", stack);
	return NULL;
}

static sc_profile *read_pprof(const sc_heap *h, sc_heap_profile_kind kind)
{
	char *path = write_tmp(sc_heap_write_pprof(h, kind, f));
	sc_profile *p = NULL;
	sc_diag d = {0};
	assert_int_equal(sc_pprof_read(path, &p, &d), 0);
	unlink(path);
	free(path);
	return p;
}

static void test_pprof(void **state)
{
	struct fixture *x = *state;
	scenario(x, true);
	sc_profile *p = read_pprof(x->h, SC_HEAP_PROFILE_ALL);
	assert_int_equal(p->nsample_types, 4);
	const char *names[][2] = {{"alloc_objects", "count"},
				  {"alloc_space", "bytes"},
				  {"inuse_objects", "count"},
				  {"inuse_space", "bytes"}};
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(sc_profile_str(p, p->sample_types[i].type), names[i][0]);
		assert_string_equal(sc_profile_str(p, p->sample_types[i].unit), names[i][1]);
	}
	assert_string_equal(sc_profile_str(p, p->default_sample_type), "inuse_space");
	int64_t tot[4];
	sc_profile_totals(p, tot);
	assert_int_equal(tot[0], 6);
	assert_int_equal(tot[1], 610);
	assert_int_equal(tot[2], 3);
	assert_int_equal(tot[3], 160);
	const int64_t *c = sample_of(p, "c;a;main");
	assert_int_equal(c[0], 2);
	assert_int_equal(c[1], 60);
	assert_int_equal(c[2], 2);
	assert_int_equal(c[3], 60);
	const int64_t *b = sample_of(p, "b;main");
	assert_int_equal(b[1], 350);
	assert_int_equal(b[3], 0);
	assert_int_equal(p->samples.data[0].pid, 4242);
	/* the recorder's locations: addresses, mapping, file and line */
	bool found = false;
	for (uint32_t i = 1; i <= p->locations.len; i++) {
		const sc_location *l = sc_profile_location(p, i);
		if (l->address != 0x404000)
			continue;
		found = true;
		assert_string_equal(sc_profile_str(p, sc_profile_mapping(p, l->mapping)->file),
				    "/opt/app/prog");
		const sc_line *ln = sc_profile_location_lines(p, l);
		assert_int_equal(ln[0].line, 40);
		assert_string_equal(
		    sc_profile_str(p, sc_profile_function(p, ln[0].function)->filename), "c.c");
	}
	assert_true(found);
	sc_profile_free(p);

	p = read_pprof(x->h, SC_HEAP_PROFILE_PEAK);
	assert_int_equal(p->nsample_types, 2);
	assert_string_equal(sc_profile_str(p, p->sample_types[1].type), "inuse_space");
	sc_profile_totals(p, tot);
	assert_int_equal(tot[0], 4);
	assert_int_equal(tot[1], 400);
	assert_int_equal(p->samples.len, 3);
	assert_int_equal(sample_of(p, "a;main")[1], 200);
	assert_int_equal(sample_of(p, "a;main")[0], 2);
	assert_int_equal(sample_of(p, "b;main")[1], 150);
	assert_int_equal(sample_of(p, "c;a;main")[1], 50);
	sc_profile_free(p);
}

static char *check(const char *kind, const char *path)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "python3 %s/tests/unit/test_heap_check.py %s %s", SC_TEST_SRCDIR,
		 kind, path);
	return run(cmd);
}

static void test_heap_json(void **state)
{
	struct fixture *x = *state;
	if (!have("python3 -c 'import json'"))
		skip();
	scenario(x, true);
	sc_heap_gates g;
	assert_int_equal(sc_heap_gates_parse("leaks>100,peak>1K", &g, NULL), 0);
	assert_int_equal(sc_heap_gates_eval(&g, sc_heap_get_totals(x->h)), 1);
	sc_heap_report o = {.command = "./prog \"quoted\" arg", .gates = &g};
	char *path = write_tmp(sc_heap_write_json(x->h, &o, f));
	char *doc = slurp(path);
	expect(doc, "\"version\":2,\"command\":\"./prog \\\"quoted\\\" arg\",\"pid\":4242,"
		    "\"exited\":true,\"duration_ns\":9000,");
	free(doc);
	char *out = check("heapjson", path);
	const char *want[] = {
	    "TOTAL\tallocs\t6\n",
	    "TOTAL\tfrees\t3\n",
	    "TOTAL\tbytes_allocated\t610\n",
	    "TOTAL\tbytes_freed\t450\n",
	    "TOTAL\tpeak_bytes\t400\n",
	    "TOTAL\tpeak_blocks\t4\n",
	    "TOTAL\tpeak_time_ns\t5000\n",
	    "TOTAL\tleaked_bytes\t160\n",
	    "TOTAL\tleaked_blocks\t3\n",
	    "TOTAL\tlargest\t200\n",
	    "TOTAL\ttemporary\t1\n",
	    "TOTAL\tmax_rss\t8192\n",
	    "SITE\t2\t350\tb;main\nSITELINES\tb.c:30;main.c:10\n"
	    "SITE\t2\t200\ta;main\nSITELINES\ta.c:20;main.c:10\n"
	    "SITE\t2\t60\tc;a;main\nSITELINES\tc.c:40;a.c:20;main.c:10\n",
	    "LEAK\t1\t100\ta;main\nLEAK\t2\t60\tc;a;main\n",
	    "PEAK\t2\t200\ta;main\nPEAK\t1\t150\tb;main\nPEAK\t1\t50\tc;a;main\n",
	    "SIZE\t16\t1\t10\nSIZE\t32\t0\t0\nSIZE\t64\t1\t50\nSIZE\t128\t2\t200\n"
	    "SIZE\t256\t2\t350\nLIFE\t1000\t0\nLIFE\t10000\t3\n",
	    "GATE\tleaks>100\t160\t100\ttrue\nGATE\tpeak>1K\t400\t1024\tfalse\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		expect(out, want[i]);
	assert_null(strstr(out, "LIVE"));
	free(out);
	unlink(path);
	free(path);
}

static void test_heap_json_not_exited(void **state)
{
	struct fixture *x = *state;
	if (!have("python3 -c 'import json'"))
		skip();
	scenario(x, false);
	sc_heap_report o = {.top = 1};
	char *path = write_tmp(sc_heap_write_json(x->h, &o, f));
	char *out = check("heapjson", path);
	expect(out, "TOTAL\tleaked_bytes\t0\n");
	expect(out, "TOTAL\tlive_bytes\t160\n");
	expect(out, "LIVE\t1\t100\ta;main\nLIVE\t2\t60\tc;a;main\n");
	assert_null(strstr(out, "LEAK\t"));
	/* top 1: one site, one peak entry */
	expect(out, "SITE\t2\t350\tb;main\nSITELINES\tb.c:30;main.c:10\nLIVE");
	expect(out, "PEAK\t2\t200\ta;main\nSIZE");
	free(out);
	unlink(path);
	free(path);
}

static char *dhview(const char *path)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "node %s/tests/unit/test_heap_dhview.js %s %s 2>&1",
		 SC_TEST_SRCDIR, DH_VIEW_JS, path);
	return run(cmd);
}

static bool have_dhview(void)
{
	if (!have("node --version") || access(DH_VIEW_JS, R_OK) != 0) {
		printf("skipped: needs node and %s (Debian's valgrind)\n", DH_VIEW_JS);
		return false;
	}
	return true;
}

static void test_dhat(void **state)
{
	struct fixture *x = *state;
	if (!have_dhview())
		skip();
	scenario(x, true);
	sc_heap_report o = {.command = "./prog arg"};
	char *path = write_tmp(sc_heap_write_dhat(x->h, &o, f));
	char *doc = slurp(path);
	expect(doc, "\"dhatFileVersion\":2");
	expect(doc, "\"te\":9\n,\"tg\":5\n");
	/* C: 7 us + 1 us of lifetimes; its own maximum 60 bytes in 2 blocks */
	expect(doc, "{\"tb\":60,\"tbk\":2,\"tl\":8\n  ,\"mb\":60,\"mbk\":2,\"gb\":50,\"gbk\":1,"
		    "\"eb\":60,\"ebk\":2\n");
	free(doc);
	char *out = dhview(path);
	expect(out, "TOTAL 610 6\n");
	expect(out, "TGMAX 400 4\n");
	expect(out, "TEND 160 3\n");
	expect(out,
	       "METRICS 6\n"); /* bklt without bkacc: the 6 sort metrics that need no accesses */
	expect(out, "0x404000: c (c.c:40)");
	expect(out, "Command: ./prog arg");
	free(out);
	unlink(path);
	free(path);
}

/* Two locations that print the same (equal address and function, as a reader of a file without
 * location ids may give) and the unknown stack: dh_view.js refuses repeated frame sequences, so
 * the writer merges them. */
static void test_dhat_merged(void **state)
{
	struct fixture *x = *state;
	if (!have_dhview())
		skip();
	const sc_location *la = sc_profile_location(x->p, x->loc_a);
	sc_line line = *sc_profile_location_lines(x->p, la);
	int64_t twin = sc_profile_add_location(x->p, la->mapping, la->address, &line, 1);
	assert_true(twin > 0);
	uint32_t main_loc = sc_profile_node(x->p, sc_profile_node(x->p, x->A)->parent)->location;
	uint32_t stack[] = {(uint32_t)twin, main_loc};
	sc_stack_id A2 = (sc_stack_id)sc_profile_intern_stack(x->p, stack, 2);
	assert_true(A2 != x->A);
	alloc(x->h, 1, 0x10, 100, x->A);
	alloc(x->h, 2, 0x20, 30, A2);
	alloc(x->h, 3, 0x30, 5, 0);
	assert_int_equal(sc_heap_finish(x->h, 4, true), 0);
	char *path = write_tmp(sc_heap_write_dhat(x->h, NULL, f));
	char *doc = slurp(path);
	expect(doc, "{\"tb\":130,\"tbk\":2,");
	expect(doc, "\"[unknown stack]\"");
	free(doc);
	char *out = dhview(path);
	expect(out, "TOTAL 135 3\n");
	expect(out, "TEND 135 3\n");
	free(out);
	unlink(path);
	free(path);
}

static void test_flamegraphs(void **state)
{
	struct fixture *x = *state;
	scenario(x, true);
	static const struct {
		sc_heap_view view;
		const char *title, *total;
	} pages[] = {
	    {SC_HEAP_VIEW_ALLOC, "scorch heap: bytes allocated", "\"total\":610,"},
	    {SC_HEAP_VIEW_LEAKS, "scorch heap: bytes leaked", "\"total\":160,"},
	    {SC_HEAP_VIEW_PEAK, "scorch heap: bytes live at the peak", "\"total\":400,"},
	};
	for (size_t i = 0; i < 3; i++) {
		char *path = write_tmp(sc_heap_write_flamegraph(x->h, pages[i].view, f));
		char *doc = slurp(path);
		expect(doc, pages[i].title);
		expect(doc, pages[i].total);
		free(doc);
		unlink(path);
		free(path);
	}
}

static void test_timeline(void **state)
{
	struct fixture *x = *state;
	if (!have("python3 -c 'import json'"))
		skip();
	scenario(x, true);
	char *path = write_tmp(sc_heap_write_timeline(x->h, f));
	char *out = check("svg", path);
	expect(out, "PATH\theap\n");
	expect(out, "PATH\trss\n");
	expect(out, "TEXT\tpeak 400 B at 5 us\n");
	expect(out, "TEXT\ttime since the first allocation (us)\n");
	expect(out, "TEXT\t8 KiB\n"); /* a y tick: RSS (8 KiB) is the highest value */
	free(out);
	unlink(path);
	free(path);
}

static void test_before_finish(void **state)
{
	struct fixture *x = *state;
	alloc(x->h, 1, 0x10, 100, x->A);
	FILE *f = fopen("/dev/null", "w");
	sc_profile *p;
	assert_int_equal(sc_heap_write_json(x->h, NULL, f), -EINVAL);
	assert_int_equal(sc_heap_write_dhat(x->h, NULL, f), -EINVAL);
	assert_int_equal(sc_heap_write_timeline(x->h, f), -EINVAL);
	assert_int_equal(sc_heap_build_profile(x->h, SC_HEAP_PROFILE_ALL, &p), -EINVAL);
	assert_null(p);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pprof, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_heap_json, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_heap_json_not_exited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dhat, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dhat_merged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flamegraphs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_before_finish, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
