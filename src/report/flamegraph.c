/*
 * flamegraph.c: writes the self-contained flamegraph page and its differential variant (see
 * flamegraph.h).
 *
 * The page is one HTML file with everything inside: the CSS and the renderer (flamegraph.css,
 * tree.js and flamegraph.js in this folder, embedded at build time by embed.py as sc_asset_*),
 * and the profile as JSON in a <script type="application/json"> element. It needs no network.
 *
 * The tree is the profile's stack tree with inline chains expanded and frames merged by
 * (display name, module), so two call sites of `a` in `main` are one box. The JSON, annotated:
 *
 *   {"schema":"scorch.flamegraph","version":1,
 *    "title":"scorch: myprog",            page title
 *    "type":"samples","unit":"count",     the sample type shown
 *    "total":65,                          the root's value
 *    "icicle":false,                      initial orientation (root on top when true)
 *    "tree":[-1,65,2, 0,65,1, 1,50,0],    preorder, three numbers per node: key (-1 for the
 *                                         root), inclusive value, number of descendants
 *    "names":["main","a"],                display name of each frame key...
 *    "mod":[0,0],                         ...and its module, as an index into "modules"
 *    "modules":["myprog"],
 *    optional, with components (sc_flamegraph_options.groups):
 *    "groups":["sim","other"],            component names, "other" last
 *    "group_totals":[40,25],              each component's cost over the whole profile
 *    "grp":[1,1,0],                       per node (preorder): the component most of its
 *                                         inclusive cost belongs to (ties: the first)
 *    optional, when the profile's functions name their files (not in a differential page):
 *    "file":[0,0],"line":[3,12],          per key: its function's file (index into "files",
 *    "files":["/src/myprog.c"],           -1 unknown) and first line (0 unknown)
 *    optional, in a tree of more than SC_FLAMEGRAPH_DROP_NODES frames:
 *    "dropped":{"frames":4100000,         frames left out, narrower than one pixel of a page
 *               "value":1234,"pixels":1920}  "pixels" wide; their cost stays in their callers
 *    optional, when samples carry times (pagedata.c; not in a differential page):
 *    "timeline":{"start_ns":5000,         the first sample's (or span's) time
 *      "bucket_ns":12000,"buckets":1000,  the run cut into equal buckets
 *      "tracks":[{"name":"worker","pid":7,"tid":9}, ...,   a track per thread (its last name),
 *                {"name":"40 other threads","threads":40}],  past 31 the rest in one
 *      "spans":{"names":["handle"],       optional, the profile's intervals (record --trace):
 *        "data":[0,1200,50000,0,0]},      (track, start - start_ns, length, depth, name) per
 *                                         span, the SC_TIMELINE_SPANS longest
 *      "counters":[{"name":"GPU 0: ...",  optional, the profile's counter series (record
 *        "data":[-4000,50,96000,55]}],    --gpu): (time - start_ns, value) per point
 *      "cells":[[0,2,30, 1,2,10, 0,4,5]]} per track: (bucket - previous cell's bucket, node
 *                                         (preorder index into "tree"), value) for each
 *                                         bucket and node with samples, by bucket then node
 *    optional, when samples have line numbers (pagedata.c; not in a differential page):
 *    "annotate":{"funcs":[{"name":"a",    the hottest functions, hottest first
 *        "file":0,"start":10,             its file (index into annotate's "files"), first line
 *        "self":30,"total":50,            its values (annotate.h: what counts)
 *        "lines":[0,12,30,30, 1,4,0,20],  (file, line, self, total) per line, own file first
 *        "src":[11,"for (;;)",12,"x++;"]}],  (line, text) of the own file when readable
 *      "files":["/src/a.c","/src/a.h"]}
 *    optional, in a differential page:
 *    "diff":true,"base_total":80,         the base profile's total
 *    "base_scale":0.8125,                 what base values are multiplied by to compare
 *                                         them with new ones (total / base_total: shares;
 *                                         1: values); absent means total / base_total
 *    "base":[80,80,60]}                   per node (preorder): its inclusive value in the base
 *                                         profile; "tree" holds the new one, 0 for frames
 *                                         only the base has (the page draws those, hatched,
 *                                         base value x base_scale wide)
 *
 * Preorder with descendant counts lets the renderer skip a subtree too narrow to draw in one step,
 * which keeps it fast with hundreds of thousands of nodes. Children are sorted by name (as
 * FlameGraph does), so the output is deterministic. '<' is escaped in JSON strings, so no function
 * name can close the <script> element.
 *
 * The tree is built over "merged keys": (name, module) pairs interned across the profiles drawn,
 * so the two trees of a diff meet frame by frame.
 *
 * The page's frame (head, shared CSS, tree.js, closing tags) is written by sc_flamegraph_page_head
 * and sc_flamegraph_page_end, which the butterfly page (butterfly_html.c) uses too.
 *
 * Not for: the renderer's behaviour (read flamegraph.js).
 */
