/*
 * test_fileio.c: the one writer of output files (util/fileio.h) against hostile and unlucky
 * targets: symlinks planted at temporary names, FIFOs, devices, a full disk (/dev/full), standard
 * output, directories; all-or-nothing sets; read limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/fileio.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/sc-fileio-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *path_in(const char *name)
{
	static char buf[8][512];
	static int k;
	char *p = buf[k++ % 8];
	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

static char *slurp(const char *path)
{
	char *data = NULL;
	size_t n;
	if (sc_read_file(path, &data, &n) < 0)
		return NULL;
	return data;
}

static int write_text(const char *path, const char *text)
{
	sc_afile f;
	int r = sc_afile_open(&f, path);
	if (r < 0)
		return r;
	fputs(text, f.fp);
	return sc_afile_commit(&f);
}

/* Counts the entries of the test folder (a leftover temporary would show). */
static int entries(void)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	FILE *p = popen(cmd, "r");
	int n = -1;
	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

static void test_replaces_atomically(void **state)
{
	(void)state;
	const char *t = path_in("out.txt");
	assert_int_equal(write_text(t, "old\n"), 0);
	sc_afile f;
	assert_int_equal(sc_afile_open(&f, t), 0);
	fputs("new\n", f.fp);
	char *mid = slurp(t);
	assert_string_equal(mid, "old\n"); /* untouched until commit */
	free(mid);
	assert_int_equal(sc_afile_commit(&f), 0);
	char *s = slurp(t);
	assert_string_equal(s, "new\n");
	free(s);
	assert_int_equal(entries(), 1);
}

static void test_abort_keeps_old(void **state)
{
	(void)state;
	const char *t = path_in("keep.txt");
	assert_int_equal(write_text(t, "old\n"), 0);
	sc_afile f;
	assert_int_equal(sc_afile_open(&f, t), 0);
	fputs("half", f.fp);
	assert_int_equal(sc_afile_fail(&f, -EIO), -EIO);
	char *s = slurp(t);
	assert_string_equal(s, "old\n");
	free(s);
	assert_int_equal(entries(), 1);
	sc_afile_abort(NULL);
}

/* The attack of issue 8 item 1: symlinks planted at every name the old writer would have used
 * (PATH.tmp.PID) and at the dot-names, pointing at a file the victim must not overwrite. */
