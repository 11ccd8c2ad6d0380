/*
 * helper_check.h: reading our output back with an independent reader, for the writers' unit tests
 * (test_chrome, test_speedscope). Header-only (static functions), included after <cmocka.h>.
 *
 * tests/unit/check_formats.py FORMAT FILE validates FILE and prints one line per total it
 * measured; a test writes its file, runs the checker on it and looks for the lines it expects:
 *
 *     if (!have_python())
 *             skip();
 *     char *out = check_written("chrome", sc_chrome_write(p, &o, f));   writes to FILE *f
 *     expect_line(out, "NAME\tmain\t3\t4500000");
 *     free(out);
 */
#ifndef SC_TESTS_HELPER_CHECK_H
#define SC_TESTS_HELPER_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline bool have_python(void)
{
	return system("python3 -c 'import json' >/dev/null 2>&1") == 0;
}

/* Runs the checker on `path` and returns its output (malloc'd); removes the file when the checker
 * accepts it, fails the test (and keeps the file) when it does not. */
static inline char *check_file(const char *format, const char *path)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "python3 %s/tests/unit/check_formats.py %s %s", SC_TEST_SRCDIR,
		 format, path);
	FILE *out = popen(cmd, "r");
	assert_non_null(out);
	char *buf = calloc(1, 65536);
	size_t n = fread(buf, 1, 65535, out);
	buf[n] = '\0';
	int rc = pclose(out);
	if (rc != 0)
		fail_msg("checker rejected %s: %s", path, buf);
	unlink(path);
	return buf;
}

/* Runs `call_with_f` (a writer call returning 0 or -Exxx) with `FILE *f` open on a temporary
 * file, then check_file(format, ...) on it: its value. `format` is a string literal. */
#define check_written(format, call_with_f)                                                         \
	({                                                                                         \
		char path_[] = "/tmp/test_" format ".XXXXXX";                                      \
		int fd_ = mkstemp(path_);                                                          \
		assert_true(fd_ >= 0);                                                             \
		FILE *f = fdopen(fd_, "w");                                                        \
		assert_int_equal((call_with_f), 0);                                                \
		assert_int_equal(fclose(f), 0);                                                    \
		check_file(format, path_);                                                         \
	})

/* Fails the test unless `out` holds `line` followed by a newline. */
static inline void expect_line(const char *out, const char *line)
{
	char want[512];
	snprintf(want, sizeof(want), "%s\n", line);
	if (!strstr(out, want))
		fail_msg("missing line '%s' in:\n%s", line, out);
}

#endif
