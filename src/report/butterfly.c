/*
 * butterfly.c: callers and callees of a focus (see butterfly.h for the contract).
 *
 * One depth-first walk over the stack tree (sc_walk_tree), like top.c, with per-node values from
 * sc_node_values and per-key counters of what is on the current path:
 *
 *   - entering a focus frame: the first focus frame on the path adds the node's subtree total to
 *     the focus total; its caller (the frame before it, inside the node's inline chain or the
 *     parent node's innermost frame) adds the subtree total to that caller's row unless the caller
 *     is already counted on this path;
 *   - entering a non-focus frame right after a focus frame: the same for that callee's row;
 *   - the node's self value goes to the focus's self when its innermost frame is in the focus.
 *
 * Leaving a node undoes its counters, so each sample counts once per caller and once per callee,
 * and the work is proportional to the number of distinct frames in the tree.
 */
#include "report/butterfly.h"

#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report/frames.h"
#include "util/strbuf.h"

#define NONE UINT32_MAX

struct bf_priv {
	sc_fkeys keys;
	bool *focus; /* by key */
};

struct acc {
	int64_t caller, callee;
	uint32_t caller_on, callee_on;
};

struct walk {
	const sc_profile *p;
	const sc_fkeys *keys;
	const bool *focus;
	const int64_t *self, *total;
	struct acc *acc;
	uint32_t *fk, cap; /* the node's frame keys (sc_fkeys_location) */
	int64_t root_caller;
	uint32_t root_on, focus_on;
	sc_butterfly *b;
};

/* The innermost frame's key of node `id` (NONE for the root). */
static uint32_t innermost_key(const sc_profile *p, const sc_fkeys *k, sc_stack_id id)
{
	const sc_location *l = sc_profile_location(p, sc_profile_node(p, id)->location);
	if (!l)
		return NONE;
	return l->nlines ? k->line_key[l->first_line]
			 : k->loc_key[sc_profile_node(p, id)->location - 1];
}

/* Applies (leave = false) or undoes (leave = true) the counters of node `id`. */
static int visit(void *ctx, sc_stack_id id, bool leave)
{
	struct walk *w = ctx;
	const uint32_t *fk = w->fk;
	uint32_t nf =
	    sc_fkeys_location(w->keys, w->p, sc_profile_node(w->p, id)->location, w->fk, w->cap);
	uint32_t prev = innermost_key(w->p, w->keys, sc_profile_node(w->p, id)->parent);
	int64_t t = w->total[id];
	for (uint32_t j = 0; j < nf; prev = fk[j++]) {
		uint32_t k = fk[j];
		if (w->focus[k]) {
			if (leave)
				w->focus_on--;
			else if (w->focus_on++ == 0)
				w->b->total = sc_sat_add(w->b->total, t);
			if (prev == NONE) {
				if (leave)
					w->root_on--;
				else if (w->root_on++ == 0)
					w->root_caller = sc_sat_add(w->root_caller, t);
			} else if (!w->focus[prev]) {
				struct acc *a = &w->acc[prev];
				if (leave)
					a->caller_on--;
				else if (a->caller_on++ == 0)
					a->caller = sc_sat_add(a->caller, t);
			}
		} else if (prev != NONE && w->focus[prev]) {
			struct acc *a = &w->acc[k];
			if (leave)
				a->callee_on--;
			else if (a->callee_on++ == 0)
				a->callee = sc_sat_add(a->callee, t);
		}
	}
	if (!leave && nf && w->focus[fk[nf - 1]])
		w->b->self = sc_sat_add(w->b->self, w->self[id]);
	return 0;
}

static int walk_tree(struct walk *w)
{
	w->cap = sc_fkeys_max_lines(w->p);
	w->fk = malloc(w->cap * sizeof(*w->fk));
	int r = w->fk ? sc_walk_tree(w->p, visit, w) : -ENOMEM;
	free(w->fk);
	return r;
}

static int cmp_edge(const void *x, const void *y)
{
	const sc_butterfly_edge *a = x, *b = y;
	int c = sc_cmp_desc(a->value, b->value);
	if (!c)
		c = strcmp(a->name, b->name);
	return c ? c : strcmp(a->module, b->module);
}

