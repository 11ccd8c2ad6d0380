/*
 * heap_profile.c: the heap as pprof profiles (heap.pb.gz, peak.pb.gz) and as the three flamegraph
 * pages (alloc.html, leaks.html, peak.html).
 *
 * A heap profile is a new sc_profile holding, from the recorder's profile, only what the sites'
 * stacks reach: their stack nodes (and ancestors), locations with their inline chains, functions,
 * mappings and strings, copied on first use so that the output grows with the distinct stacks.
 * Each site becomes one sample (pid = the process, no tid) with the values
 *
 *   heap.pb.gz   alloc_objects/count  alloc_space/bytes  inuse_objects/count  inuse_space/bytes
 *                (allocations)        (bytes requested)  (live at the end)    (bytes live at the
 *                                                                              end)
 *   peak.pb.gz   inuse_objects/count  inuse_space/bytes                      (live at the peak)
 *
 * as Go's heap profiles name them, so `go tool pprof -sample_index=alloc_space` and every scorch
 * view read them; the default sample type is inuse_space. When the exit scan classified the leaks
 * (heap.h's leak kinds), heap.pb.gz has four more: definite_space, indirect_space, possible_space
 * and reachable_space (bytes), the leaked bytes of each kind.
 *
 * leaks.html, when the leaks are classified, shows each kind under a root frame of its own
 * ("[definitely lost]", "[indirectly lost]", "[possibly lost]", "[still reachable]",
 * "[unclassified]"): a site with blocks of two kinds appears under both. Sites with nothing to show
 * for the profile (no allocation; for peak.pb.gz nothing live at the peak) are left out. The
 * profile's period type is space/bytes with period 1 (every allocation recorded).
 *
 * Not here: pprof encoding (src/formats/pprof_write.c) and the page (src/report/flamegraph.c).
 */
#include "heap/heap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "formats/pprof.h"
#include "report/flamegraph.h"

/* Ids of the source profile's objects in the copy, 0 = not copied yet (string 0 and node 0, the
 * empty string and the root, map to themselves). */
struct copy {
	const sc_profile *src;
	sc_profile *dst;
	uint32_t *str, *mapping, *function, *location, *node;
};

/* Readies `c` (its src set) for a copy: an empty destination profile and the id maps. */
static int copy_open(struct copy *c)
{
	const sc_profile *src = c->src;
	c->dst = sc_profile_new();
	c->str = calloc(src->strings.len + 1, sizeof(uint32_t));
	c->mapping = calloc(src->mappings.len + 1, sizeof(uint32_t));
	c->function = calloc(src->functions.len + 1, sizeof(uint32_t));
	c->location = calloc(src->locations.len + 1, sizeof(uint32_t));
	c->node = calloc(src->nodes.len + 1, sizeof(uint32_t));
	if (!c->dst || !c->str || !c->mapping || !c->function || !c->location || !c->node)
		return -ENOMEM;
	return 0;
}

/* Frees the id maps and the destination unless it was handed out (c->dst set to NULL). */
static void copy_close(struct copy *c)
{
	free(c->node);
	free(c->location);
	free(c->function);
	free(c->mapping);
	free(c->str);
	sc_profile_free(c->dst);
}

static int64_t copy_str(struct copy *c, sc_str id)
{
	if (!id || id >= c->src->strings.len)
		return 0;
	if (!c->str[id]) {
		int64_t r = sc_profile_intern(c->dst, sc_profile_str(c->src, id));
		if (r < 0)
			return r;
		c->str[id] = (uint32_t)r;
	}
	return c->str[id];
}

static int64_t copy_mapping(struct copy *c, uint32_t id)
{
	const sc_mapping *m = sc_profile_mapping(c->src, id);
	if (!m)
		return 0;
	if (!c->mapping[id]) {
		sc_mapping n = *m;
		int64_t file = copy_str(c, m->file), bid = copy_str(c, m->build_id);
		if (file < 0 || bid < 0)
			return -ENOMEM;
		n.file = (sc_str)file;
		n.build_id = (sc_str)bid;
		int64_t r = sc_profile_add_mapping(c->dst, &n);
		if (r < 0)
			return r;
		c->mapping[id] = (uint32_t)r;
	}
	return c->mapping[id];
}

static int64_t copy_function(struct copy *c, uint32_t id)
{
	const sc_function *f = sc_profile_function(c->src, id);
	if (!f)
		return 0;
	if (!c->function[id]) {
		int64_t name = copy_str(c, f->name), sys = copy_str(c, f->system_name),
			file = copy_str(c, f->filename);
		if (name < 0 || sys < 0 || file < 0)
			return -ENOMEM;
		sc_function n = {(sc_str)name, (sc_str)sys, (sc_str)file, f->start_line};
		int64_t r = sc_profile_add_function(c->dst, &n);
		if (r < 0)
			return r;
		c->function[id] = (uint32_t)r;
	}
	return c->function[id];
}