#include "report/flamegraph.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/assets.h"
#include "report/frames.h"
#include "report/pagedata.h"
#include "util/strbuf.h"

#define NONE UINT32_MAX

struct mkey {
	const char *name, *module; /* borrowed from the profiles' sc_fkeys */
	uint32_t function;	   /* a function id of the first profile that had the key */
};

struct fnode {
	uint32_t key, parent;
	uint32_t first_child; /* index into the sorted child array, after sort_children */
	uint32_t nchildren;
	int64_t value; /* self while building, inclusive after fold */
	int64_t base;  /* the same in the base profile of a diff */
	uint64_t ndescendants;
};

/* A sample stack's contribution to one component, recorded while building. */
struct gself {
	uint32_t node, group;
	int64_t value;
};

struct tree {
	SC_VEC(struct fnode) nodes; /* nodes.data[0] is the root */
	sc_hashmap index;	    /* hash(parent, key) -> node */
	uint32_t *children;	    /* all child ids, grouped by parent */
	SC_VEC(struct mkey) keys;
	sc_hashmap key_index; /* hash(name, module) -> merged key */
	/* Components: ngroups + 1 values per node ("other" last), folded like the values. */
	size_t ngroups;
	SC_VEC(struct gself) gself;
	int64_t *gval;
	/* The node each stack node of the (new) profile is drawn in, NONE for stacks without
	 * value: for the timeline, whose samples are counted at their stack's node. */
	uint32_t *stack_map;
};

struct child_probe {
	uint32_t parent, key;
};

static bool child_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct tree *t = ctx;
	const struct child_probe *c = key;
	const struct fnode *n = &t->nodes.data[value];
	return n->parent == c->parent && n->key == c->key;
}

/* The child of `parent` for frame key `key`, added if new. Returns its id or -ENOMEM. */
static int64_t child(struct tree *t, uint32_t parent, uint32_t key)
{
	struct child_probe c = {parent, key};
	uint64_t h = sc_hash_combine(sc_hash_u64(parent), key), v;
	if (sc_hashmap_get(&t->index, h, child_eq, &c, t, &v))
		return (int64_t)v;
	if (t->nodes.len >= NONE || sc_vec_reserve(&t->nodes, 1) < 0 ||
	    sc_hashmap_put(&t->index, h, t->nodes.len) < 0)
		return -ENOMEM;
	t->nodes.data[t->nodes.len] = (struct fnode){.key = key, .parent = parent};
	return (int64_t)t->nodes.len++;
}

static bool mkey_eq(uint64_t value, const void *key, const void *ctx)
{
	const struct tree *t = ctx;
	const struct mkey *probe = key, *e = &t->keys.data[value];
	return strcmp(e->name, probe->name) == 0 && strcmp(e->module, probe->module) == 0;
}

/* Maps each key of `k` to a merged key, adding new ones. Returns a malloc'd array or NULL. */
static uint32_t *merge_keys(struct tree *t, const sc_fkeys *k)
{
	uint32_t *remap = malloc((k->keys.len ? k->keys.len : 1) * sizeof(*remap));
	if (!remap)
		return NULL;
	for (size_t i = 0; i < k->keys.len; i++) {
		struct mkey probe = {k->keys.data[i].name, k->keys.data[i].module,
				     k->keys.data[i].function};
		uint64_t h = sc_hash_combine(sc_hash_bytes(probe.name, strlen(probe.name), 0),
					     sc_hash_bytes(probe.module, strlen(probe.module), 1));
		uint64_t v;
		if (!sc_hashmap_get(&t->key_index, h, mkey_eq, &probe, t, &v)) {
			v = t->keys.len;
			if (v >= NONE || sc_vec_push(&t->keys, probe) < 0 ||
			    sc_hashmap_put(&t->key_index, h, v) < 0) {
				free(remap);
				return NULL;
			}
		}
		remap[i] = (uint32_t)v;
	}
	return remap;
}

/*
 * Adds profile `p`'s stacks of sample type `type` to the tree: their self values go to each
 * node's `value`, or to `base` when `is_base`. With `g`, each sample stack's self value is also
 * recorded for its component.
 */
