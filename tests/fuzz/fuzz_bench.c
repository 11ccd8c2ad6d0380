/*
 * fuzz_bench.c: the libFuzzer entry point for the readers of benchmark reports: the scorch.bench
 * JSON reader (`scorch bench compare`) and the baseline reader of the benchmark programs
 * (`--baseline NAME`). SC_FUZZ_TARGET picks one; tests/fuzz/run.sh builds this file with the
 * sources of src/bench/ and runs it (`run.sh bench`, `run.sh baseline`).
 *
 *   bench     the input is a report in memory: it must parse, or fail with -EINVAL (-EFBIG past
 *             the cap on values) and a one-line diagnostic naming the file (-ENOMEM is tolerated:
 * the fuzzer's allocator may refuse a huge request). What parses is compared with itself
 * (statistics over whatever samples the input holds), written in every format, and its JSON must
 * read back. baseline  the input is a baseline file, DIR/base.json in a private folder: a fixed
 * report (tests/data/bench-base.json, embedded below in short) is compared with it through
 *             scorch_bench_compare_baseline, whose failure message must name the file, then
 *             printed as the benchmark programs print it.
 *
 * Anything else aborts so that the fuzzer reports it: a crash, a leak, undefined behaviour, a
 * diagnostic without the file or spanning lines, a report that does not read back.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench_impl.h"

enum target { BENCH, BASELINE };
static enum target target = BENCH;
static char dir[64];		/* BASELINE: the private folder of base.json */
static char base_path[96];	/* its DIR/base.json */
static scorch_bench_report cur; /* BASELINE: the fixed report compared with the input */

/* Two benchmarks of tests/data/bench-base.json, one of them absent from most inputs. */
static const char fixed_report[] =
    "{\"schema\": \"scorch.bench\", \"version\": 1, \"headline\": \"min_cpu\",\n"
    " \"config\": {\"samples\": 5, \"resamples\": 200, \"noise\": 0.05, \"confirm\": 0},\n"
    " \"environment\": {\"hostname\": \"fixed\"},\n"
    " \"benchmarks\": [\n"
    "  {\"id\": \"crafted/add\", \"group\": \"crafted\", \"name\": \"add\", \"unit\": \"ns\",\n"
    "   \"samples\": {\"iters\": [1000, 2000, 3000, 4000, 5000],\n"
    "               \"wall\": [100000, 206000, 303000, 420000, 510000],\n"
    "               \"cpu\": [98000, 201880, 296940, 411600, 499800]}},\n"
    "  {\"id\": \"x\", \"name\": \"x\", \"unit\": \"ns\",\n"
    "   \"samples\": {\"iters\": [1, 2, 3, 4, 5], \"wall\": [5, 9, 16, 20, 24], \"cpu\": "
    "null}}]}\n";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static void cleanup(void)
{
	unlink(base_path);
	rmdir(dir);
	scorch_bench_report_release(&cur);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *t = getenv("SC_FUZZ_TARGET");
	if (!t || strcmp(t, "bench") == 0) {
		target = BENCH;
		return 0;
	}
	if (strcmp(t, "baseline") != 0) {
		fprintf(stderr, "fuzz_bench: unknown SC_FUZZ_TARGET '%s'\n", t);
		exit(2);
	}
	target = BASELINE;
	snprintf(dir, sizeof(dir), "/tmp/fuzz-bench.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("fuzz_bench: mkdtemp");
		exit(2);
	}
	snprintf(base_path, sizeof(base_path), "%s/base.json", dir);
	sc_diag d;
	sc_diag_clear(&d);
	if (sc_bench_report_from_json(fixed_report, sizeof(fixed_report) - 1, &cur, &d) < 0) {
		char buf[1024];
		fprintf(stderr, "fuzz_bench: the fixed report does not parse: %s\n",
			sc_diag_format(&d, buf, sizeof(buf)));
		exit(2);
	}
	atexit(cleanup);
	return 0;
}

