/*
 * maps.c: the executable mappings table and its /proc/PID/maps loader. See maps.h.
 */
#include "unwind/maps.h"
#include "util/search.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sc_unwind_maps_add(sc_unwind_maps *m, uint64_t start, uint64_t end, uint64_t pgoff, int file)
{
	if (end <= start)
		return -EINVAL;
	if (m->len == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		sc_unwind_map *d = realloc(m->data, cap * sizeof(*d));
		if (!d)
			return -ENOMEM;
		m->data = d;
		m->cap = cap;
	}
	m->data[m->len++] = (sc_unwind_map){start, end, pgoff, file};
	m->sorted = false;
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const sc_unwind_map *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

bool sc_unwind_maps_find(void *ctx, uint64_t addr, sc_unwind_map *out)
{
	sc_unwind_maps *m = ctx;
	if (!m->sorted) {
		qsort(m->data, m->len, sizeof(*m->data), by_start);
		m->sorted = true;
	}
	/* The last mapping starting at or below addr. */
	size_t lo = SC_UPPER_BOUND(m->data, m->len, start, addr);
	if (lo == 0 || addr >= m->data[lo - 1].end)
		return false;
	*out = m->data[lo - 1];
	return true;
}

int sc_unwind_maps_load_proc(sc_unwind_maps *m, sc_unwind *u, pid_t pid, const char *root)
{
	char path[64];
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	return sc_unwind_maps_load_file(m, u, path, root);
}

int sc_unwind_maps_load_file(sc_unwind_maps *m, sc_unwind *u, const char *path, const char *root)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	char line[PATH_MAX + 128], file[PATH_MAX + 64];
	int r = 0;
	while (r == 0 && fgets(line, sizeof(line), f)) {
		uint64_t start, end, off;
		char perms[8];
		int name_at = 0;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n", &start, &end,
			   perms, &off, &name_at) < 4 ||
		    perms[2] != 'x')
			continue;
		char *name = name_at ? line + name_at : line + strlen(line);
		name[strcspn(name, "\n")] = 0;
		int h = -ENOENT;
		if (name[0] == '/' && !strstr(name, " (deleted)")) {
			snprintf(file, sizeof(file), "%s%s", root ? root : "", name);
			h = sc_unwind_file(u, file);
		} else if (!strcmp(name, "[vdso]")) {
			h = sc_unwind_file(u, name);
		}
		if (h == -ENOMEM)
			r = -ENOMEM;
		if (r == 0)
			r = sc_unwind_maps_add(m, start, end, off, h);
	}
	fclose(f);
	return r;
}

void sc_unwind_maps_release(sc_unwind_maps *m)
{
	free(m->data);
	*m = (sc_unwind_maps){0};
}
