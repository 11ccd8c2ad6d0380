/* fileio.c: see fileio.h. */
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sc_afile_open(sc_afile *f, const char *path)
{
	memset(f, 0, sizeof(*f));
	sc_strbuf sb = {0};
	if (sc_strbuf_addf(&sb, "%s.tmp.%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	f->tmp = sc_strbuf_detach(&sb);
	f->path = strdup(path);
	if (!f->tmp || !f->path) {
		sc_afile_abort(f);
		return -ENOMEM;
	}
	f->fp = fopen(f->tmp, "wb");
	if (!f->fp) {
		int e = errno;
		free(f->tmp);
		free(f->path);
		memset(f, 0, sizeof(*f));
		return -e;
	}
	return 0;
}

void sc_afile_abort(sc_afile *f)
{
	if (!f)
		return;
	if (f->fp) {
		fclose(f->fp);
		unlink(f->tmp);
	}
	free(f->tmp);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

int sc_afile_commit(sc_afile *f)
{
	int r = 0;
	if (fflush(f->fp) != 0 || ferror(f->fp))
		r = errno ? -errno : -EIO;
	if (!r && fsync(fileno(f->fp)) < 0 && errno != EINVAL)
		r = -errno;
	if (fclose(f->fp) != 0 && !r)
		r = errno ? -errno : -EIO;
	f->fp = NULL;
	if (!r && rename(f->tmp, f->path) < 0)
		r = -errno;
	if (r)
		unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	memset(f, 0, sizeof(*f));
	return r;
}

int sc_write_file(const char *path, const void *data, size_t n)
{
	sc_afile f;
	int r = sc_afile_open(&f, path);
	if (r < 0)
		return r;
	if (n && fwrite(data, 1, n, f.fp) != n) {
		r = errno ? -errno : -EIO;
		sc_afile_abort(&f);
		return r;
	}
	return sc_afile_commit(&f);
}

int sc_read_file(const char *path, char **data, size_t *n)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	sc_strbuf sb = {0};
	int r = 0;
	for (;;) {
		if (sc_strbuf_grow(&sb, 1 << 16) < 0) {
			r = -ENOMEM;
			break;
		}
		ssize_t k = read(fd, sb.buf + sb.len, sb.cap - sb.len - 1);
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
