/*
 * top.c: hot spots, functions ranked by self and by total cost (see top.h for the contract).
 *
 * How the numbers are made, in one pass over the stack tree rather than over the samples:
 *
 *   1. sc_node_values folds the samples into per-node self values and subtree totals.
 *   2. A depth-first walk (sc_walk_tree) keeps, per function key, how many times it is on the
 * current path. Entering a node, each of its frames (inline chain expanded) whose function is not
 * yet on the path adds the node's subtree total to that function's total; the innermost frame gets
 *      the node's self value. Leaving the node undoes the counters. A recursive function is thus
 *      counted once per stack, at its outermost occurrence, and the work is proportional to the
 *      number of distinct frames in the tree, not to the number of samples.
 *
 * Functions are keyed by (display name, module) through sc_fkeys (frames.h), so an unsymbolized
 * frame shows as "module+0xoffset" and call sites of one function merge into one row. The same
 * walk ranks source lines or addresses when the keys are made in another sc_key_mode: only what
 * counts as "the same row" changes (an address's inline chain shares one key, which the on-path
 * counter then counts once).
 *
 * Not for: call trees or caller/callee views (those are other walks over the same tree).
 */
#include "report/top.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report/frames.h"
#include "util/strbuf.h"

struct top_priv {
	sc_fkeys keys;
};

/* Per-key accumulators of the walk. */
struct acc {
	int64_t self, total;
	int64_t best_weight; /* subtree total of the heaviest occurrence seen so far */
	int64_t best_line;   /* its source line, 0 when unknown */
	uint32_t best_function;
	uint32_t on_path;
	bool seen;
};

struct walk {
	const sc_profile *p;
	const sc_fkeys *keys;
	const int64_t *self, *total;
	struct acc *acc;
	uint32_t *fk, cap; /* the node's frame keys (sc_fkeys_location) */
};

static int visit(void *ctx, sc_stack_id id, bool leave)
{
	struct walk *w = ctx;
	const sc_stack_node *node = sc_profile_node(w->p, id);
	uint32_t nf = sc_fkeys_location(w->keys, w->p, node->location, w->fk, w->cap);
	struct acc *acc = w->acc;
	if (leave) {
		for (uint32_t i = 0; i < nf; i++)
			acc[w->fk[i]].on_path--;
		return 0;
	}
	const sc_location *l = sc_profile_location(w->p, node->location);
	int64_t total = w->total[id];
	for (uint32_t i = 0; i < nf; i++) {
		struct acc *a = &acc[w->fk[i]];
		if (a->on_path++ == 0)
			a->total = sc_sat_add(a->total, total);
		if (!a->seen || total > a->best_weight) {
			const sc_line *ln =
			    l->nlines ? &w->p->lines.data[l->first_line + l->nlines - 1 - i] : NULL;
			a->seen = true;
			a->best_weight = total;
			a->best_line = ln ? ln->line : 0;
			a->best_function = ln ? ln->function : 0;
		}
	}
	if (nf)
		acc[w->fk[nf - 1]].self = sc_sat_add(acc[w->fk[nf - 1]].self, w->self[id]);
	return 0;
}

static int walk(const sc_profile *p, const sc_fkeys *keys, const int64_t *self,
		const int64_t *total, struct acc *acc)
{
	struct walk w = {p, keys, self, total, acc, NULL, sc_fkeys_max_lines(p)};
	w.fk = malloc(w.cap * sizeof(*w.fk));
	int r = w.fk ? sc_walk_tree(p, visit, &w) : -ENOMEM;
	free(w.fk);
	return r;
}

static int cmp_name(const sc_top_entry *a, const sc_top_entry *b)
{
	int c = strcmp(a->name, b->name);
	if (!c)
		c = strcmp(a->module, b->module);
	if (!c)
		c = strcmp(a->file, b->file);
	if (!c && a->line != b->line)
		c = a->line < b->line ? -1 : 1;
	if (!c && a->address != b->address)
		c = a->address < b->address ? -1 : 1;
	return c;
}

static int cmp_self(const void *x, const void *y)
{
	const sc_top_entry *a = x, *b = y;
	int c = sc_cmp_desc(a->self, b->self);
	if (!c)
		c = sc_cmp_desc(a->total, b->total);
	return c ? c : cmp_name(a, b);
}

static int cmp_total(const void *x, const void *y)
{
	const sc_top_entry *a = x, *b = y;
	int c = sc_cmp_desc(a->total, b->total);
	if (!c)
		c = sc_cmp_desc(a->self, b->self);
	return c ? c : cmp_name(a, b);
}

static int cmp_self_ptr(const void *x, const void *y)
{
	return cmp_self(*(const sc_top_entry *const *)x, *(const sc_top_entry *const *)y);
}

