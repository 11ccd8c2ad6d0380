/*
 * modules.c: time by module (see modules.h for the contract).
 *
 * Each location's module gets a small index first (a hashmap on the module name), so the walk
 * compares integers. The walk is top.c's (sc_walk_tree): depth first over the stack tree with
 * per-node self and subtree totals from sc_node_values; entering a node whose module is not yet on
 * the path adds the node's subtree total to the module's total, and the node's self value goes to
 * its own module.
 * Every frame of a location (inline chain) is in the location's module, so a node is one module.
 */
#include "report/modules.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report/frames.h"
#include "util/hashmap.h"
#include "util/strbuf.h"

struct index {
	SC_VEC(sc_module_row) rows;
	sc_hashmap map;
};

static bool name_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct index *ix = ctx;
	return strcmp(ix->rows.data[value].name, key) == 0;
}

/* The index of module `name`, added if new. Returns it or -ENOMEM. */
static int64_t module_index(struct index *ix, const char *name, const char *path)
{
	uint64_t h = sc_hash_bytes(name, strlen(name), 0), v;
	if (sc_hashmap_get(&ix->map, h, name_eq, name, ix, &v))
		return (int64_t)v;
	sc_module_row row = {name, path, 0, 0};
	if (sc_vec_reserve(&ix->rows, 1) < 0 || sc_hashmap_put(&ix->map, h, ix->rows.len) < 0)
		return -ENOMEM;
	ix->rows.data[ix->rows.len] = row;
	return (int64_t)ix->rows.len++;
}

struct walk {
	const sc_profile *p;
	const uint32_t *loc_mod;
	const int64_t *self, *total;
	sc_module_row *rows;
	uint32_t *on_path;
};

static int visit(void *ctx, sc_stack_id id, bool leave)
{
	struct walk *w = ctx;
	uint32_t loc = sc_profile_node(w->p, id)->location;
	if (!loc) /* the root */
		return 0;
	uint32_t m = w->loc_mod[loc - 1];
	if (leave) {
		w->on_path[m]--;
		return 0;
	}
	if (w->on_path[m]++ == 0)
		w->rows[m].total = sc_sat_add(w->rows[m].total, w->total[id]);
	w->rows[m].self = sc_sat_add(w->rows[m].self, w->self[id]);
	return 0;
}

static int cmp_row(const void *x, const void *y)
{
	const sc_module_row *a = x, *b = y;
	int c = sc_cmp_desc(a->self, b->self);
	if (!c)
		c = sc_cmp_desc(a->total, b->total);
	return c ? c : strcmp(a->name, b->name);
}

int sc_modules_compute(const sc_profile *p, int type, sc_modules *m)
{
	*m = (sc_modules){.type = type};
	if (type < 0 || (size_t)type >= p->nsample_types)
		return -EINVAL;
	struct index ix = {0};
	uint32_t *loc_mod = calloc(p->locations.len + 1, sizeof(*loc_mod)), *on_path = NULL;
	int64_t *self = NULL, *total = NULL;
	int r = -ENOMEM;
	if (!loc_mod)
		goto out;
	for (uint32_t id = 1; id <= p->locations.len; id++) {
		const sc_location *l = sc_profile_location(p, id);
		const sc_mapping *map = sc_profile_mapping(p, l->mapping);
		int64_t k = module_index(&ix, sc_profile_location_module(p, id),
					 map ? sc_profile_str(p, map->file) : "");
		if (k < 0)
			goto out;
		loc_mod[id - 1] = (uint32_t)k;
	}
	on_path = calloc(ix.rows.len + 1, sizeof(*on_path));
	if (!on_path || (r = sc_node_values(p, type, &self, &total)) < 0)
		goto out;
	struct walk w = {p, loc_mod, self, total, ix.rows.data, on_path};
	if ((r = sc_walk_tree(p, visit, &w)) < 0)
		goto out;
	m->grand_total = total[0];
	/* Modules no sample reached (e.g. after filtering) are left out. */
	for (size_t i = 0; i < ix.rows.len; i++)
		if (ix.rows.data[i].self || ix.rows.data[i].total)
			ix.rows.data[m->len++] = ix.rows.data[i];
	qsort(ix.rows.data, m->len, sizeof(*ix.rows.data), cmp_row);
	m->rows = ix.rows.data;
	ix.rows.data = NULL;
	r = 0;
out:
	sc_vec_release(&ix.rows);
	sc_hashmap_release(&ix.map);
	free(loc_mod);
	free(on_path);
	free(self);
	free(total);
	return r;
}

