/*
 * console.c: `scorch console PID`, the live view of a running program that links libscorch and
 * was started with SCORCH_CONSOLE=1.
 *
 * Flow: check the process (exists, is the user's) -> connect to its console socket
 * (src/trace/proto.h: the path, the hello; the reply brings the event file's descriptor by
 * SCM_RIGHTS) -> map the file (sc_agentfile_attach) -> every --interval: drain its rings into the
 * screen (consoleui.h: decoder, live windows, drawing) -> keys between rounds. The connection
 * stays open while the console is attached: its end (EOF) or the process's disappearance means
 * the program is gone; the last view stays on screen, saying so, until q. --once prints one plain
 * snapshot after one interval instead.
 *
 * Exit status: 0; 1 when the program cannot be reached (no such process, no socket, busy, a reply
 * that is not one) or the screen cannot be set up; 2 for bad usage.
 */
#include "cli/commands.h"
#include "cli/consoleui.h"
#include "cli/options.h"
#include "record/agentfile.h"
#include "trace/proto.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *const usage[] = {
    "scorch console [options] PID",
    NULL,
};

static const char *const examples[] = {
    "SCORCH_CONSOLE=1 ./server &  scorch console $!",
    "scorch console --interval 250 --block-ms 20 1234",
    "scorch console --once 1234 > snapshot.txt",
    NULL,
};

#define REPLY_MS 5000 /* the program answers from its own thread: generous */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* 0 when process `pid` exists and is the user's, else 1 after saying so. */
static int check_process(pid_t pid)
{
	char proc[64];
	struct stat st;
	snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
	int alive = kill(pid, 0) == 0 || errno == EPERM;
	if (alive && stat(proc, &st) == 0 && st.st_uid == geteuid())
		return 0;
	if (alive)
		sc_cli_error("console", 0,
			     "process %d is another user's: a console attaches only to the user's "
			     "own programs",
			     (int)pid);
	else
		sc_cli_error("console", 0, "no such process: %d", (int)pid);
	return 1;
}

/* Connects to `pid`'s console (the socket's path into `path`) and receives the event file: its
 * descriptor in *fd and size in *size. 0, or 1 after printing why not. */
static int attach(pid_t pid, char path[128], int *sock_out, int *fd, uint64_t *size)
{
	char err[256];
	int r = sc_console_path(pid, 0, path, 128, err, sizeof(err));
	if (r < 0 && r != -ENOENT) {
		sc_cli_error("console", 0, "%s", err);
		return 1;
	}
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		sc_cli_error("console", errno, "cannot create a socket");
		return 1;
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, path, strnlen(path, sizeof(sa.sun_path) - 1)); /* checked by proto.c */
	if (r < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = r < 0 ? -r : errno;
		close(sock);
		if (e == ENOENT || e == ECONNREFUSED)
			sc_cli_error("console", 0,
				     "process %d has no console socket (%s): was %d started with "
				     "SCORCH_CONSOLE=1 and does it link libscorch?",
				     (int)pid, r < 0 ? "its folder does not exist" : path,
				     (int)pid);
		else
			sc_cli_error("console", e, "cannot connect to %s", path);
		return 1;
	}
	const char hello[] = SC_CONSOLE_HELLO;
	if (send(sock, hello, sizeof(hello) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(hello) - 1) {
		sc_cli_error("console", errno, "cannot greet process %d", (int)pid);
		close(sock);
		return 1;
	}
	struct pollfd p = {.fd = sock, .events = POLLIN};
	if (poll(&p, 1, REPLY_MS) <= 0) {
		sc_cli_error("console", 0, "process %d did not answer within %d s", (int)pid,
			     REPLY_MS / 1000);
		close(sock);
		return 1;
	}
	sc_console_reply reply;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = &reply, .iov_len = sizeof(reply)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl)};
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	*fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); n > 0 && c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (n == (ssize_t)sizeof(reply) && !memcmp(reply.magic, SC_CONSOLE_MAGIC, 8) &&
	    reply.status == SC_CONSOLE_BUSY) {
		sc_cli_error("console", 0, "process %d is busy: another console is attached to it",
			     (int)pid);
	} else if (n != (ssize_t)sizeof(reply) || memcmp(reply.magic, SC_CONSOLE_MAGIC, 8) ||
		   reply.version != SC_CONSOLE_VERSION || reply.status != SC_CONSOLE_OK ||
		   *fd < 0) {
		sc_cli_error("console", 0,
			     n == 0 ? "process %d closed the connection without an answer"
				    : "process %d's answer is not a scorch console's",
			     (int)pid);
	} else {
		*sock_out = sock;
		*size = reply.file_bytes;
		return 0;
	}
	if (*fd >= 0)
		close(*fd);
	close(sock);
	return 1;
}

