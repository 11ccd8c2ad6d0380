/*
 * test_annotate.c: sc_annotate (source lines with their shares) on a crafted profile, and
 * sc_disasm (instructions) on this test program's own code.
 *
 * The profile (one mapping; "mix" is inlined into "work" at L3; files under SRC, see below):
 *
 *   location  inline chain (innermost first)      stacks                         samples
 *   L0        main m.c:2                          main -> work@L1                6
 *   L1        work w.c:12                         main -> work@L2                2
 *   L2        work w.c:13                         main -> work@L3                3
 *   L3        mix mix.h:5, work w.c:14            main -> work@L4 -> leaf@L5     4
 *   L4        work w.c:15                         main -> work@L4 -> work@L1     1 (recursion)
 *   L5        leaf w.c:31
 *
 * So work: total 16, self 12; w.c:12 self 7 (6 + the recursive sample, counted once, at its
 * innermost location), w.c:13 self 2, w.c:15 total 4 (the call of leaf), and the inlined code
 * on mix.h:5 (self 3) under its own file. mix: total = self = 3 on mix.h:5.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile/profile.h"
#include "report/annotate.h"
#include "report/disasm.h"

#include "alloc_torture.h"
#include "helper_profile.h"

static uint32_t fn(sc_profile *p, const char *name, const char *file, int64_t start)
{
	sc_function f = {(sc_str)sc_profile_intern(p, name), 0, (sc_str)sc_profile_intern(p, file),
			 start};
	int64_t id = sc_profile_add_function(p, &f);
	assert_true(id > 0);
	return (uint32_t)id;
}

static uint32_t loc(sc_profile *p, uint64_t addr, size_t n, const sc_line *lines)
{
	int64_t id = sc_profile_add_location(p, 1, addr, lines, n);
	assert_true(id > 0);
	return (uint32_t)id;
}

static void add(sc_profile *p, int count, size_t n, const uint32_t *outer_first)
{
	uint32_t leaf_first[8];
	for (size_t i = 0; i < n; i++)
		leaf_first[i] = outer_first[n - 1 - i];
	int64_t id = sc_profile_intern_stack(p, leaf_first, n);
	assert_true(id > 0);
	int64_t v = 1;
	for (int i = 0; i < count; i++)
		assert_true(sc_profile_add_sample(p, (sc_stack_id)id, &v, 0, 0, 0) >= 0);
}

/* The profile above, with w.c at `wfile` (mix.h and m.c never exist). */
static sc_profile *crafted(const char *wfile)
{
	sc_profile *p = sc_profile_new();
	assert_non_null(p);
	assert_int_equal(sc_profile_add_sample_type(p, "samples", "count"), 0);
	sc_mapping m = {.start = 0x400000, .limit = 0x500000};
	m.file = (sc_str)sc_profile_intern(p, "/nonexistent/prog");
	assert_int_equal(sc_profile_add_mapping(p, &m), 1);
	uint32_t fmain = fn(p, "main", "/nonexistent/m.c", 1);
	uint32_t fwork = fn(p, "work", wfile, 10);
	uint32_t fmix = fn(p, "mix", "/nonexistent/mix.h", 3);
	uint32_t fleaf = fn(p, "leaf", wfile, 30);
	fn(p, "idle", wfile, 40); /* matches "idle" but has no samples */
	uint32_t l0 = loc(p, 0x401000, 1, (sc_line[]){{fmain, 2, 0}});
	uint32_t l1 = loc(p, 0x401100, 1, (sc_line[]){{fwork, 12, 0}});
	uint32_t l2 = loc(p, 0x401104, 1, (sc_line[]){{fwork, 13, 0}});
	uint32_t l3 = loc(p, 0x401108, 2, (sc_line[]){{fmix, 5, 0}, {fwork, 14, 0}});
	uint32_t l4 = loc(p, 0x40110c, 1, (sc_line[]){{fwork, 15, 0}});
	uint32_t l5 = loc(p, 0x401200, 1, (sc_line[]){{fleaf, 31, 0}});
	add(p, 6, 2, (uint32_t[]){l0, l1});
	add(p, 2, 2, (uint32_t[]){l0, l2});
	add(p, 3, 2, (uint32_t[]){l0, l3});
	add(p, 4, 3, (uint32_t[]){l0, l4, l5});
	add(p, 1, 3, (uint32_t[]){l0, l4, l1});
	return p;
}

