/*
 * test_trace_runtime_console.c: the console server inside a program started with
 * SCORCH_CONSOLE=1 (src/trace/server.c, proto.h), from the console's side. The program is this
 * test again ("--child"), spinning in a span until SIGTERM, with XDG_RUNTIME_DIR pointing to a
 * fresh 0700 folder of the test's.
 *
 *   console  a wrong hello and a connection that goes silent are closed, and the program runs
 *            on; a good hello gets an OK reply with the program's pid and the event file's
 *            descriptor, whose rings hold the program's span events and its site's TRACE_LOC;
 *            a second console meanwhile gets BUSY and no descriptor; once the first goes, the
 *            next one gets the file again; at exit the socket file is removed;
 *   stale    a socket file nobody listens on at the program's path (left by its image before an
 *            exec) is replaced, and a console reaches the new image.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <scorch/trace.h>

#include "agent/stream.h"
#include "trace/proto.h"

extern char **environ;

/* ---- the instrumented child --------------------------------------------------------------- */

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int child_spin(void)
{
	/* The test may send SIGTERM as soon as the console answers, which the runtime's constructor
	 * makes possible before main: spawn_child starts us with SIGTERM blocked, so it waits for
	 * the handler. */
	signal(SIGTERM, on_term);
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &term, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed test leaves no program spinning */
	if (getppid() == 1)
		return 71;
	if (!scorch_trace_enabled())
		return 70;
	while (!stop) {
		SCORCH_SPAN("spin");
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Leaves a socket file nobody listens on at its own path, then becomes a program with the
 * console on (the same pid). */
static int child_stale(const char *self)
{
	char path[108], err[256];
	if (sc_console_path(getpid(), 1, path, sizeof(path), err, sizeof(err)) < 0)
		return 80;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 81;
	close(fd);
	setenv(SC_CONSOLE_ENV, "1", 1);
	char *argv[] = {(char *)self, "--child", "spin", NULL};
	execv("/proc/self/exe", argv);
	return 82;
}

/* ---- the console's side ------------------------------------------------------------------- */

static char rundir[64];

static void setup_rundir(void)
{
	if (rundir[0])
		return;
	snprintf(rundir, sizeof(rundir), "/tmp/scorch-test-rt-XXXXXX");
	assert_non_null(mkdtemp(rundir));
	setenv("XDG_RUNTIME_DIR", rundir, 1);
}

static pid_t spawn_child(const char *mode, bool console)
{
	char *env[64];
	size_t ne = 0;
	for (char **e = environ; *e && ne < 60; e++)
		if (strncmp(*e, SC_AGENT_ENV_FILE "=", strlen(SC_AGENT_ENV_FILE) + 1) &&
		    strncmp(*e, "SCORCH_CONSOLE=", 15))
			env[ne++] = *e;
	if (console)
		env[ne++] = "SCORCH_CONSOLE=1";
	env[ne] = NULL;
	char *argv[] = {"test_trace_runtime_console", "--child", (char *)mode, NULL};
	/* SIGTERM blocked until child_spin has its handler (an exec keeps the mask). */
	posix_spawnattr_t attr;
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	assert_int_equal(posix_spawnattr_init(&attr), 0);
	assert_int_equal(posix_spawnattr_setsigmask(&attr, &term), 0);
	assert_int_equal(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK), 0);
	pid_t pid;
	assert_int_equal(posix_spawn(&pid, "/proc/self/exe", NULL, &attr, argv, env), 0);
	posix_spawnattr_destroy(&attr);
	return pid;
}

static void sock_path(pid_t pid, char *path)
{
	char err[256];
	/* The folder may not be there yet: the program makes it as it starts. */
	assert_int_equal(sc_console_path(pid, 1, path, 108, err, sizeof(err)), 0);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Connects to the program's socket (waiting up to 10 s for it to appear and listen). */
static int connect_to(pid_t pid)
{
	char path[108];
	sock_path(pid, path);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	memcpy(a.sun_path, path, strlen(path) + 1);
	for (int i = 0; i < 1000; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fd >= 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		close(fd);
		sleep_ms(10);
	}
	fail_msg("nothing listens on %s", path);
	return -1;
}

/* Waits up to 10 s for fd to be readable; true when it is. */
static bool readable(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	return poll(&p, 1, 10000) == 1;
}

/* The server closed the connection (EOF), without a reply. */
static void expect_closed(int fd)
{
	assert_true(readable(fd));
	char buf[64];
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0);
	close(fd);
}

/* Reads the reply; its descriptor (or -1) in *file. */
static void get_reply(int fd, sc_console_reply *rep, int *file)
{
	assert_true(readable(fd));
	struct iovec iov = {rep, sizeof(*rep)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf)};
	assert_int_equal(recvmsg(fd, &msg, MSG_CMSG_CLOEXEC), sizeof(*rep));
	assert_memory_equal(rep->magic, SC_CONSOLE_MAGIC, 8);
	assert_int_equal(rep->version, SC_CONSOLE_VERSION);
	*file = -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(file, CMSG_DATA(c), sizeof(int));
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

static bool alive(pid_t pid)
{
	int st;
	return waitpid(pid, &st, WNOHANG) == 0;
}

/* Maps the event file and looks (up to 10 s, draining as a console does) for the span events of
 * the program and the LOC record naming their site "spin". */
static void check_file(int file, uint64_t bytes)
{
	struct stat st;
	assert_int_equal(fstat(file, &st), 0);
	assert_int_equal((uint64_t)st.st_size, bytes);
	unsigned char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0);
	assert_true(m != MAP_FAILED);
	sc_agent_header *h = (sc_agent_header *)m;
	assert_memory_equal(h->magic, SC_AGENT_MAGIC, 8);
	assert_int_equal(h->version, SC_AGENT_VERSION);
	uint32_t spin_id = 0;
	int begins = 0, ends = 0;
	for (int round = 0; round < 1000 && !(spin_id && begins > 2 && ends > 2); round++) {
		for (uint32_t i = 0; i < h->nrings; i++) {
			sc_agent_ring *r =
			    (sc_agent_ring *)(m + h->header_bytes +
					      (uint64_t)i * (SC_AGENT_RING_HEADER + h->ring_bytes));
			uint32_t state = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);
			if (state != SC_AGENT_RING_OWNED && state != SC_AGENT_RING_CLOSED)
				continue;
			uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE), tail = r->tail;
			unsigned char *data = (unsigned char *)r + SC_AGENT_RING_HEADER;
			while (tail < head) {
				sc_agent_rec *rec =
				    (sc_agent_rec *)(data + (tail & (h->ring_bytes - 1)));
				assert_true(rec->size >= 8 && rec->size % 8 == 0);
				if (rec->type == SC_AGENT_REC_TRACE_LOC) {
					sc_agent_trace_loc *l = (sc_agent_trace_loc *)(rec + 1);
					if (!strcmp((char *)(l + 1), "spin"))
						spin_id = l->id;
				} else if (rec->type == SC_AGENT_REC_TRACE) {
					sc_agent_trace_ev *e = (sc_agent_trace_ev *)(rec + 1);
					begins += e->kind == SC_AGENT_EV_BEGIN && e->loc == spin_id;
					ends += e->kind == SC_AGENT_EV_END;
				}
				tail += rec->size;
			}
			__atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
		}
		sleep_ms(10);
	}
	assert_true(spin_id != 0);
	assert_true(begins > 2 && ends > 2);
	munmap(m, bytes);
}