static int build(struct tree *t, const sc_profile *p, const sc_fkeys *keys, int type, bool is_base,
		 const sc_groups *g)
{
	int64_t *self = NULL, *total = NULL;
	uint32_t *map = NULL, *fk = NULL, *remap = NULL, *cls = NULL;
	uint32_t cap = sc_fkeys_max_lines(p);
	int r = sc_node_values(p, type, &self, &total);
	if (r < 0)
		return r;
	if (g && (r = sc_groups_classify_nodes(g, p, &cls)) < 0)
		goto out;
	r = -ENOMEM;
	map = malloc(p->nodes.len * sizeof(*map));
	fk = malloc(cap * sizeof(*fk));
	remap = merge_keys(t, keys);
	if (!map || !fk || !remap)
		goto out;
	if (!t->nodes.len &&
	    sc_vec_push(&t->nodes, ((struct fnode){.key = NONE, .parent = NONE})) < 0)
		goto out;
	map[0] = 0;
	if (!is_base) {
		free(t->stack_map);
		t->stack_map = map;
	}
	if (is_base)
		t->nodes.data[0].base = sc_sat_add(t->nodes.data[0].base, self[0]);
	else
		t->nodes.data[0].value = sc_sat_add(t->nodes.data[0].value, self[0]);
	/* Parents come before children in the stack tree, so map[parent] is always set. */
	for (size_t n = 1; n < p->nodes.len; n++) {
		const sc_stack_node *sn = sc_profile_node(p, (sc_stack_id)n);
		map[n] = NONE;
		if (!total[n] || map[sn->parent] == NONE)
			continue;
		uint32_t cur = map[sn->parent];
		uint32_t nf = sc_fkeys_location(keys, p, sn->location, fk, cap);
		for (uint32_t i = 0; i < nf; i++) {
			int64_t c = child(t, cur, remap[fk[i]]);
			if (c < 0)
				goto out;
			cur = (uint32_t)c;
		}
		map[n] = cur;
		if (is_base)
			t->nodes.data[cur].base = sc_sat_add(t->nodes.data[cur].base, self[n]);
		else
			t->nodes.data[cur].value = sc_sat_add(t->nodes.data[cur].value, self[n]);
		if (g && self[n]) {
			struct gself s = {cur, cls[n], self[n]};
			if (sc_vec_push(&t->gself, s) < 0)
				goto out;
		}
	}
	r = 0;
out:
	free(self);
	free(total);
	if (map != t->stack_map)
		free(map);
	free(fk);
	free(remap);
	free(cls);
	return r;
}

/* Orders sibling nodes by their frame's name, then module. */
static int cmp_child(const void *x, const void *y, void *ctx)
{
	const struct tree *t = ctx;
	const struct fnode *a = &t->nodes.data[*(const uint32_t *)x];
	const struct fnode *b = &t->nodes.data[*(const uint32_t *)y];
	const struct mkey *ka = &t->keys.data[a->key], *kb = &t->keys.data[b->key];
	int c = strcmp(ka->name, kb->name);
	return c ? c : strcmp(ka->module, kb->module);
}

/* Folds values, components and descendant counts up the tree and groups children by parent,
 * sorted. */
static int finish(struct tree *t)
{
	size_t n = t->nodes.len, gw = t->ngroups + 1;
	struct fnode *nodes = t->nodes.data;
	if (t->ngroups) {
		t->gval = calloc(n * gw, sizeof(*t->gval));
		if (!t->gval)
			return -ENOMEM;
		for (size_t i = 0; i < t->gself.len; i++) {
			const struct gself *s = &t->gself.data[i];
			int64_t *v = &t->gval[s->node * gw + (s->group < gw ? s->group : gw - 1)];
			*v = sc_sat_add(*v, s->value);
		}
	}
	/* Children are created after their parents, so a backwards pass folds each subtree. */
	for (size_t i = n; i-- > 1;) {
		struct fnode *par = &nodes[nodes[i].parent];
		par->value = sc_sat_add(par->value, nodes[i].value);
		par->base = sc_sat_add(par->base, nodes[i].base);
		par->ndescendants += nodes[i].ndescendants + 1;
		par->nchildren++;
		for (size_t g = 0; t->gval && g < gw; g++)
			t->gval[nodes[i].parent * gw + g] =
			    sc_sat_add(t->gval[nodes[i].parent * gw + g], t->gval[i * gw + g]);
	}
	t->children = malloc((n ? n : 1) * sizeof(*t->children));
	if (!t->children)
		return -ENOMEM;
	uint32_t pos = 0;
	for (size_t i = 0; i < n; i++) {
		nodes[i].first_child = pos;
		pos += nodes[i].nchildren;
		nodes[i].nchildren = 0;
	}
	for (size_t i = 1; i < n; i++) {
		struct fnode *par = &nodes[nodes[i].parent];
		t->children[par->first_child + par->nchildren++] = (uint32_t)i;
	}
	for (size_t i = 0; i < n; i++)
		if (nodes[i].nchildren > 1)
			qsort_r(&t->children[nodes[i].first_child], nodes[i].nchildren,
				sizeof(*t->children), cmp_child, t);
	return 0;
}

