/*
 * consolememo.c: the sites and thread names a console saves for the next one. See
 * consolememo.h.
 */
#include "cli/consolememo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC	  "SCORCHM1"
#define MAX_MEMO  (64u << 20) /* bytes read at most */
#define MEMO_RING UINT32_MAX  /* the stream number of the replayed records */

/* Process `pid`'s start time (clock ticks after boot), or 0. */
static uint64_t start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	int field = 2;
	for (p = p ? p + 1 : buf + n; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	unsigned long long t = 0;
	return field == 22 && sscanf(p, "%llu", &t) == 1 ? t : 0;
}

int sc_cmemo_keep(sc_cmemo *m, const sc_agent_ring *r, const sc_agent_rec *rec)
{
	if (rec->type != SC_AGENT_REC_TRACE_LOC && rec->type != SC_AGENT_REC_TRACE_THREAD)
		return 0;
	uint32_t head[2] = {r->instance, r->pid};
	if (sc_strbuf_add(&m->entries, head, sizeof(head)) < 0)
		return -ENOMEM;
	if (sc_strbuf_add(&m->entries, rec, rec->size) < 0) {
		m->entries.len -= sizeof(head);
		return -ENOMEM;
	}
	return 0;
}

int sc_cmemo_save(const sc_cmemo *m, const char *path, pid_t pid)
{
	uint64_t start = start_time(pid);
	if (!start || !m->entries.len)
		return 0;
	char tmp[256];
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return -e;
	}
	fwrite(MAGIC, 1, 8, f);
	fwrite(&start, sizeof(start), 1, f);
	fwrite(m->entries.buf, 1, m->entries.len, f);
	int bad = ferror(f);
	if (fclose(f) != 0 || bad || rename(tmp, path) < 0) {
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

int sc_cmemo_load(sc_cmemo *m, const char *path, pid_t pid, sc_trace_decoder *d)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_size < 16 || (uint64_t)st.st_size > MAX_MEMO) {
		close(fd);
		return 0;
	}
	size_t size = (size_t)st.st_size;
	/* 8-aligned storage: the records are read in place. */
	uint64_t *buf = malloc(size + 8);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t k = read(fd, (char *)buf + got, size - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	const unsigned char *p = (const unsigned char *)buf, *end = p + got;
	int ret = 0;
	if (got != size || memcmp(p, MAGIC, 8) || buf[1] != start_time(pid))
		goto out;
	for (p += 16; end - p >= 8 + (ptrdiff_t)sizeof(sc_agent_rec);) {
		const uint32_t *head = (const uint32_t *)p;
		const sc_agent_rec *rec = (const sc_agent_rec *)(p + 8);
		if (rec->size < sizeof(*rec) || rec->size % 8 || rec->size > (size_t)(end - p) - 8)
			break; /* not ours: stop */
		sc_agent_ring ring = {.state = SC_AGENT_RING_OWNED,
				      .stream = MEMO_RING,
				      .pid = head[1],
				      .tid = head[1],
				      .instance = head[0]};
		if ((ret = sc_trace_decoder_feed(d, &ring, rec)) < 0 ||
		    (ret = sc_cmemo_keep(m, &ring, rec)) < 0)
			break;
		p += 8 + rec->size;
	}
out:
	free(buf);
	return ret < 0 ? ret : 0;
}

void sc_cmemo_release(sc_cmemo *m)
{
	sc_strbuf_release(&m->entries);
}
