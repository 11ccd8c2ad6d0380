/*
 * session.c: launching, attaching, the terminal and the poll loop of a profiled program. The
 * contract is in session.h; this comment is the tour.
 *
 *   launch   fork; the child joins a process group of its own and waits on a pipe (`go`) while
 *            the caller prepares; then exec. An exec failure comes back through a close-on-exec
 *            pipe as the child's errno; a closed `go` pipe without a byte makes the child exit 127
 *            without running anything. The environment for exec is built before the fork.
 *   terminal the command's group gets the terminal when scorch is the foreground of one, so that
 *            the keys (Ctrl-C, Ctrl-Z, Ctrl-\) reach the command and its children and it may read
 *            the terminal; scorch takes it back at the end (sc_session_end).
 *   loop     poll() on the caller's descriptors and the target's pidfd (when the kernel has
 *            pidfd_open; else the target is looked at every round), a round callback after every
 *            wake-up, then waitpid/kill(0) to learn whether the target is gone, then the signal
 *            counters and the deadline decide whether to stop.
 *
 * Not here: signal handlers (sigsafe.c, signal context), output folders (outdir.c).
 */
#include "session/session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* After SIGTERM to a command we stop, how long before SIGKILL. */
#define KILL_GRACE_S 2.0
/* How often the loop looks when it has no exit notification (no pidfd, or stopping). */
#define LOOK_MS 50

extern char **environ;

/* Says what failed in s->diag and returns `err`. */
#define FAIL(s, err, ...) (sc_diag_error(&(s)->diag, 0, 0, -1, __VA_ARGS__), (err))

void sc_session_init(sc_session *s)
{
	memset(s, 0, sizeof(*s));
	s->tty = -1;
}

double sc_session_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the command's process group and the terminal -------------------------------------------
 *
 * The command runs in a process group of its own, so that stopping it reaches everything it
 * started (`sh -c './a & ./b & wait'`): SIGTERM and SIGKILL go to the group. A Ctrl-Z that stops
 * the command stops scorch too (the shell then shows the job stopped), and `fg` continues both.
 */

/* Sends `sig` to the command's process group, and to the command itself when it has left that
 * group (a shell with job control makes its own). */
static void signal_command(const sc_session *s, int sig)
{
	if (kill(-s->pid, sig) < 0 || getpgid(s->pid) != s->pid)
		kill(s->pid, sig);
}

/* The terminal whose foreground scorch is, or -1. */
static int foreground_tty(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd) && tcgetpgrp(fd) == getpgrp())
			return fd;
	return -1;
}

/* Hands the terminal to the command's group when scorch holds it. */
static void give_terminal(sc_session *s)
{
	s->tty = foreground_tty();
	if (s->tty >= 0 && tcsetpgrp(s->tty, s->pid) < 0)
		s->tty = -1;
}

/* Makes scorch's group the terminal's foreground again. From a background group this would send
 * SIGTTOU, hence the mask. */
static void take_terminal(const sc_session *s)
{
	if (s->tty < 0)
		return;
	sigset_t ttou, old;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	tcsetpgrp(s->tty, getpgrp());
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The command was stopped by a terminal's stop key (or by reading or writing the terminal from the
 * background): stop scorch as well, so that the shell sees the job stopped; once continued (fg or
 * bg), continue the command, in the foreground if scorch is. A plain SIGSTOP is left to whoever
 * sent it, and without a terminal there is no job control to follow. */
static void follow_stop(sc_session *s, int sig)
{
	if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
		return;
	if (s->tty < 0 && !isatty(0) && !isatty(1) && !isatty(2))
		return;
	take_terminal(s);
	raise(SIGSTOP);
	give_terminal(s);
	signal_command(s, SIGCONT);
}

void sc_session_end(sc_session *s)
{
	take_terminal(s);
	s->tty = -1;
}

/* ---- launching ----------------------------------------------------------------------------- */

/* `len` bytes of `entry` name the variable: "NAME=" included. */
static size_t name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');
	return eq ? (size_t)(eq - entry) + 1 : strlen(entry);
}

/* The environment for exec: scorch's, less the names `env` sets, plus `env`. Returns a
 * NULL-terminated array of borrowed strings (free the array only), or NULL when out of memory. */
static char **build_env(char *const *env)
{
	size_t n = 0, m = 0;
	while (environ && environ[n])
		n++;
	while (env[m])
		m++;
	char **out = calloc(n + m + 1, sizeof(*out));
	if (!out)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = name_len(environ[i]);
		bool replaced = false;
		for (size_t j = 0; j < m && !replaced; j++)
			replaced = name_len(env[j]) == len && !strncmp(env[j], environ[i], len);
		if (!replaced)
			out[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++)
		out[k++] = env[j];
	return out;
}

