/*
 * fuzz_readers.c: the libFuzzer entry point for every reader of outside files: pprof (gzipped
 * or raw protobuf, with its sniffer), folded stacks, `perf script` text and gperftools' CPU
 * profile. SC_FUZZ_TARGET (pprof, folded, perfscript or gperftools) picks the reader,
 * so one binary serves every campaign; tests/fuzz/run.sh builds it with clang and runs it.
 *
 * Beyond "no crash, hang or leak" (ASan, UBSan and libFuzzer's own checks), each input must
 * either parse, or fail with -EINVAL and a diagnostic that is one line naming the file and, for
 * the text formats, the line of the error: anything else aborts, so the fuzzer reports it.
 * A parsed profile is also written back (speedscope, chrome) to exercise the writers
 * on every odd shape the readers let through.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/chrome.h"
#include "formats/folded.h"
#include "formats/gperftools.h"
#include "formats/perfscript.h"
#include "formats/pprof.h"
#include "formats/speedscope.h"

enum target { PPROF, FOLDED, PERFSCRIPT, GPERFTOOLS };
static enum target target = PERFSCRIPT;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *t = getenv("SC_FUZZ_TARGET");
	if (!t || strcmp(t, "perfscript") == 0)
		target = PERFSCRIPT;
	else if (strcmp(t, "pprof") == 0)
		target = PPROF;
	else if (strcmp(t, "folded") == 0)
		target = FOLDED;
	else if (strcmp(t, "gperftools") == 0)
		target = GPERFTOOLS;
	else {
		fprintf(stderr, "fuzz_readers: unknown SC_FUZZ_TARGET '%s'\n", t);
		exit(2);
	}
	return 0;
}

static void check_diag(const sc_diag *d, int text)
{
	char buf[2048];
	const char *msg = sc_diag_format(d, buf, sizeof(buf));
	const char *why = NULL;
	if (!d->message[0])
		why = "empty message";
	else if (strchr(msg, '\n'))
		why = "message spans lines";
	else if (strncmp(msg, "fuzz-input:", 11) != 0)
		why = "message does not name the file";
	else if (text && d->line < 1)
		why = "no line number";
	if (why) {
		fprintf(stderr, "bad diagnostic (%s): %s\n", why, msg);
		abort();
	}
}

static void write_back(const sc_profile *p)
{
	FILE *f = fopen("/dev/null", "w");
	if (!f)
		return;
	if (p->nsample_types) {
		int t = (int)p->nsample_types - 1;
		sc_folded_write(p, t, f);
		sc_speedscope_options so = {.type = t, .name = "fuzz"};
		sc_speedscope_write(p, &so, f);
		sc_chrome_options co = {.type = t};
		sc_chrome_write(p, &co, f);
	}
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	sc_profile *p = NULL;
	sc_diag d;
	sc_diag_clear(&d);
	sc_diag_set_file(&d, "fuzz-input");
	int r;
	switch (target) {
	case PPROF:
		/* The sniffer walks raw protobuf fields: it must survive any bytes too. */
		sc_pprof_sniff(data, n);
		r = sc_pprof_decode(data, n, &p, &d);
		break;
	case GPERFTOOLS:
		sc_gperftools_sniff(data, n);
		r = sc_gperftools_parse(data, n, &p, &d);
		break;
	case FOLDED:
		r = sc_folded_parse((const char *)data, n, &p, &d);
		break;
	case PERFSCRIPT:
		sc_perfscript_sniff((const char *)data, n);
		/* Both modes: merged samples, and every sample with its time (the Chrome
		 * writer's timelines). They must agree on whether the input is valid. */
		r = sc_perfscript_parse_flags((const char *)data, n, SC_PERFSCRIPT_TIMES, &p, &d);
		if (p)
			write_back(p);
		sc_profile_free(p);
		p = NULL;
		int r2 = sc_perfscript_parse_flags((const char *)data, n, 0, &p, NULL);
		if ((r < 0) != (r2 < 0)) {
			fprintf(stderr, "the two modes disagree: %d vs %d\n", r, r2);
			abort();
		}
		break;
	}
	if (r == -EINVAL)
		check_diag(&d, target != PPROF && target != GPERFTOOLS);
	else if (r < 0) {
		fprintf(stderr, "unexpected error %d\n", r);
		abort();
	}
	if (p)
		write_back(p);
	sc_profile_free(p);
	return 0;
}
