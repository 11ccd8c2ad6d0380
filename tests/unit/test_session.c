/*
 * test_session.c: the session layer (src/session/) without perf events: launching a missing or
 * non-executable command, exit statuses and signals seen through the poll loop, the environment
 * added for the command, a before_exec that fails, attaching, a stop requested by a round, and the
 * output folders (dated ones never shared, created folders removed only while empty, never a folder
 * that existed before).
 *
 * Commands are /bin/sh one-liners; nothing waits for a while or measures time: the loops end
 * because the command exits, or at a deadline whose length is not checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "session/outdir.h"
#include "session/session.h"

struct rounds {
	int normal, last;
};

static int count_round(void *ctx, bool last)
{
	struct rounds *n = ctx;
	if (last)
		n->last++;
	else
		n->normal++;
	return 0;
}

/* Launches `sh -c script` (with env) and runs the loop until it exits; returns the wait status. */
static int run_sh(const char *script, char *const *env)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	sc_session s;
	sc_session_init(&s);
	sc_session_launch_options o = {.argv = argv, .env = env};
	assert_int_equal(sc_session_launch(&s, &o), 0);
	assert_true(s.launched);
	struct rounds n = {0};
	sc_session_loop l = {.poll_ms = 50, .round = count_round, .ctx = &n};
	assert_int_equal(sc_session_loop_run(&s, &l), 0);
	assert_true(s.exited);
	assert_int_equal(n.last, 1);
	sc_session_end(&s);
	return s.wait_status;
}

/* A new empty file of mode 0600 (not executable) at `path` ("/tmp/scorch-session-XXXXXX"). */
static void make_temp(char *path)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
}

static void test_missing_command(void **state)
{
	(void)state;
	sc_session s;
	sc_session_init(&s);
	char *argv[] = {"/nonexistent/scorch-test-command", NULL};
	sc_session_launch_options o = {.argv = argv};
	assert_int_equal(sc_session_launch(&s, &o), -ENOENT);
	assert_int_equal(s.exec_errno, ENOENT);
	assert_non_null(strstr(s.diag.message, "cannot run '/nonexistent/scorch-test-command'"));
	/* The child was reaped. */
	assert_int_equal(waitpid(s.pid, NULL, WNOHANG), -1);
	sc_session_end(&s);
}

static void test_not_executable(void **state)
{
	(void)state;
	char path[] = "/tmp/scorch-session-XXXXXX";
	make_temp(path);
	sc_session s;
	sc_session_init(&s);
	char *argv[] = {path, NULL};
	sc_session_launch_options o = {.argv = argv};
	assert_int_equal(sc_session_launch(&s, &o), -EACCES);
	assert_int_equal(s.exec_errno, EACCES);
	unlink(path);
	sc_session_end(&s);
}

static void test_exit_status(void **state)
{
	(void)state;
	int st = run_sh("exit 3", NULL);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
	st = run_sh("kill -USR1 $$", NULL);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGUSR1);
}

static void test_env(void **state)
{
	(void)state;
	setenv("SC_SESSION_TEST", "no", 1);
	setenv("SC_SESSION_KEPT", "kept", 1);
	char *env[] = {"SC_SESSION_TEST=yes", "SC_SESSION_NEW=new", NULL};
	int st = run_sh("test \"$SC_SESSION_TEST\" = yes && test \"$SC_SESSION_NEW\" = new && "
			"test \"$SC_SESSION_KEPT\" = kept",
			env);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Without an env list, scorch's own environment. */
	st = run_sh("test \"$SC_SESSION_TEST\" = no", NULL);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	unsetenv("SC_SESSION_TEST");
	unsetenv("SC_SESSION_KEPT");
}

static int refuse(void *ctx, pid_t pid)
{
	*(pid_t *)ctx = pid;
	return -EMFILE;
}

static void test_before_exec_fails(void **state)
{
	(void)state;
	char path[] = "/tmp/scorch-session-XXXXXX";
	make_temp(path);
	unlink(path);
	/* The command would create `path`; it must never run. */
	char script[128];
	snprintf(script, sizeof(script), "touch %s", path);
	char *argv[] = {"/bin/sh", "-c", script, NULL};
	pid_t seen = 0;
	sc_session s;
	sc_session_init(&s);
	sc_session_launch_options o = {.argv = argv, .before_exec = refuse, .ctx = &seen};
	assert_int_equal(sc_session_launch(&s, &o), -EMFILE);
	assert_int_equal(seen, s.pid);
	assert_string_equal(s.diag.message, "");
	assert_int_equal(s.exec_errno, 0);
	assert_int_equal(waitpid(s.pid, NULL, WNOHANG), -1);
	assert_int_equal(access(path, F_OK), -1);
	sc_session_end(&s);
}