/* Whether process `pid` still runs (a zombie does not). Its connection `closed` is usually
 * its exit on its way: then wait for that a little (its descriptors close before it becomes a
 * zombie), so that the screen can say the program exited rather than that it hung up. */
static bool process_alive(pid_t pid, bool closed)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < (closed ? 50 : 1); i++) {
		if (i) {
			struct timespec ts = {0, 20000000};
			nanosleep(&ts, NULL);
		}
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return false;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return false;
		buf[n] = 0;
		const char *p = strrchr(buf, ')');
		if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
			return false;
	}
	return true;
}

#define NSIGS 5
/* Signals: a byte into a pipe that the loop polls (no race between a flag and poll). */
static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t sig_quit, sig_winch, sig_tstp;

static void on_signal(int sig)
{
	int e = errno;
	if (sig == SIGWINCH)
		sig_winch = 1;
	else if (sig == SIGTSTP)
		sig_tstp = 1;
	else
		sig_quit = sig;
	char c = 0;
	ssize_t w = write(sig_pipe[1], &c, 1);
	(void)w;
	errno = e;
}

static int drain(sc_agentfile *f, sc_cui *ui)
{
	int c = sc_cui_catalog(ui, f->hdr, f->size);
	if (c < 0)
		return c;
	for (uint32_t i = 0; i < f->nrings; i++) {
		int r = sc_agentfile_drain(f, i, true, sc_cui_drain_fn, ui);
		if (r < 0)
			return r;
	}
	return sc_cui_round(ui, now_ns());
}

/* The program's name: its argv[0]'s last component (the main thread's name, /proc/PID/comm, is
 * often renamed by scorch_thread_name), else comm. */