static void tree_release(struct tree *t)
{
	sc_vec_release(&t->nodes);
	sc_hashmap_release(&t->index);
	free(t->children);
	sc_vec_release(&t->keys);
	sc_hashmap_release(&t->key_index);
	sc_vec_release(&t->gself);
	free(t->gval);
	free(t->stack_map);
}

/* Writes the buffer out when it has grown large, to keep memory flat on big profiles. */
static int flush(sc_strbuf *sb, FILE *f, bool force)
{
	return !force && sb->len < (1 << 16) ? 0 : sc_flush_strbuf(sb, f);
}

static bool module_eq(uint64_t value, const void *key, const void *ctx)
{
	const char *const *mods = ctx;
	return strcmp(mods[value], key) == 0;
}

/* The page's nodes: the tree's in preorder, less what was dropped. */
struct layout {
	uint32_t *pre; /* kept nodes in preorder (children by name) */
	size_t len;
	uint32_t *pos;	       /* per tree node: its index in pre, or its nearest kept ancestor's */
	uint64_t *ndesc;       /* per tree node: its kept descendants */
	uint64_t dropped;      /* frames left out */
	int64_t dropped_value; /* their cost (the values of the dropped subtrees' roots) */
};

static void layout_release(struct layout *l)
{
	free(l->pre);
	free(l->pos);
	free(l->ndesc);
	*l = (struct layout){0};
}

/* A frame narrower than a pixel at full width, when the page drops those. */
static bool too_narrow(const struct tree *t, const struct fnode *n)
{
	const struct fnode *root = &t->nodes.data[0];
	return (double)n->value * SC_FLAMEGRAPH_DROP_PIXELS < (double)root->value &&
	       (double)n->base * SC_FLAMEGRAPH_DROP_PIXELS < (double)root->base + 0.5;
}

/* Lays the nodes out in preorder, leaving out frames too narrow to see when the tree has more
 * than SC_FLAMEGRAPH_DROP_NODES of them. Returns 0 or -ENOMEM. */
static int layout(const struct tree *t, struct layout *l)
{
	size_t n = t->nodes.len ? t->nodes.len : 1;
	bool drop = t->nodes.len > SC_FLAMEGRAPH_DROP_NODES;
	SC_VEC(uint32_t) stack = {0};
	*l = (struct layout){0};
	l->pre = malloc(n * sizeof(*l->pre));
	l->pos = malloc(n * sizeof(*l->pos));
	l->ndesc = calloc(n, sizeof(*l->ndesc));
	if (!l->pre || !l->pos || !l->ndesc || sc_vec_push(&stack, 0) < 0)
		goto fail;
	memset(l->pos, 0xff, n * sizeof(*l->pos));
	/* Children pushed in reverse so the first (by name) is visited first. */
	while (stack.len) {
		uint32_t i = stack.data[--stack.len];
		const struct fnode *nd = &t->nodes.data[i];
		l->pos[i] = (uint32_t)l->len;
		l->pre[l->len++] = i;
		for (uint32_t j = nd->nchildren; j-- > 0;) {
			uint32_t c = t->children[nd->first_child + j];
			const struct fnode *cn = &t->nodes.data[c];
			if (drop && too_narrow(t, cn)) {
				l->dropped += cn->ndescendants + 1;
				l->dropped_value = sc_sat_add(l->dropped_value, cn->value);
			} else if (sc_vec_push(&stack, c) < 0) {
				goto fail;
			}
		}
	}
	/* Parents come before children in t->nodes, so a dropped node finds its kept ancestor. */
	for (size_t i = 1; i < t->nodes.len; i++)
		if (l->pos[i] == NONE)
			l->pos[i] = l->pos[t->nodes.data[i].parent];
	for (size_t k = l->len; k-- > 1;)
		l->ndesc[t->nodes.data[l->pre[k]].parent] += l->ndesc[l->pre[k]] + 1;
	sc_vec_release(&stack);
	return 0;
fail:
	sc_vec_release(&stack);
	layout_release(l);
	return -ENOMEM;
}