static int64_t copy_location(struct copy *c, uint32_t id)
{
	const sc_location *l = sc_profile_location(c->src, id);
	if (!l)
		return 0;
	if (c->location[id])
		return c->location[id];
	int64_t m = copy_mapping(c, l->mapping);
	if (m < 0)
		return m;
	sc_line *lines = l->nlines ? malloc(l->nlines * sizeof(*lines)) : NULL;
	if (l->nlines && !lines)
		return -ENOMEM;
	const sc_line *src = sc_profile_location_lines(c->src, l);
	int64_t r = 0;
	for (uint32_t i = 0; i < l->nlines && r >= 0; i++) {
		lines[i] = src[i];
		r = copy_function(c, src[i].function);
		lines[i].function = (uint32_t)r;
	}
	if (r >= 0)
		r = sc_profile_add_location(c->dst, (uint32_t)m, l->address, lines, l->nlines);
	free(lines);
	if (r < 0)
		return r;
	c->location[id] = (uint32_t)r;
	return r;
}

static int64_t copy_node(struct copy *c, sc_stack_id id)
{
	if (!id)
		return 0;
	if (c->node[id])
		return c->node[id];
	/* Recursion depth is the stack depth: bounded by what the recorder keeps (--depth). */
	const sc_stack_node *n = sc_profile_node(c->src, id);
	int64_t parent = copy_node(c, n->parent);
	if (parent < 0)
		return parent;
	int64_t loc = copy_location(c, n->location);
	if (loc < 0)
		return loc;
	int64_t r = sc_profile_stack_child(c->dst, (sc_stack_id)parent, (uint32_t)loc);
	if (r < 0)
		return r;
	c->node[id] = (uint32_t)r;
	return r;
}

/* pprof values are signed: a (hostile or absurd) count above INT64_MAX saturates. */
static int64_t i64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

int sc_heap_build_profile(const sc_heap *h, sc_heap_profile_kind kind, sc_profile **out)
{
	*out = NULL;
	if (!sc_heap_is_finished(h))
		return -EINVAL;
	const sc_profile *src = sc_heap_profile_of(h);
	const sc_heap_totals *t = sc_heap_get_totals(h);
	struct copy c = {.src = src};
	int r = -ENOMEM;
	if (copy_open(&c) < 0)
		goto out;
	sc_profile *p = c.dst;
	bool all = kind == SC_HEAP_PROFILE_ALL;
	if (all && (sc_profile_add_sample_type(p, "alloc_objects", "count") < 0 ||
		    sc_profile_add_sample_type(p, "alloc_space", "bytes") < 0))
		goto out;
	if (sc_profile_add_sample_type(p, "inuse_objects", "count") < 0 ||
	    sc_profile_add_sample_type(p, "inuse_space", "bytes") < 0)
		goto out;
	bool kinds = all && t->exited && t->classified;
	for (size_t k = SC_HEAP_DEFINITE; kinds && k <= SC_HEAP_REACHABLE; k++) {
		char name[32];
		snprintf(name, sizeof(name), "%s_space", sc_heap_kind_key((sc_heap_leak_kind)k));
		if (sc_profile_add_sample_type(p, name, "bytes") < 0)
			goto out;
	}
	int64_t def = sc_profile_intern(p, "inuse_space"), space = sc_profile_intern(p, "space"),
		bytes = sc_profile_intern(p, "bytes");
	if (def < 0 || space < 0 || bytes < 0)
		goto out;
	p->default_sample_type = (sc_str)def;
	p->period_type = (sc_value_type){(sc_str)space, (sc_str)bytes};
	p->period = 1;
	p->time_nanos = src->time_nanos;
	p->duration_nanos = (int64_t)t->duration;
	for (size_t i = 0; i < src->comments.len; i++)
		if (sc_profile_add_comment(p, sc_profile_str(src, src->comments.data[i])) < 0)
			goto out;
	for (size_t i = 0; i < sc_heap_nsites(h); i++) {
		const sc_heap_site *s = sc_heap_site_at(h, i);
		int64_t v[8];
		size_t nv = 0;
		if (all) {
			v[nv++] = i64(s->allocs);
			v[nv++] = i64(s->bytes);
			v[nv++] = s->suppressed ? 0 : i64(s->live_blocks);
			v[nv++] = s->suppressed ? 0 : i64(s->live_bytes);
			for (size_t k = SC_HEAP_DEFINITE; kinds && k <= SC_HEAP_REACHABLE; k++)
				v[nv++] = s->suppressed ? 0 : i64(s->kind_bytes[k]);
			if (!s->allocs)
				continue;
		} else {
			v[nv++] = i64(s->peak_blocks);
			v[nv++] = i64(s->peak_bytes);
			if (!s->peak_blocks)
				continue;
		}
		int64_t node = copy_node(&c, s->stack);
		if (node < 0 ||
		    sc_profile_add_sample(p, (sc_stack_id)node, v, sc_heap_pid(h), 0, 0) < 0)
			goto out;
	}
	*out = p;
	c.dst = NULL;
	r = 0;
out:
	copy_close(&c);
	return r;
}

