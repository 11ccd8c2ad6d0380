/*
 * perfmap.c: reading and searching perf-PID.map files (see perfmap.h for the format).
 *
 * The file is read whole and cut in place, like kallsyms.c does, so names cost no allocation.
 * Entries are sorted by start; of entries with the same start the last one in the file is kept.
 * Overlapping entries of different starts are kept as they are: a lookup takes the entry with the
 * greatest start at or below the address and answers only if that one holds it.
 */
#include "symbolize/perfmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/vec.h"
#include "util/search.h"

struct ent {
	sc_jsym sym;
	size_t order;
};

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	if (x->sym.start != y->sym.start)
		return x->sym.start < y->sym.start ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Parses a hex number (optional "0x") at *p and the blanks after it. */
static bool hex_field(char **p, uint64_t *out)
{
	char *s = *p, *end;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 16);
	if (errno || (*end != ' ' && *end != '\t'))
		return false;
	while (*end == ' ' || *end == '\t')
		end++;
	*out = v;
	*p = end;
	return true;
}

/* Reads the whole file behind fd, which holds at most `max` bytes. */
static int read_all(int fd, size_t max, char **data, size_t *n)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return -EPERM;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	size_t cap = (size_t)st.st_size + 1, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len + 1 >= cap) {
			/* the file grew since fstat: a runtime still writing it */
			if (cap > max) {
				free(buf);
				return -EFBIG;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			free(buf);
			return e;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*data = buf;
	*n = len;
	return 0;
}

int sc_perfmap_load(sc_perfmap *m, const char *path)
{
	*m = (sc_perfmap){0};
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len;
	int r = read_all(fd, SC_PERFMAP_MAX_BYTES, &m->buf, &len);
	close(fd);
	if (r < 0)
		return r;
	SC_VEC(struct ent) v = {0};
	for (char *line = m->buf, *next; *line; line = next) {
		char *nl = strchr(line, '\n');
		next = nl ? nl + 1 : line + strlen(line);
		if (nl)
			*nl = '\0';
		size_t end = strlen(line);
		if (end && line[end - 1] == '\r')
			line[end - 1] = '\0';
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		struct ent e = {.order = v.len};
		if (!hex_field(&p, &e.sym.start) || !hex_field(&p, &e.sym.size) || !*p ||
		    !e.sym.size || e.sym.start + e.sym.size < e.sym.start)
			continue;
		e.sym.name = p;
		if (sc_vec_push(&v, e) < 0) {
			sc_vec_release(&v);
			sc_perfmap_release(m);
			return -ENOMEM;
		}
	}
	if (v.len)
		qsort(v.data, v.len, sizeof(*v.data), ent_cmp);
	m->syms = malloc((v.len ? v.len : 1) * sizeof(*m->syms));
	if (!m->syms) {
		sc_vec_release(&v);
		sc_perfmap_release(m);
		return -ENOMEM;
	}
	for (size_t i = 0; i < v.len; i++) {
		if (m->n && m->syms[m->n - 1].start == v.data[i].sym.start)
			m->n--; /* a later line for the same start replaces the earlier one */
		m->syms[m->n++] = v.data[i].sym;
	}
	sc_vec_release(&v);
	return 0;
}

const sc_jsym *sc_perfmap_find(const sc_perfmap *m, uint64_t addr)
{
	size_t lo = SC_UPPER_BOUND(m->syms, m->n, start, addr);
	if (!lo)
		return NULL;
	const sc_jsym *j = &m->syms[lo - 1];
	return addr - j->start < j->size ? j : NULL;
}

void sc_perfmap_release(sc_perfmap *m)
{
	free(m->buf);
	free(m->syms);
	*m = (sc_perfmap){0};
}