static void expect_line(const sc_profile *p, const sc_annotate_line *l, const char *file,
			int64_t line, int64_t self, int64_t total)
{
	assert_string_equal(sc_profile_str(p, l->file), file);
	assert_int_equal(l->line, line);
	assert_int_equal(l->self, self);
	assert_int_equal(l->total, total);
}

static void test_lines(void **state)
{
	(void)state;
	sc_profile *p = crafted("/nonexistent/w.c");
	sc_annotate a;
	assert_int_equal(sc_annotate_compute(p, 0, "^(work|mix)$", &a), 0);
	assert_int_equal(a.len, 2);
	assert_int_equal(a.grand_total, 16);
	const sc_annotate_func *w = &a.funcs[0], *m = &a.funcs[1];
	assert_string_equal(sc_profile_str(p, sc_profile_function(p, w->function)->name), "work");
	assert_int_equal(w->total, 16);
	assert_int_equal(w->self, 12);
	assert_int_equal(w->nlines, 4);
	/* Own file first, by line; then the inlined code under its own file. */
	expect_line(p, &w->lines[0], "/nonexistent/w.c", 12, 7, 7);
	expect_line(p, &w->lines[1], "/nonexistent/w.c", 13, 2, 2);
	expect_line(p, &w->lines[2], "/nonexistent/w.c", 15, 0, 4);
	expect_line(p, &w->lines[3], "/nonexistent/mix.h", 5, 3, 3);
	assert_string_equal(sc_profile_str(p, sc_profile_function(p, m->function)->name), "mix");
	assert_int_equal(m->total, 3);
	assert_int_equal(m->self, 3);
	assert_int_equal(m->nlines, 1);
	expect_line(p, &m->lines[0], "/nonexistent/mix.h", 5, 3, 3);
	sc_annotate_release(&a);
	sc_annotate_release(&a); /* twice is harmless */
	sc_profile_free(p);
}

static void test_errors(void **state)
{
	(void)state;
	sc_profile *p = crafted("/nonexistent/w.c");
	sc_annotate a;
	assert_int_equal(sc_annotate_compute(p, 0, "nosuch", &a), -ENOENT);
	assert_int_equal(a.len, 0);
	assert_int_equal(sc_annotate_compute(p, 0, "idle", &a), -ENOENT);
	assert_int_equal(sc_annotate_compute(p, 0, "a(", &a), -EINVAL);
	assert_int_equal(sc_annotate_compute(p, 1, "work", &a), -EINVAL);
	sc_disasm ds;
	sc_diag d;
	sc_diag_clear(&d);
	assert_int_equal(sc_disasm_compute(p, 0, "a(", NULL, &ds, &d), -EINVAL);
	/* mix is only ever inlined: it has no instructions of its own. */
	assert_int_equal(sc_disasm_compute(p, 0, "^mix$", NULL, &ds, &d), -ENOENT);
	assert_string_equal(d.message, "");
	/* The binary is gone: the message names it. */
	assert_int_equal(sc_disasm_compute(p, 0, "^work$", NULL, &ds, &d), -ENOENT);
	assert_non_null(strstr(d.message, "/nonexistent/prog"));
	assert_int_equal(ds.len, 0);
	/* A mapping without a load address (perf script text): the samples cannot be placed. */
	p->mappings.data[0].start = p->mappings.data[0].limit = 0;
	sc_diag_clear(&d);
	assert_int_equal(sc_disasm_compute(p, 0, "^work$", NULL, &ds, &d), -ENOEXEC);
	assert_non_null(strstr(d.message, "does not say where '/nonexistent/prog' was loaded"));
	sc_profile_free(p);
}

