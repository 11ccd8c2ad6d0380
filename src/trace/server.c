/*
 * server.c: the console server inside an instrumented program (the server side of proto.h),
 * started by SCORCH_CONSOLE=1 when SCORCH_AGENT_FILE is not set.
 *
 * At start-up (runtime.c's constructor) it makes the event file in memory (memfd: the header of
 * agent/stream.h, CONSOLE_RINGS rings of CONSOLE_RING_BYTES and the catalogue of sites and
 * thread names, sparse: a ring costs memory only as its thread fills it, 68 MiB at most), binds the
 * listening socket at sc_console_path(pid) (0600 in a 0700 folder; a socket file left there by a
 * dead process, one that nobody listens on, is replaced), starts the server thread, and only then
 * turns the runtime on: a program whose console cannot be reached does not record. A failure is
 * said on stderr in one line and the program runs on as without SCORCH_CONSOLE.
 *
 * The server thread (kernel name "scorch-console", every signal blocked, so the program's
 * signals never land on it) polls the listening socket, the connections waiting for their
 * hello, and the attached console. A connection must come from the program's own user
 * (SO_PEERCRED) and send exactly SC_CONSOLE_HELLO within SC_CONSOLE_HELLO_MS; anything else
 * (other bytes, silence, another user, more than MAX_PENDING connections waiting at once) is
 * closed without a word. A good hello gets a struct sc_console_reply: OK with the event file's
 * descriptor (SCM_RIGHTS) when no console is attached, else BUSY without one (and the
 * connection closed). The attached console holds its connection open; when it closes (or
 * sends anything), the server drops it and accepts the next. Every socket is non-blocking and
 * every send is MSG_NOSIGNAL: no client can stall the thread or raise SIGPIPE in the program.
 * If the program closes the server's descriptors under it (a daemon closing all files), or the
 * listening descriptor's number comes to name something else, the thread ends.
 *
 * The socket file is removed at exit (atexit, by the process that made it: not by a forked
 * child exiting). A forked child keeps writing into the same memory file (its rings are a new
 * instance, which the attached console sees); an exec'd image makes a file and socket of its
 * own (the pid is the same: the old socket, no longer listened on, is replaced).
 */
#include "trace/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "trace/proto.h"

#define CONSOLE_RINGS	   64u
#define CONSOLE_RING_BYTES (1u << 20)
#define MAX_PENDING	   8
#define CATALOG_BYTES	   (4u << 20) /* sites and thread names (sparse, as the rings) */

static int file_fd = -1, listen_fd = -1;
static uint64_t file_bytes;
static char sock_path[108];
static pid_t server_pid;

static void say(const char *what, const char *why)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "scorch: SCORCH_CONSOLE: %s%s%s; not recording\n", what,
			 why ? ": " : "", why ? why : "");
	if (n > 0)
		(void)!write(2, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the event file and the socket -------------------------------------------------------- */

static int make_file(void)
{
	uint64_t rings_end = SC_AGENT_HEADER_BYTES +
			     (uint64_t)CONSOLE_RINGS * (SC_AGENT_RING_HEADER + CONSOLE_RING_BYTES);
	file_bytes = rings_end + CATALOG_BYTES;
	int fd = memfd_create("scorch-trace", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)file_bytes) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	sc_agent_header h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, SC_AGENT_MAGIC, 8);
	h.version = SC_AGENT_VERSION;
	h.minor = SC_AGENT_MINOR;
	h.header_bytes = SC_AGENT_HEADER_BYTES;
	h.nrings = CONSOLE_RINGS;
	h.ring_bytes = CONSOLE_RING_BYTES;
	h.root_pid = (uint32_t)getpid();
	h.catalog_offset = rings_end;
	h.catalog_bytes = CATALOG_BYTES;
	if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Whether something listens on the socket at `path`. */
static int listened(const struct sockaddr_un *a)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return 1; /* cannot tell: leave the file alone */
	int r = connect(fd, (const struct sockaddr *)a, sizeof(*a));
	int e = errno;
	close(fd);
	return r == 0 || (e != ECONNREFUSED && e != ENOENT);
}