/* Writes "file" and "line" per used key (the source file, as an index into "files", and first
 * line of the function shown under it; -1 and 0 when unknown), when any key has a file. */
static int write_key_files(const sc_profile *p, const struct tree *t, const uint32_t *order,
			   size_t nused, sc_strbuf *sb, FILE *f)
{
	SC_VEC(sc_str) files = {0};
	int r = -ENOMEM;
	bool any = false;
	for (size_t i = 0; i < nused && !any; i++) {
		const sc_function *fn = sc_profile_function(p, t->keys.data[order[i]].function);
		any = fn && fn->filename;
	}
	if (!any)
		return 0;
	if (sc_strbuf_adds(sb, ",\n\"file\":[") < 0)
		goto out;
	for (size_t i = 0; i < nused; i++) {
		const sc_function *fn = sc_profile_function(p, t->keys.data[order[i]].function);
		int64_t fi = -1;
		if (fn && fn->filename) {
			for (fi = 0; (size_t)fi < files.len && files.data[fi] != fn->filename; fi++)
				;
			if ((size_t)fi == files.len && sc_vec_push(&files, fn->filename) < 0)
				goto out;
		}
		if (sc_strbuf_addf(sb, "%s%" PRId64, i ? "," : "", fi) < 0 ||
		    flush(sb, f, false) < 0)
			goto out;
	}
	if (sc_strbuf_adds(sb, "],\n\"line\":[") < 0)
		goto out;
	for (size_t i = 0; i < nused; i++) {
		const sc_function *fn = sc_profile_function(p, t->keys.data[order[i]].function);
		if (sc_strbuf_addf(sb, "%s%" PRId64, i ? "," : "", fn ? fn->start_line : 0) < 0 ||
		    flush(sb, f, false) < 0)
			goto out;
	}
	if (sc_strbuf_adds(sb, "],\n\"files\":[") < 0)
		goto out;
	for (size_t i = 0; i < files.len; i++)
		if ((i && sc_strbuf_addc(sb, ',') < 0) ||
		    sc_add_json_quoted(sb, sc_profile_str(p, files.data[i])) < 0)
			goto out;
	r = sc_strbuf_adds(sb, "]");
out:
	sc_vec_release(&files);
	return r;
}

/* Writes "tree", "names", "mod", "modules" and the optional arrays. Keys are renumbered in order
 * of first use so the tables hold only frames that are drawn. */