/* Marks the focus keys. Returns how many matched, or -EINVAL for a bad regex. */
static int64_t match_keys(const sc_fkeys *k, const char *pattern, bool *focus)
{
	size_t n = 0;
	for (size_t i = 0; i < k->keys.len; i++)
		n += (focus[i] = strcmp(k->keys.data[i].name, pattern) == 0);
	if (n)
		return (int64_t)n;
	regex_t re;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB))
		return -EINVAL;
	for (size_t i = 0; i < k->keys.len; i++)
		n += (focus[i] = regexec(&re, k->keys.data[i].name, 0, NULL, 0) == 0);
	regfree(&re);
	return (int64_t)n;
}

int sc_butterfly_compute(const sc_profile *p, int type, const char *regex, sc_butterfly *b)
{
	*b = (sc_butterfly){.pattern = regex, .type = type};
	if (type < 0 || (size_t)type >= p->nsample_types)
		return -EINVAL;
	struct bf_priv *priv = calloc(1, sizeof(*priv));
	struct walk w = {.p = p, .b = b};
	int64_t *self = NULL, *total = NULL;
	int r = -ENOMEM;
	if (!priv)
		goto out;
	b->priv = priv;
	if ((r = sc_fkeys_init(&priv->keys, p)) < 0 ||
	    (r = sc_node_values(p, type, &self, &total)) < 0)
		goto out;
	r = -ENOMEM;
	size_t nkeys = priv->keys.keys.len;
	priv->focus = calloc(nkeys + 1, sizeof(*priv->focus));
	w.acc = calloc(nkeys + 1, sizeof(*w.acc));
	if (!priv->focus || !w.acc)
		goto out;
	int64_t nm = match_keys(&priv->keys, regex, priv->focus);
	if (nm <= 0) {
		r = nm < 0 ? (int)nm : -ENOENT;
		goto out;
	}
	b->nmatched = (size_t)nm;
	b->matched = calloc(b->nmatched, sizeof(*b->matched));
	b->matched_modules = calloc(b->nmatched, sizeof(*b->matched_modules));
	b->callers = calloc(nkeys + 1, sizeof(*b->callers));
	b->callees = calloc(nkeys + 1, sizeof(*b->callees));
	if (!b->matched || !b->matched_modules || !b->callers || !b->callees)
		goto out;
	for (size_t i = 0, j = 0; i < nkeys; i++)
		if (priv->focus[i]) {
			b->matched[j] = priv->keys.keys.data[i].name;
			b->matched_modules[j++] = priv->keys.keys.data[i].module;
		}
	w.keys = &priv->keys;
	w.focus = priv->focus;
	w.self = self;
	w.total = total;
	if ((r = walk_tree(&w)) < 0)
		goto out;
	b->grand_total = total[0];
	for (size_t i = 0; i < nkeys; i++) {
		const sc_fkey *k = &priv->keys.keys.data[i];
		if (w.acc[i].caller)
			b->callers[b->ncallers++] = (sc_butterfly_edge){
			    k->name, k->module, w.acc[i].caller, SC_BUTTERFLY_FUNCTION};
		if (w.acc[i].callee)
			b->callees[b->ncallees++] = (sc_butterfly_edge){
			    k->name, k->module, w.acc[i].callee, SC_BUTTERFLY_FUNCTION};
	}
	if (w.root_caller)
		b->callers[b->ncallers++] =
		    (sc_butterfly_edge){"(root)", "", w.root_caller, SC_BUTTERFLY_ROOT};
	if (b->self)
		b->callees[b->ncallees++] =
		    (sc_butterfly_edge){"(self)", "", b->self, SC_BUTTERFLY_SELF};
	qsort(b->callers, b->ncallers, sizeof(*b->callers), cmp_edge);
	qsort(b->callees, b->ncallees, sizeof(*b->callees), cmp_edge);
	r = 0;
out:
	free(self);
	free(total);
	free(w.acc);
	if (r < 0)
		sc_butterfly_release(b);
	return r;
}