static int cmp_total_ptr(const void *x, const void *y)
{
	return cmp_total(*(const sc_top_entry *const *)x, *(const sc_top_entry *const *)y);
}

int sc_top_compute(const sc_profile *p, int type, sc_top *t)
{
	return sc_top_compute_by(p, type, SC_KEY_FUNCTION, t);
}

int sc_top_compute_by(const sc_profile *p, int type, sc_key_mode mode, sc_top *t)
{
	*t = (sc_top){.type = type, .mode = mode};
	if (type < 0 || (size_t)type >= p->nsample_types)
		return -EINVAL;
	struct top_priv *priv = calloc(1, sizeof(*priv));
	int64_t *self = NULL, *total = NULL;
	struct acc *acc = NULL;
	int r = -ENOMEM;
	if (!priv)
		goto out;
	t->priv = priv;
	if ((r = sc_fkeys_init_mode(&priv->keys, p, mode)) < 0 ||
	    (r = sc_node_values(p, type, &self, &total)) < 0)
		goto out;
	r = -ENOMEM;
	size_t nkeys = priv->keys.keys.len;
	acc = calloc(nkeys ? nkeys : 1, sizeof(*acc));
	t->entries = calloc(nkeys ? nkeys : 1, sizeof(*t->entries));
	if (!acc || !t->entries)
		goto out;
	if ((r = walk(p, &priv->keys, self, total, acc)) < 0)
		goto out;
	t->grand_total = total[0];
	for (size_t k = 0; k < nkeys; k++) {
		if (!acc[k].self && !acc[k].total)
			continue;
		const sc_fkey *key = &priv->keys.keys.data[k];
		const sc_function *fn = sc_profile_function(p, acc[k].best_function);
		if (!fn)
			fn = sc_profile_function(p, key->function);
		sc_top_entry *e = &t->entries[t->len++];
		e->name = key->name;
		e->module = key->module;
		if (mode == SC_KEY_FUNCTION) {
			e->file = fn ? sc_profile_str(p, fn->filename) : "";
			e->line = fn && fn->start_line > 0 ? fn->start_line : acc[k].best_line;
		} else {
			e->file = key->file;
			e->line = key->line;
			e->address = key->address;
		}
		e->self = acc[k].self;
		e->total = acc[k].total;
	}
	qsort(t->entries, t->len, sizeof(*t->entries), cmp_self);
	r = 0;
out:
	free(self);
	free(total);
	free(acc);
	if (r < 0)
		sc_top_release(t);
	return r;
}

void sc_top_release(sc_top *t)
{
	if (!t)
		return;
	struct top_priv *priv = t->priv;
	if (priv) {
		sc_fkeys_release(&priv->keys);
		free(priv);
	}
	free(t->entries);
	*t = (sc_top){0};
}

void sc_top_sort_total(sc_top *t)
{
	qsort(t->entries, t->len, sizeof(*t->entries), cmp_total);
}

