/* fileio.c: see fileio.h. */
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The stream's state, on the heap so that an sc_afile may be copied (arrays of them). */
struct sc_afile_io {
	int fd;
	int err;      /* first write error (errno), 0 if none */
	bool own_fd;  /* close fd at the end (not for standard output) */
	bool regular; /* fsync it */
};

/* Live temporaries, for sc_afile_unlink_temporaries() from a signal handler. A slot is cleared
 * before its string is freed, so the handler never sees a freed name. */
#define MAX_TEMPS 64
static char *volatile temps[MAX_TEMPS];

static int register_temp(char *name)
{
	for (int i = 0; i < MAX_TEMPS; i++)
		if (!temps[i]) {
			temps[i] = name;
			return i;
		}
	return -1; /* more than MAX_TEMPS at once: still written, just not cleaned on a signal */
}

static void unregister_temp(int slot)
{
	if (slot >= 0 && slot < MAX_TEMPS)
		temps[slot] = NULL;
}

void sc_afile_unlink_temporaries(void)
{
	int e = errno;
	for (int i = 0; i < MAX_TEMPS; i++) {
		char *t = temps[i];
		if (t)
			unlink(t);
	}
	errno = e;
}

static ssize_t io_write(void *cookie, const char *buf, size_t size)
{
	struct sc_afile_io *io = cookie;
	if (io->err) {
		errno = io->err;
		return 0;
	}
	size_t done = 0;
	while (done < size) {
		ssize_t k = write(io->fd, buf + done, size - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			io->err = k < 0 ? errno : EIO;
			errno = io->err;
			return 0;
		}
		done += (size_t)k;
	}
	return (ssize_t)size;
}

static int io_close(void *cookie)
{
	struct sc_afile_io *io = cookie;
	int r = 0;
	if (io->own_fd && io->fd >= 0 && close(io->fd) < 0 && errno != EINTR) {
		if (!io->err)
			io->err = errno;
		r = -1;
	}
	io->fd = -1;
	return r;
}

static void release(sc_afile *f)
{
	unregister_temp(f->slot);
	free(f->tmp);
	free(f->path);
	free(f->io);
	memset(f, 0, sizeof(*f));
	f->slot = -1;
}

static mode_t default_mode(void)
{
	mode_t m = umask(0);
	umask(m);
	return 0666 & ~m;
}

/* Creates the exclusive temporary beside `target`. Returns its fd or -errno; *name is malloc'd. */
static int make_temp(const char *target, mode_t mode, char **name)
{
	char *copy1 = strdup(target), *copy2 = strdup(target);
	sc_strbuf sb = {0};
	int fd = -ENOMEM;
	if (!copy1 || !copy2)
		goto out;
	const char *dir = dirname(copy1), *base = basename(copy2);
	if (sc_strbuf_addf(&sb, "%s/.%s.XXXXXX", dir, base) < 0)
		goto out;
	fd = mkostemp(sb.buf, O_CLOEXEC);
	if (fd < 0) {
		fd = -errno;
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		int e = -errno;
		close(fd);
		unlink(sb.buf);
		fd = e;
		goto out;
	}
	*name = sc_strbuf_detach(&sb);
	if (!*name) {
		close(fd);
		fd = -ENOMEM;
	}
out:
	sc_strbuf_release(&sb);
	free(copy1);
	free(copy2);
	return fd;
}

/* 1 for "-" and /dev/stdout, 2 for /dev/stderr: written through scorch's own descriptor. */
static int standard_stream(const char *path)
{
	if (!strcmp(path, "-") || !strcmp(path, "/dev/stdout"))
		return 1;
	return strcmp(path, "/dev/stderr") ? -1 : 2;
}

/* The system's own links (/dev/fd/N, /proc/self/fd/N, /dev/tty...): followed, as users mean. */
static bool system_link(const char *path)
{
	return !strncmp(path, "/dev/", 5) || !strncmp(path, "/proc/", 6);
}

/* May a FIFO, device or socket `st` at `path` be written into? Not when another user put it in a
 * sticky, world-writable folder (the system's temp folder) that is not theirs either: the rule of
 * the kernel's fs.protected_fifos=2, which guards O_CREAT opens only. */