int sc_heap_write_pprof(const sc_heap *h, sc_heap_profile_kind kind, FILE *f)
{
	sc_profile *p;
	int r = sc_heap_build_profile(h, kind, &p);
	if (r < 0)
		return r;
	r = sc_pprof_write_stream(p, f);
	sc_profile_free(p);
	return r;
}

/* The copy of stack `id` under `root` (a node of the copy): not cached, one per kind. */
static int64_t copy_under(struct copy *c, sc_stack_id id, sc_stack_id root)
{
	if (!id)
		return root;
	const sc_stack_node *n = sc_profile_node(c->src, id);
	int64_t parent = copy_under(c, n->parent, root);
	int64_t loc = parent < 0 ? parent : copy_location(c, n->location);
	if (loc < 0)
		return loc;
	return sc_profile_stack_child(c->dst, (sc_stack_id)parent, (uint32_t)loc);
}

/* leaks.html's profile when the leaks are classified: inuse_objects/inuse_space by site and
 * kind, each kind under a root frame naming it. */
static int build_kinds_profile(const sc_heap *h, sc_profile **out)
{
	const sc_profile *src = sc_heap_profile_of(h);
	struct copy c = {.src = src};
	int r = -ENOMEM;
	if (copy_open(&c) < 0)
		goto out;
	sc_profile *p = c.dst;
	if (sc_profile_add_sample_type(p, "inuse_objects", "count") < 0 ||
	    sc_profile_add_sample_type(p, "inuse_space", "bytes") < 0)
		goto out;
	for (size_t k = 0; k < SC_HEAP_KINDS; k++) {
		char name[32];
		snprintf(name, sizeof(name), "[%s]", sc_heap_kind_name((sc_heap_leak_kind)k));
		int64_t str = sc_profile_intern(p, name);
		sc_function fn = {.name = (sc_str)(str < 0 ? 0 : str),
				  .system_name = (sc_str)(str < 0 ? 0 : str)};
		int64_t fid = str < 0 ? str : sc_profile_add_function(p, &fn);
		sc_line line = {.function = (uint32_t)fid};
		int64_t loc = fid < 0 ? fid : sc_profile_add_location(p, 0, 0, &line, 1);
		int64_t root = loc < 0 ? loc : sc_profile_stack_child(p, 0, (uint32_t)loc);
		if (root < 0)
			goto out;
		for (size_t i = 0; i < sc_heap_nsites(h); i++) {
			const sc_heap_site *s = sc_heap_site_at(h, i);
			if (s->suppressed || !s->kind_blocks[k])
				continue;
			int64_t v[2] = {i64(s->kind_blocks[k]), i64(s->kind_bytes[k])};
			int64_t node = copy_under(&c, s->stack, (sc_stack_id)root);
			if (node < 0 || sc_profile_add_sample(p, (sc_stack_id)node, v,
							      sc_heap_pid(h), 0, 0) < 0)
				goto out;
		}
	}
	*out = p;
	c.dst = NULL;
	r = 0;
out:
	copy_close(&c);
	return r;
}

int sc_heap_write_flamegraph(const sc_heap *h, sc_heap_view view, FILE *f)
{
	sc_profile *p;
	const sc_heap_totals *t = sc_heap_get_totals(h);
	if (view == SC_HEAP_VIEW_LEAKS && t->exited && t->classified) {
		int r = build_kinds_profile(h, &p);
		if (r < 0)
			return r;
		sc_flamegraph_options o = {.title = "scorch heap: bytes leaked, by kind",
					   .type = sc_profile_find_sample_type(p, "inuse_space")};
		r = sc_flamegraph_write_html(p, &o, f);
		sc_profile_free(p);
		return r;
	}
	sc_heap_profile_kind kind =
	    view == SC_HEAP_VIEW_PEAK ? SC_HEAP_PROFILE_PEAK : SC_HEAP_PROFILE_ALL;
	int r = sc_heap_build_profile(h, kind, &p);
	if (r < 0)
		return r;
	sc_flamegraph_options o = {0};
	switch (view) {
	case SC_HEAP_VIEW_ALLOC:
		o.title = "scorch heap: bytes allocated";
		o.type = sc_profile_find_sample_type(p, "alloc_space");
		break;
	case SC_HEAP_VIEW_LEAKS:
		o.title = sc_heap_get_totals(h)->exited ? "scorch heap: bytes leaked"
							: "scorch heap: bytes live at the end";
		o.type = sc_profile_find_sample_type(p, "inuse_space");
		break;
	default:
		o.title = "scorch heap: bytes live at the peak";
		o.type = sc_profile_find_sample_type(p, "inuse_space");
		break;
	}
	r = sc_flamegraph_write_html(p, &o, f);
	sc_profile_free(p);
	return r;
}