void sc_butterfly_release(sc_butterfly *b)
{
	if (!b)
		return;
	struct bf_priv *priv = b->priv;
	if (priv) {
		sc_fkeys_release(&priv->keys);
		free(priv->focus);
		free(priv);
	}
	free(b->matched);
	free(b->matched_modules);
	free(b->callers);
	free(b->callees);
	*b = (sc_butterfly){0};
}

#define NAME_MAX_W   72
#define MODULE_MAX_W 28

struct layout {
	size_t value_w, name_w, mod_w;
	bool modules;
	const char *unit;
};

static void measure(struct layout *lo, const sc_butterfly_edge *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sc_fit_value(&lo->value_w, e[i].value, lo->unit);
		size_t w = sc_text_width(e[i].name);
		lo->name_w = w > lo->name_w ? w : lo->name_w;
		w = sc_text_width(e[i].module);
		lo->mod_w = w > lo->mod_w ? w : lo->mod_w;
		lo->modules |= e[i].kind == SC_BUTTERFLY_FUNCTION && strcmp(e[i].module, "?") != 0;
	}
}

static int add_row(sc_strbuf *sb, const struct layout *lo, const char *share, const char *value,
		   const char *name, const char *module)
{
	if (sc_strbuf_addf(sb, "%7s %*s  ", share, (int)lo->value_w, value) < 0 ||
	    sc_add_cell(sb, name, lo->name_w, lo->modules) < 0 ||
	    (lo->modules &&
	     (sc_strbuf_adds(sb, "  ") < 0 || sc_add_cell(sb, module, lo->mod_w, false) < 0)))
		return -ENOMEM;
	return sc_end_row(sb);
}

static int add_edges(sc_strbuf *sb, const struct layout *lo, const sc_butterfly *b,
		     const char *title, const sc_butterfly_edge *e, size_t n)
{
	if (sc_strbuf_addf(sb, "\n%s:\n", title) < 0 ||
	    add_row(sb, lo, "share", "value", "function", "module") < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char share[16], value[32];
		snprintf(share, sizeof(share), "%.2f%%", sc_pct(e[i].value, b->total));
		sc_fmt_value(value, sizeof(value), e[i].value, lo->unit);
		if (add_row(sb, lo, share, value, e[i].name, e[i].module) < 0)
			return -ENOMEM;
	}
	return 0;
}

int sc_butterfly_print_text(const sc_profile *p, const sc_butterfly *b, size_t n, FILE *f)
{
	struct layout lo = {.value_w = 5, .name_w = 8, .mod_w = 6};
	lo.unit = sc_profile_str(p, p->sample_types[b->type].unit);
	size_t nc = sc_limit(b->ncallers, n), ne = sc_limit(b->ncallees, n);
	measure(&lo, b->callers, nc);
	measure(&lo, b->callees, ne);
	lo.name_w = lo.name_w > NAME_MAX_W ? NAME_MAX_W : lo.name_w;
	lo.mod_w = lo.mod_w > MODULE_MAX_W ? MODULE_MAX_W : lo.mod_w;
	sc_strbuf sb = {0};
	char total[32], self[32], grand[32];
	sc_fmt_value(total, sizeof(total), b->total, lo.unit);
	sc_fmt_value(self, sizeof(self), b->self, lo.unit);
	sc_fmt_value(grand, sizeof(grand), b->grand_total, lo.unit);
	int r = -ENOMEM;
	if (b->nmatched == 1) {
		if (sc_strbuf_adds(&sb, "function: ") < 0 ||
		    sc_strbuf_add_text(&sb, b->matched[0]) < 0 ||
		    (strcmp(b->matched_modules[0], "?") != 0 &&
		     (sc_strbuf_adds(&sb, " (") < 0 ||
		      sc_strbuf_add_text(&sb, b->matched_modules[0]) < 0 ||
		      sc_strbuf_addc(&sb, ')') < 0)))
			goto out;
	} else {
		if (sc_strbuf_adds(&sb, "functions matching '") < 0 ||
		    sc_strbuf_add_text(&sb, b->pattern) < 0 ||
		    sc_strbuf_addf(&sb, "' (%zu):", b->nmatched) < 0)
			goto out;
		for (size_t i = 0; i < b->nmatched; i++)
			if (sc_strbuf_adds(&sb, i ? ", " : " ") < 0 ||
			    sc_strbuf_add_text(&sb, b->matched[i]) < 0)
				goto out;
	}
	if (sc_strbuf_addf(&sb, "\ntotal: %s ", total) < 0 ||
	    sc_strbuf_add_text(&sb, sc_profile_str(p, p->sample_types[b->type].type)) < 0 ||
	    sc_strbuf_addf(&sb, " (%.2f%% of %s), self: %s (%.2f%%)\n",
			   sc_pct(b->total, b->grand_total), grand, self,
			   sc_pct(b->self, b->grand_total)) < 0 ||
	    add_edges(&sb, &lo, b, "callers", b->callers, nc) < 0 ||
	    add_edges(&sb, &lo, b, "callees", b->callees, ne) < 0)
		goto out;
	r = sc_write_strbuf(&sb, f);
out:
	sc_strbuf_release(&sb);
	return r;
}