static int write_tree(const sc_profile *p, const struct tree *t, const struct layout *l, bool diff,
		      double base_scale, sc_strbuf *sb, FILE *f)
{
	size_t nkeys = t->keys.len, gw = t->ngroups + 1;
	uint32_t *remap = malloc((nkeys ? nkeys : 1) * sizeof(*remap));
	uint32_t *order = malloc(t->nodes.len * sizeof(*order)); /* used keys, in new order */
	uint32_t *key_mod = malloc(t->nodes.len * sizeof(*key_mod));
	const uint32_t *pre = l->pre;
	SC_VEC(const char *) mods = {0};
	sc_hashmap mod_index = {0};
	size_t nused = 0;
	int r = -ENOMEM;
	if (!remap || !order || !key_mod)
		goto out;
	memset(remap, 0xff, (nkeys ? nkeys : 1) * sizeof(*remap));

	if (sc_strbuf_adds(sb, ",\n\"tree\":[") < 0)
		goto out;
	for (size_t i = 0; i < l->len; i++) {
		const struct fnode *n = &t->nodes.data[pre[i]];
		int64_t key = -1;
		if (n->key != NONE) {
			if (remap[n->key] == NONE) {
				const char *m = t->keys.data[n->key].module;
				uint64_t h = sc_hash_bytes(m, strlen(m), 0), v;
				if (!sc_hashmap_get(&mod_index, h, module_eq, m, mods.data, &v)) {
					v = mods.len;
					if (sc_vec_push(&mods, m) < 0 ||
					    sc_hashmap_put(&mod_index, h, v) < 0)
						goto out;
				}
				key_mod[nused] = (uint32_t)v;
				order[nused] = n->key;
				remap[n->key] = (uint32_t)nused++;
			}
			key = remap[n->key];
		}
		if (sc_strbuf_addf(sb, "%s%" PRId64 ",%" PRId64 ",%" PRIu64, i ? "," : "", key,
				   n->value, l->ndesc[pre[i]]) < 0 ||
		    flush(sb, f, false) < 0)
			goto out;
	}
	if (sc_strbuf_adds(sb, "],\n\"names\":[") < 0)
		goto out;
	for (size_t i = 0; i < nused; i++)
		if ((i && sc_strbuf_addc(sb, ',') < 0) ||
		    sc_add_json_quoted(sb, t->keys.data[order[i]].name) < 0 ||
		    flush(sb, f, false) < 0)
			goto out;
	if (sc_strbuf_adds(sb, "],\n\"mod\":[") < 0)
		goto out;
	for (size_t i = 0; i < nused; i++)
		if (sc_strbuf_addf(sb, "%s%" PRIu32, i ? "," : "", key_mod[i]) < 0 ||
		    flush(sb, f, false) < 0)
			goto out;
	if (sc_strbuf_adds(sb, "],\n\"modules\":[") < 0)
		goto out;
	for (size_t i = 0; i < mods.len; i++)
		if ((i && sc_strbuf_addc(sb, ',') < 0) || sc_add_json_quoted(sb, mods.data[i]) < 0)
			goto out;
	if (sc_strbuf_adds(sb, "]") < 0 || (p && write_key_files(p, t, order, nused, sb, f) < 0))
		goto out;
	if (t->gval) {
		if (sc_strbuf_adds(sb, ",\n\"group_totals\":[") < 0)
			goto out;
		for (size_t g = 0; g < gw; g++)
			if (sc_strbuf_addf(sb, "%s%" PRId64, g ? "," : "", t->gval[g]) < 0)
				goto out;
		if (sc_strbuf_adds(sb, "],\n\"grp\":[") < 0)
			goto out;
		for (size_t i = 0; i < l->len; i++) {
			const int64_t *v = &t->gval[(size_t)pre[i] * gw];
			size_t best = 0;
			for (size_t g = 1; g < gw; g++)
				if (v[g] > v[best])
					best = g;
			if (sc_strbuf_addf(sb, "%s%zu", i ? "," : "", best) < 0 ||
			    flush(sb, f, false) < 0)
				goto out;
		}
		if (sc_strbuf_adds(sb, "]") < 0)
			goto out;
	}
	if (diff) {
		int64_t bt = t->nodes.data[0].base, nt = t->nodes.data[0].value;
		double s = base_scale > 0 ? base_scale : bt > 0 ? (double)nt / (double)bt : 1;
		if (sc_strbuf_addf(sb,
				   ",\n\"diff\":true,\"base_total\":%" PRId64
				   ",\"base_scale\":%.9g,\n\"base\":[",
				   bt, s) < 0)
			goto out;
		for (size_t i = 0; i < l->len; i++)
			if (sc_strbuf_addf(sb, "%s%" PRId64, i ? "," : "",
					   t->nodes.data[pre[i]].base) < 0 ||
			    flush(sb, f, false) < 0)
				goto out;
		if (sc_strbuf_adds(sb, "]") < 0)
			goto out;
	}
	r = 0;
out:
	free(remap);
	free(order);
	free(key_mod);
	sc_vec_release(&mods);
	sc_hashmap_release(&mod_index);
	return r;
}