static void test_print_missing_source(void **state)
{
	(void)state;
	sc_profile *p = crafted("/nonexistent/w.c");
	sc_annotate a;
	assert_int_equal(sc_annotate_compute(p, 0, "^work$", &a), 0);
	char *out = fx_print(sc_annotate_print_text(p, &a, 0, f));
	assert_non_null(strstr(out, "work  (/nonexistent/w.c:10)"));
	assert_non_null(strstr(out, "total 16 samples (100.0% of all), self 12 samples (75.0%)"));
	assert_non_null(
	    strstr(out, "(source not found: /nonexistent/w.c; the lines with samples:)"));
	/* 7 of 16 = 43.8%; the call line has a total only. */
	assert_non_null(strstr(out, "  43.8%   43.8%     12\n"));
	assert_non_null(strstr(out, "          25.0%     15\n"));
	assert_non_null(strstr(out, "inlined from /nonexistent/mix.h:\n"));
	assert_non_null(strstr(out, "  18.8%   18.8%      5\n"));
	free(out);
	sc_annotate_release(&a);
	sc_profile_free(p);
}

static void test_print_source(void **state)
{
	(void)state;
	char path[] = "/tmp/scorch-annotate-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *src = fdopen(fd, "w");
	assert_non_null(src);
	for (int i = 1; i <= 40; i++)
		fprintf(src, "%ssource line %d\n", i == 12 ? "\t" : "", i);
	fclose(src);
	sc_profile *p = crafted(path);
	sc_annotate a;
	assert_int_equal(sc_annotate_compute(p, 0, "^work$", &a), 0);
	char *out = fx_print(sc_annotate_print_text(p, &a, 0, f));
	unlink(path);
	/* From the function's first line (10) to two lines after the last sampled one (15), tabs
	 * expanded; nothing far from them. */
	assert_non_null(strstr(out, "                    10  source line 10\n"));
	assert_non_null(strstr(out, "  43.8%   43.8%     12          source line 12\n"));
	assert_non_null(strstr(out, "  12.5%   12.5%     13  source line 13\n"));
	assert_non_null(strstr(out, "                    14  source line 14\n"));
	assert_non_null(strstr(out, "          25.0%     15  source line 15\n"));
	assert_non_null(strstr(out, "                    17  source line 17\n"));
	assert_null(strstr(out, "source line 9\n"));
	assert_null(strstr(out, "source line 18\n"));
	assert_null(strstr(out, "source not found: /tmp"));
	free(out);
	sc_annotate_release(&a);
	sc_profile_free(p);
}

