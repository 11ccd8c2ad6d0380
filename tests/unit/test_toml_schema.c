/*
 * test_toml_schema.c: scorch.toml's schema (src/config/schema.h): the defaults, the seeds' two
 * files (tests/data/toml/seeds/), every kind of error with its file, line, column and key, the
 * "did you mean" hints, and flags overriding the file.
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

#include "config/schema.h"

/* Applies `text` over the defaults; returns the report's lines "L:C: MESSAGE" (errors) or
 * "L:C: note: ..." joined by newlines, in a static buffer. */
static const char *apply(const char *text, sc_config *cfg, int *rc)
{
	static char out[8192];
	assert_int_equal(sc_config_init(cfg), 0);
	sc_toml_doc *doc = NULL;
	sc_diag d;
	int r = sc_toml_parse(text, strlen(text), "t.toml", &doc, &d);
	if (r)
		fail_msg("parse: %s", d.message);
	sc_config_report rep = {0};
	*rc = sc_config_apply(cfg, doc, "t.toml", &rep);
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < rep.len; i++) {
		char buf[1024];
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? "\n" : "",
					sc_diag_format(&rep.items[i].d, buf, sizeof(buf)));
		assert_int_equal(rep.items[i].error, strstr(buf, "note:") == NULL);
	}
	sc_config_report_release(&rep);
	sc_toml_free(doc);
	return out;
}

static void test_defaults(void **state)
{
	(void)state;
	sc_config c;
	assert_int_equal(sc_config_init(&c), 0);
	assert_true(c.profiling.enabled);
	assert_int_equal(c.profiling.sample_rate_hz, 1000);
	assert_int_equal(c.profiling.stack_depth, 127);
	assert_false(c.profiling.include_system_calls);
	assert_string_equal(c.output.format, "flamegraph");
	assert_string_equal(c.output.directory, "profiles");
	assert_string_equal(c.output.filename_prefix, "");
	assert_int_equal(c.filters.include_modules.len, 0);
	assert_int_equal(c.memory.stack_trace_depth, 16);
	assert_int_equal(c.memory.sample_rate, 1);
	assert_string_equal(c.reporting.format, "markdown");
	assert_int_equal(c.thresholds.leak_detection_threshold_bytes, -1);
	assert_true(c.thresholds.max_peak_usage_mb == 0);
	sc_config_release(&c);
	sc_config_release(NULL);
	/* Every key is findable by its dotted name and has help. */
	for (size_t i = 0; i < sc_config_nkeys; i++) {
		char name[128];
		snprintf(name, sizeof(name), "%s.%s", sc_config_keys[i].section,
			 sc_config_keys[i].name);
		assert_ptr_equal(sc_config_find(name), &sc_config_keys[i]);
		assert_true(strlen(sc_config_keys[i].help) > 10);
	}
	assert_null(sc_config_find("profiling"));
	assert_null(sc_config_find("profiling.nope"));
}

static void test_seeds(void **state)
{
	(void)state;
	char path[512];
	sc_config c;
	sc_config_report rep = {0};
	snprintf(path, sizeof(path), "%s/tests/data/toml/seeds/cpu_profiling.toml", SC_TEST_SRCDIR);
	assert_int_equal(sc_config_load(path, &c, &rep), 0);
	assert_int_equal(rep.errors, 0);
	assert_int_equal(rep.len, 3); /* the three [windows_specific] notes */
	assert_int_equal(rep.items[0].d.line, 18);
	assert_string_equal(rep.items[0].d.message,
			    "note: [windows_specific] use_etw has no effect on Linux");
	assert_int_equal(c.profiling.sample_rate_hz, 1000);
	assert_int_equal(c.profiling.stack_depth, 32);
	assert_string_equal(c.output.directory, "profiling_results");
	assert_string_equal(c.output.filename_prefix, "cpu_profile");
	assert_int_equal(c.filters.include_crates.len, 3);
	assert_string_equal(c.filters.include_crates.items[2], "lancedb-integration");
	assert_true(c.filters.exclude_system);
	assert_true(c.windows_specific.use_etw);
	sc_config_report_release(&rep);
	sc_config_release(&c);

	snprintf(path, sizeof(path), "%s/tests/data/toml/seeds/memory_profiling.toml",
		 SC_TEST_SRCDIR);
	assert_int_equal(sc_config_load(path, &c, &rep), 0);
	assert_int_equal(rep.len, 0);
	assert_int_equal(c.memory.stack_trace_depth, 16);
	assert_true(c.heap_analysis.fragmentation_analysis);
	assert_string_equal(c.reporting.format, "json");
	assert_string_equal(c.reporting.output_directory, "memory_reports");
	assert_true(c.thresholds.max_allocation_size_mb == 100);
	assert_true(c.thresholds.max_peak_usage_mb == 1024);
	assert_int_equal(c.thresholds.leak_detection_threshold_bytes, 1024);
	sc_config_report_release(&rep);
	sc_config_release(&c);
}

