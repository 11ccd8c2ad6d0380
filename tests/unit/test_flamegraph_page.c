/*
 * test_flamegraph_page.c: the flamegraph page's timeline, annotate and per-key file sections
 * (report/pagedata.c, report/flamegraph.c) on a known profile, then the whole page under
 * allocation failure. Linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
 * (tests/unit/meson.build): the page is written again with the 1st, 2nd, 3rd... allocation
 * failing until a run completes without reaching the failure; each must return 0 or -ENOMEM,
 * and under ASan (make check) leave nothing behind. No cmocka: its allocations would go through
 * the wraps.
 *
 * The profile (samples/count), functions in a source file written here (line N reads "lN"; f
 * starts at line 36):
 *
 *   time ns  tid  thread   stack (outermost first)
 *   1000     7    worker   main (line 11) ; f (line 40)
 *   2000     7    worker   main (line 11) ; f (line 40)
 *   3000     7    worker   main (line 11) ; f (line 41) ; g (line 50)
 *   4000     8    io       main (line 11) ; f (line 40)
 *
 * The run spans 3000 ns in 1000 buckets of 4 ns: the samples fall in buckets 0, 250, 500, 750.
 * Page nodes (preorder): all 0, main 1, f 2, g 3.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile/profile.h"
#include "report/flamegraph.h"

#include "fail_alloc.h"

static int nfailed;

#define EXPECT(cond)                                                                               \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond);         \
			nfailed++;                                                                 \
		}                                                                                  \
	} while (0)

static void expect_in(const char *page, const char *want)
{
	if (!strstr(page, want)) {
		fprintf(stderr, "the page lacks: %s\n", want);
		nfailed++;
	}
}

static uint32_t loc(sc_profile *p, sc_str file, const char *name, int64_t start, int64_t line,
		    uint64_t addr)
{
	sc_function f = {.name = (sc_str)sc_profile_intern(p, name),
			 .system_name = 0,
			 .filename = file,
			 .start_line = start};
	sc_line l = {.function = (uint32_t)sc_profile_add_function(p, &f), .line = line};
	return (uint32_t)sc_profile_add_location(p, 1, addr, &l, 1);
}

static void sample(sc_profile *p, const uint32_t *leaf_first, size_t n, uint32_t tid,
		   const char *thread, uint64_t t)
{
	int64_t one = 1;
	int64_t id = sc_profile_intern_stack(p, leaf_first, n);
	if (id <= 0 || sc_profile_add_sample(p, (sc_stack_id)id, &one, 1, tid, t) < 0 ||
	    sc_profile_add_label(p, "thread_name", thread, 0, NULL) < 0) {
		fprintf(stderr, "cannot build the profile\n");
		exit(1);
	}
}

static sc_profile *build(const char *src)
{
	sc_profile *p = sc_profile_new();
	sc_mapping m = {.start = 0x1000, .limit = 0x100000};
	if (!p || sc_profile_add_sample_type(p, "samples", "count") < 0)
		exit(1);
	m.file = (sc_str)sc_profile_intern(p, "/opt/app/bin/prog");
	sc_profile_add_mapping(p, &m);
	sc_str file = (sc_str)sc_profile_intern(p, src);
	uint32_t main11 = loc(p, file, "main", 10, 11, 0x1010);
	uint32_t f40 = loc(p, file, "f", 36, 40, 0x1100);
	uint32_t f41 = loc(p, file, "f", 36, 41, 0x1108);
	uint32_t g50 = loc(p, file, "g", 50, 50, 0x1200);
	sample(p, (uint32_t[]){f40, main11}, 2, 7, "worker", 1000);
	sample(p, (uint32_t[]){f40, main11}, 2, 7, "worker", 2000);
	sample(p, (uint32_t[]){g50, f41, main11}, 3, 7, "worker", 3000);
	sample(p, (uint32_t[]){f40, main11}, 2, 8, "io", 4000);
	sc_profile_add_comment(p, "command: ./prog --fast");
	return p;
}

static void known_answers(const sc_profile *p, const char *src)
{
	char *page = NULL, want[512];
	size_t len = 0;
	FILE *f = open_memstream(&page, &len);
	sc_flamegraph_options o = {.title = "scorch: prog.pb", .type = 0};
	EXPECT(f && sc_flamegraph_write_html(p, &o, f) == 0);
	EXPECT(fclose(f) == 0);
	expect_in(page, "<title>scorch: ./prog --fast</title>");
	expect_in(page, "\"tree\":[-1,4,3,0,4,2,1,4,1,2,1,0]");
	expect_in(page, "\"names\":[\"main\",\"f\",\"g\"]");
	expect_in(page, "\"file\":[0,0,0],\n\"line\":[10,36,50],\n\"files\":[");
	expect_in(page, "\"timeline\":{\"start_ns\":1000,\"bucket_ns\":4,\"buckets\":1000,"
			"\"tracks\":[{\"name\":\"worker\",\"pid\":1,\"tid\":7},"
			"{\"name\":\"io\",\"pid\":1,\"tid\":8}],\n"
			"\"cells\":[[0,2,1,250,2,1,250,3,1],\n[750,2,1]]}");
	/* f: total 4, self 3; line 40 self 3 total 3, line 41 total 1 (the call of g); the text of
	 * its first line and of the sampled ones with two lines around them. */
	expect_in(page, "{\"name\":\"f\",\"file\":0,\"start\":36,\"self\":3,\"total\":4,"
			"\"lines\":[0,40,3,3,0,41,0,1],"
			"\"src\":[36,\"l36\",38,\"l38\",39,\"l39\",40,\"l40\",41,\"l41\",42,"
			"\"l42\",43,\"l43\"]}");
	snprintf(want, sizeof(want), "\"files\":[\"%s\"]}", src);
	expect_in(page, want);
	free(page);
}