static bool may_write_in_place(const char *path, const struct stat *st)
{
	if (st->st_uid == geteuid())
		return true;
	char *copy = strdup(path);
	struct stat dir;
	bool ok = copy && stat(dirname(copy), &dir) == 0 &&
		  !((dir.st_mode & S_ISVTX) && (dir.st_mode & S_IWOTH) && dir.st_uid != st->st_uid);
	free(copy);
	return ok;
}

/* The temporary beside f->path, to be renamed over it (not over what a link there names). */
static int open_temp(sc_afile *f, mode_t mode)
{
	int fd = make_temp(f->path, mode, &f->tmp);
	if (fd < 0)
		return fd;
	f->slot = register_temp(f->tmp);
	f->io->fd = fd;
	f->io->own_fd = true;
	f->io->regular = true;
	return 0;
}

/* Writes into f->path itself (a FIFO, a device, /dev/fd/N); `flags` adds to O_WRONLY. */
static int open_in_place(sc_afile *f, int flags)
{
	f->io->fd = open(f->path, O_WRONLY | O_CLOEXEC | O_NOCTTY | flags);
	if (f->io->fd < 0)
		return -errno;
	f->io->own_fd = true;
	f->io->regular = (flags & O_TRUNC) != 0;
	return 0;
}

int sc_afile_open(sc_afile *f, const char *path)
{
	memset(f, 0, sizeof(*f));
	f->slot = -1;
	int r = -ENOMEM;
	f->path = strdup(path);
	f->io = calloc(1, sizeof(*f->io));
	if (!f->path || !f->io)
		goto fail;
	f->io->fd = -1;
	struct stat lst, st;
	int std = standard_stream(path);
	bool link = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && !system_link(path);
	bool exists = !link && stat(path, &st) == 0;
	if (std >= 0) {
		fflush(std == 1 ? stdout : stderr); /* keep what was printed before in front */
		f->io->fd = std;
		r = 0;
	} else if (link) {
		/* A symlink at the output name is replaced, never followed: in a shared folder it
		 * may have been planted by another user, and writing where it points (or into the
		 * FIFO or device it names) would give them our privileges. */
		r = open_temp(f, default_mode());
	} else if (exists && S_ISDIR(st.st_mode)) {
		r = -EISDIR;
	} else if (exists && !S_ISREG(st.st_mode)) {
		/* A FIFO, device or socket (or /dev/fd/N): write into it, never replace it. */
		r = may_write_in_place(path, &st) ? open_in_place(f, 0) : -EACCES;
	} else if (system_link(path)) {
		/* /dev/fd/N or /proc/self/fd/N naming a regular file: as a shell's "> FILE". */
		r = open_in_place(f, O_TRUNC);
	} else {
		r = open_temp(f, exists ? st.st_mode & 07777 : default_mode());
	}
	if (r < 0)
		goto fail;
	cookie_io_functions_t fns = {.write = io_write, .close = io_close};
	f->fp = fopencookie(f->io, "w", fns);
	if (!f->fp) {
		r = -errno;
		if (f->io->own_fd)
			close(f->io->fd);
		if (f->tmp)
			unlink(f->tmp);
		goto fail;
	}
	return 0;
fail:
	release(f);
	return r;
}

void sc_afile_abort(sc_afile *f)
{
	if (!f || !f->path)
		return;
	if (f->fp)
		fclose(f->fp);
	if (f->tmp)
		unlink(f->tmp);
	release(f);
}

int sc_afile_fail(sc_afile *f, int r)
{
	if (f && f->io && f->io->err)
		r = -f->io->err;
	sc_afile_abort(f);
	return r;
}

int sc_afile_finish(sc_afile *f)
{
	if (f->finished)
		return 0;
	int r = 0;
	if (fflush(f->fp) != 0 || ferror(f->fp))
		r = f->io->err ? -f->io->err : errno ? -errno : -EIO;
	if (!r && f->io->regular && fsync(f->io->fd) < 0 && errno != EINVAL)
		r = -errno;
	if (fclose(f->fp) != 0 && !r)
		r = f->io->err ? -f->io->err : errno ? -errno : -EIO;
	f->fp = NULL;
	if (r) {
		if (f->tmp)
			unlink(f->tmp);
		release(f);
		return r;
	}
	f->finished = true;
	return 0;
}