/* The first n entries in the given order, as a malloc'd array of pointers (NULL: -ENOMEM). */
static const sc_top_entry **ranked(const sc_top *t, size_t n, bool by_total, size_t *len)
{
	const sc_top_entry **v = malloc((t->len ? t->len : 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < t->len; i++)
		v[i] = &t->entries[i];
	qsort(v, t->len, sizeof(*v), by_total ? cmp_total_ptr : cmp_self_ptr);
	*len = n < t->len ? n : t->len;
	return v;
}

#define MODULE_MAX   28
#define SOURCE_MAX   32
#define FUNCTION_MIN 24

static const char *const mode_names[] = {"function", "line", "address"};

struct layout {
	size_t self_w, total_w, addr_w, func_w, mod_w, src_w;
	bool modules; /* false when no row knows its module (e.g. folded input): no column */
	bool sources; /* false when no row knows its source file: no column */
	bool addresses;
	const char *unit;
};

/* "file.c:123" (basename), "file.c" without a line, "" when unknown. */
static void fmt_source(char *buf, size_t size, const sc_top_entry *e)
{
	if (!*e->file)
		snprintf(buf, size, "%s", "");
	else if (e->line > 0)
		snprintf(buf, size, "%s:%" PRId64, sc_basename(e->file), e->line);
	else
		snprintf(buf, size, "%s", sc_basename(e->file));
}

struct cells {
	const char *selfp, *self, *totalp, *total, *addr, *func, *mod, *src;
};

static int add_row(sc_strbuf *sb, const struct layout *lo, const struct cells *c)
{
	bool more_mod = lo->sources, more_func = lo->modules || lo->sources;
	if (sc_strbuf_addf(sb, "%7s %*s  %7s %*s  ", c->selfp, (int)lo->self_w, c->self, c->totalp,
			   (int)lo->total_w, c->total) < 0 ||
	    (lo->addresses &&
	     (sc_add_cell(sb, c->addr, lo->addr_w, true) < 0 || sc_strbuf_adds(sb, "  ") < 0)) ||
	    sc_add_cell(sb, c->func, lo->func_w, more_func) < 0 ||
	    (lo->modules &&
	     (sc_strbuf_adds(sb, "  ") < 0 || sc_add_cell(sb, c->mod, lo->mod_w, more_mod) < 0)) ||
	    (lo->sources &&
	     (sc_strbuf_adds(sb, "  ") < 0 || sc_add_cell(sb, c->src, lo->src_w, false) < 0)))
		return -ENOMEM;
	return sc_end_row(sb);
}

static int add_table(sc_strbuf *sb, const sc_top *t, const struct layout *lo, const char *title,
		     const sc_top_entry *const *rows, size_t n)
{
	struct cells head = {"self%",	"self",
			     "total%",	"total",
			     "address", t->mode == SC_KEY_LINE ? "function (line)" : "function",
			     "module",	"source"};
	if (sc_strbuf_addf(sb, "\n%s:\n", title) < 0 || add_row(sb, lo, &head) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char sp[16], s[32], tp[16], tt[32], addr[24], src[512];
		snprintf(sp, sizeof(sp), "%.2f%%", sc_pct(rows[i]->self, t->grand_total));
		snprintf(tp, sizeof(tp), "%.2f%%", sc_pct(rows[i]->total, t->grand_total));
		snprintf(addr, sizeof(addr), "0x%" PRIx64, rows[i]->address);
		sc_fmt_value(s, sizeof(s), rows[i]->self, lo->unit);
		sc_fmt_value(tt, sizeof(tt), rows[i]->total, lo->unit);
		fmt_source(src, sizeof(src), rows[i]);
		struct cells c = {sp, s, tp, tt, addr, rows[i]->name, rows[i]->module, src};
		if (add_row(sb, lo, &c) < 0)
			return -ENOMEM;
	}
	return 0;
}

int sc_top_print_text(const sc_profile *p, const sc_top *t, size_t n, FILE *f)
{
	return sc_top_print_text_width(p, t, n, SC_TOP_TEXT_WIDTH, f);
}

int sc_top_print_text_width(const sc_profile *p, const sc_top *t, size_t n, size_t width, FILE *f)
{
	const char *type = sc_profile_str(p, p->sample_types[t->type].type);
	struct layout lo = {
	    .self_w = 4, .total_w = 5, .addr_w = 7, .func_w = 8, .mod_w = 6, .src_w = 6};
	lo.unit = sc_profile_str(p, p->sample_types[t->type].unit);
	lo.addresses = t->mode == SC_KEY_ADDRESS;
	if (t->mode == SC_KEY_LINE)
		lo.func_w = strlen("function (line)");
	size_t ns = 0, nt = 0;
	const sc_top_entry **by_self = ranked(t, n, false, &ns);
	const sc_top_entry **by_total = ranked(t, n, true, &nt);
	sc_strbuf sb = {0};
	int r = -ENOMEM;
	if (!by_self || !by_total)
		goto out;
	/* A function with no self cost says nothing in the "by self" table; it is in "by total". */
	while (ns && by_self[ns - 1]->self == 0)
		ns--;

	for (int pass = 0; pass < 2; pass++) {
		const sc_top_entry *const *rows = pass ? by_total : by_self;
		for (size_t i = 0; i < (pass ? nt : ns); i++) {
			char buf[512];
			sc_fit_value(&lo.self_w, rows[i]->self, lo.unit);
			sc_fit_value(&lo.total_w, rows[i]->total, lo.unit);
			size_t w = sc_text_width(rows[i]->name);
			lo.func_w = w > lo.func_w ? w : lo.func_w;
			w = sc_text_width(rows[i]->module);
			lo.mod_w = w > lo.mod_w ? w : lo.mod_w;
			lo.modules |= strcmp(rows[i]->module, "?") != 0;
			fmt_source(buf, sizeof(buf), rows[i]);
			w = sc_text_width(buf);
			lo.src_w = w > lo.src_w ? w : lo.src_w;
			lo.sources |= w > 0;
			snprintf(buf, sizeof(buf), "0x%" PRIx64, rows[i]->address);
			lo.addr_w = strlen(buf) > lo.addr_w ? strlen(buf) : lo.addr_w;
		}
	}
	/* Fit the line (when it has a width): modules and sources give way first (to a limit), then
	 * function names. */
	size_t fixed = 7 + 1 + lo.self_w + 2 + 7 + 1 + lo.total_w + 2 +
		       (lo.addresses ? lo.addr_w + 2 : 0) + (lo.modules ? 2 + lo.mod_w : 0) +
		       (lo.sources ? 2 + lo.src_w : 0);
	if (width && fixed + lo.func_w > width) {
		if (lo.mod_w > MODULE_MAX) {
			fixed -= lo.modules ? lo.mod_w - MODULE_MAX : 0;
			lo.mod_w = MODULE_MAX;
		}
		if (lo.src_w > SOURCE_MAX) {
			fixed -= lo.sources ? lo.src_w - SOURCE_MAX : 0;
			lo.src_w = SOURCE_MAX;
		}
		size_t room = fixed + FUNCTION_MIN < width ? width - fixed : FUNCTION_MIN;
		if (lo.func_w > room)
			lo.func_w = room;
	}

	char total[32];
	sc_fmt_value(total, sizeof(total), t->grand_total, lo.unit);
	static const char *const what[] = {"functions", "lines", "addresses"};
	if (sc_strbuf_addf(&sb, "total: %s ", total) < 0 ||
	    sc_add_type_unit(&sb, type, lo.unit) < 0 ||
	    sc_strbuf_addf(&sb, ", %zu %s\n", t->len, what[t->mode]) < 0)
		goto out;
	if ((ns && add_table(&sb, t, &lo, "by self", by_self, ns) < 0) ||
	    (nt && add_table(&sb, t, &lo, "by total", by_total, nt) < 0))
		goto out;
	r = sc_write_strbuf(&sb, f);
out:
	free(by_self);
	free(by_total);
	sc_strbuf_release(&sb);
	return r;
}

static int add_json_rows(sc_strbuf *sb, const sc_top *t, const char *key,
			 const sc_top_entry *const *rows, size_t n)
{
	if (sc_strbuf_addf(sb, ",\n\"%s\":[", key) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const sc_top_entry *e = rows[i];
		if (sc_strbuf_adds(sb, i ? ",\n{\"name\":\"" : "\n{\"name\":\"") < 0 ||
		    sc_strbuf_add_json(sb, e->name) < 0 ||
		    sc_strbuf_adds(sb, "\",\"module\":\"") < 0 ||
		    sc_strbuf_add_json(sb, e->module) < 0 ||
		    sc_strbuf_adds(sb, "\",\"file\":\"") < 0 ||
		    sc_strbuf_add_json(sb, e->file) < 0 ||
		    sc_strbuf_addf(sb, "\",\"line\":%" PRId64, e->line) < 0 ||
		    (t->mode == SC_KEY_ADDRESS &&
		     sc_strbuf_addf(sb, ",\"address\":\"0x%" PRIx64 "\"", e->address) < 0) ||
		    sc_strbuf_addf(sb,
				   ",\"self\":%" PRId64 ",\"self_pct\":%.2f"
				   ",\"total\":%" PRId64 ",\"total_pct\":%.2f}",
				   e->self, sc_pct(e->self, t->grand_total), e->total,
				   sc_pct(e->total, t->grand_total)) < 0)
			return -ENOMEM;
	}
	return sc_strbuf_adds(sb, n ? "\n]" : "]");
}

int sc_top_print_json(const sc_profile *p, const sc_top *t, size_t n, FILE *f)
{
	size_t ns = 0, nt = 0;
	const sc_top_entry **by_self = ranked(t, n, false, &ns);
	const sc_top_entry **by_total = ranked(t, n, true, &nt);
	sc_strbuf sb = {0};
	int r = -ENOMEM;
	if (!by_self || !by_total)
		goto out;
	/* A function with no self cost says nothing in the "by self" table; it is in "by total". */
	while (ns && by_self[ns - 1]->self == 0)
		ns--;
	if (sc_strbuf_adds(&sb, "{\"schema\":\"scorch.top\",\"version\":1,\"sample_type\":\"") <
		0 ||
	    sc_strbuf_add_json(&sb, sc_profile_str(p, p->sample_types[t->type].type)) < 0 ||
	    sc_strbuf_adds(&sb, "\",\"unit\":\"") < 0 ||
	    sc_strbuf_add_json(&sb, sc_profile_str(p, p->sample_types[t->type].unit)) < 0 ||
	    sc_strbuf_addf(&sb, "\",\"total\":%" PRId64, t->grand_total) < 0 ||
	    (t->mode == SC_KEY_FUNCTION ? sc_strbuf_addf(&sb, ",\"functions\":%zu", t->len)
					: sc_strbuf_addf(&sb, ",\"by\":\"%s\",\"rows\":%zu",
							 mode_names[t->mode], t->len)) < 0 ||
	    add_json_rows(&sb, t, "by_self", by_self, ns) < 0 ||
	    add_json_rows(&sb, t, "by_total", by_total, nt) < 0 || sc_strbuf_adds(&sb, "}\n") < 0)
		goto out;
	r = sc_write_strbuf(&sb, f);
out:
	free(by_self);
	free(by_total);
	sc_strbuf_release(&sb);
	return r;
}