void sc_modules_release(sc_modules *m)
{
	if (!m)
		return;
	free(m->rows);
	*m = (sc_modules){0};
}

int sc_modules_print_text(const sc_profile *p, const sc_modules *m, size_t n, FILE *f)
{
	const char *unit = sc_profile_str(p, p->sample_types[m->type].unit);
	size_t rows = sc_limit(m->len, n), self_w = 4, total_w = 5;
	for (size_t i = 0; i < rows; i++) {
		sc_fit_value(&self_w, m->rows[i].self, unit);
		sc_fit_value(&total_w, m->rows[i].total, unit);
	}
	sc_strbuf sb = {0};
	char tot[32];
	sc_fmt_value(tot, sizeof(tot), m->grand_total, unit);
	int r = -ENOMEM;
	if (sc_strbuf_addf(&sb, "total: %s ", tot) < 0 ||
	    sc_add_type_unit(&sb, sc_profile_str(p, p->sample_types[m->type].type), unit) < 0 ||
	    sc_strbuf_addf(&sb, ", %zu module%s\n\n", m->len, m->len == 1 ? "" : "s") < 0 ||
	    sc_strbuf_addf(&sb, "%7s %*s  %7s %*s  module\n", "self%", (int)self_w, "self",
			   "total%", (int)total_w, "total") < 0)
		goto out;
	for (size_t i = 0; i < rows; i++) {
		const sc_module_row *row = &m->rows[i];
		char sp[16], s[32], tp[16], t[32];
		snprintf(sp, sizeof(sp), "%.2f%%", sc_pct(row->self, m->grand_total));
		snprintf(tp, sizeof(tp), "%.2f%%", sc_pct(row->total, m->grand_total));
		sc_fmt_value(s, sizeof(s), row->self, unit);
		sc_fmt_value(t, sizeof(t), row->total, unit);
		if (sc_strbuf_addf(&sb, "%7s %*s  %7s %*s  ", sp, (int)self_w, s, tp, (int)total_w,
				   t) < 0 ||
		    sc_strbuf_add_text(&sb, row->name) < 0 || sc_strbuf_addc(&sb, '\n') < 0)
			goto out;
	}
	r = sc_write_strbuf(&sb, f);
out:
	sc_strbuf_release(&sb);
	return r;
}

int sc_modules_print_json(const sc_profile *p, const sc_modules *m, size_t n, FILE *f)
{
	sc_strbuf sb = {0};
	int r = -ENOMEM;
	size_t rows = sc_limit(m->len, n);
	if (sc_add_json_head(&sb, "scorch.modules", 1, p, m->type, m->grand_total) < 0 ||
	    sc_strbuf_adds(&sb, ",\n\"modules\":[") < 0)
		goto out;
	for (size_t i = 0; i < rows; i++) {
		const sc_module_row *row = &m->rows[i];
		if (sc_strbuf_adds(&sb, i ? ",\n{" : "\n{") < 0 ||
		    sc_add_json_str(&sb, "name", row->name) < 0 || sc_strbuf_addc(&sb, ',') < 0 ||
		    sc_add_json_str(&sb, "path", row->path) < 0 ||
		    sc_strbuf_addf(&sb,
				   ",\"self\":%" PRId64 ",\"self_pct\":%.2f,\"total\":%" PRId64
				   ",\"total_pct\":%.2f}",
				   row->self, sc_pct(row->self, m->grand_total), row->total,
				   sc_pct(row->total, m->grand_total)) < 0)
			goto out;
	}
	if (sc_strbuf_adds(&sb, rows ? "\n]}\n" : "]}\n") < 0)
		goto out;
	r = sc_write_strbuf(&sb, f);
out:
	sc_strbuf_release(&sb);
	return r;
}