struct bad_case {
	const char *text, *report;
};

static const struct bad_case bad[] = {
    {"[profiling]\nsample_rate = 99\n", "t.toml:2:1: unknown key 'sample_rate' in [profiling] (did "
					"you mean 'sample_rate_hz'? [memory] has 'sample_rate')"},
    {"[profiling]\nstack_dpeth = 9\n",
     "t.toml:2:1: unknown key 'stack_dpeth' in [profiling] (did you mean 'stack_depth'?)"},
    {"[profiling]\ncolour = 1\n", "t.toml:2:1: unknown key 'colour' in [profiling]"},
    {"[output]\nsample_rate_hz = 1\n",
     "t.toml:2:1: unknown key 'sample_rate_hz' in [output] (it belongs in [profiling])"},
    {"[reporting]\nenabled = true\n",
     "t.toml:2:1: unknown key 'enabled' in [reporting] (it belongs in [profiling])"},
    {"[profilng]\nenabled = true\n",
     "t.toml:1:2: unknown section [profilng] (did you mean [profiling]?)"},
    {"[gpu]\n", "t.toml:1:2: unknown section [gpu]"},
    {"rate = 1\n",
     "t.toml:1:1: unknown key 'rate' outside any section (keys go in a section such as "
     "[profiling])"},
    {"profiling = 1\n", "t.toml:1:1: [profiling] must be a table, not an integer"},
    {"[[memory]]\n", "t.toml:1:3: [memory] must be a table, not an array"},
    {"[profiling]\nenabled = \"yes\"\n",
     "t.toml:2:1: [profiling] enabled must be a boolean (true or false), not a string"},
    {"[profiling]\nsample_rate_hz = 99.5\n",
     "t.toml:2:1: [profiling] sample_rate_hz must be an integer, not a float"},
    {"[profiling]\nsample_rate_hz = 0\n",
     "t.toml:2:1: [profiling] sample_rate_hz must be between 1 and 100000, not 0"},
    {"[profiling]\nstack_depth = 1025\n",
     "t.toml:2:1: [profiling] stack_depth must be between 1 and 1024, not 1025"},
    {"[thresholds]\nmax_peak_usage_mb = -1\n",
     "t.toml:2:1: [thresholds] max_peak_usage_mb must be a number between 0 and 1e+09, not -1"},
    {"[thresholds]\nmax_peak_usage_mb = nan\n",
     "t.toml:2:1: [thresholds] max_peak_usage_mb must be a number between 0 and 1e+09, not nan"},
    {"[output]\nformat = \"svg\"\n",
     "t.toml:2:1: [output] format must be one of flamegraph, pprof, folded, speedscope, "
     "chrome, not \"svg\""},
    {"[output]\ndirectory = \"a\\u0000b\"\n",
     "t.toml:2:1: [output] directory must not hold a NUL character"},
    {"[filters]\ninclude_modules = \"libfoo.so\"\n",
     "t.toml:2:1: [filters] include_modules must be an array of strings, not a string"},
    {"[filters]\nexclude_functions = [\"a\", 2]\n",
     "t.toml:2:1: [filters] exclude_functions must be an array of strings; item 2 is an "
     "integer"},
    {"[profiling.extra]\n", "t.toml:1:12: unknown key 'extra' in [profiling]"},
    /* every error is reported, in file order, with the notes among them */
    {"[profiling]\nenabled = 1\nstack_depth = 0\n[windows_specific]\nuse_etw = true\n"
     "[memory]\nsample_rate = \"1\"\n",
     "t.toml:2:1: [profiling] enabled must be a boolean (true or false), not an integer\n"
     "t.toml:3:1: [profiling] stack_depth must be between 1 and 1024, not 0\n"
     "t.toml:5:1: note: [windows_specific] use_etw has no effect on Linux\n"
     "t.toml:7:1: [memory] sample_rate must be an integer, not a string"},
};

static void test_errors(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sc_config c;
		int rc = 0;
		const char *got = apply(bad[i].text, &c, &rc);
		if (rc != -EINVAL || strcmp(got, bad[i].report)) {
			print_message("case %zu: rc %d\n  got  %s\n  want %s\n", i, rc, got,
				      bad[i].report);
			failed++;
		}
		/* What was valid is kept; the rest stays at its default. */
		if (i == sizeof(bad) / sizeof(bad[0]) - 1) {
			assert_true(c.windows_specific.use_etw);
			assert_int_equal(c.profiling.stack_depth, 127);
		}
		sc_config_release(&c);
	}
	assert_int_equal(failed, 0);
}