/* Makes renames in `path`'s folder durable. Best effort: the data itself is already synced. */
static void sync_dir(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

static int rename_one(sc_afile *f)
{
	int r = 0;
	if (f->tmp && rename(f->tmp, f->path) < 0) {
		r = -errno;
		unlink(f->tmp);
	}
	return r;
}

int sc_afile_rename(sc_afile *f)
{
	int r = rename_one(f);
	if (!r && f->tmp)
		sync_dir(f->path);
	release(f);
	return r;
}

int sc_afile_commit(sc_afile *f)
{
	int r = sc_afile_finish(f);
	return r < 0 ? r : sc_afile_rename(f);
}

int sc_afile_commit_all(sc_afile *files, size_t n, size_t *failed)
{
	int r = 0;
	size_t i;
	for (i = 0; i < n && !r; i++)
		r = sc_afile_finish(&files[i]);
	if (r) {
		if (failed)
			*failed = i - 1;
		for (size_t j = 0; j < n; j++)
			sc_afile_abort(&files[j]);
		return r;
	}
	/* All written and synced: the renames are quick; let no signal cut the set in two. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (i = 0; i < n; i++) {
		int e = rename_one(&files[i]);
		if (e && !r) {
			r = e;
			if (failed)
				*failed = i;
		}
		if (!e && files[i].tmp && (i + 1 == n || !files[i + 1].tmp))
			sync_dir(files[i].path);
		unregister_temp(files[i].slot);
		files[i].slot = -1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (i = 0; i < n; i++)
		release(&files[i]);
	return r;
}

int sc_afile_write_set(const char *dir, const char *const *names, size_t n,
		       int (*write)(FILE *f, size_t i, void *ctx), void *ctx, size_t *failed)
{
	sc_afile *files = calloc(n ? n : 1, sizeof(*files));
	sc_strbuf path = {0};
	size_t i, bad = 0;
	int r = files ? 0 : -ENOMEM;
	for (i = 0; i < n && !r; i++) {
		bad = i;
		sc_strbuf_reset(&path);
		if (sc_strbuf_addf(&path, "%s/%s", dir, names[i]) < 0)
			r = -ENOMEM;
		else if ((r = sc_afile_open(&files[i], path.buf)) == 0 &&
			 (r = write(files[i].fp, i, ctx)) < 0)
			r = sc_afile_fail(&files[i], r);
	}
	if (r == 0)
		r = sc_afile_commit_all(files, n, &bad);
	for (i = 0; files && i < n; i++)
		sc_afile_abort(&files[i]);
	free(files);
	sc_strbuf_release(&path);
	if (r < 0 && failed)
		*failed = bad;
	return r;
}

int sc_write_file(const char *path, const void *data, size_t n)
{
	sc_afile f;
	int r = sc_afile_open(&f, path);
	if (r < 0)
		return r;
	if (n && fwrite(data, 1, n, f.fp) != n)
		return sc_afile_fail(&f, -EIO);
	return sc_afile_commit(&f);
}

int sc_read_file_max(const char *path, size_t max, char **data, size_t *n)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (fd != 0)
			close(fd);
		return -EISDIR;
	}
	sc_strbuf sb = {0};
	int r = 0;
	for (;;) {
		if (max && sb.len > max) {
			r = -EFBIG;
			break;
		}
		if (sc_strbuf_grow(&sb, 1 << 16) < 0) {
			r = -ENOMEM;
			break;
		}
		size_t room = sb.cap - sb.len - 1;
		if (max && room > max + 1 - sb.len)
			room = max + 1 - sb.len;
		ssize_t k = read(fd, sb.buf + sb.len, room);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			break;
		}
		if (k == 0)
			break;
		sb.len += (size_t)k;
		sb.buf[sb.len] = '\0';
	}
	if (fd != 0)
		close(fd);
	if (r < 0) {
		sc_strbuf_release(&sb);
		return r;
	}
	*n = sb.len;
	*data = sc_strbuf_detach(&sb);
	return *data ? 0 : -ENOMEM;
}

int sc_read_file(const char *path, char **data, size_t *n)
{
	return sc_read_file_max(path, 0, data, n);
}

int sc_mkdir_p(const char *path)
{
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	int r = 0;
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0777) < 0 && errno != EEXIST) {
				r = -errno;
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	if (!r) {
		struct stat st;
		if (stat(path, &st) < 0)
			r = -errno;
		else if (!S_ISDIR(st.st_mode))
			r = -ENOTDIR;
	}
	free(p);
	return r;
}