static void test_planted_symlinks_not_followed(void **state)
{
	(void)state;
	const char *victim = path_in("victim");
	assert_int_equal(write_text(victim, "precious\n"), 0);
	char name[600];
	snprintf(name, sizeof(name), "%s/flame.html.tmp.%d", dir, (int)getpid());
	assert_int_equal(symlink(victim, name), 0);
	snprintf(name, sizeof(name), "%s/.flame.html.tmp", dir);
	assert_int_equal(symlink(victim, name), 0);
	assert_int_equal(write_text(path_in("flame.html"), "<html>\n"), 0);
	char *s = slurp(victim);
	assert_string_equal(s, "precious\n");
	free(s);
	struct stat st;
	assert_int_equal(lstat(path_in("flame.html"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

/* A symlink at the output name itself (planted, or the user's): replaced, never followed. */
static void test_symlink_at_target_replaced_not_followed(void **state)
{
	(void)state;
	const char *real = path_in("real.txt"), *link = path_in("link.txt");
	assert_int_equal(write_text(real, "precious\n"), 0);
	assert_int_equal(symlink(real, link), 0);
	assert_int_equal(write_text(link, "new\n"), 0);
	struct stat st;
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	char *s = slurp(real), *t = slurp(link);
	assert_string_equal(s, "precious\n");
	assert_string_equal(t, "new\n");
	free(s);
	free(t);
	/* A link to a device or a FIFO is replaced too, not written into (nor waited on). */
	const char *fifo = path_in("fifo"), *dev = path_in("dev");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(symlink(fifo, path_in("to-fifo")), 0);
	assert_int_equal(symlink("/dev/full", dev), 0);
	assert_int_equal(write_text(path_in("to-fifo"), "x\n"), 0);
	assert_int_equal(write_text(dev, "y\n"), 0);
	assert_int_equal(lstat(dev, &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

/* A FIFO another user put in a sticky, world-writable folder is not written into (it could hold
 * root's scorch forever, or feed our output to them): protected_fifos' rule. Needs root to make
 * a FIFO of another user. */
static void test_foreign_fifo_in_sticky_folder_refused(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		skip();
		return;
	}
	assert_int_equal(chmod(dir, 01777), 0);
	const char *fifo = path_in("theirs");
	assert_int_equal(mkfifo(fifo, 0666), 0);
	assert_int_equal(chown(fifo, 65534, 65534), 0);
	sc_afile f;
	assert_int_equal(sc_afile_open(&f, fifo), -EACCES);
	/* Our own FIFO there is fine (opened in place: checked by the FIFO test). */
	assert_int_equal(chmod(dir, 0700), 0);
}

static void test_mode_kept(void **state)
{
	(void)state;
	const char *t = path_in("mode.txt");
	assert_int_equal(write_text(t, "a\n"), 0);
	assert_int_equal(chmod(t, 0640), 0);
	assert_int_equal(write_text(t, "b\n"), 0);
	struct stat st;
	assert_int_equal(stat(t, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	/* A new file gets 0666 & ~umask, not mkstemp's 0600. */
	mode_t old = umask(022);
	assert_int_equal(write_text(path_in("new.txt"), "c\n"), 0);
	umask(old);
	assert_int_equal(stat(path_in("new.txt"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
}

/* A FIFO is written into, never replaced by a regular file. */
static void test_fifo_written_in_place(void **state)
{
	(void)state;
	const char *fifo = path_in("fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(fifo, O_RDONLY);
		char buf[64] = {0};
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		_exit(n == 6 && strcmp(buf, "piped\n") == 0 ? 0 : 1);
	}
	assert_int_equal(write_text(fifo, "piped\n"), 0);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	struct stat s;
	assert_int_equal(lstat(fifo, &s), 0);
	assert_true(S_ISFIFO(s.st_mode));
}

/* /dev/full: the real cause (ENOSPC) comes back, not EIO, and the device stays a device. */
static void test_full_device_says_enospc(void **state)
{
	(void)state;
	sc_afile f;
	assert_int_equal(sc_afile_open(&f, "/dev/full"), 0);
	for (int i = 0; i < 10000; i++)
		fputs("0123456789abcdef", f.fp);
	assert_int_equal(sc_afile_commit(&f), -ENOSPC);
	/* And through a writer that only knows ferror() (returns -EIO): */
	assert_int_equal(sc_afile_open(&f, "/dev/full"), 0);
	for (int i = 0; i < 10000; i++)
		fputs("0123456789abcdef", f.fp);
	fflush(f.fp);
	assert_int_equal(sc_afile_fail(&f, ferror(f.fp) ? -EIO : 0), -ENOSPC);
	struct stat st;
	assert_int_equal(stat("/dev/full", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

static void test_directory_refused(void **state)
{
	(void)state;
	sc_afile f;
	assert_int_equal(sc_afile_open(&f, dir), -EISDIR);
	char *data;
	size_t n;
	assert_int_equal(sc_read_file(dir, &data, &n), -EISDIR);
}

static void test_missing_folder(void **state)
{
	(void)state;
	sc_afile f;
	assert_int_equal(sc_afile_open(&f, path_in("no/such/file")), -ENOENT);
	sc_afile_abort(&f); /* zeroed on failure: safe */
}

/* Standard output, "-" and /dev/stdout: in place, what was printed before stays first. */
static void test_stdout(void **state)
{
	(void)state;
	const char *out = path_in("stdout.txt");
	fflush(stdout);
	int saved = dup(1);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 1);
	close(fd);
	printf("first\n");
	int r1 = write_text("-", "second\n");
	int r2 = write_text("/dev/stdout", "third\n");
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	assert_int_equal(r1, 0);
	assert_int_equal(r2, 0);
	char *s = slurp(out);
	assert_string_equal(s, "first\nsecond\nthird\n");
	free(s);
}

/* A set: one member failing leaves every target as it was. */
static void test_set_all_or_nothing(void **state)
{
	(void)state;
	const char *a = path_in("a.txt"), *b = path_in("b.txt");
	assert_int_equal(write_text(a, "old a\n"), 0);
	assert_int_equal(write_text(b, "old b\n"), 0);
	sc_afile set[3];
	assert_int_equal(sc_afile_open(&set[0], a), 0);
	assert_int_equal(sc_afile_open(&set[1], "/dev/full"), 0);
	assert_int_equal(sc_afile_open(&set[2], b), 0);
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 10000; k++)
			fputs("new new new new\n", set[i].fp);
	size_t failed = 99;
	assert_int_equal(sc_afile_commit_all(set, 3, &failed), -ENOSPC);
	assert_int_equal(failed, 1);
	char *sa = slurp(a), *sb = slurp(b);
	assert_string_equal(sa, "old a\n");
	assert_string_equal(sb, "old b\n");
	free(sa);
	free(sb);
	assert_int_equal(entries(), 2);
	/* And all new when every member succeeds. */
	assert_int_equal(sc_afile_open(&set[0], a), 0);
	assert_int_equal(sc_afile_open(&set[1], b), 0);
	fputs("new a\n", set[0].fp);
	fputs("new b\n", set[1].fp);
	assert_int_equal(sc_afile_commit_all(set, 2, NULL), 0);
	sa = slurp(a);
	sb = slurp(b);
	assert_string_equal(sa, "new a\n");
	assert_string_equal(sb, "new b\n");
	free(sa);
	free(sb);
}

/* A signal handler removes the live temporaries. */
static void test_unlink_temporaries(void **state)
{
	(void)state;
	sc_afile f;
	assert_int_equal(sc_afile_open(&f, path_in("sig.txt")), 0);
	fputs("x", f.fp);
	assert_int_equal(entries(), 1);
	sc_afile_unlink_temporaries();
	assert_int_equal(entries(), 0);
	sc_afile_abort(&f);
}

static void test_read_limit(void **state)
{
	(void)state;
	const char *t = path_in("big.txt");
	assert_int_equal(write_text(t, "0123456789"), 0);
	char *data = NULL;
	size_t n = 0;
	assert_int_equal(sc_read_file_max(t, 9, &data, &n), -EFBIG);
	assert_int_equal(sc_read_file_max(t, 10, &data, &n), 0);
	assert_int_equal(n, 10);
	free(data);
	/* An endless input stops at the limit. */
	assert_int_equal(sc_read_file_max("/dev/zero", 1 << 20, &data, &n), -EFBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_replaces_atomically, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abort_keeps_old, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_planted_symlinks_not_followed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_at_target_replaced_not_followed, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_fifo_in_sticky_folder_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_mode_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fifo_written_in_place, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_device_says_enospc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_directory_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_folder, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stdout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_all_or_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unlink_temporaries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_limit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