static const char *const kind_names[] = {"function", "self", "root"};

static int add_json_edges(sc_strbuf *sb, const char *key, const sc_butterfly *b,
			  const sc_butterfly_edge *e, size_t n)
{
	if (sc_strbuf_addf(sb, ",\n\"%s\":[", key) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (sc_strbuf_adds(sb, i ? ",\n{" : "\n{") < 0 ||
		    sc_add_json_str(sb, "name", e[i].name) < 0 || sc_strbuf_addc(sb, ',') < 0 ||
		    sc_add_json_str(sb, "module", e[i].module) < 0 ||
		    sc_strbuf_addf(sb, ",\"kind\":\"%s\",\"value\":%" PRId64 ",\"pct\":%.2f}",
				   kind_names[e[i].kind], e[i].value,
				   sc_pct(e[i].value, b->total)) < 0)
			return -ENOMEM;
	return sc_strbuf_adds(sb, n ? "\n]" : "]");
}

int sc_butterfly_print_json(const sc_profile *p, const sc_butterfly *b, size_t n, FILE *f)
{
	sc_strbuf sb = {0};
	int r = -ENOMEM;
	if (sc_strbuf_adds(&sb, "{\"schema\":\"scorch.butterfly\",\"version\":1,") < 0 ||
	    sc_add_json_str(&sb, "sample_type", sc_profile_str(p, p->sample_types[b->type].type)) <
		0 ||
	    sc_strbuf_addc(&sb, ',') < 0 ||
	    sc_add_json_str(&sb, "unit", sc_profile_str(p, p->sample_types[b->type].unit)) < 0 ||
	    sc_strbuf_addc(&sb, ',') < 0 || sc_add_json_str(&sb, "pattern", b->pattern) < 0 ||
	    sc_strbuf_adds(&sb, ",\"functions\":[") < 0)
		goto out;
	for (size_t i = 0; i < b->nmatched; i++)
		if (sc_strbuf_adds(&sb, i ? ",{" : "{") < 0 ||
		    sc_add_json_str(&sb, "name", b->matched[i]) < 0 ||
		    sc_strbuf_addc(&sb, ',') < 0 ||
		    sc_add_json_str(&sb, "module", b->matched_modules[i]) < 0 ||
		    sc_strbuf_addc(&sb, '}') < 0)
			goto out;
	if (sc_strbuf_addf(&sb,
			   "],\"grand_total\":%" PRId64 ",\"total\":%" PRId64 ",\"total_pct\":%.2f"
			   ",\"self\":%" PRId64 ",\"self_pct\":%.2f",
			   b->grand_total, b->total, sc_pct(b->total, b->grand_total), b->self,
			   sc_pct(b->self, b->grand_total)) < 0 ||
	    add_json_edges(&sb, "callers", b, b->callers, sc_limit(b->ncallers, n)) < 0 ||
	    add_json_edges(&sb, "callees", b, b->callees, sc_limit(b->ncallees, n)) < 0 ||
	    sc_strbuf_adds(&sb, "}\n") < 0)
		goto out;
	r = sc_write_strbuf(&sb, f);
out:
	sc_strbuf_release(&sb);
	return r;
}