/* Writes the JSON document into `sb` (flushing to `f` as it grows). */
static int write_data(const sc_profile *base, int base_type, const sc_profile *p,
		      const sc_flamegraph_options *o, bool sections, sc_strbuf *sb, FILE *f)
{
	const char *title = o && o->title ? o->title : "scorch flamegraph";
	int type = o ? o->type : 0;
	const sc_groups *g = o && !base ? o->groups : NULL;
	if (type < 0 || (size_t)type >= p->nsample_types ||
	    (base && (base_type < 0 || (size_t)base_type >= base->nsample_types)))
		return -EINVAL;
	sc_fkeys keys, base_keys;
	struct tree t = {0};
	struct layout l = {0};
	uint32_t *node_of_stack = NULL;
	int r = sc_fkeys_init(&keys, p);
	if (r < 0)
		return r;
	if (base && (r = sc_fkeys_init(&base_keys, base)) < 0) {
		sc_fkeys_release(&keys);
		return r;
	}
	t.ngroups = g ? sc_groups_count(g) : 0;
	if ((r = build(&t, p, &keys, type, false, g)) < 0 ||
	    (base && (r = build(&t, base, &base_keys, base_type, true, NULL)) < 0) ||
	    (r = finish(&t)) < 0)
		goto out;

	r = -ENOMEM;
	if (sc_strbuf_adds(sb, "{\"schema\":\"scorch.flamegraph\",\"version\":1,\"title\":") < 0 ||
	    sc_add_json_quoted(sb, title) < 0 || sc_strbuf_adds(sb, ",\"type\":") < 0 ||
	    sc_add_json_quoted(sb, sc_profile_str(p, p->sample_types[type].type)) < 0 ||
	    sc_strbuf_adds(sb, ",\"unit\":") < 0 ||
	    sc_add_json_quoted(sb, sc_profile_str(p, p->sample_types[type].unit)) < 0 ||
	    sc_strbuf_addf(sb, ",\"total\":%" PRId64 ",\"icicle\":%s", t.nodes.data[0].value,
			   o && o->icicle ? "true" : "false") < 0)
		goto out;
	if (t.ngroups) {
		if (sc_strbuf_adds(sb, ",\n\"groups\":[") < 0)
			goto out;
		for (size_t i = 0; i <= t.ngroups; i++)
			if ((i && sc_strbuf_addc(sb, ',') < 0) ||
			    sc_add_json_quoted(sb, sc_groups_name(g, i)) < 0)
				goto out;
		if (sc_strbuf_adds(sb, "]") < 0)
			goto out;
	}
	if ((r = layout(&t, &l)) < 0)
		goto out;
	r = -ENOMEM;
	if (l.dropped && sc_strbuf_addf(sb,
					",\n\"dropped\":{\"frames\":%" PRIu64 ",\"value\":%" PRId64
					",\"pixels\":%d}",
					l.dropped, l.dropped_value, SC_FLAMEGRAPH_DROP_PIXELS) < 0)
		goto out;
	if ((r = write_tree(base ? NULL : p, &t, &l, base != NULL, o ? o->base_scale : 0, sb, f)) <
	    0)
		goto out;
	if (sections && !base) {
		r = -ENOMEM;
		node_of_stack = malloc((p->nodes.len ? p->nodes.len : 1) * sizeof(*node_of_stack));
		if (!node_of_stack)
			goto out;
		for (size_t n = 0; n < p->nodes.len; n++)
			node_of_stack[n] = t.stack_map[n] == NONE ? NONE : l.pos[t.stack_map[n]];
		if ((r = sc_page_write_timeline(p, type, node_of_stack, sb, f)) < 0 ||
		    (r = sc_page_write_annotate(p, type, sb, f)) < 0)
			goto out;
	}
	r = sc_strbuf_adds(sb, "}");
out:
	free(node_of_stack);
	layout_release(&l);
	tree_release(&t);
	sc_fkeys_release(&keys);
	if (base)
		sc_fkeys_release(&base_keys);
	return r;
}

int sc_flamegraph_write_data(const sc_profile *base, int base_type, const sc_profile *p,
			     const sc_flamegraph_options *o, FILE *f)
{
	sc_strbuf sb = {0};
	int r = write_data(base, base_type, p, o, false, &sb, f);
	if (!r)
		r = flush(&sb, f, true);
	if (!r && ferror(f))
		r = -EIO;
	sc_strbuf_release(&sb);
	return r;
}

int sc_flamegraph_page_head(sc_strbuf *sb, const char *title, const char *css)
{
	if (sc_strbuf_adds(
		sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width\">\n<title>") < 0 ||
	    sc_strbuf_add_html(sb, title) < 0 || sc_strbuf_adds(sb, "</title>\n<style>\n") < 0 ||
	    sc_strbuf_adds(sb, sc_asset_flamegraph_css) < 0 ||
	    (css && sc_strbuf_adds(sb, css) < 0) ||
	    sc_strbuf_adds(sb, "</style>\n</head>\n<body>\n<header>\n<h1 id=\"title\" title=\"") <
		0 ||
	    sc_strbuf_add_html(sb, title) < 0 || sc_strbuf_adds(sb, "\">") < 0 ||
	    sc_strbuf_add_html(sb, title) < 0 ||
	    sc_strbuf_adds(sb, "</h1>\n<span id=\"info\"></span>\n"
			       "<span class=\"spacer\"></span>\n"
			       "<span id=\"matched\"></span>\n") < 0)
		return -ENOMEM;
	return 0;
}

int sc_flamegraph_page_end(sc_strbuf *sb, const char *js)
{
	if (sc_strbuf_adds(sb, "<script>\n") < 0 || sc_strbuf_adds(sb, sc_asset_tree_js) < 0 ||
	    sc_strbuf_adds(sb, "\n") < 0 || sc_strbuf_adds(sb, js) < 0 ||
	    sc_strbuf_adds(sb, "</script>\n</body>\n</html>\n") < 0)
		return -ENOMEM;
	return 0;
}

