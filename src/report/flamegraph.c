/*
 * flamegraph.c: writes the self-contained flamegraph page (see flamegraph.h).
 *
 * The page is one HTML file with everything inside: the CSS and the renderer (flamegraph.css and
 * flamegraph.js in this folder, embedded at build time by embed.py as sc_asset_flamegraph_*), and
 * the profile as JSON in a <script type="application/json"> element. It needs no network.
 *
 * The tree is the profile's stack tree with inline chains expanded and frames merged by
 * (display name, module), so two call sites of `a` in `main` are one box. The JSON, annotated:
 *
 *   {"schema":"scorch.flamegraph","version":1,
 *    "title":"scorch: myprog",            page title
 *    "type":"samples","unit":"count",     the sample type shown
 *    "total":65,                          the root's value
 *    "names":["main","a"],                display name of each frame key...
 *    "mod":[0,0],                         ...and its module, as an index into "modules"
 *    "modules":["myprog"],
 *    "tree":[-1,65,2, 0,65,1, 1,50,0]}    preorder, three numbers per node: key (-1 for the
 *                                         root), inclusive value, number of descendants
 *
 * Preorder with descendant counts lets the renderer skip a subtree too narrow to draw in one step,
 * which keeps it fast with hundreds of thousands of nodes. Children are sorted by name (as
 * FlameGraph does), so the output is deterministic. '<' is escaped in JSON strings, so no function
 * name can close the <script> element.
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
#include "util/strbuf.h"

#define NONE UINT32_MAX

struct fnode {
	uint32_t key, parent;
	uint32_t first_child; /* index into the sorted child array, after sort_children */
	uint32_t nchildren;
	int64_t value; /* self while building, inclusive after fold */
	uint64_t ndescendants;
};

