/*
 * jit.c: names for JIT code. Addresses in anonymous executable memory (or in no mapping) are
 * named from perf-PID.map files (perfmap.c). Locations do not carry a pid (one location may serve
 * several processes), so the pids come from the samples: sc_sym_jit_pids walks each sample's
 * stack once per (node, pid) and lists the (location, pid) pairs of candidate locations; each
 * process's map is read on first use.
 *
 * Read sym.h for the other files.
 */
#include "symbolize/sym.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int loc_pid_cmp(const void *a, const void *b)
{
	const struct loc_pid *x = a, *y = b;
	if (x->loc != y->loc)
		return x->loc < y->loc ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Lists in s->loc_pids the (location, pid) pairs of the locations to symbolize that lie in
 * anonymous memory or in no mapping, from the samples holding them. */
int sc_sym_jit_pids(struct sym *s, bool (*todo)(const sc_profile *, const sc_location *))
{
	sc_profile *p = s->p;
	bool *cand = calloc(p->locations.len + 1, sizeof(*cand));
	uint32_t *seen = NULL; /* by node: 1 + the pid that last walked it */
	bool any = false;
	int r = -ENOMEM;
	if (!cand)
		return r;
	for (size_t i = 0; i < p->locations.len; i++) {
		const sc_location *l = &p->locations.data[i];
		const sc_mapping *m = sc_profile_mapping(p, l->mapping);
		cand[i + 1] = todo(p, l) && (!m || sc_sym_is_anon(s, m));
		any |= cand[i + 1];
	}
	r = 0;
	if (!any)
		goto out;
	r = -ENOMEM;
	seen = calloc(p->nodes.len, sizeof(*seen));
	if (!seen)
		goto out;
	for (size_t i = 0; i < p->samples.len; i++) {
		uint32_t pid = p->samples.data[i].pid, mark = pid + 1;
		for (sc_stack_id n = p->samples.data[i].stack; n && n < p->nodes.len;
		     n = p->nodes.data[n].parent) {
			if (seen[n] == mark)
				break; /* this pid has walked the rest already */
			seen[n] = mark;
			uint32_t loc = p->nodes.data[n].location;
			if (loc <= p->locations.len && cand[loc] &&
			    sc_vec_push(&s->loc_pids, ((struct loc_pid){loc, pid})) < 0)
				goto out;
		}
	}
	if (s->loc_pids.len)
		qsort(s->loc_pids.data, s->loc_pids.len, sizeof(*s->loc_pids.data), loc_pid_cmp);
	size_t k = 0;
	for (size_t i = 0; i < s->loc_pids.len; i++)
		if (!k || loc_pid_cmp(&s->loc_pids.data[k - 1], &s->loc_pids.data[i]) != 0)
			s->loc_pids.data[k++] = s->loc_pids.data[i];
	s->loc_pids.len = k;
	r = 0;
out:
	free(seen);
	free(cand);
	return r;
}

/* The perf map of `pid`, read on first use (empty when missing or refused). */
static const sc_perfmap *jit_map(struct sym *s, uint32_t pid)
{
	for (size_t i = 0; i < s->jit_maps.len; i++)
		if (s->jit_maps.data[i].pid == pid)
			return &s->jit_maps.data[i].map;
	if (sc_vec_reserve(&s->jit_maps, 1) < 0)
		return NULL;
	struct jit_map *j = &s->jit_maps.data[s->jit_maps.len++];
	*j = (struct jit_map){.pid = pid}; /* an empty map until loaded */
	sc_strbuf_reset(&s->path);
	if (sc_strbuf_addf(&s->path, "%s/perf-%" PRIu32 ".map",
			   s->o.perf_map_dir ? s->o.perf_map_dir : "/tmp", pid) < 0)
		return NULL;
	j->err = sc_perfmap_load(&j->map, s->path.buf);
	return j->err == -ENOMEM ? NULL : &j->map;
}

/* Names a location in anonymous memory (or in no mapping) from the perf map of a process whose
 * samples hold it. Returns 1 when named, 0 when no map names it, or -ENOMEM. */
int sc_sym_symbolize_jit(struct sym *s, uint32_t loc, const sc_mapping *m, uint64_t addr)
{
	if (m && !sc_sym_is_anon(s, m))
		return 0;
	struct loc_pid key = {loc, 0};
	size_t lo = 0, hi = s->loc_pids.len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (loc_pid_cmp(&s->loc_pids.data[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < s->loc_pids.len && s->loc_pids.data[i].loc == loc; i++) {
		const sc_perfmap *map = jit_map(s, s->loc_pids.data[i].pid);
		if (!map)
			return -ENOMEM;
		const sc_jsym *j = sc_perfmap_find(map, addr);
		if (!j)
			continue;
		int64_t fn = sc_sym_add_function(s, j->name, j->name, 0, 0);
		if (fn < 0)
			return -ENOMEM;
		s->st.resolved++;
		sc_line l = {(uint32_t)fn, 0, 0};
		return sc_sym_set_lines(s, loc, &l, 1) < 0 ? -ENOMEM : 1;
	}
	return 0;
}