static void test_attach(void **state)
{
	(void)state;
	pid_t dead = fork();
	assert_true(dead >= 0);
	if (!dead)
		_exit(0);
	assert_int_equal(waitpid(dead, NULL, 0), dead);
	sc_session s;
	sc_session_init(&s);
	assert_int_equal(sc_session_attach(&s, dead), -ESRCH);
	assert_non_null(strstr(s.diag.message, "no process"));

	/* A live process: the deadline ends the loop and the process is left running. */
	pid_t child = fork();
	assert_true(child >= 0);
	if (!child) {
		for (;;)
			pause();
	}
	sc_session_init(&s);
	assert_int_equal(sc_session_attach(&s, child), 0);
	assert_false(s.launched);
	struct rounds n = {0};
	sc_session_loop l = {
	    .poll_ms = 10, .deadline = sc_session_now() + 0.02, .round = count_round, .ctx = &n};
	assert_int_equal(sc_session_loop_run(&s, &l), 0);
	assert_int_equal(n.last, 1);
	assert_false(s.exited);
	assert_int_equal(kill(child, 0), 0);
	sc_session_kill(&s); /* attached: not ours to kill */
	assert_int_equal(kill(child, 0), 0);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	sc_session_end(&s);
}

/* Launches a command that runs until it is signalled. */
static void launch_forever(sc_session *s)
{
	char *argv[] = {"/bin/sh", "-c", "while :; do sleep 1; done", NULL};
	sc_session_init(s);
	sc_session_launch_options o = {.argv = argv};
	assert_int_equal(sc_session_launch(s, &o), 0);
}

static int fail_round(void *ctx, bool last)
{
	(void)ctx;
	(void)last;
	return -ENOSPC;
}

static void test_round_error_and_kill(void **state)
{
	(void)state;
	sc_session s;
	launch_forever(&s);
	sc_session_loop l = {.poll_ms = 50, .round = fail_round};
	assert_int_equal(sc_session_loop_run(&s, &l), -ENOSPC);
	assert_false(s.exited);
	sc_session_kill(&s);
	assert_true(s.exited);
	assert_true(WIFSIGNALED(s.wait_status));
	assert_int_equal(WTERMSIG(s.wait_status), SIGKILL);
	sc_session_end(&s);
}

static int stop_at_once(void *ctx, bool last)
{
	sc_session *s = ctx;
	if (!last)
		sc_session_request_stop(s);
	return 0;
}

static void test_request_stop(void **state)
{
	(void)state;
	/* A command that would run forever: the request sends its group SIGTERM, and the loop
	 * waits for it. */
	sc_session s;
	launch_forever(&s);
	sc_session_loop l = {.poll_ms = 50, .round = stop_at_once, .ctx = &s};
	assert_int_equal(sc_session_loop_run(&s, &l), 0);
	assert_true(s.exited);
	assert_true(WIFSIGNALED(s.wait_status));
	assert_int_equal(WTERMSIG(s.wait_status), SIGTERM);
	sc_session_end(&s);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_outdir(void **state)
{
	(void)state;
	char base[] = "/tmp/scorch-outdir-XXXXXX";
	assert_non_null(mkdtemp(base));
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s/out", base);

	/* Dated: the parent is created; a second folder of the same name is another one. */
	sc_outdir a = {0}, b = {0};
	assert_int_equal(sc_outdir_make_dated(&a, parent, "cmd"), 0);
	assert_int_equal(sc_outdir_make_dated(&b, parent, "cmd"), 0);
	assert_true(is_dir(a.path.buf));
	assert_true(is_dir(b.path.buf));
	assert_string_not_equal(a.path.buf, b.path.buf);
	size_t la = strlen(a.path.buf);
	if (!strncmp(a.path.buf, b.path.buf, la)) /* the same second: the -2 one */
		assert_string_equal(b.path.buf + la, "-2");
	assert_string_equal(a.created, parent);
	assert_string_equal(b.created, b.path.buf);
	/* A folder with something in it stays, and so do its parents. */
	char file[PATH_MAX];
	snprintf(file, sizeof(file), "%s/profile", b.path.buf);
	int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	sc_outdir_remove_if_empty(&a);
	assert_false(is_dir(a.path.buf));
	assert_true(is_dir(parent));
	sc_outdir_remove_if_empty(&b);
	assert_true(is_dir(b.path.buf));
	unlink(file);
	sc_outdir_remove_if_empty(&b);
	assert_false(is_dir(b.path.buf));
	sc_outdir_release(&a);
	sc_outdir_release(&b);

	/* As given: removed up to the shallowest folder it created, never the base. */
	sc_outdir c = {0};
	char deep[PATH_MAX];
	snprintf(deep, sizeof(deep), "%s/x/y/z", base);
	assert_int_equal(sc_outdir_make(&c, deep), 0);
	assert_true(is_dir(deep));
	/* The armed removal (signal context) does the same. */
	sc_outdir_arm(&c);
	sc_outdir_remove_armed();
	assert_false(is_dir(deep));
	char x[PATH_MAX];
	snprintf(x, sizeof(x), "%s/x", base);
	assert_false(is_dir(x));
	assert_true(is_dir(base));
	sc_outdir_release(&c);

	/* An existing folder is reused and never removed. */
	sc_outdir e = {0};
	assert_int_equal(sc_outdir_make(&e, base), 0);
	assert_null(e.created);
	sc_outdir_remove_if_empty(&e);
	assert_true(is_dir(base));
	sc_outdir_release(&e);
	sc_outdir_release(&e); /* idempotent */
	rmdir(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_missing_command),
	    cmocka_unit_test(test_not_executable),
	    cmocka_unit_test(test_exit_status),
	    cmocka_unit_test(test_env),
	    cmocka_unit_test(test_before_exec_fails),
	    cmocka_unit_test(test_attach),
	    cmocka_unit_test(test_round_error_and_kill),
	    cmocka_unit_test(test_request_stop),
	    cmocka_unit_test(test_outdir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