struct tree {
	SC_VEC(struct fnode) nodes; /* nodes.data[0] is the root */
	sc_hashmap index;	    /* hash(parent, key) -> node */
	uint32_t *children;	    /* all child ids, grouped by parent */
	const sc_fkeys *keys;
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

static int build(struct tree *t, const sc_profile *p, int type)
{
	int64_t *self = NULL, *total = NULL;
	uint32_t *map = NULL, *fk = NULL;
	uint32_t cap = sc_fkeys_max_lines(p);
	int r = sc_node_values(p, type, &self, &total);
	if (r < 0)
		return r;
	r = -ENOMEM;
	map = malloc(p->nodes.len * sizeof(*map));
	fk = malloc(cap * sizeof(*fk));
	if (!map || !fk ||
	    sc_vec_push(&t->nodes, ((struct fnode){.key = NONE, .parent = NONE})) < 0)
		goto out;
	map[0] = 0;
	t->nodes.data[0].value = self[0];
	/* Parents come before children in the stack tree, so map[parent] is always set. */
	for (size_t n = 1; n < p->nodes.len; n++) {
		const sc_stack_node *sn = sc_profile_node(p, (sc_stack_id)n);
		map[n] = NONE;
		if (!total[n] || map[sn->parent] == NONE)
			continue;
		uint32_t cur = map[sn->parent];
		uint32_t nf = sc_fkeys_location(t->keys, p, sn->location, fk, cap);
		for (uint32_t i = 0; i < nf; i++) {
			int64_t c = child(t, cur, fk[i]);
			if (c < 0)
				goto out;
			cur = (uint32_t)c;
		}
		map[n] = cur;
		t->nodes.data[cur].value += self[n];
	}
	r = 0;
out:
	free(self);
	free(total);
	free(map);
	free(fk);
	return r;
}

/* Orders sibling nodes by their frame's name, then module. */
static int cmp_child(const void *x, const void *y, void *ctx)
{
	const struct tree *t = ctx;
	const struct fnode *a = &t->nodes.data[*(const uint32_t *)x];
	const struct fnode *b = &t->nodes.data[*(const uint32_t *)y];
	const sc_fkey *ka = &t->keys->keys.data[a->key], *kb = &t->keys->keys.data[b->key];
	int c = strcmp(ka->name, kb->name);
	return c ? c : strcmp(ka->module, kb->module);
}

/* Folds values and descendant counts up the tree and groups children by parent, sorted. */
static int finish(struct tree *t)
{
	size_t n = t->nodes.len;
	struct fnode *nodes = t->nodes.data;
	/* Children are created after their parents, so a backwards pass folds each subtree. */
	for (size_t i = n; i-- > 1;) {
		struct fnode *par = &nodes[nodes[i].parent];
		par->value += nodes[i].value;
		par->ndescendants += nodes[i].ndescendants + 1;
		par->nchildren++;
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
}

/* Writes the buffer out when it has grown large, to keep memory flat on big profiles. */
static int flush(sc_strbuf *sb, FILE *f, bool force)
{
	if (!force && sb->len < (1 << 16))
		return 0;
	if (sb->len && fwrite(sb->buf, 1, sb->len, f) != sb->len)
		return -EIO;
	sc_strbuf_reset(sb);
	return 0;
}

static int add_json_str(sc_strbuf *sb, const char *s)
{
	if (sc_strbuf_addc(sb, '"') < 0 || sc_strbuf_add_json(sb, s) < 0 ||
	    sc_strbuf_addc(sb, '"') < 0)
		return -ENOMEM;
	return 0;
}

static bool module_eq(uint64_t value, const void *key, const void *ctx)
{
	const char *const *mods = ctx;
	return strcmp(mods[value], key) == 0;
}

/* Writes "names", "mod", "modules" and "tree". Keys are renumbered in order of first use so the
 * tables hold only frames that are drawn. */
static int write_tree(const struct tree *t, sc_strbuf *sb, FILE *f)
{
	size_t nkeys = t->keys->keys.len;
	uint32_t *remap = malloc((nkeys ? nkeys : 1) * sizeof(*remap));
	uint32_t *order = malloc(t->nodes.len * sizeof(*order)); /* used keys, in new order */
	uint32_t *key_mod = malloc(t->nodes.len * sizeof(*key_mod));
	SC_VEC(const char *) mods = {0};
	sc_hashmap mod_index = {0};
	SC_VEC(uint32_t) stack = {0};
	size_t nused = 0;
	int r = -ENOMEM;
	if (!remap || !order || !key_mod)
		goto out;
	memset(remap, 0xff, (nkeys ? nkeys : 1) * sizeof(*remap));

	/* Preorder: children pushed in reverse so the first (by name) is visited first. */
	if (sc_strbuf_adds(sb, ",\n\"tree\":[") < 0 || sc_vec_push(&stack, 0) < 0)
		goto out;
	bool first = true;
	while (stack.len) {
		const struct fnode *n = &t->nodes.data[stack.data[--stack.len]];
		int64_t key = -1;
		if (n->key != NONE) {
			if (remap[n->key] == NONE) {
				const char *m = t->keys->keys.data[n->key].module;
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
		if (sc_strbuf_addf(sb, "%s%" PRId64 ",%" PRId64 ",%" PRIu64, first ? "" : ",", key,
				   n->value, n->ndescendants) < 0 ||
		    flush(sb, f, false) < 0)
			goto out;
		first = false;
		for (uint32_t j = n->nchildren; j-- > 0;)
			if (sc_vec_push(&stack, t->children[n->first_child + j]) < 0)
				goto out;
	}
	if (sc_strbuf_adds(sb, "],\n\"names\":[") < 0)
		goto out;
	for (size_t i = 0; i < nused; i++)
		if ((i && sc_strbuf_addc(sb, ',') < 0) ||
		    add_json_str(sb, t->keys->keys.data[order[i]].name) < 0 ||
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
		if ((i && sc_strbuf_addc(sb, ',') < 0) || add_json_str(sb, mods.data[i]) < 0)
			goto out;
	r = sc_strbuf_adds(sb, "]");
out:
	free(remap);
	free(order);
	free(key_mod);
	sc_vec_release(&mods);
	sc_hashmap_release(&mod_index);
	sc_vec_release(&stack);
	return r;
}

int sc_flamegraph_write_html(const sc_profile *p, const sc_flamegraph_options *o, FILE *f)
{
	const char *title = o && o->title ? o->title : "scorch flamegraph";
	int type = o ? o->type : 0;
	if (type < 0 || (size_t)type >= p->nsample_types)
		return -EINVAL;
	sc_fkeys keys;
	struct tree t = {0};
	sc_strbuf sb = {0};
	int r = sc_fkeys_init(&keys, p);
	if (r < 0)
		return r;
	t.keys = &keys;
	if ((r = build(&t, p, type)) < 0 || (r = finish(&t)) < 0)
		goto out;

	r = -ENOMEM;
	if (sc_strbuf_adds(
		&sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		     "<meta name=\"viewport\" content=\"width=device-width\">\n<title>") < 0 ||
	    sc_strbuf_add_html(&sb, title) < 0 || sc_strbuf_adds(&sb, "</title>\n<style>\n") < 0 ||
	    sc_strbuf_adds(&sb, sc_asset_flamegraph_css) < 0 ||
	    sc_strbuf_adds(&sb, "</style>\n</head>\n<body>\n<header>\n<h1 id=\"title\">") < 0 ||
	    sc_strbuf_add_html(&sb, title) < 0 ||
	    sc_strbuf_adds(
		&sb, "</h1>\n<span id=\"info\"></span>\n"
		     "<span class=\"spacer\"></span>\n"
		     "<span id=\"matched\"></span>\n"
		     "<input id=\"search\" type=\"search\" placeholder=\"search (regex)\" "
		     "spellcheck=\"false\" autocomplete=\"off\">\n"
		     "<button id=\"reset\" type=\"button\" title=\"Escape\">Reset zoom</button>\n"
		     "</header>\n<main id=\"chart\"><canvas id=\"canvas\"></canvas></main>\n"
		     "<div id=\"tip\" hidden></div>\n<footer id=\"details\">&nbsp;</footer>\n"
		     "<script type=\"application/json\" id=\"scorch-data\">\n"
		     "{\"schema\":\"scorch.flamegraph\",\"version\":1,\"title\":") < 0 ||
	    add_json_str(&sb, title) < 0 || sc_strbuf_adds(&sb, ",\"type\":") < 0 ||
	    add_json_str(&sb, sc_profile_str(p, p->sample_types[type].type)) < 0 ||
	    sc_strbuf_adds(&sb, ",\"unit\":") < 0 ||
	    add_json_str(&sb, sc_profile_str(p, p->sample_types[type].unit)) < 0 ||
	    sc_strbuf_addf(&sb, ",\"total\":%" PRId64, t.nodes.data[0].value) < 0)
		goto out;
	if ((r = write_tree(&t, &sb, f)) < 0)
		goto out;
	r = -ENOMEM;
	if (sc_strbuf_adds(&sb, "}\n</script>\n<script>\n") < 0 ||
	    sc_strbuf_adds(&sb, sc_asset_flamegraph_js) < 0 ||
	    sc_strbuf_adds(&sb, "</script>\n</body>\n</html>\n") < 0)
		goto out;
	r = flush(&sb, f, true);
	if (!r && ferror(f))
		r = -EIO;
out:
	sc_strbuf_release(&sb);
	tree_release(&t);
	sc_fkeys_release(&keys);
	return r;
}