/* The page of `p` as a string. */
static char *page_of(const sc_profile *p)
{
	char *page = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&page, &len);
	sc_flamegraph_options o = {.title = "t", .type = 0};
	EXPECT(f && sc_flamegraph_write_html(p, &o, f) == 0);
	EXPECT(fclose(f) == 0);
	return page;
}

/* 40 threads (tid 100 + i has i + 1 samples at time 1000 + i): the 31 busiest get a track each,
 * in order of their first sample, the 9 quietest share one. */
static void many_threads(void)
{
	sc_profile *p = sc_profile_new();
	if (!p || sc_profile_add_sample_type(p, "samples", "count") < 0)
		exit(1);
	uint32_t main_ = loc(p, 0, "main", 1, 1, 0x1000);
	char name[16];
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		for (int k = 0; k <= i; k++)
			sample(p, &main_, 1, 100 + (uint32_t)i, name, 1000 + (uint64_t)i);
	}
	char *page = page_of(p);
	expect_in(page, "\"tracks\":[{\"name\":\"t9\",\"pid\":1,\"tid\":109},");
	expect_in(page, "{\"name\":\"t39\",\"pid\":1,\"tid\":139},"
			"{\"name\":\"9 other threads\",\"threads\":9}]");
	free(page);
	sc_profile_free(p);
}

/* 300 stacks each sampled in every one of 1000 buckets: 300,000 cells, more than the cap
 * (250,000), so the buckets are halved once: 500 buckets of twice the width. */
static void coarser(void)
{
	sc_profile *p = sc_profile_new();
	if (!p || sc_profile_add_sample_type(p, "samples", "count") < 0)
		exit(1);
	uint32_t main_ = loc(p, 0, "main", 1, 1, 0x1000), leaf[2] = {0, main_};
	for (uint32_t s = 0; s < 300; s++) {
		char name[16];
		snprintf(name, sizeof(name), "f%u", s);
		leaf[0] = loc(p, 0, name, 1, 1, 0x2000 + 16 * s);
		for (uint64_t b = 0; b < 1000; b++)
			sample(p, leaf, 2, 7, "w", 1000 + b * 1000);
	}
	char *page = page_of(p);
	/* span 999,000 ns: 1000 buckets of 1000 ns, halved to 500 of 2000 */
	expect_in(page, "\"timeline\":{\"start_ns\":1000,\"bucket_ns\":2000,\"buckets\":500,");
	free(page);
	sc_profile_free(p);
}

int main(void)
{
	char src[] = "/tmp/scorch-test-page-XXXXXX";
	int fd = mkstemp(src);
	FILE *devnull = fopen("/dev/null", "w");
	if (fd < 0 || !devnull)
		return 1;
	FILE *s = fdopen(fd, "w");
	for (int i = 1; s && i <= 60; i++)
		fprintf(s, "l%d\n", i);
	if (!s || fclose(s) != 0)
		return 1;
	sc_profile *p = build(src);
	known_answers(p, src);
	many_threads();
	coarser();

	sc_flamegraph_options o = {.title = "t", .type = 0};
	long n = 0;
	for (;; n++) {
		failed = false;
		countdown = n;
		int r = sc_flamegraph_write_html(p, &o, devnull);
		countdown = -1;
		if (r != 0 && r != -ENOMEM) {
			fprintf(stderr, "allocation %ld failing: %d\n", n, r);
			nfailed++;
		}
		if (r == -ENOMEM && !failed) {
			fprintf(stderr, "-ENOMEM without an allocation failing\n");
			nfailed++;
		}
		if (!failed)
			break;
	}
	printf("the page written with each of %ld allocations failing in turn\n", n);
	fclose(devnull);
	sc_profile_free(p);
	unlink(src);
	if (nfailed)
		fprintf(stderr, "%d checks failed\n", nfailed);
	return nfailed ? 1 : 0;
}