/* A failure's account: one line, naming `file`. */
static void check_message(const char *msg, const char *file)
{
	const char *why = NULL;
	if (!msg[0])
		why = "empty message";
	else if (strpbrk(msg, "\n\r"))
		why = "message spans lines";
	else if (strncmp(msg, file, strlen(file)) != 0)
		why = "message does not name the file";
	if (why) {
		fprintf(stderr, "bad diagnostic (%s): %s\n", why, msg);
		abort();
	}
}

static void check_error(int r, const sc_diag *d, const char *file)
{
	if (r == -ENOMEM)
		return;
	if (r != -EINVAL && r != -EFBIG) {
		fprintf(stderr, "unexpected error %d\n", r);
		abort();
	}
	char buf[2048];
	check_message(sc_diag_format(d, buf, sizeof(buf)), file);
}

static void write_all(const scorch_bench_report *r, FILE *f)
{
	scorch_bench_write_table(r, f);
	scorch_bench_write_csv(r, f);
	scorch_bench_write_html(r, f);
	sc_bench_write_comparison(r, f);
}

static void fuzz_bench(const char *text, size_t n)
{
	scorch_bench_report a, b, again;
	sc_diag d;
	sc_diag_clear(&d);
	sc_diag_set_file(&d, "fuzz-input");
	int r = sc_bench_report_from_json(text, n, &a, &d);
	if (r < 0) {
		check_error(r, &d, "fuzz-input");
		scorch_bench_report_release(&a);
		return;
	}
	/* The same text again as the new run, compared with the first: every comparable
	 * benchmark must come out "no change" at a change of exactly 0. */
	r = sc_bench_report_from_json(text, n, &b, NULL);
	if (r == 0)
		r = sc_bench_compare_reports(&b, &a);
	if (r < 0 && r != -ENOMEM) {
		fprintf(stderr,
			"a report that parsed once failed the second time or compared "
			"with itself: %d\n",
			r);
		abort();
	}
	for (size_t i = 0; r == 0 && i < b.nresults; i++) {
		const scorch_bench_result *x = &b.results[i];
		bool dup = false; /* ids repeat in crafted input: the first of A is compared */
		for (size_t j = 0; j < i && !dup; j++)
			dup = !strcmp(b.results[j].id, x->id);
		if (!dup && x->has_comparison && x->cmp.verdict != SCORCH_BENCH_NO_CHANGE) {
			fprintf(stderr, "'%s' compared with itself: verdict %d, change %g\n", x->id,
				x->cmp.verdict, x->cmp.change.point);
			abort();
		}
	}

	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	if (!f)
		goto release;
	int w = scorch_bench_write_json(&b, f);
	if (fclose(f) != 0 || w < 0)
		goto release;
	sc_diag_clear(&d);
	sc_diag_set_file(&d, "written");
	r = sc_bench_report_from_json(out, outlen, &again, &d);
	if (r < 0 && r != -ENOMEM) {
		char buf[2048];
		fprintf(stderr, "the JSON written from a parsed report does not read back: %s\n",
			sc_diag_format(&d, buf, sizeof(buf)));
		abort();
	}
	scorch_bench_report_release(&again);
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		write_all(&b, null);
		fclose(null);
	}
release:
	free(out);
	scorch_bench_report_release(&a);
	scorch_bench_report_release(&b);
}

static void fuzz_baseline(const uint8_t *data, size_t n)
{
	FILE *f = fopen(base_path, "w");
	if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
		perror("fuzz_bench: writing the baseline");
		abort();
	}
	char msg[600];
	int r = scorch_bench_compare_baseline(&cur, dir, "base", msg, sizeof(msg));
	if (r < 0 && r != -ENOMEM) {
		if (r != -EINVAL && r != -EFBIG) {
			fprintf(stderr, "unexpected error %d\n", r);
			abort();
		}
		check_message(msg, base_path);
	}
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		write_all(&cur, null);
		scorch_bench_write_json(&cur, null);
		fclose(null);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	if (target == BASELINE) {
		fuzz_baseline(data, n);
		return 0;
	}
	/* The reader wants text ending in a NUL, as sc_read_file gives it. */
	char *text = malloc(n + 1);
	if (!text)
		return 0;
	memcpy(text, data, n);
	text[n] = 0;
	fuzz_bench(text, n);
	free(text);
	return 0;
}