/* Fails each allocation of computing and of printing in turn: -ENOMEM, nothing leaked. */
static void test_allocation_failures(void **state)
{
	(void)state;
#if !ALLOC_TORTURE
	print_message("skipped: allocation failure injection does not run under ASan\n");
	skip();
#else
	sc_profile *p = crafted("/nonexistent/w.c");
	sc_annotate a, keep = {0};
	long i, failures = 0;
	/* glibc's regcomp leaks some of what it took when an allocation fails: start failing after
	 * the allocations it makes (the same count for the same pattern every time). */
	regex_t re;
	fail_countdown = 1000000;
	assert_int_equal(regcomp(&re, "^(work|mix)$", REG_EXTENDED | REG_NOSUB), 0);
	long in_regcomp = 1000000 - fail_countdown;
	fail_countdown = -1;
	regfree(&re);
	for (i = in_regcomp;; i++) {
		long before = live_blocks;
		fail_countdown = i;
		int r = sc_annotate_compute(p, 0, "^(work|mix)$", &a);
		bool injected = fail_countdown < 0;
		fail_countdown = -1;
		if (!injected) {
			assert_int_equal(r, 0);
			keep = a;
			break;
		}
		if (r == 0 || r == -ENOENT) {
			/* glibc's regexec reports a failed allocation as "no match" (it returns
			 * err != REG_NOERROR), so a function may be missing: never a wrong one. */
			assert_true(a.len <= 2);
			for (size_t k = 0; k < a.len; k++)
				assert_int_equal(
				    a.funcs[k].total,
				    strcmp(
					sc_profile_str(
					    p, sc_profile_function(p, a.funcs[k].function)->name),
					"work") == 0
					? 16
					: 3);
			sc_annotate_release(&a);
			assert_int_equal(live_blocks, before);
			continue;
		}
		assert_int_equal(r, -ENOMEM);
		assert_int_equal(a.len, 0);
		assert_int_equal(live_blocks, before);
		failures++;
	}
	assert_true(failures > 3);
	FILE *f = fopen("/dev/null", "w");
	assert_non_null(f);
	static char iobuf[4096]; /* so that stdio allocates nothing while failures are injected */
	assert_int_equal(setvbuf(f, iobuf, _IOFBF, sizeof(iobuf)), 0);
	for (i = 0;; i++) {
		long before = live_blocks;
		fail_countdown = i;
		int r = sc_annotate_print_text(p, &keep, 0, f);
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
	sc_annotate_release(&keep);
	sc_profile_free(p);
#endif
}

/* ---- sc_disasm on this program's own code ---- */

__attribute__((noinline)) int disasm_target(int x)
{
	int y = x;
	__asm__ volatile("" : "+r"(y));
	return y * 3 + 1;
}

/* A profile with one sample at disasm_target's first byte, through the mapping of this
 * executable that holds it (from /proc/self/maps). */
static sc_profile *self_profile(const char *build_id)
{
	uint64_t want = (uint64_t)(uintptr_t)&disasm_target;
	FILE *maps = fopen("/proc/self/maps", "r");
	assert_non_null(maps);
	char line[4096], path[4096] = "";
	uint64_t start = 0, end = 0, off = 0;
	while (fgets(line, sizeof(line), maps)) {
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %*s %*s %4095s", &start,
			   &end, &off, path) == 4 &&
		    want >= start && want < end)
			break;
		path[0] = 0;
	}
	fclose(maps);
	assert_true(path[0] == '/');
	sc_profile *p = sc_profile_new();
	assert_non_null(p);
	assert_int_equal(sc_profile_add_sample_type(p, "samples", "count"), 0);
	sc_mapping m = {.start = start, .limit = end, .offset = off};
	m.file = (sc_str)sc_profile_intern(p, path);
	if (build_id)
		m.build_id = (sc_str)sc_profile_intern(p, build_id);
	assert_int_equal(sc_profile_add_mapping(p, &m), 1);
	uint32_t l = loc(p, want, 1, (sc_line[]){{fn(p, "disasm_target", "t.c", 1), 2, 0}});
	add(p, 5, 1, &l);
	return p;
}

static void test_disasm_self(void **state)
{
	(void)state;
	sc_profile *p = self_profile(NULL);
	sc_disasm ds;
	sc_diag d;
	sc_diag_clear(&d);
	int r = sc_disasm_compute(p, 0, "disasm_target", NULL, &ds, &d);
	if (r == -ECHILD) {
		sc_profile_free(p);
		skip(); /* no objdump here */
	}
	assert_int_equal(r, 0);
	assert_int_equal(ds.len, 1);
	assert_int_equal(ds.funcs[0].self, 5);
	assert_int_equal(ds.funcs[0].unplaced, 0);
	assert_int_equal(ds.funcs[0].nranges, 1);
	const sc_disasm_range *rg = &ds.funcs[0].ranges[0];
	assert_string_equal(rg->symbol, "disasm_target");
	assert_true(rg->ninsns >= 2);
	/* The sample is at the symbol's first byte: its first instruction has it all. */
	assert_int_equal(rg->insns[0].address, rg->start);
	assert_int_equal(rg->insns[0].self, 5);
	for (size_t i = 1; i < rg->ninsns; i++)
		assert_int_equal(rg->insns[i].self, 0);
	char *out = fx_print(sc_disasm_print_text(p, &ds, 0, f));
	char want[64];
	snprintf(want, sizeof(want), "   100.0%%  %8" PRIx64 ":  ", rg->start);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "self 5 samples (100.0% of all)"));
	free(out);
	sc_disasm_release(&ds);

	/* objdump cannot be run: said, nothing left. */
	sc_disasm_options o = {.objdump = "/nonexistent/objdump"};
	sc_diag_clear(&d);
	assert_int_equal(sc_disasm_compute(p, 0, "disasm_target", &o, &ds, &d), -ECHILD);
	assert_non_null(strstr(d.message, "/nonexistent/objdump"));
	assert_int_equal(ds.len, 0);
	sc_profile_free(p);
}