/* Forks the command, stopped before exec until `go` is written. Returns the pid or -errno. */
static pid_t spawn(char *const *argv, char **envp, int go_fd, int go_wr, int err_rd, int err_wr)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid < 0 ? -errno : pid;
	close(go_wr);
	close(err_rd);
	setpgid(0, 0); /* the parent does it too: whichever runs first */
	char c;
	ssize_t n;
	while ((n = read(go_fd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		_exit(127); /* the caller gave up before starting us */
	if (envp)
		execvpe(argv[0], argv, envp);
	else
		execvp(argv[0], argv);
	int e = errno;
	if (write(err_wr, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int sc_session_launch(sc_session *s, const sc_session_launch_options *o)
{
	const char *cmd = o->argv[0];
	char **envp = NULL;
	if (o->env && !(envp = build_env(o->env)))
		return FAIL(s, -ENOMEM, "out of memory");
	int go[2] = {-1, -1}, ep[2] = {-1, -1};
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		int e = -errno;
		if (go[0] >= 0) {
			close(go[0]);
			close(go[1]);
		}
		free(envp);
		return FAIL(s, e, "cannot create a pipe: %s", strerror(-e));
	}
	pid_t pid = spawn(o->argv, envp, go[0], go[1], ep[0], ep[1]);
	free(envp);
	close(go[0]);
	close(ep[1]);
	if (pid < 0) {
		close(go[1]);
		close(ep[0]);
		return FAIL(s, pid, "cannot run '%s': %s", cmd, strerror(-pid));
	}
	s->pid = pid;
	s->launched = true;
	setpgid(pid, pid);
	int r = o->before_exec ? o->before_exec(o->ctx, pid) : 0;
	if (r == 0) {
		give_terminal(s);
		char c = 'g';
		if (write(go[1], &c, 1) != 1)
			r = FAIL(s, -errno, "cannot start '%s': %s", cmd, strerror(errno));
	}
	close(go[1]);
	int child_errno = 0;
	if (r == 0) {
		ssize_t n;
		while ((n = read(ep[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR)
			;
		if (n == (ssize_t)sizeof(child_errno)) {
			s->exec_errno = child_errno;
			r = FAIL(s, -child_errno, "cannot run '%s': %s", cmd,
				 strerror(child_errno));
		}
	}
	close(ep[0]);
	if (r < 0) {
		/* The child exits by itself once the go pipe is closed or exec failed. */
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	return r;
}

int sc_session_attach(sc_session *s, pid_t pid)
{
	s->pid = pid;
	s->launched = false;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return FAIL(s, -ESRCH, "no process %d", (int)pid);
	return 0;
}

void sc_session_request_stop(sc_session *s)
{
	s->stop_requested = true;
}

void sc_session_kill(sc_session *s)
{
	if (!s->launched || s->exited)
		return;
	signal_command(s, SIGKILL);
	int st = 0;
	while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
		;
	s->exited = true;
	s->wait_status = st;
}

/* ---- the poll loop ------------------------------------------------------------------------- */

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

int sc_session_loop_run(sc_session *s, const sc_session_loop *l)
{
	int pidfd = pidfd_open_(s->pid);
	struct pollfd *pf = calloc(l->nfds + 1, sizeof(*pf));
	int ret = 0;
	if (!pf) {
		ret = -ENOMEM;
		goto out;
	}
	size_t npf = 0;
	for (size_t i = 0; i < l->nfds; i++)
		pf[npf++] = (struct pollfd){.fd = l->fds[i], .events = POLLIN};
	size_t pidfd_at = npf;
	if (pidfd >= 0)
		pf[npf++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
	double kill_at = 0;
	bool stopping = false, killed = false, forwarded_int = false;
	for (;;) {
		int timeout = l->poll_ms;
		double t = sc_session_now();
		if (pidfd < 0 || stopping)
			timeout = LOOK_MS; /* no exit notification: look often */
		if (l->deadline && !stopping) {
			double left = (l->deadline - t) * 1000 + 1;
			if (left < timeout)
				timeout = left > 0 ? (int)left : 0;
		}
		if (poll(pf, npf, timeout) < 0 && errno != EINTR) {
			ret = FAIL(s, -errno, "poll failed: %s", strerror(errno));
			goto out;
		}
		/* A task event whose tasks are all gone reports POLLHUP forever: stop asking. */
		for (size_t i = 0; i < pidfd_at; i++)
			if (pf[i].revents & (POLLHUP | POLLERR))
				pf[i].fd = -1;
		if ((ret = l->round(l->ctx, false)) < 0)
			goto out;
		if (s->launched) {
			int st;
			if (waitpid(s->pid, &st, WNOHANG | WUNTRACED) == s->pid) {
				if (WIFSTOPPED(st)) {
					follow_stop(s, WSTOPSIG(st));
					continue;
				}
				s->exited = true;
				s->wait_status = st;
				break;
			}
		} else if (pidfd >= 0 ? (pf[pidfd_at].revents & POLLIN) != 0
				      : kill(s->pid, 0) < 0 && errno == ESRCH) {
			break;
		}
		t = sc_session_now();
		/* A SIGINT that reaches scorch did not reach the command's group (the terminal's
		 * goes to that group alone): the first one is passed on, for the command to act
		 * on; a second one means the user really wants us to stop. */
		if (s->launched && sc_session_nsigint == 1 && !forwarded_int) {
			signal_command(s, SIGINT);
			forwarded_int = true;
		}
		bool stop = s->stop_requested || sc_session_nsigterm ||
			    sc_session_nsigint >= (s->launched ? 2 : 1) ||
			    (l->deadline && t >= l->deadline);
		if (!stop)
			continue;
		if (!s->launched)
			break;
		if (!stopping) {
			signal_command(s, SIGTERM);
			signal_command(s,
				       SIGCONT); /* a stopped group acts on it only when running */
			stopping = true;
			s->stopped = true;
			kill_at = t + KILL_GRACE_S;
		} else if (!killed && t >= kill_at) {
			signal_command(s, SIGKILL);
			killed = true;
			s->killed = true;
		}
	}
	/* Everything the target did before it exited is ready now: take it all. */
	ret = l->round(l->ctx, true);
out:
	free(pf);
	if (pidfd >= 0)
		close(pidfd);
	return ret;
}