static void stop_child(pid_t pid)
{
	kill(pid, SIGTERM);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	char path[108];
	sock_path(pid, path);
	assert_int_equal(access(path, F_OK), -1); /* removed at exit */
}

static void test_console(void **state)
{
	(void)state;
	setup_rundir();
	pid_t pid = spawn_child("spin", true);
	/* Wrong hellos (of the right length, and shorter): closed; the program runs on. */
	int fd = connect_to(pid);
	send_str(fd, "SCORCH-CONSOLE 9\n");
	expect_closed(fd);
	fd = connect_to(pid);
	send_str(fd, "HELLO?\n");
	expect_closed(fd);
	assert_true(alive(pid));
	/* Half a hello and then silence: closed after SC_CONSOLE_HELLO_MS. */
	fd = connect_to(pid);
	send_str(fd, "SCORCH-");
	expect_closed(fd);
	assert_true(alive(pid));
	/* A good hello: the file. */
	int c1 = connect_to(pid);
	send_str(c1, SC_CONSOLE_HELLO);
	sc_console_reply rep;
	int file;
	get_reply(c1, &rep, &file);
	assert_int_equal(rep.status, SC_CONSOLE_OK);
	assert_int_equal(rep.pid, (uint32_t)pid);
	assert_true(file >= 0);
	check_file(file, rep.file_bytes);
	close(file);
	/* A second console meanwhile: BUSY, no descriptor, closed. */
	int c2 = connect_to(pid);
	send_str(c2, SC_CONSOLE_HELLO);
	get_reply(c2, &rep, &file);
	assert_int_equal(rep.status, SC_CONSOLE_BUSY);
	assert_int_equal(file, -1);
	expect_closed(c2);
	/* The first goes: the next one is served. */
	close(c1);
	for (int i = 0; i < 100; i++) {
		int c3 = connect_to(pid);
		send_str(c3, SC_CONSOLE_HELLO);
		get_reply(c3, &rep, &file);
		close(c3);
		if (rep.status == SC_CONSOLE_OK) {
			assert_true(file >= 0);
			close(file);
			break;
		}
		/* The server may not have seen the first one go yet. */
		assert_int_equal(rep.status, SC_CONSOLE_BUSY);
		sleep_ms(20);
	}
	assert_int_equal(rep.status, SC_CONSOLE_OK);
	assert_true(alive(pid));
	stop_child(pid);
}

static void test_stale(void **state)
{
	(void)state;
	setup_rundir();
	pid_t pid = spawn_child("stale", false);
	int fd = connect_to(pid);
	send_str(fd, SC_CONSOLE_HELLO);
	sc_console_reply rep;
	int file;
	get_reply(fd, &rep, &file);
	assert_int_equal(rep.status, SC_CONSOLE_OK);
	assert_int_equal(rep.pid, (uint32_t)pid);
	assert_true(file >= 0);
	close(file);
	close(fd);
	stop_child(pid);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--child") == 0) {
		if (!strcmp(argv[2], "spin"))
			return child_spin();
		if (!strcmp(argv[2], "stale"))
			return child_stale(argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_console),
	    cmocka_unit_test(test_stale),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	if (rundir[0]) {
		char sub[96];
		snprintf(sub, sizeof(sub), "%s/scorch", rundir);
		rmdir(sub);
		rmdir(rundir);
	}
	return r;
}