static void program_name(pid_t pid, char *buf, size_t size)
{
	char path[64], arg[256];
	buf[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, arg, sizeof(arg) - 1);
		close(fd);
		if (n > 0) {
			arg[n] = 0;
			const char *slash = strrchr(arg, '/'), *b = slash ? slash + 1 : arg;
			size_t len = strnlen(b, size - 1);
			memcpy(buf, b, len);
			buf[len] = 0;
		}
	}
	if (buf[0])
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "re");
	if (f) {
		if (fgets(buf, (int)size, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
}

int cmd_console(int argc, char **argv)
{
	int interval = 500, block_ms = 100, stuck_s = 10;
	bool once = false;
	const sc_option opts[] = {
	    SC_OPT_INT_RANGE(0, "interval", &interval, "MS", 20, 60000,
			     "redraw every MS milliseconds (default 500)"),
	    SC_OPT_FLAG(0, "once", &once,
			"print one plain-text snapshot after one interval and exit (for scripts)"),
	    SC_OPT_INT_RANGE(0, "block-ms", &block_ms, "MS", 1, 3600000,
			     "warn about a callback that blocks its loop longer (default 100)"),
	    SC_OPT_INT_RANGE(0, "stuck-s", &stuck_s, "SECONDS", 1, 86400,
			     "warn about a span open longer (default 10)"),
	    SC_OPT_END(),
	};
	int argi = sc_options_parse("console", usage, opts, examples, argc, argv);
	if (argi < 0)
		return argi == SC_OPTIONS_HELP ? 0 : 2;
	if (argc - argi != 1) {
		sc_cli_error("console", 0, "expected one process id (see scorch console --help)");
		return 2;
	}
	char *end;
	errno = 0;
	long pidl = strtol(argv[argi], &end, 10);
	if (errno || end == argv[argi] || *end || pidl <= 0 || pidl > 0x3fffffff) {
		sc_cli_error("console", 0, "'%s' is not a process id", argv[argi]);
		return 2;
	}
	pid_t pid = (pid_t)pidl;
	if (check_process(pid))
		return 1;
	if (!once && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))) {
		sc_cli_error("console", 0,
			     "the console needs a terminal: run it in one, or use --once for a "
			     "plain snapshot");
		return 2;
	}

	int sock = -1, fd = -1;
	uint64_t size = 0;
	char sock_path[128];
	if (attach(pid, sock_path, &sock, &fd, &size))
		return 1;
	sc_agentfile f;
	char err[256];
	int r = sc_agentfile_attach(&f, fd, size, err, sizeof(err));
	if (r < 0) {
		sc_cli_error("console", 0, "process %d: %s", (int)pid, err);
		sc_agentfile_close(&f);
		close(sock);
		return 1;
	}
	char name[64];
	program_name(pid, name, sizeof(name));
	sc_cui_options o = {.program = name,
			    .pid = pid,
			    .block_ns = (uint64_t)block_ms * 1000000,
			    .stuck_ns = (uint64_t)stuck_s * 1000000000,
			    .screen = !once};

	struct sigaction sa = {.sa_handler = on_signal}, old[NSIGS];
	const int sigs[NSIGS] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGTSTP};
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		sc_cli_error("console", errno, "cannot create a pipe");
		sc_agentfile_close(&f);
		close(sock);
		return 1;
	}
	for (int i = 0; i < NSIGS; i++)
		sigaction(sigs[i], &sa, &old[i]);

	sc_cui *ui = sc_cui_new(&o);
	int status = 0;
	if (!ui) {
		sc_cli_error("console", errno, "cannot set up the screen");
		status = 1;
		goto out;
	}
	if (once) {
		struct timespec ts = {interval / 1000, (long)(interval % 1000) * 1000000};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !sig_quit)
			;
		if ((r = drain(&f, ui)) < 0 || (r = sc_cui_print(ui, stdout)) < 0) {
			sc_cli_error("console", r, "cannot show process %d's events", (int)pid);
			status = 1;
		}
		goto out;
	}
	if ((r = drain(&f, ui)) < 0)
		goto fail;
	uint64_t next = now_ns() + (uint64_t)interval * 1000000;
	bool gone = false;
	while (!sig_quit) {
		struct pollfd p[3] = {{.fd = STDIN_FILENO, .events = POLLIN},
				      {.fd = sig_pipe[0], .events = POLLIN},
				      {.fd = gone ? -1 : sock, .events = POLLIN}};
		uint64_t t = now_ns();
		int wait = gone ? -1 : t >= next ? 0 : (int)((next - t) / 1000000) + 1;
		if (poll(p, 3, wait) < 0 && errno != EINTR) {
			r = -errno;
			goto fail;
		}
		if (p[1].revents) {
			char buf[64];
			while (read(sig_pipe[0], buf, sizeof(buf)) > 0)
				;
		}
		if (sig_quit)
			break;
		if (sig_tstp) {
			/* Ctrl-Z: the terminal as it was while stopped, the screen again after fg.
			 */
			sig_tstp = 0;
			sc_cui_suspend(ui);
			signal(SIGTSTP, SIG_DFL);
			raise(SIGTSTP);
			sigaction(SIGTSTP, &sa, NULL);
			sc_cui_resume(ui);
		}
		if (sig_winch) {
			sig_winch = 0;
			sc_cui_redraw(ui);
		}
		if ((p[0].revents & POLLIN) && sc_cui_keys(ui))
			break;
		if (p[0].revents & (POLLHUP | POLLERR))
			break; /* the terminal went away */
		bool closed = false;
		if (!gone && p[2].revents) {
			char c;
			ssize_t n = recv(sock, &c, 1, MSG_DONTWAIT);
			closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
		}
		if (!gone && (closed || now_ns() >= next)) {
			if ((r = drain(&f, ui)) < 0)
				goto fail;
			next += (uint64_t)interval * 1000000;
			if (next < now_ns())
				next = now_ns() + (uint64_t)interval * 1000000;
			bool alive = process_alive(pid, closed);
			if (closed || !alive) {
				gone = true;
				sc_cui_exited(ui,
					      alive ? "the program closed the console's connection"
						    : "program exited");
			}
		}
	}
	goto out;
fail:
	sc_cui_free(ui);
	ui = NULL;
	sc_cli_error("console", r, "cannot show process %d's events", (int)pid);
	status = 1;
out:
	sc_cui_free(ui);
	for (int i = 0; i < NSIGS; i++)
		sigaction(sigs[i], &old[i], NULL);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sc_agentfile_close(&f);
	close(sock);
	if (sig_quit == SIGINT || sig_quit == SIGTERM || sig_quit == SIGHUP)
		return 128 + sig_quit;
	return status;
}