/* "scorch: COMMAND" when the profile carries the command it recorded (a "command: " comment),
 * cut at TITLE_MAX bytes; else NULL. */
#define TITLE_MAX 200
static const char *command_title(const sc_profile *p, char *buf, size_t size)
{
	for (size_t i = 0; i < p->comments.len; i++) {
		const char *c = sc_profile_str(p, p->comments.data[i]);
		if (strncmp(c, "command: ", 9) == 0 && c[9]) {
			size_t n = strlen(c + 9);
			snprintf(buf, size, "scorch: %.*s%s", TITLE_MAX, c + 9,
				 n > TITLE_MAX ? "..." : "");
			return buf;
		}
	}
	return NULL;
}

static int write_page(const sc_profile *base, int base_type, const sc_profile *p,
		      const sc_flamegraph_options *o, FILE *f)
{
	sc_flamegraph_options opts = o ? *o : (sc_flamegraph_options){0};
	char buf[TITLE_MAX + 16];
	const char *cmd = base ? NULL : command_title(p, buf, sizeof(buf));
	if (cmd)
		opts.title = cmd;
	const char *title = opts.title ? opts.title : "scorch flamegraph";
	sc_strbuf sb = {0};
	int r = -ENOMEM;
	if (sc_flamegraph_page_head(&sb, title, NULL) < 0 ||
	    sc_strbuf_adds(
		&sb, "<input id=\"search\" type=\"search\" placeholder=\"search (regex)\" "
		     "spellcheck=\"false\" autocomplete=\"off\">\n"
		     "<label>colour <select id=\"colour\"></select></label>\n"
		     "<button id=\"flip\" type=\"button\" title=\"i\">Icicle</button>\n"
		     "<button id=\"reset\" type=\"button\" title=\"Escape\">Reset zoom</button>\n"
		     "</header>\n<div id=\"legend\" hidden></div>\n"
		     "<div id=\"note\" hidden></div>\n"
		     "<section id=\"timeline\" hidden><div class=\"bar\"><span "
		     "id=\"range\"></span><button id=\"whole\" type=\"button\" disabled>Whole "
		     "run</button></div><canvas id=\"tracks\"></canvas></section>\n"
		     "<main id=\"chart\"><canvas id=\"canvas\"></canvas></main>\n"
		     "<section id=\"sandwich\" class=\"panel\" hidden></section>\n"
		     "<section id=\"source\" class=\"panel\" hidden></section>\n"
		     "<div id=\"tip\" hidden></div>\n"
		     "<footer id=\"bottom\"><span id=\"details\">&nbsp;</span>"
		     "<span id=\"selection\">click a frame to select it</span>"
		     "<button id=\"sandwich-open\" type=\"button\" disabled "
		     "title=\"callers and callees of the selected frame's function (s; "
		     "Shift+click a frame)\">Sandwich</button>"
		     "<button id=\"source-open\" type=\"button\" disabled "
		     "title=\"source lines of the selected frame's function (a; Alt+click a "
		     "frame)\">Source</button></footer>\n"
		     "<script type=\"application/json\" id=\"scorch-data\">\n") < 0)
		goto out;
	if ((r = write_data(base, base_type, p, &opts, true, &sb, f)) < 0)
		goto out;
	r = -ENOMEM;
	if (sc_strbuf_adds(&sb, "\n</script>\n<script>\n") < 0 ||
	    sc_strbuf_adds(&sb, sc_asset_tree_js) < 0 || sc_strbuf_adds(&sb, "\n") < 0 ||
	    sc_strbuf_adds(&sb, sc_asset_flamegraph_js) < 0 || sc_strbuf_adds(&sb, "\n") < 0 ||
	    sc_strbuf_adds(&sb, sc_asset_timeline_js) < 0 || sc_strbuf_adds(&sb, "\n") < 0 ||
	    sc_strbuf_adds(&sb, sc_asset_panels_js) < 0 ||
	    sc_strbuf_adds(&sb, "</script>\n</body>\n</html>\n") < 0)
		goto out;
	r = flush(&sb, f, true);
	if (!r && ferror(f))
		r = -EIO;
out:
	sc_strbuf_release(&sb);
	return r;
}

int sc_flamegraph_write_html(const sc_profile *p, const sc_flamegraph_options *o, FILE *f)
{
	return write_page(NULL, 0, p, o, f);
}

int sc_flamegraph_write_diff_html(const sc_profile *base, int base_type, const sc_profile *p,
				  const sc_flamegraph_options *o, FILE *f)
{
	return write_page(base, base_type, p, o, f);
}