static int make_socket(char *err, size_t errsize)
{
	int r = sc_console_path(getpid(), 1, sock_path, sizeof(sock_path), err, errsize);
	if (r < 0)
		return r;
	struct sockaddr_un a;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, sock_path, strlen(sock_path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		struct stat st;
		/* A socket file nobody listens on: left by a dead process (or this pid's image
		 * before an exec). Anything else at the path is not ours to remove. */
		if (errno != EADDRINUSE || lstat(sock_path, &st) < 0 || !S_ISSOCK(st.st_mode) ||
		    listened(&a) || unlink(sock_path) < 0 ||
		    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			goto fail;
	}
	if (chmod(sock_path, 0600) < 0 || listen(fd, 8) < 0) {
		int e = errno;
		unlink(sock_path);
		errno = e;
		goto fail;
	}
	return fd;
fail:
	r = -errno;
	snprintf(err, errsize, "cannot listen on %s: %s", sock_path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

static void remove_socket(void)
{
	if (getpid() == server_pid && sock_path[0])
		unlink(sock_path);
}

/* ---- the server thread -------------------------------------------------------------------- */

typedef struct pending {
	int fd;
	size_t got;	 /* bytes of the hello received */
	uint64_t due_ms; /* the hello's deadline */
	bool peer_ok;	 /* SO_PEERCRED: our own user */
} pending;

static void reply(int fd, uint32_t status)
{
	sc_console_reply rep;
	memset(&rep, 0, sizeof(rep));
	memcpy(rep.magic, SC_CONSOLE_MAGIC, 8);
	rep.version = SC_CONSOLE_VERSION;
	rep.status = status;
	rep.pid = (uint32_t)getpid();
	rep.file_bytes = file_bytes;
	struct iovec iov = {&rep, sizeof(rep)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (status == SC_CONSOLE_OK) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &file_fd, sizeof(int));
	}
	(void)sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static bool peer_is_us(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && len == sizeof(cred) &&
	       cred.uid == geteuid();
}

/* Reads what a waiting connection sent: 1 when its hello is complete, 0 to wait, -1 to drop. */
static int read_hello(pending *p)
{
	const char *hello = SC_CONSOLE_HELLO;
	size_t want = strlen(hello);
	char buf[64];
	ssize_t n = recv(p->fd, buf, want - p->got, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0 || memcmp(buf, hello + p->got, (size_t)n) != 0)
		return -1;
	p->got += (size_t)n;
	return p->got == want ? 1 : 0;
}

static void *serve(void *arg)
{
	(void)arg;
	pending pend[MAX_PENDING];
	size_t npend = 0;
	int console = -1;
	for (;;) {
		struct pollfd pfd[2 + MAX_PENDING];
		nfds_t n = 0;
		pfd[n++] = (struct pollfd){listen_fd, POLLIN, 0};
		pfd[n++] = (struct pollfd){console, POLLIN, 0}; /* fd -1: ignored */
		uint64_t now = mono_ms(), wait = UINT64_MAX;
		for (size_t i = 0; i < npend; i++) {
			pfd[n++] = (struct pollfd){pend[i].fd, POLLIN, 0};
			uint64_t left = pend[i].due_ms > now ? pend[i].due_ms - now : 0;
			if (left < wait)
				wait = left;
		}
		int r = poll(pfd, n, wait == UINT64_MAX ? -1 : (int)wait + 1);
		if (r < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLNVAL)
			break; /* the program closed our descriptors */
		now = mono_ms();
		/* The attached console: any byte, its end or an error detaches it. */
		if (console >= 0 && pfd[1].revents) {
			char sink[256];
			ssize_t k = recv(console, sink, sizeof(sink), MSG_DONTWAIT);
			if (k >= 0 || (errno != EAGAIN && errno != EINTR)) {
				close(console);
				console = -1;
			}
		}
		/* The waiting ones: a hello, garbage, or their time is up. */
		for (size_t i = 0; i < npend;) {
			pending *p = &pend[i];
			int st = pfd[2 + i].revents ? read_hello(p) : 0;
			if (st == 0 && now < p->due_ms) {
				i++;
				continue;
			}
			if (st == 1 && p->peer_ok) {
				if (console < 0) {
					reply(p->fd, SC_CONSOLE_OK);
					console = p->fd;
				} else {
					reply(p->fd, SC_CONSOLE_BUSY);
					close(p->fd);
				}
			} else {
				close(p->fd);
			}
			pfd[2 + i] = pfd[2 + npend - 1];
			pend[i] = pend[--npend];
		}
		/* New connections. */
		if (pfd[0].revents & POLLIN) {
			for (;;) {
				int fd =
				    accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
				if (fd < 0 &&
				    (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED))
					break;
				if (fd < 0 && (errno == EMFILE || errno == ENFILE ||
					       errno == ENOBUFS || errno == ENOMEM)) {
					/* No room for a descriptor now: not a reason to spin. */
					struct timespec ts = {0, 100000000};
					nanosleep(&ts, NULL);
					break;
				}
				if (fd < 0)
					goto out; /* not our socket any more (closed, reused) */
				if (npend == MAX_PENDING) {
					close(fd);
					continue;
				}
				pend[npend++] =
				    (pending){fd, 0, now + SC_CONSOLE_HELLO_MS, peer_is_us(fd)};
			}
		}
	}
out:
	for (size_t i = 0; i < npend; i++)
		close(pend[i].fd);
	return NULL;
}

void sc_rt_console_start(void)
{
	char err[256] = "";
	file_fd = make_file();
	if (file_fd < 0) {
		say("cannot make the event file", strerror(-file_fd));
		return;
	}
	listen_fd = make_socket(err, sizeof(err));
	if (listen_fd < 0) {
		say(err, NULL);
		goto fail;
	}
	server_pid = getpid();
	atexit(remove_socket);
	/* The thread takes no signal of the program's. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	int r = pthread_create(&th, &attr, serve, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		say("cannot start the server thread", strerror(r));
		goto fail;
	}
	pthread_setname_np(th, "scorch-console");
	if (!sc_rt_attach_fd(file_fd))
		say("cannot map the event file", NULL);
	return;
fail:
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(sock_path);
		sock_path[0] = 0;
		listen_fd = -1;
	}
	close(file_fd);
	file_fd = -1;
}