static void test_load_errors(void **state)
{
	(void)state;
	sc_config c;
	sc_config_report rep = {0};
	assert_int_equal(sc_config_load("/nonexistent/scorch.toml", &c, &rep), -ENOENT);
	assert_int_equal(rep.len, 0);
	sc_config_release(&c);
	/* A syntax error is one error of the report, with the file and position. */
	char path[512];
	snprintf(path, sizeof(path), "%s/tests/data/toml/invalid/missing-equals.toml",
		 SC_TEST_SRCDIR);
	assert_int_equal(sc_config_load(path, &c, &rep), -EINVAL);
	assert_int_equal(rep.errors, 1);
	assert_int_equal(rep.len, 1);
	assert_string_equal(rep.items[0].d.file, path);
	assert_int_equal(rep.items[0].d.line, 4);
	assert_int_equal(rep.items[0].d.column, 15);
	sc_config_report_release(&rep);
	sc_config_release(&c);
}

/* Many errors: the first SC_CONFIG_MAX_NOTES are kept, all are counted. */
static void test_many_errors(void **state)
{
	(void)state;
	char text[16384];
	size_t len = (size_t)snprintf(text, sizeof(text), "[profiling]\n");
	for (int i = 0; i < 150; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "bad%d = 1\n", i);
	sc_config c;
	assert_int_equal(sc_config_init(&c), 0);
	sc_toml_doc *doc = NULL;
	assert_int_equal(sc_toml_parse(text, len, "m.toml", &doc, NULL), 0);
	sc_config_report rep = {0};
	assert_int_equal(sc_config_apply(&c, doc, "m.toml", &rep), -EINVAL);
	assert_int_equal(rep.errors, 150);
	assert_int_equal(rep.len, SC_CONFIG_MAX_NOTES);
	assert_true(rep.truncated);
	sc_config_report_release(&rep);
	sc_toml_free(doc);
	sc_config_release(&c);
}

/* Flags override the file, with the same checks. */
static void test_set(void **state)
{
	(void)state;
	sc_config c;
	int rc;
	apply("[profiling]\nsample_rate_hz = 500\n[filters]\nexclude_modules = [\"a\"]\n", &c, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(c.profiling.sample_rate_hz, 500);
	sc_diag d;
	sc_diag_clear(&d);
	assert_int_equal(sc_config_set(&c, "profiling.sample_rate_hz", "2000", &d), 0);
	assert_int_equal(c.profiling.sample_rate_hz, 2000);
	assert_int_equal(sc_config_set(&c, "profiling.enabled", "false", &d), 0);
	assert_false(c.profiling.enabled);
	assert_int_equal(sc_config_set(&c, "output.directory", "my dir", &d), 0);
	assert_string_equal(c.output.directory, "my dir");
	assert_int_equal(sc_config_set(&c, "filters.exclude_modules", "libc.so*,ld-*", &d), 0);
	assert_int_equal(c.filters.exclude_modules.len, 2);
	assert_string_equal(c.filters.exclude_modules.items[1], "ld-*");
	assert_int_equal(sc_config_set(&c, "thresholds.max_peak_usage_mb", "12.5", &d), 0);
	assert_true(c.thresholds.max_peak_usage_mb == 12.5);

	assert_int_equal(sc_config_set(&c, "profiling.sample_rate_hz", "0", &d), -EINVAL);
	assert_string_equal(d.message,
			    "[profiling] sample_rate_hz must be between 1 and 100000, not 0");
	assert_int_equal(c.profiling.sample_rate_hz, 2000);
	assert_int_equal(sc_config_set(&c, "profiling.sample_rate_hz", "fast", &d), -EINVAL);
	assert_string_equal(d.message, "profiling.sample_rate_hz: 'fast' is not an integer");
	assert_int_equal(sc_config_set(&c, "profiling.enabled", "1 # x\ny = 2", &d), -EINVAL);
	assert_string_equal(d.message, "profiling.enabled: '1 # x\ny = 2' is not true or false");
	assert_int_equal(sc_config_set(&c, "output.format", "svg", &d), -EINVAL);
	assert_int_equal(sc_config_set(&c, "profiling.rate", "1", &d), -EINVAL);
	assert_string_equal(d.message, "unknown key 'profiling.rate'");
	/* KEY=VALUE, as a --set flag gives it. */
	assert_int_equal(sc_config_set_assignment(&c, "profiling.stack_depth=64", &d), 0);
	assert_int_equal(c.profiling.stack_depth, 64);
	assert_int_equal(sc_config_set_assignment(&c, "output.filename_prefix=a=b", &d), 0);
	assert_string_equal(c.output.filename_prefix, "a=b");
	assert_int_equal(sc_config_set_assignment(&c, "profiling.stack_depth", &d), -EINVAL);
	assert_string_equal(
	    d.message, "'profiling.stack_depth' is not KEY=VALUE (e.g. profiling.stack_depth=64)");
	assert_int_equal(sc_config_set_assignment(&c, "=1", &d), -EINVAL);
	assert_int_equal(sc_config_set_assignment(&c, "memory.sample_rate=0", &d), -EINVAL);
	assert_string_equal(d.message,
			    "[memory] sample_rate must be between 1 and 1099511627776, not 0");
	sc_config_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),	cmocka_unit_test(test_seeds),
	    cmocka_unit_test(test_errors),	cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_many_errors), cmocka_unit_test(test_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