/* A stripped copy of this program: disasm_target is named by the debug file found by build-id
 * (here the unstripped program itself), and without one its samples are unplaced. */
static void test_disasm_debug_file(void **state)
{
	(void)state;
	sc_profile *p = self_profile(NULL);
	const char *exe = sc_profile_str(p, p->mappings.data[0].file);
	char dir[] = "/tmp/scorch-disasm-XXXXXX", cmd[8192], id[130] = "";
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "readelf -n '%s' 2>/dev/null | sed -n 's/.*Build ID: //p'", exe);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	if (!fgets(id, sizeof(id), f))
		id[0] = 0;
	pclose(f);
	id[strcspn(id, "\n")] = 0;
	snprintf(cmd, sizeof(cmd),
		 "strip -o '%s/stripped' '%s' && mkdir -p '%s/debug/.build-id/%.2s' && "
		 "ln -s '%s' '%s/debug/.build-id/%.2s/%s.debug'",
		 dir, exe, dir, id, exe, dir, id, id + 2);
	if (strlen(id) < 4 || system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
		sc_profile_free(p);
		skip(); /* no build-id, or no readelf/strip (binutils) */
	}
	snprintf(cmd, sizeof(cmd), "%s/stripped", dir);
	p->mappings.data[0].file = (sc_str)sc_profile_intern(p, cmd);
	char debug[100];
	snprintf(debug, sizeof(debug), "%s/debug", dir);
	sc_disasm_options o = {.debug_dir = debug};
	sc_disasm ds;
	sc_diag d;
	sc_diag_clear(&d);
	assert_int_equal(sc_disasm_compute(p, 0, "disasm_target", &o, &ds, &d), 0);
	assert_int_equal(ds.funcs[0].nranges, 1);
	assert_string_equal(ds.funcs[0].ranges[0].symbol, "disasm_target");
	assert_int_equal(ds.funcs[0].ranges[0].insns[0].self, 5);
	sc_disasm_release(&ds);
	o.debug_dir = dir; /* no .build-id there */
	assert_int_equal(sc_disasm_compute(p, 0, "disasm_target", &o, &ds, &d), 0);
	assert_int_equal(ds.funcs[0].nranges, 0);
	assert_int_equal(ds.funcs[0].unplaced, 5);
	sc_disasm_release(&ds);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	sc_profile_free(p);
}

static void test_disasm_stale(void **state)
{
	(void)state;
	sc_profile *p = self_profile("00112233445566778899aabbccddeeff00112233");
	sc_disasm ds;
	sc_diag d;
	sc_diag_clear(&d);
	assert_int_equal(sc_disasm_compute(p, 0, "disasm_target", NULL, &ds, &d), -ESTALE);
	assert_non_null(strstr(d.message, "is not the binary that ran"));
	assert_non_null(strstr(d.message, "00112233445566778899aabbccddeeff00112233"));
	assert_int_equal(ds.len, 0);
	sc_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_print_missing_source),
	    cmocka_unit_test(test_print_source),
	    cmocka_unit_test(test_allocation_failures),
	    cmocka_unit_test(test_disasm_self),
	    cmocka_unit_test(test_disasm_debug_file),
	    cmocka_unit_test(test_disasm_stale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
